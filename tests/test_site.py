"""The static site: pages for the real notes, links, escaping, determinism, atomic writes, packaging."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from conftest import NOTES, ROOT, SEEDS, settled_names
from kb import write, writers
from kb.build import build_site
from kb.cli import main
from kb.config import Settings, load_settings
from kb.render.templates import builtin_theme_dir
from kb.write import WriteError

MAIN_TOPIC = "improving-context-fidelity-via-native-retrieval-augmented-reasoning"
MAIN_PAGE = f"records/{MAIN_TOPIC}/index.html"
MINUTES_NOTE = "notes/" + SEEDS["minutes"].removesuffix(".txt").replace("_", "-") + "/index.html"
EVIL_NOTE = """---
title: "Evil <script>alert(1)</script> paper"
kind: paper
authors: [Mallory <b>Bold</b>]
url: javascript:alert(2)
issue_date: 2025-10-01
tags: [XSS, "<img src=x onerror=alert(3)>"]
---
## summary
Raw <script>alert(1)</script> and <iframe src="https://evil.example/"></iframe> stay text.
[click me](javascript:alert(4)) and [ok](https://example.org/ok) and ![pic](https://evil.example/p.png)
"""
GOOD_NOTE = """---
title: A good paper
kind: paper
authors: [Ada Lovelace]
venue: ICLR2025
issue_date: 2025-01-15
tags: [Good]
---
## summary
Fine.
"""


BASE_URL = "https://example.github.io/papers/"


def settings_for(root: Path) -> Settings:
    return load_settings(root)[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The bundled notes' site as published: with a base_url, so feeds and the sitemap exist."""
    out = tmp_path_factory.mktemp("build") / "site"
    result = build_site(ROOT, settings_for(ROOT).model_copy(update={"base_url": BASE_URL}), out, NOTES, search=False)
    assert result.pages > 10
    return out


def read(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- pages for the real notes -------------------------------------------------------------------

def test_core_pages_exist(site):
    for page in ("index.html", "tags/index.html", "archive/index.html", "compute/index.html", "authors/index.html",
                 "venues/index.html", "notes/index.html", "search/index.html", "404.html", "feed.xml",
                 "sitemap.xml", "records.json", "records.bib", "static/style.css", "static/site.js",
                 "static/pygments.css"):
        assert (site / page).is_file(), page


def test_main_topic_record_page(site):
    html = read(site, MAIN_PAGE)
    assert "<h1>Improving Context Fidelity via Native Retrieval-Augmented Reasoning</h1>" in html
    assert "発表者" not in html  # the main topic has no presenter
    assert 'datetime="2025-09-24"' in html and "pagefind" not in html  # kb's own search index reads no markup
    assert 'href="../../authors/suyuchen-wang/index.html"' in html
    assert ">EMNLP2025<" in html
    assert f'href="../../{MINUTES_NOTE}#L103"' in html
    assert 'id="problem"' in html and "Context hallucination problem" in html
    assert '<html lang="ja">' in html


def test_record_pages_have_open_graph_and_landmarks(site):
    html = read(site, MAIN_PAGE)
    for needle in ('property="og:title"', 'property="og:description"', 'name="twitter:card"', "<header",
                   "<nav", "<main", "<footer", 'name="viewport"'):
        assert needle in html, needle
    description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
    assert description.startswith("LLMに、質問で与えられたコンテキスト")


def test_note_page_has_line_anchors_and_records(site):
    html = read(site, MINUTES_NOTE)
    source = (NOTES / SEEDS["minutes"]).read_text(encoding="utf-8")
    assert html.count('class="line" id="L') == len(source.split("\n"))
    assert 'id="L103"' in html and "議事録" in html  # the format, named in Japanese
    assert f'href="../../{MAIN_PAGE}"' in html
    assert '<time datetime="2025-09-24">' in html


def test_archive_is_a_year_index_with_a_page_per_year_and_undated_last(site):
    index = read(site, "archive/index.html")
    years = re.findall(r'href="\.\./archive/(\d{4})/index.html"', index)
    assert years == sorted(set(years), reverse=True) and "2025" in years and "2017" in years
    assert index.rindex('href="../archive/undated/index.html"') > index.rindex('href="../archive/2017/index.html"')
    assert '<a href="../archive/2025/index.html#m2025-09">9月</a>' in index
    year = read(site, "archive/2025/index.html")
    assert 'id="m2025-09"' in year and "2025年9月" in year and "../../" + MAIN_PAGE in year
    assert 'href="../../archive/2024/index.html">← 2024年' in year and "2017年" not in year.split('class="pager"')[1]
    assert MAIN_PAGE not in read(site, "archive/2024/index.html")


def test_home_has_counts_chart_and_newest(site):
    html = read(site, "index.html")
    assert "<svg" in html and "月別記録数" in html
    assert MAIN_PAGE in html
    records = json.loads(read(site, "records.json"))["records"]
    assert f"<strong>{len(records)}</strong> 件の記録" in html


def test_tags_pages_feeds_and_bib(site):
    records = json.loads(read(site, "records.json"))["records"]
    tagged = [r for r in records if r["tags"]]
    assert tagged, "the summaries seed (001) gives tagged records"
    tags_index = read(site, "tags/index.html")
    assert 'data-sort-key="count"' in tags_index
    anomaly = next(r for r in records if r["id"] == "2503.04504")
    assert "異常検知" in anomaly["tags"]
    record_html = read(site, anomaly["url"])
    match = re.search(r'href="\.\./\.\./(tags/[^"]+/index\.html)">異常検知<', record_html)
    assert match, "the record links its tag 異常検知"
    tag_dir = (site / match.group(1)).parent
    assert "AnyAnomaly" in (tag_dir / "index.html").read_text(encoding="utf-8")
    assert ET.parse(tag_dir / "feed.xml").getroot().tag == "{http://www.w3.org/2005/Atom}feed"
    assert "@misc{" in (tag_dir / "references.bib").read_text(encoding="utf-8")


def test_paper_record_has_arxiv_links_and_bibtex(site):
    html = read(site, "records/2503.04504/index.html")
    assert 'href="https://arxiv.org/pdf/2503.04504"' in html
    assert 'data-copy="bibtex"' in html and "@misc{2025anyanomaly," in html


def test_records_json_feed_and_sitemap(site):
    records = json.loads(read(site, "records.json"))["records"]
    assert set(records[0]) == {"id", "title", "url", "kind", "authors", "et_al", "tags", "issue_date", "date_inferred",
                               "summary"}
    assert all((site / r["url"]).is_file() for r in records)
    dates = [r["issue_date"] for r in records if r["issue_date"]]
    assert dates == sorted(dates, reverse=True)
    feed = ET.parse(site / "feed.xml").getroot()
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(dates) == 170  # the undated blog (003) is left out, not dated 1970
    locs = [e.text for e in ET.parse(site / "sitemap.xml").getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert BASE_URL + MAIN_PAGE in locs
    assert all((site / unquote(loc.removeprefix(BASE_URL))).is_file() for loc in locs)


def test_other_formats_appear_once_parsed(site):
    records = {r["id"]: r for r in json.loads(read(site, "records.json"))["records"]}
    assert {p.parent.name for p in (site / "notes").glob("*/index.html")} == {
        name.removesuffix(".txt").replace("_", "-") for name in SEEDS.values()}
    assert records["2509.15188"]["issue_date"] == "2025-09-21"  # blog (002)
    undated = next(i for i in records if i.startswith("finish-first-perfect-later"))  # blog without date (003)
    assert records[undated]["issue_date"] is None
    assert records[undated]["url"] in read(site, "archive/undated/index.html")
    jet = next(i for i in records if i.startswith("jet-nemotron"))  # listing (004)
    assert records[jet]["issue_date"] == "2025-08-26" and "NLP" in records[jet]["tags"]
    assert "notes/004-92a03f46596b4115/index.html#L" in read(site, records[jet]["url"])


def test_inferred_dates_are_marked(site):
    html = read(site, "records/2503.04504/index.html")  # summaries (001): date inferred from the arXiv id
    assert 'class="inferred"' in html and "推定" in html


# --- the link checker ---------------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src", "action"):
            if attrs.get(name) is not None:
                self.targets.append(attrs[name])
        if tag == "script":
            self.scripts.append(attrs)


def parse_html(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path) -> list[str]:
    pages = {p: parse_html(p) for p in sorted(site.rglob("*.html"))}
    broken = []
    for page, links in pages.items():
        for target in links.targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//"):
                continue
            path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.relative_to(site)} -> {target}")
            elif parts.fragment and path.suffix == ".html" and unquote(parts.fragment) not in pages[path].ids:
                broken.append(f"{page.relative_to(site)} -> {target} (no such anchor)")
    return broken


def test_no_broken_internal_links(site):
    assert broken_links(site) == []


def test_all_internal_links_are_relative_and_no_external_assets(site):
    for page in site.rglob("*.html"):
        links = parse_html(page)
        for target in links.targets:
            assert not target.startswith("/"), f"{page}: {target}"
        for script in links.scripts:
            assert not urlsplit(script.get("src", "")).scheme, f"{page}: external script"
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(link(?! rel="canonical")|img|script|iframe)[^>]+(src|href)="(https?:)?//', html), page


# --- safe rendering -----------------------------------------------------------------------------

@pytest.fixture()
def evil_project(tmp_path) -> Path:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "evil.md").write_text(EVIL_NOTE, encoding="utf-8")
    (tmp_path / "notes" / "good.md").write_text(GOOD_NOTE, encoding="utf-8")
    return tmp_path


def test_raw_html_and_javascript_links_are_shown_as_text(evil_project):
    out = evil_project / "site"
    build_site(evil_project, Settings(), out, search=False)
    pages = list(out.rglob("*.html"))
    record = next(p for p in pages if "evil" in p.parent.name)
    html = record.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;iframe" in html and "click me" in html
    assert 'href="https://example.org/ok"' in html
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<iframe" not in text and "<img" not in text, page
        assert not re.search(r'(href|src)\s*=\s*"\s*javascript:', text, re.IGNORECASE), page
    assert broken_links(out) == []


# --- build hygiene ------------------------------------------------------------------------------

def test_two_builds_are_byte_identical(tmp_path):
    settings = settings_for(ROOT)
    build_site(ROOT, settings, tmp_path / "a", NOTES, search=False)
    build_site(ROOT, settings, tmp_path / "b", NOTES, search=False)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_broken_template_is_reported_with_file_and_line(evil_project, monkeypatch, workers):
    """A user's template error is a message naming the template and line, exit 3 (the build
    could not finish), no traceback, also when the failing page is made in the second writer process."""
    out = evil_project / "site"
    build_site(evil_project, Settings(), out, search=False)
    before = tree(out)
    (evil_project / "templates").mkdir()
    (evil_project / "templates" / "tag.html").write_text(
        '{% extends "theme/tag.html" %}\n{% block content %}\n{{ group.name }\n{% endblock %}\n', encoding="utf-8")
    monkeypatch.setattr(writers, "PARALLEL_MIN", 1)
    monkeypatch.setattr("kb.build.WORKERS", workers)
    monkeypatch.chdir(evil_project)
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert result.exit_code == 3
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert re.search(r"tag\.html:3: .*\(rendering tags/", result.output), result.output
    assert "Traceback" not in result.output
    assert tree(out) == before


def test_failed_build_leaves_previous_site_intact(evil_project, monkeypatch):
    out = evil_project / "out" / "site"
    build_site(evil_project, Settings(), out, search=False)
    before = tree(out)
    real_place = write.place_all

    def place_half_then_fail(job, names, workers=1, progress=None):
        real_place(job, names[: len(names) // 2], workers, progress)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(write, "place_all", place_half_then_fail)
    (evil_project / "notes" / "good.md").write_text(GOOD_NOTE.replace("Fine.", "Changed."), encoding="utf-8")
    for clean in (False, True):  # the standby folder half updated; a fresh folder half written
        with pytest.raises(WriteError, match="simulated"):  # a filesystem error is a message, never a traceback
            build_site(evil_project, Settings(), out, search=False, clean=clean)
        assert tree(out) == before
        assert settled_names(out.parent) == [".site.standby", "site"]


def test_failure_in_search_index_leaves_previous_site_intact(evil_project, monkeypatch):
    out = evil_project / "site"
    build_site(evil_project, Settings(), out, search=False)
    before = tree(out)

    def failing_index(*args, **kwargs):
        raise RuntimeError("search index failed (simulated)")

    monkeypatch.setattr("kb.search_index.search_outputs", failing_index)
    with pytest.raises(RuntimeError):
        build_site(evil_project, Settings(), out, search=True)
    assert tree(out) == before
    assert [p.name for p in evil_project.iterdir() if p.name.startswith(".site.")] == [".site.standby"]


def test_build_never_writes_inside_notes(tmp_path):
    before = tree(NOTES)
    build_site(ROOT, settings_for(ROOT), tmp_path / "site", NOTES, search=False)
    assert tree(NOTES) == before
    with pytest.raises(WriteError):
        build_site(ROOT, settings_for(ROOT), NOTES / "site", NOTES, search=False)
    with pytest.raises(WriteError):
        build_site(ROOT, settings_for(ROOT), ROOT, NOTES, search=False)
    assert tree(NOTES) == before


def test_refuses_to_replace_a_folder_kb_did_not_write(evil_project):
    out = evil_project / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(WriteError, match="--clean"):
        build_site(evil_project, Settings(), out, search=False)
    assert (out / "precious.txt").read_text() == "keep me"
    build_site(evil_project, Settings(), out, search=False, clean=True)
    assert (out / "index.html").is_file()


def test_note_with_error_is_left_out_with_keep_going_and_cli_exits_1(evil_project, monkeypatch):
    """The publish rule (kb.build): --keep-going publishes the others, the broken note not at all."""
    broken = (ROOT / "tests" / "invalid" / "broken_yaml.md").read_text(encoding="utf-8")
    (evil_project / "notes" / "broken.md").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(evil_project)
    result = CliRunner().invoke(main, ["build", "--out", "public", "--no-search", "--keep-going"])
    assert result.exit_code == 1, result.output
    assert "notes/broken.md:2: error: front matter is not valid YAML" in result.output
    assert "published without 1 note with errors: notes/broken.md" in result.output
    assert (evil_project / "public" / "records" / "good" / "index.html").is_file()
    assert not (evil_project / "public" / "notes" / "broken").exists()
    assert "broken.md" not in read(evil_project / "public", "notes/index.html")


def test_cli_build_succeeds_without_errors(evil_project, monkeypatch):
    monkeypatch.chdir(evil_project)
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert result.exit_code == 0, result.output
    assert (evil_project / "site" / "index.html").is_file()


def test_search_index_is_built_without_node(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no node, no npm, no pagefind
    out = tmp_path / "site"
    result = build_site(ROOT, settings_for(ROOT), out, NOTES, search=True)
    assert result.search == "ran"
    index = json.loads((out / "search" / "index.json").read_text(encoding="utf-8"))
    assert index["records"] == result.records == 171
    assert len(list((out / "search" / "d").glob("*.bin"))) == index["base"]["d"] == 128
    assert index["segments"] == [{"id": 0, "deleted": []}] and index["delta"] is None  # one base segment
    assert len(list((out / "search" / "t").glob("*.json"))) == result.records
    assert not (out / "pagefind").exists()


# --- theme packaging and overrides --------------------------------------------------------------

def test_builtin_theme_is_the_packaged_templates_folder():
    theme = builtin_theme_dir()
    assert (theme / "base.html").is_file() and (theme / "static" / "style.css").is_file()


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.relative_to(ROOT / "src").parts) for p in (ROOT / "src" / "kb").rglob("__init__.py")}
    found = {name.removesuffix(".__init__.py").replace(".__init__", "") for name in found}
    assert found | {"kb.theme"} <= set(config["packages"]), "add new packages to pyproject's packages list"
    assert config["package-dir"]["kb.theme"] == "templates"


def test_project_templates_override_and_extend_the_theme(evil_project):
    templates = evil_project / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "index.html").write_text(
        '{% extends "theme/index.html" %}{% block title %}My own title{% endblock %}', encoding="utf-8")
    (templates / "static" / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    out = evil_project / "site"
    build_site(evil_project, Settings(), out, search=False)
    assert "<title>My own title</title>" in (out / "index.html").read_text(encoding="utf-8")
    assert "新しい記録" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "static" / "style.css").read_text() == "body { color: red; }\n"
    assert (out / "static" / "site.js").is_file()


def list_entry(page: str, title: str) -> str:
    """The text of one record's entry in a record list, tags and all, on one line."""
    entry = re.search(r'<li>\s*<a class="record-title"[^>]*>' + re.escape(title) + r"</a>.*?</li>", page, re.S)
    assert entry, title
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", entry.group(0)))


def test_list_entries_show_a_one_line_summary_and_topic_tags_only(site):
    tag_page = next(site.glob("tags/peft-adaptor-lora*/index.html")).read_text(encoding="utf-8")
    lora_plus = list_entry(tag_page, "LoRA+: Efficient Low Rank Adaptation of Large Models")
    # note 004 line 379: the entry's Summary, cut to one line; its bookkeeping label #Pocket stays off the list
    assert "本研究では、Huら(2021)によって導入されたLow Rank Adaptation(LoRA)が" in lora_plus
    assert "ICML" in lora_plus and "Pocket" not in lora_plus
    # the home page's newest records (20) show theirs too
    home = read(site, "index.html")
    assert home.count('class="record-line"') >= 15
