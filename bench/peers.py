"""The same corpus as a Hugo site and as a MkDocs site, and how to build them.

Both get one page per manifest record (title, date, tags, the record's Markdown) and one page
per tag listing its records: Hugo through its `tags` taxonomy (plus its default RSS, sitemap and
the terms page), MkDocs (no taxonomies without plugins) through a generated `tags/<tag>.md` per
tag and an index page of all tags. MkDocs runs from its own venv under bench/work/, created on
first use (`python -m venv` + `pip install mkdocs`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from corpus import Manifest, PageRecord

HUGO = "/usr/bin/hugo"
HUGO_CONFIG = """baseURL = "https://example.invalid/"
languageCode = "ja"
title = "bench"

[taxonomies]
  tag = "tags"
"""
LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a> <a href="{{ "/tags/" | relURL }}">tags</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
{{ with .Date }}{{ if not .IsZero }}<time>{{ .Format "2006-01-02" }}</time>{{ end }}{{ end }}
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ end }}
""",
    "terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
{{ .Count }}</li>{{ end }}</ul>
{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>#{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ end }}
""",
}


def front_matter(record: PageRecord) -> str:
    meta = {"title": record.title, "tags": record.tags}
    if record.date:
        meta["date"] = record.date
    return "---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items()) + "\n---\n"


def hugo_site(manifest: Manifest, site: Path) -> int:
    """Write a Hugo site for the manifest (replacing `site`); returns the number of record pages."""
    if site.exists():
        shutil.rmtree(site)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "content" / "notes").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in LAYOUTS.items():
        (site / "layouts" / "_default" / name).write_text(text, encoding="utf-8")
    for record in manifest.records:
        page = site / "content" / "notes" / f"{record.key}.md"
        page.write_text(front_matter(record) + "\n" + record.body, encoding="utf-8")
    return len(manifest.records)


def tag_slugs(records: list[PageRecord]) -> dict[str, str]:
    """A file name per tag, unique even when two tags differ only in case or punctuation."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for tag in sorted({t for r in records for t in r.tags}):
        base = re.sub(r"[^\w]+", "-", tag).strip("-").lower() or "tag"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[tag] = slug
    return slugs


def mkdocs_site(manifest: Manifest, site: Path) -> int:
    """Write a MkDocs project (default theme, automatic nav); returns the number of record pages."""
    if site.exists():
        shutil.rmtree(site)
    (site / "docs" / "notes").mkdir(parents=True)
    (site / "docs" / "tags").mkdir(parents=True)
    (site / "mkdocs.yml").write_text('site_name: "bench"\nsite_url: "https://example.invalid/"\n', encoding="utf-8")
    slugs = tag_slugs(manifest.records)
    by_tag: dict[str, list[PageRecord]] = {tag: [] for tag in slugs}
    for record in manifest.records:
        tags = " ".join(f"[#{t}](../tags/{slugs[t]}.md)" for t in record.tags)
        head = f"# {record.title}\n\n{record.date or ''}\n\n{tags}\n\n"
        (site / "docs" / "notes" / f"{record.key}.md").write_text(head + record.body, encoding="utf-8")
        for tag in record.tags:
            by_tag[tag].append(record)
    for tag, records in by_tag.items():
        items = "\n".join(f"- [{md_escape(r.title)}](../notes/{r.key}.md) {r.date or ''}" for r in records)
        (site / "docs" / "tags" / f"{slugs[tag]}.md").write_text(f"# #{tag}\n\n{items}\n", encoding="utf-8")
    index = "\n".join(f"- [{md_escape(t)}](tags/{slugs[t]}.md) ({len(rs)})" for t, rs in by_tag.items())
    (site / "docs" / "index.md").write_text(f"# bench\n\n{index}\n", encoding="utf-8")
    return len(manifest.records)


def md_escape(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def hugo_command() -> list[str] | None:
    exe = HUGO if Path(HUGO).exists() else shutil.which("hugo")
    return [exe, "--quiet", "-d", "public"] if exe else None


def hugo_version() -> str | None:
    cmd = hugo_command()
    return subprocess.run([cmd[0], "version"], capture_output=True, text=True).stdout.strip() if cmd else None


def mkdocs_venv(work: Path) -> tuple[list[str] | None, str]:
    """(command to build, version or the reason it is missing); creates the venv on first use."""
    venv = work.resolve() / "venv-mkdocs"
    exe = venv / "bin" / "mkdocs"
    if not exe.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "mkdocs"], check=True,
                           capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            return None, f"mkdocs could not be installed: {exc} {detail[-300:].decode('utf-8', 'replace')}"
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    return [str(exe), "build", "-q", "-d", "site"], version.split(" from ")[0]


def clean_outputs(site: Path) -> None:
    """Remove what a previous build wrote, so every measured build starts clean."""
    for name in ("public", "resources", "site", ".hugo_build.lock"):
        target = site / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
