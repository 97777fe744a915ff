"""Site search in a real headless Chromium against the built site (with its Pagefind index) on 127.0.0.1.

The query set (tests/search_queries.py) runs through the search page's own code
(`window.kbSearch.all`, the same Session the UI uses; a few queries also through the UI and
"もっと見る"); expected results are computed from the records with kb.search (every record whose
text contains the query), so `kb search` (tests/test_search_cli.py) and the site agree.
Figures (bytes fetched, time to first result) go to test-artifacts/search-figures.json.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import pytest

from conftest import NOTES, ROOT, open_page

sys.path.insert(0, str(ROOT / "bench"))
from search_bytes import measure_queries  # noqa: E402  (the benchmark measures the same way)

from kb.build import BuildError, build_site, find_pagefind
from kb.config import load_settings
from kb.index import build_index
from kb.records import parse_notes
from kb.search import search_text
from kb.text import fold
from search_queries import QUERIES, SORTED_QUERIES, expected_ids

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
FIGURES = ARTIFACTS / "search-figures.json"
MIN_RECALL = MIN_PRECISION = 0.99
SETTLED = "['done', 'partial', 'empty', 'error'].includes(document.getElementById('search').dataset.state)"
DONE = "['done', 'empty', 'error'].includes(document.getElementById('search').dataset.state)"


def need(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def settings():
    return load_settings(ROOT)[0]


@pytest.fixture(scope="module")
def records(settings):
    return build_index(parse_notes(NOTES, ROOT, settings).records, settings).records


@pytest.fixture(scope="module")
def site(tmp_path_factory, settings) -> Path:
    try:
        find_pagefind(ROOT)
    except BuildError as error:
        need(str(error))
    out = tmp_path_factory.mktemp("search") / "site"
    build_site(ROOT, settings, out, NOTES, search=True)
    return out


@pytest.fixture()
def page(browser, server):
    page = open_page(browser, server, requests=True)
    yield page
    page.context.close()


def record_id(url: str) -> str:
    """'/records/<id>/' (as Pagefind reports it) -> '<id>'."""
    return unquote(url).strip("/").removeprefix("records/")


def search_url(server: str, query: str, tag: str | None = None, sort: str | None = None) -> str:
    url = f"{server}search/index.html?q={quote(query)}"
    if tag:
        url += f"&tag={quote(tag)}"
    if sort:
        url += f"&sort={sort}"
    return url


def run_all(page, query: str, tag: str | None = None, sort: str | None = None) -> dict:
    opts = {"tags": [tag] if tag else [], "match": "any", "sort": sort or ""}
    return page.evaluate("""([q, opts]) => kbSearch.all(q, opts).then(r => ({
        ids: r.results.map(x => x.url), dates: r.results.map(x => x.date), candidates: r.candidates}))""",
                         [query, opts])


def shown_urls(page) -> list[str]:
    return page.eval_on_selector_all(".search-result", "items => items.map(i => i.dataset.url)")


def load_everything(page) -> None:
    page.wait_for_function(SETTLED)
    while page.locator("#search-more").is_visible():
        page.locator("#search-more").click()
        page.wait_for_function(SETTLED)
    page.wait_for_function(DONE)


# ---- the page text Pagefind returns holds everything `kb search` looks at ----

def fragments(site: Path) -> dict[str, dict]:
    found = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
        found[record_id(data["url"])] = data
    return found


def test_page_text_holds_the_record_text(site, records):
    """Every white-space separated word of search_text(record) is inside a word of the page's
    indexed text (so every query `kb search` matches, the site's check matches too)."""
    pages = fragments(site)
    assert set(pages) == {r.id for r in records}
    for r in records:
        site_words = "\n".join(fold(pages[r.id]["content"].replace("\u200b", "")).split())
        missing = [w for w in set(fold(search_text(r)).split()) if w not in site_words]
        assert not missing, (r.id, missing[:10])


def test_record_pages_index_ascii_suffixes(site):
    html = (site / "records" / "2503.02130" / "index.html").read_text(encoding="utf-8")
    assert '<div id="kb-search-terms" hidden>' in html


# ---- the query set ----

def score(got: set[str], expected: set[str]) -> tuple[float, float]:
    hit = len(got & expected)
    recall = hit / len(expected) if expected else 1.0
    precision = hit / len(got) if got else (1.0 if not expected else 0.0)
    return recall, precision


def test_query_set_recall_and_precision(page, server, records, capsys):
    page.goto(server + "search/index.html")
    page.wait_for_function("window.kbSearch && kbSearch.ready")
    page.evaluate("kbSearch.ready")
    by_date = {r.id: (r.issue_date.isoformat() if r.issue_date else "") for r in records}
    rows, recalls, precisions, raw = [], [], [], []
    for query, tag, sort in [(q, t, None) for q, t in QUERIES] + SORTED_QUERIES:
        found = run_all(page, query, tag, sort)
        got = [record_id(u) for u in found["ids"]]
        expected = expected_ids(records, query, tag)
        recall, precision = score(set(got), expected)
        recalls.append(recall)
        precisions.append(precision)
        raw.append(len(got) / found["candidates"] if found["candidates"] else 1.0)
        rows.append(f"{query!r:24} tag={tag!s:24} sort={sort!s:7} expected={len(expected):3} "
                    f"shown={len(got):3} candidates={found['candidates']:3} recall={recall:.3f} "
                    f"precision={precision:.3f}")
        assert len(got) == len(set(got)), query
        if sort:
            dates = [by_date[i] for i in got if by_date[i]]
            assert dates == sorted(dates, reverse=sort == "newest"), (query, sort)
    n = len(rows)
    mean_recall, mean_precision = statistics.mean(recalls), statistics.mean(precisions)
    with capsys.disabled():
        print(f"\nsite search over {n} queries:")
        print("\n".join(rows))
        print(f"mean recall {mean_recall:.4f}, mean precision {mean_precision:.4f} "
              f"(Pagefind's own candidates: precision {statistics.mean(raw):.4f})")
    update_figures({"queries": n, "recall": round(mean_recall, 4), "precision": round(mean_precision, 4),
                    "pagefind_raw_precision": round(statistics.mean(raw), 4)})
    assert n >= 40
    assert mean_recall >= MIN_RECALL and mean_precision >= MIN_PRECISION
    assert page.problems == []


@pytest.mark.parametrize(("query", "tag", "sort"), [("推論", None, None), ("を提案", None, None),
                                                   ("LoRA", None, "oldest"), ("効率", "EfficiencyImprovement", None)])
def test_the_page_shows_what_the_hook_finds(page, server, query, tag, sort):
    """The UI (first page, then もっと見る until every candidate is checked) == kbSearch.all."""
    page.goto(search_url(server, query, tag, sort))
    load_everything(page)
    shown = shown_urls(page)
    assert shown == run_all(page, query, tag, sort)["ids"]
    assert page.locator("#search-status").get_attribute("data-count") == str(len(shown))
    assert page.problems == []


# ---- figures: bytes fetched, time to first result ----

def update_figures(values: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    figures = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    figures.update(values)
    FIGURES.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def search_terms_bytes(site: Path) -> int:
    """Bytes of the hidden extra-text blocks over all record pages (tags, headings, ASCII suffixes)."""
    block = re.compile(r'<div id="kb-search-terms" hidden>(.*?)</div>', re.S)
    return sum(len(m.group(1).encode("utf-8")) for p in (site / "records").glob("*/index.html")
               for m in block.finditer(p.read_text(encoding="utf-8")))


def test_bytes_and_time_to_first_result(browser, server, site, records, capsys):
    figures = {"records": len(records), **measure_queries(browser, server)}
    pagefind_dir = site / "pagefind"
    figures["index_bytes"] = sum(f.stat().st_size for f in pagefind_dir.rglob("*") if f.is_file())
    figures["search_terms_bytes"] = search_terms_bytes(site)
    first_figures, second_figures = figures["first_query"], figures["second_query"]
    update_figures(figures)
    with capsys.disabled():
        print("\nsearch figures:", json.dumps(figures, ensure_ascii=False, indent=1))
    assert first_figures["bytes"] > 0 and second_figures["pagefind_bytes"] > 0
    assert second_figures["bytes"] < first_figures["bytes"]


# ---- behaviour ----

@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots(browser, server, width):
    page = open_page(browser, server, width, requests=True)
    try:
        page.goto(search_url(server, "LoRA"))
        page.wait_for_function(SETTLED)
        page.wait_for_selector(".search-result mark")
        if width == 360:
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"search-{width}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 1000
        assert page.problems == []
    finally:
        page.context.close()


def test_query_in_url_and_reload_restores_it(page, server):
    page.goto(server + "search/index.html")
    page.locator("#search-input").fill("LoRA")
    page.wait_for_function("new URLSearchParams(location.search).get('q') === 'LoRA' && " + SETTLED)
    page.select_option("#search-sort", "newest")
    page.wait_for_function("new URLSearchParams(location.search).get('sort') === 'newest' && " + SETTLED)
    page.evaluate("kbSearch.ready")
    page.locator("#search-tags summary").click()
    page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").check()
    page.wait_for_function("new URLSearchParams(location.search).get('tag') === 'PEFT(Adaptor/LoRA)' && " + SETTLED)
    load_everything(page)
    before = shown_urls(page)
    params = parse_qs(urlparse(page.url).query)
    assert params == {"q": ["LoRA"], "tag": ["PEFT(Adaptor/LoRA)"], "sort": ["newest"]}
    page.reload()
    load_everything(page)
    assert page.locator("#search-input").input_value() == "LoRA"
    assert page.locator("#search-sort").input_value() == "newest"
    assert page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").is_checked()
    assert shown_urls(page) == before and before
    assert page.problems == []


def test_tag_filter_narrows_any_and_all(page, server, records):
    page.goto(search_url(server, "LoRA"))
    load_everything(page)
    unfiltered = set(shown_urls(page))
    page.evaluate("kbSearch.ready")
    page.locator("#search-tags summary").click()
    page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").check()
    page.wait_for_function("new URLSearchParams(location.search).get('tag') && " + SETTLED)
    load_everything(page)
    one = set(shown_urls(page))
    assert one and one < unfiltered
    tags = {r.id: set(r.tags) for r in records}
    assert all("PEFT(Adaptor/LoRA)" in tags[record_id(u)] for u in one)
    page.locator("#search-tag-options input[value='NLP']").check()
    page.wait_for_function("new URLSearchParams(location.search).getAll('tag').length === 2 && " + SETTLED)
    load_everything(page)
    either = set(shown_urls(page))
    page.locator("input[name=match][value=all]").check()
    page.wait_for_function("new URLSearchParams(location.search).get('match') === 'all' && " + SETTLED)
    load_everything(page)
    both = set(shown_urls(page))
    assert both <= one <= either
    assert all({"PEFT(Adaptor/LoRA)", "NLP"} <= tags[record_id(u)] for u in both)
    assert page.problems == []


def test_keyboard_navigation(page, server):
    page.goto(server + "search/index.html")
    box = page.locator("#search-input")
    box.fill("推論")
    page.wait_for_function("document.querySelectorAll('.search-result').length >= 3")
    box.focus()
    links = page.locator(".search-result > a.record-title")
    focused = "document.activeElement.getAttribute('href')"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == links.nth(0).get_attribute("href")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == links.nth(2).get_attribute("href")
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == links.nth(1).get_attribute("href")
    target = links.nth(1).get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url("**/records/**")
    assert page.url.endswith(target.removeprefix("../"))
    assert page.problems == []


def test_header_box_submits_to_the_search_page(page, server):
    page.goto(server + "index.html")
    page.locator("#site-search").fill("強化学習")
    page.locator("#site-search").press("Enter")
    page.wait_for_url("**/search/index.html?q=*")
    page.wait_for_selector(".search-result")
    assert page.locator("#search-input").input_value() == "強化学習"
    assert page.problems == []


def test_nothing_found_is_explained(page, server):
    page.goto(search_url(server, "存在しない語zzqx"))
    page.wait_for_function(DONE)
    assert page.locator("#search").get_attribute("data-state") == "empty"
    assert "見つかりませんでした" in page.locator("#search-empty").inner_text()
    assert page.problems == []


def test_file_url_says_search_needs_a_server(page, site):
    page.goto(site.as_uri() + "/search/index.html?q=LoRA")
    page.wait_for_function(DONE)
    assert "ウェブサーバー" in page.locator("#search-list").inner_text()
    assert page.problems == []
