"""Files other programs read, checked with those programs' own validators: Atom feeds (feedparser),
the sitemap (sitemaps.org protocol), records.bib (pybtex, strict, with the standard styles),
records.json (its shipped JSON Schema); one summary rule everywhere; the site's address."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NOTES, ROOT
from kb.build import build_site
from kb.cli import main
from kb.config import load_settings
from kb.models import Record
from kb.render.bibtex import bibtex_entry, citation_keys
from kb.render.summary import one_line
from validators import bibtex_problems, feed_problems, feeds, sitemap_problems

BASE_URL = "https://example.github.io/papers/"
ATOM = "{http://www.w3.org/2005/Atom}"
MAIN_ID = "improving-context-fidelity-via-native-retrieval-augmented-reasoning"
OMIITA = "omiita-%E3%82%AA%E3%83%9F%E3%83%BC%E3%82%BF"  # omiita-オミータ, percent-encoded UTF-8
UNDATED_ID = "finish-first-perfect-later-test-time-token-level-cross-validation-for-diffusion"


def published_settings(base_url: str = BASE_URL):
    return load_settings(ROOT)[0].model_copy(update={"base_url": base_url})


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("outputs") / "site"
    build_site(ROOT, published_settings(), out, NOTES, search=False, cache=False)
    return out


def records_of(site: Path) -> list[dict]:
    return json.loads((site / "records.json").read_text(encoding="utf-8"))["records"]


# --- feeds: feedparser ---------------------------------------------------------------------------

def test_every_feed_passes_feedparser(site):
    assert len(feeds(site)) == 160  # the site feed and one per tag (159 tags)
    assert feed_problems(site) == []


def test_feed_leaves_undated_records_out_and_dates_from_records(site):
    feed = ET.parse(site / "feed.xml").getroot()
    ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
    assert len(ids) == 170 and f"urn:kb:record:{UNDATED_ID}" not in ids
    assert feed.findtext(f"{ATOM}updated") == "2025-09-24T00:00:00Z"  # the newest record's date
    assert "1970" not in (site / "feed.xml").read_text(encoding="utf-8")
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == BASE_URL + "feed.xml"


def test_one_summary_everywhere(site):
    """records.json, the feed entry, the page's description and og:description say the same."""
    record = next(r for r in records_of(site) if r["id"] == MAIN_ID)
    assert record["summary"].startswith("LLMに、質問で与えられたコンテキストにきちんと沿った回答をさせたい")
    feed = ET.parse(site / "feed.xml").getroot()
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == f"urn:kb:record:{MAIN_ID}")
    assert entry.findtext(f"{ATOM}summary") == record["summary"]
    html = (site / record["url"]).read_text(encoding="utf-8")
    description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
    og = re.search(r'<meta property="og:description" content="([^"]*)"', html).group(1)
    assert description == og == record["summary"].replace('"', "&#34;")


def test_summary_never_empty_and_one_line(site):
    records = records_of(site)
    assert len(records) == 171
    assert all(r["summary"] and "\n" not in r["summary"] and len(r["summary"]) <= 200 for r in records)
    # a listing article with no summary field: its link text stands in
    speculative = next(r for r in records if r["title"] == "vLLMのSpeculative Decodingによる推論高速化を試す")
    assert speculative["summary"] == "vLLMのSpeculative Decodingによる推論高速化を試す, Aratako, 2025.05"


def test_summary_of_a_record_with_nothing_but_a_title():
    record = Record(title="LoRA", kind="blog", source={"path": "n.md", "format": "native", "line_start": 1,
                                                        "line_end": 1})
    assert one_line(record) == "LoRA（ブログ記事）"


# --- sitemap: the sitemaps.org protocol ------------------------------------------------------------

def test_sitemap_follows_the_protocol(site):
    assert sitemap_problems(site) == []
    root = ET.parse(site / "sitemap.xml").getroot()
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = {u.findtext(f"{ns}loc"): u.findtext(f"{ns}lastmod") for u in root.iter(f"{ns}url")}
    # every page but 404.html, once (514, and papers/, its one paper page, next-meeting/, added/)
    assert len(urls) == 518 == len(list(site.rglob("*.html"))) - 1
    assert urls[f"{BASE_URL}archive/2023/index.html"] == "2023-12-15"  # the year's newest record
    assert urls[f"{BASE_URL}records/{MAIN_ID}/index.html"] == "2025-09-24"
    assert urls[f"{BASE_URL}index.html"] == "2025-09-24"
    assert urls[f"{BASE_URL}records/{UNDATED_ID}/index.html"] is None  # no date, so no lastmod
    omiita = [loc for loc in urls if loc.startswith(f"{BASE_URL}authors/{OMIITA}")]  # + a short hash of the name
    assert len(omiita) == 1 and omiita[0].endswith("/index.html")
    assert urls[omiita[0]] == "2021-05-24"  # the newest of the author's two articles


def test_canonical_link_on_pages(site):
    page = next(p for p in (site / "authors").glob("omiita-オミータ*/index.html"))
    html = page.read_text(encoding="utf-8")
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert canonical.startswith(f"{BASE_URL}authors/{OMIITA}") and canonical.isascii()
    assert canonical.endswith(page.parent.name[len("omiita-オミータ"):] + "/index.html")
    assert "canonical" not in (site / "404.html").read_text(encoding="utf-8")


def test_without_base_url_no_feeds_no_sitemap_and_build_says_so(tmp_path, monkeypatch):
    shutil.copytree(NOTES, tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert result.exit_code == 0, result.output
    assert result.output.count("base_url is not set in kb.yaml") == 1
    site = tmp_path / "site"
    assert not list(site.rglob("feed.xml")) and not (site / "sitemap.xml").exists()
    assert not any("feed.xml" in p.read_text(encoding="utf-8") for p in site.rglob("*.html"))


def test_github_actions_infers_the_pages_address(tmp_path, monkeypatch):
    shutil.copytree(NOTES, tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "Octo-Org/paper-notes")
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert "using https://octo-org.github.io/paper-notes/" in result.output
    feed = ET.parse(tmp_path / "site/feed.xml").getroot()
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://octo-org.github.io/paper-notes/feed.xml"
    (tmp_path / "kb.yaml").write_text("base_url: https://notes.example.org/\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert "base_url" not in result.output  # configured: nothing to say, and kb.yaml wins
    assert "<loc>https://notes.example.org/index.html</loc>" in (tmp_path / "site/sitemap.xml").read_text("utf-8")


# --- records.json and its schema -------------------------------------------------------------------

def header(page: Path) -> str:
    return page.read_text(encoding="utf-8").split("<article", 1)[1].split("</header>", 1)[0]


def test_records_json_validates_against_its_shipped_schema(site):
    import jsonschema

    data = json.loads((site / "records.json").read_text(encoding="utf-8"))
    assert data["$schema"] == "records.schema.json"
    shipped = json.loads(resources.files("kb").joinpath("records.schema.json").read_text(encoding="utf-8"))
    assert json.loads((site / data["$schema"]).read_text(encoding="utf-8")) == shipped
    jsonschema.Draft202012Validator.check_schema(shipped)
    jsonschema.Draft202012Validator(shipped, format_checker=jsonschema.FormatChecker()).validate(data)
    records = data["records"]
    inferred = [r for r in records if r["date_inferred"]]
    assert len(inferred) == 23  # arXiv-id months for undated papers, marked 推定 on their pages
    assert all('class="inferred"' in header(site / r["url"]) for r in inferred)
    assert {r["kind"] for r in records} == {"paper", "article", "blog"}
    main = next(r for r in records if r["id"] == MAIN_ID)
    assert main["authors"][:2] == ["Suyuchen Wang", "Jinlin Wang"]


# --- BibTeX: pybtex strict with the standard styles ---------------------------------------------

def bib_styles(path: Path) -> dict[str, list[str]]:
    from pybtex import errors
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    errors.set_strict_mode(True)
    try:
        data = parse_file(str(path), bib_format="bibtex")
        rendered = {}
        for name in ("plain", "alpha", "unsrt"):
            style = find_plugin("pybtex.style.formatting", name)()
            rendered[name] = [e.text.render_as("text") for e in style.format_entries(data.entries.values())]
        return rendered
    finally:
        errors.set_strict_mode(False)


def test_records_bib_passes_pybtex_strict_with_standard_styles(site):
    assert bibtex_problems(site / "records.bib") == []
    rendered = bib_styles(site / "records.bib")
    assert all(len(entries) == 171 for entries in rendered.values())  # every record, every kind
    bib = (site / "records.bib").read_text(encoding="utf-8")
    assert bib.count("@inproceedings{") == 26 and bib.count("@misc{") == 145
    # capitals survive the styles' lowercasing
    assert any(e.startswith("AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM. 2025.")
               for e in rendered["plain"])


def test_bibtex_kinds_arxiv_and_et_al(site):
    bib = (site / "records.bib").read_text(encoding="utf-8")
    anomaly = re.search(r"@misc\{2025anyanomaly,\n(.*?)\n\}", bib, re.S).group(1)
    assert "eprint = {2503.04504}" in anomaly and "archivePrefix = {arXiv}" in anomaly
    assert "title = {{AnyAnomaly:} {Zero-Shot} {Customizable} {Video} {Anomaly} {Detection} with {LVLM}}" in anomaly
    jet = re.search(r"@misc\{gu2025jet,\n(.*?)\n\}", bib, re.S).group(1)  # listing: `Yuxian Gu+, arXiv'25`
    assert "author = {Yuxian Gu and others}" in jet and "howpublished = {arXiv preprint}" in jet
    fid = re.search(r"@misc\{2023fid,\n(.*?)\n\}", bib, re.S).group(1)  # ACL'23 without authors: not @inproceedings
    assert "howpublished = {ACL'23}" in fid
    improving = re.search(r"@inproceedings\{wang2025improving,\n(.*?)\n\}", bib, re.S).group(1)
    assert "booktitle = {EMNLP2025}" in improving
    blog = next(entry for entry in bib.split("\n\n") if "LoRAの進化" in entry)
    assert blog.startswith("@misc{") and "howpublished = {Blog post}" in blog


SPECIALS = "Back\\slash 100% R&D a_b #1 {braced} ~tilde x^2 $5"


def crafted(**fields) -> Record:
    base = {"title": SPECIALS, "authors": ["Vaswani, Ashish", "Noam Shazeer"], "year": 2017,
            "source": {"path": "n.md", "format": "native", "line_start": 1, "line_end": 1}}
    return Record(**{**base, **fields})


def test_bibtex_special_characters_round_trip():
    from pybtex.database import parse_string

    record = crafted(id="x", url="javascript:alert(1)")
    key = citation_keys([record])["x"]
    assert key == "vaswani2017back"  # the first author's family name, not the given name
    entry = bibtex_entry(record, key)
    assert "javascript" not in entry and "url =" not in entry
    title = parse_string(entry, "bibtex").entries[key].fields["title"]
    assert latex_to_text(title) == SPECIALS
    assert bib_styles_of(entry)["plain"][0].startswith("Ashish Vaswani and Noam Shazeer. Back\\slash 100% R&D a_b #1")


def latex_to_text(latex: str) -> str:
    """pylatexenc's reading of LaTeX, told the standard meaning of three text-mode symbols it lacks."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    symbols = [MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
               MacroTextSpec("textasciicircum", "^")]
    context = get_default_latex_context_db()
    context.add_context_category("kb", macros=symbols, prepend=True)
    return LatexNodes2Text(latex_context=context).latex_to_text(latex)


def bib_styles_of(text: str) -> dict[str, list[str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.bib"
        path.write_text(text, encoding="utf-8")
        return bib_styles(path)


def test_bibtex_keeps_only_http_urls():
    assert "url = {https://example.org/a_b}" in bibtex_entry(crafted(url="https://example.org/a_b"), "k")
    assert "url =" not in bibtex_entry(crafted(url="file:///etc/passwd"), "k")


# --- characters XML forbids -------------------------------------------------------------------------

HOSTILE_NOTE = '---\ntitle: "Bell\\u0001 and \\e[31mred\\e[0m paper"\nkind: paper\nissue_date: 2025-10-01\n' \
               'tags: [Hostile]\n---\n## summary\nnon-character \uffff here and form\x0cfeed.\n'


def test_forbidden_xml_characters_never_reach_feeds_or_sitemap(tmp_path):
    shutil.copytree(NOTES, tmp_path / "notes")
    (tmp_path / "notes" / "hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    out = tmp_path / "site"
    build_site(tmp_path, published_settings(), out, tmp_path / "notes", search=False, cache=False)
    record = next(r for r in records_of(out) if r["title"].startswith("Bell"))
    assert "\x01" in record["title"] and "\x1b" in record["title"]  # the record keeps what the note said
    xml_files = [*feeds(out), out / "sitemap.xml"]
    assert len(xml_files) == 162  # the site feed, 160 tag feeds (one new), the sitemap
    for path in xml_files:
        ET.fromstring(path.read_bytes())  # expat: strict XML 1.0, raises on any forbidden character
    assert feed_problems(out) == [] and sitemap_problems(out) == []
    feed = ET.parse(out / "feed.xml").getroot()
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title").startswith("Bell"))
    assert entry.findtext(f"{ATOM}title") == "Bell and [31mred[0m paper"
    assert entry.findtext(f"{ATOM}summary") == "non-character  here and form feed."
