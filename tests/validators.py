"""The real validators of kb's output, run on a built site: each returns a list of problems.

    feed_problems(site)       feedparser (Atom 1.0, RFC 4287) on every feed.xml
    sitemap_problems(site)    sitemaps.org protocol 0.9, parsed with a strict XML parser
    bibtex_problems(path)     pybtex in strict mode, rendering with the `plain` style
    axe_violations(page)      axe-core (npm, test-only) in a Playwright page
    vnu_errors(paths)         the Nu Html Checker (vnu.jar from npm, run with Debian's Java)

    python tests/validators.py SITE_DIR     # prints the counts of each (no browser checks)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def is_absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_percent_encoded(url: str) -> bool:
    return url.isascii() and not any(c in url for c in ' "<>\\^`{|}')


def feeds(site: Path) -> list[Path]:
    return sorted(site.rglob("feed.xml"))


def feed_problems(site: Path) -> list[str]:
    """feedparser's bozo flag, relative or unencoded links, entries without a summary, 1970 dates."""
    import feedparser

    problems: list[str] = []
    for path in feeds(site):
        name = str(path.relative_to(site))
        parsed = feedparser.parse(path.read_bytes())
        if parsed.bozo:
            problems.append(f"{name}: not well-formed: {parsed.bozo_exception}")
        links = [link.href for link in parsed.feed.get("links", [])]
        for entry in parsed.entries:
            links += [link.href for link in entry.get("links", [])]
            if not entry.get("summary"):
                problems.append(f"{name}: entry {entry.get('id')} has no summary")
            if entry.get("updated", "").startswith("1970"):
                problems.append(f"{name}: entry {entry.get('id')} dated 1970")
        problems += [f"{name}: link {href} is not absolute" for href in links if not is_absolute_http(href)]
        problems += [f"{name}: link {href} is not percent-encoded" for href in links if not is_percent_encoded(href)]
    return problems


def sitemap_problems(site: Path) -> list[str]:
    """The sitemaps.org protocol: absolute percent-encoded <loc> under the site, each once,
    a W3C date in any <lastmod>, at most 50,000 URLs, every listed page existing, 404.html never."""
    root = ET.fromstring((site / "sitemap.xml").read_bytes())  # raises on anything not well-formed
    problems = [] if root.tag == f"{SITEMAP_NS}urlset" else [f"root element is {root.tag}"]
    urls = root.findall(f"{SITEMAP_NS}url")
    locs = [(u.findtext(f"{SITEMAP_NS}loc") or "").strip() for u in urls]
    problems += [f"{loc}: not absolute" for loc in locs if not is_absolute_http(loc)]
    problems += [f"{loc}: not percent-encoded" for loc in locs if not is_percent_encoded(loc)]
    problems += [f"{loc}: longer than 2,048 characters" for loc in locs if len(loc) > 2048]
    problems += [f"{loc}: listed twice" for loc in sorted(set(locs)) if locs.count(loc) > 1]
    problems += [f"{loc}: the 404 page" for loc in locs if loc.endswith("/404.html")]
    problems += [f"{len(locs)} URLs (the limit is 50,000)"] if len(locs) > 50_000 else []
    for url, loc in zip(urls, locs, strict=True):
        lastmod = url.findtext(f"{SITEMAP_NS}lastmod")  # optional; when present, a W3C date
        if lastmod is not None and not is_w3c_date(lastmod):
            problems.append(f"{loc}: lastmod {lastmod!r} is not a W3C date")
    return problems


def is_w3c_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def bibtex_problems(path: Path) -> list[str]:
    """pybtex in strict mode: parse the file, then format every entry with the `plain` style."""
    from pybtex import errors
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    problems: list[str] = []
    errors.set_strict_mode(True)
    try:
        data = parse_file(str(path), bib_format="bibtex")
        style = find_plugin("pybtex.style.formatting", "plain")()
        for key, entry in data.entries.items():
            try:
                list(style.format_entries([entry]))[0].text.render_as("text")
            except Exception as exc:  # noqa: BLE001 - every style failure is one problem to report
                problems.append(f"{key}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{path.name}: {type(exc).__name__}: {exc}")
    finally:
        errors.set_strict_mode(False)
    return problems


def axe_script() -> Path | None:
    path = NODE_MODULES / "axe-core" / "axe.min.js"
    return path if path.exists() else None


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the loaded page (all rules axe runs by default)."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]),
             "targets": [n["target"] for n in v["nodes"][:3]]} for v in result["violations"]]


def vnu_jar() -> Path | None:
    path = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    return path if path.exists() else None


def vnu_messages(paths: list[Path]) -> list[dict]:
    """The Nu Html Checker's errors and warnings for the given HTML files."""
    java = shutil.which("java")
    run = subprocess.run([java, "-jar", str(vnu_jar()), "--format", "json", "--exit-zero-always",
                          *map(str, paths)], capture_output=True, text=True, timeout=300)
    return json.loads(run.stderr or run.stdout)["messages"]


def vnu_errors(paths: list[Path]) -> list[str]:
    return [f"{'/'.join(Path(urlsplit(m.get('url', '')).path).parts[-3:])}:{m.get('lastLine')}: {m['message']}"
            for m in vnu_messages(paths) if m["type"] == "error" or m.get("subType") == "fatal"]


def counts(site: Path) -> dict:
    """Every validator's problem count (browser checks aside), for reports."""
    bib = site / "records.bib"
    result = {"feeds": len(feeds(site)), "feed problems": len(feed_problems(site)),
              "sitemap problems": len(sitemap_problems(site)), "bibtex problems": len(bibtex_problems(bib))}
    if vnu_jar() and shutil.which("java"):
        result["vnu errors"] = len(vnu_errors(sample_pages(site)))
    return result


def sample_pages(site: Path) -> list[Path]:
    """One page of each type: home, record, tag, search, archive, note (and the lists)."""
    first = {folder: next(p for p in sorted((site / folder).glob("*/index.html")))
             for folder in ("records", "tags", "notes")}
    code = sorted(p for p in (site / "records").glob("*/index.html") if p.read_text("utf-8").count("<pre") > 1)
    return [site / "index.html", code[0] if code else first["records"], first["tags"],
            site / "search" / "index.html", site / "archive" / "index.html", first["notes"]]


if __name__ == "__main__":
    site = Path(sys.argv[1])
    os.environ.setdefault("KB_VALIDATORS_VERBOSE", "")
    print(json.dumps(counts(site), indent=1))
