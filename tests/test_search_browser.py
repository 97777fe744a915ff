"""Site search in a real headless Chromium against built sites on 127.0.0.1: the bundled notes and
a synthetic 1,000-note corpus (bench/corpus.py).

The whole query set (tests/search_queries.py) runs through the page's own engine
(`window.kbSearch.all`, the code the UI runs); the expected records and their order are computed
from the records with kb.search's rule, so `kb search` (tests/test_search_cli.py) and the site
agree. Figures (bytes fetched, time to first result) go to test-artifacts/search-figures.json.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import pytest

from conftest import NOTES, ROOT, open_page

sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402
from search_bytes import measure_queries, served  # noqa: E402

from kb.build import build_site
from kb.config import Settings, load_settings
from kb.index import build_index
from kb.index.papers import papers_of
from kb.records import parse_notes
from kb.search import search_regions
from kb.text import fold
from search_queries import CORPUS_QUERIES, QUERIES, SORTED_QUERIES, expected_ids, expected_order, one_per_paper

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
FIGURES = ARTIFACTS / "search-figures.json"
DONE = "['done', 'empty', 'error'].includes(document.getElementById('search').dataset.state)"


@pytest.fixture(scope="module")
def settings():
    return load_settings(ROOT)[0]


@pytest.fixture(scope="module")
def records(settings):
    return build_index(parse_notes(NOTES, ROOT, settings).records, settings).records


@pytest.fixture(scope="module")
def paper_of(records) -> dict[str, str]:
    """Record id -> paper id, for the papers noted in two or more records (one on the bundled notes)."""
    found = {i: paper.id for paper in papers_of(records) for i in paper.record_ids}
    assert len(found) == 2
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory, settings) -> Path:
    out = tmp_path_factory.mktemp("search") / "site"
    build_site(ROOT, settings, out, NOTES, search=True)
    return out


@pytest.fixture()
def page(browser, server):
    page = open_page(browser, server, requests=True)
    yield page
    page.context.close()


def search_url(server: str, query: str, **params) -> str:
    url = f"{server}search/index.html?q={quote(query)}"
    return url + "".join(f"&{k}={quote(v)}" for k, v in params.items() if v)


def run_all(page, query: str, tag: str | None = None, sort: str | None = None) -> dict:
    opts = {"tags": [tag] if tag else [], "match": "any", "sort": sort or ""}
    return page.evaluate("([q, opts]) => kbSearch.all(q, opts)", [query, opts])


def shown_ids(page) -> list[str]:
    return page.eval_on_selector_all(".search-result", "items => items.map(i => i.dataset.id)")


def load_everything(page) -> None:
    page.wait_for_function(DONE)
    while page.locator("#search-more").is_visible():
        page.locator("#search-more").click()
        page.wait_for_function(DONE)


def update_figures(values: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    figures = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    figures.update(values)
    FIGURES.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def check_query_set(page, records, queries) -> tuple[int, float, float]:
    """Every query: the site's results are exactly kb's, in kb's order; returns (n, recall, precision)."""
    page.wait_for_function("window.kbSearch && kbSearch.ready")
    page.evaluate("kbSearch.ready")
    dates = {r.id: (r.issue_date.isoformat() if r.issue_date else "") for r in records}
    hit = expected_total = shown_total = 0
    for query, tag, sort in queries:
        found = run_all(page, query, tag, sort)
        got, expected = found["ids"], expected_ids(records, query, tag)
        hit += len(set(got) & expected)
        expected_total += len(expected)
        shown_total += len(got)
        assert found["count"] == len(got) == len(set(got)), query
        assert set(got) == expected, (query, tag, sorted(set(got) ^ expected)[:5])
        if sort:
            dated = [dates[i] for i in got if dates[i]]
            assert dated == sorted(dated, reverse=sort == "newest"), (query, sort)
        else:
            assert got == expected_order(records, query, tag), query
    recall = hit / expected_total if expected_total else 1.0
    precision = hit / shown_total if shown_total else 1.0
    return len(queries), recall, precision


# ---- the query set, on the bundled notes and on 1,000 notes ----

def test_query_set_on_the_bundled_notes(page, server, records, capsys):
    page.goto(server + "search/index.html")
    n, recall, precision = check_query_set(page, records, [(q, t, None) for q, t in QUERIES] + SORTED_QUERIES)
    with capsys.disabled():
        print(f"\nsite search, bundled notes: {n} queries, recall {recall:.4f}, precision {precision:.4f}")
    update_figures({"bundled": {"queries": n, "recall": recall, "precision": precision}})
    assert n >= 100 and recall == precision == 1.0
    assert page.problems == []


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,000 synthetic notes, built with search, and their records (the index stage's)."""
    base = tmp_path_factory.mktemp("corpus")
    generate(1000, base)
    settings = Settings()
    build_site(base, settings, base / "site", base / "notes", search=True)
    records = build_index(parse_notes(base / "notes", base, settings).records, settings).records
    return base / "site", records


def test_query_set_on_1000_notes(browser, corpus, capsys):
    site, records = corpus
    assert len(records) >= 1000
    with served(site) as server:
        page = open_page(browser, server, requests=True)
        try:
            page.goto(server + "search/index.html")
            start = time.perf_counter()
            n, recall, precision = check_query_set(page, records, [(q, t, None) for q, t in CORPUS_QUERIES])
            seconds = time.perf_counter() - start
            problems = page.problems
        finally:
            page.context.close()
    with capsys.disabled():
        print(f"\nsite search, {len(records)} records: {n} queries in {seconds:.1f} s, "
              f"recall {recall:.4f}, precision {precision:.4f}")
    update_figures({"corpus_1000": {"records": len(records), "queries": n, "recall": recall, "precision": precision}})
    assert n >= 100 and recall == precision == 1.0
    assert problems == []


@pytest.mark.parametrize(("seed", "ranges"), [(7, True), (31, False)])
def test_query_set_after_a_random_segment_history(browser, tmp_path, monkeypatch, seed, ranges):
    """Edits, additions, renames and deletions chosen at random, a build after each (no merge,
    so the site holds a base and small segments with deletion lists): in Chromium every query
    gives kb search's records in kb's order, whether the server answers the small segments'
    Range requests (206, a static host) or sends whole files (200, http.server alone)."""
    import random

    from test_incremental import OPERATIONS, make_project
    from test_search_segments import HISTORY_OPS, current_records, segments

    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    monkeypatch.setattr("kb.search_index.segments.MERGE_MIN", 10_000)
    monkeypatch.setattr("kb.search_index.segments.TIER", 10_000)
    root = make_project(tmp_path)
    settings = load_settings(root)[0]
    build_site(root, settings, tmp_path / "site", search=True, keep_going=True)
    pick = random.Random(seed)
    for _ in range(4):
        OPERATIONS[pick.choice(HISTORY_OPS)](root, pick.randrange(1000))
        build_site(root, settings, tmp_path / "site", search=True, keep_going=True)
    assert len(segments(tmp_path / "site")) >= 3  # a rename alone changes no record
    records = current_records(root)
    with served(tmp_path / "site", ranges) as server:
        page = open_page(browser, server, requests=True)
        statuses = []
        page.on("response", lambda r: statuses.append(r.status) if "/search/s/" in r.url else None)
        try:
            page.goto(server + "search/index.html")
            n, recall, precision = check_query_set(page, records, [(q, t, None) for q, t in QUERIES])
            problems = page.problems
        finally:
            page.context.close()
    assert n >= 100 and recall == precision == 1.0
    assert problems == []
    assert set(statuses) == ({206} if ranges else {200})


LONG_NOTE = """---
title: "A long note"
kind: paper
issue_date: 2025-03-01
---
## summary
短い要約。

## 本文
{body}"""


def test_a_long_body_is_read_by_ranges_only_as_far_as_its_excerpt_needs(browser, tmp_path):
    """A match about 6,500 characters into a body of 18,800: the excerpt is the one the whole body
    gives (a server without Range sends the whole file), read by Range requests from the body's
    start that stop short of its end."""
    filler = "これは範囲読み込みを試すための長い本文の一行です。\n" * 250
    body = filler + "ここで鰻重という語が現れる。続く文も抜粋に入る。\n" + filler * 2
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "long.md").write_text(LONG_NOTE.format(body=body), encoding="utf-8")
    build_site(tmp_path, Settings(), tmp_path / "site", search=True, keep_going=True)
    [body_file] = (tmp_path / "site" / "search" / "b").iterdir()
    excerpts, read = {}, {}
    for ranges in (True, False):
        with served(tmp_path / "site", ranges) as server:
            page = open_page(browser, server, requests=True)
            try:
                page.goto(search_url(server, "鰻重"))
                page.wait_for_function(DONE)
                excerpts[ranges] = page.locator(".search-result .excerpt").inner_text()
                read[ranges] = sum(int(r.response().headers["content-length"]) for r in page.finished
                                   if "/search/b/" in r.url)
                problems = page.problems
            finally:
                page.context.close()
        assert problems == []
    assert excerpts[True] == excerpts[False]
    assert excerpts[True].startswith("…ここで鰻重という語が現れる。続く文も抜粋に入る。これは範囲読み込み")
    assert read[False] == body_file.stat().st_size > 37_000  # 18,800 characters (line breaks joined), UTF-16
    # 6,500 characters and an excerpt's length are 13,500 bytes; ranges that double read at most twice that
    assert 13_500 < read[True] <= 2 * 13_500 < body_file.stat().st_size


def test_an_empty_site_searches_and_finds_nothing(browser, tmp_path):
    """#19 row 7: no notes (or every note in error, under --keep-going) builds a site whose search
    page loads its index and says nothing was found."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    result = build_site(tmp_path, Settings(), tmp_path / "site", search=True, keep_going=True)
    assert result.records == 0 and result.held_back == ("notes/broken.md",)
    with served(tmp_path / "site") as server:
        page = open_page(browser, server, requests=True)
        try:
            page.goto(search_url(server, "LoRA"))
            page.wait_for_function(DONE)
            state = page.locator("#search").get_attribute("data-state")
            empty = page.locator("#search-empty").inner_text()
            problems = page.problems
        finally:
            page.context.close()
    assert state == "empty" and "「LoRA」を含む記録は見つかりませんでした。" in empty
    assert problems == []


# ---- what a reader sees ----

def test_count_at_once_and_pages_of_results(page, server, records, paper_of):
    expected = one_per_paper(expected_order(records, "の", None), paper_of)
    assert len(expected) > 20
    page.goto(search_url(server, "の"))
    page.wait_for_function(DONE)
    assert page.locator("#search-status").inner_text() == f"{len(expected)} 件"
    assert shown_ids(page) == expected[:10]
    load_everything(page)
    assert shown_ids(page) == expected
    assert page.problems == []


PAPER = "papers/full-parameter-fine-tuning-for-large-language-models-with-limited-resources/index.html"
PAPER_TITLE = "Full Parameter Fine-tuning for Large Language Models with Limited Resources"


def test_one_result_per_paper_with_its_note_count(page, server, records):
    """The bundled notes' one paper noted twice (a tag-page entry of 2023 and one of 2025) is one
    result, linking to its paper page with its note count; kb search lists both notes."""
    page.goto(search_url(server, "LOMO"))
    load_everything(page)
    assert page.locator("#search-status").inner_text() == "1 件"
    result = page.locator(".search-result")
    assert result.count() == 1
    link = result.locator("a.record-title")
    assert link.inner_text() == PAPER_TITLE and link.get_attribute("href") == "../" + PAPER
    assert result.locator(".record-meta .notes").inner_text() == "ノート 2 件"
    link.click()
    page.wait_for_url("**/" + PAPER)
    assert page.locator("h1").inner_text() == PAPER_TITLE
    page.goto(search_url(server, "Fine-tuning"))
    page.evaluate("kbSearch.ready")
    every = run_all(page, "Fine-tuning")
    listed = page.evaluate("kbSearch.results('Fine-tuning')")
    assert every["count"] == 16 and listed["count"] == 15 == len(listed["items"])
    papers = [item for item in listed["items"] if item["notes"] > 1]
    assert papers == [{"id": "full-parameter-fine-tuning-for-large-language-models-with-limited-resources",
                       "url": PAPER, "title": PAPER_TITLE, "notes": 2}]
    # (the browser's own favicon request may still be on its way when a click or goto leaves the page)
    assert [p for p in page.problems if not p.endswith("/static/favicon.svg")] == []


def test_excerpts_mark_the_query_and_start_at_a_boundary(page, server, records, paper_of):
    """Excerpts are the record's own text (no markup), cut where an ASCII word starts, every
    occurrence of the query marked."""
    page.goto(search_url(server, "lora"))
    load_everything(page)
    items = page.eval_on_selector_all(".search-result", """items => items.map(i => ({id: i.dataset.id,
        text: i.querySelector('.excerpt').textContent,
        marks: Array.from(i.querySelectorAll('.excerpt mark'), m => m.textContent)}))""")
    texts = {r.id: " ".join(" ".join(search_regions(r)).split()) for r in records}
    assert len(items) == len(one_per_paper(expected_order(records, "lora", None), paper_of))
    assert sum(bool(i["marks"]) for i in items) > 10
    for item in items:
        body = item["text"].removeprefix("…").removesuffix("…")
        at = texts[item["id"]].find(body)
        assert at >= 0, item  # the record's own words, nothing added
        before = texts[item["id"]][at - 1:at] if at else ""
        assert not (re.fullmatch(r"[0-9A-Za-z]", before) and re.match(r"[0-9A-Za-z]", body)), item
        assert all(fold(m) == "lora" for m in item["marks"]), item
        assert fold(body).count("lora") == len(item["marks"]), item
    assert page.problems == []


URL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+")


def first_page_excerpts(page, server: str, query: str) -> list[dict]:
    page.goto(search_url(server, query))
    page.wait_for_function(DONE)
    return page.eval_on_selector_all(".search-result", """items => items.map(i => ({id: i.dataset.id,
        text: i.querySelector('.excerpt').textContent}))""")


def test_excerpts_start_at_a_sentence_never_inside_a_url_or_a_label(page, server, records):
    """Every first page of the query set: an excerpt starts where a sentence, a line, a clause
    (after a space or 、) or a whole URL starts; never inside a URL, never at 元の掲載情報."""
    texts = {r.id: " ".join(" ".join(search_regions(r)).split()) for r in records}
    checked = near_urls = 0
    for query, _ in QUERIES[:60]:
        for item in first_page_excerpts(page, server, query):
            body = item["text"].removeprefix("…").removesuffix("…")
            text = texts[item["id"]]
            at = text.find(body)
            assert at >= 0, item
            assert not body.startswith("元の掲載情報"), (query, item)
            urls = [(m.start(), m.end()) for m in URL.finditer(text)]
            assert not any(a < at < b for a, b in urls), (query, item)
            boundary = at == 0 or text[at - 1] in "。！？!? 、，,・:：)）」』】" or any(at in (a, b) for a, b in urls)
            assert boundary, (query, item, text[at - 5:at])
            checked += 1
            near_urls += bool(URL.search(text[max(0, at - 200):at]))
    assert checked > 300 and near_urls > 20  # many excerpts come after a URL in their record's text
    assert page.problems == []


def test_result_chips_are_topic_tags_at_most_three_at_360_px(browser, server, records, paper_of):
    """Bookkeeping labels (Pocket, Article ...) are not chips; more than three topic tags show
    three and "+N"; at 360 px a result's chips stay on one line."""
    from kb.config import BOOKKEEPING_TAGS

    page = open_page(browser, server, 360)
    try:
        page.goto(search_url(server, "の"))
        load_everything(page)
        items = page.eval_on_selector_all(".search-result", """items => items.map(i => ({id: i.dataset.id,
            chips: Array.from(i.querySelectorAll('.record-meta .tag'), t => t.textContent),
            rows: new Set(Array.from(i.querySelectorAll('.record-meta .tag'), t => t.getBoundingClientRect().top)).size,
            clipped: Array.from(i.querySelectorAll('.record-meta .tag'), t => t.getBoundingClientRect().right)
                .some(r => r > i.getBoundingClientRect().right),
            wide: i.scrollWidth > i.clientWidth}))""")
        problems = page.problems
    finally:
        page.context.close()
    tags = {r.id: [t for t in r.tags if t not in BOOKKEEPING_TAGS] for r in records}
    assert len(items) == len(one_per_paper(expected_order(records, "の", None), paper_of))
    for item in items:
        topics = tags[item["id"]]
        shown = topics if len(topics) <= 3 else [*topics[:3], f"+{len(topics) - 3}"]
        assert item["chips"] == shown and item["rows"] <= 1 and not item["wide"] and not item["clipped"], item
    assert sum(len(t) > 3 for t in tags.values()) > 10 and sum(any(t in BOOKKEEPING_TAGS for t in r.tags)
                                                                for r in records) > 10
    assert problems == []


LAYOUT_SHIFTS = """
window.kbShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.kbShifts.push(entry.value);
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.mark.parametrize("width", [360, 1280])
def test_results_arriving_shift_nothing(browser, server, width):
    """search/?q=推論 opened cold: the layout-shift entries (PerformanceObserver, as Lighthouse's
    cumulative layout shift counts them) sum to less than 0.05."""
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width == 360,
                                  has_touch=width == 360)
    context.add_init_script(LAYOUT_SHIFTS)
    page = context.new_page()
    try:
        page.goto(search_url(server, "推論"))
        page.wait_for_function(DONE)
        page.wait_for_timeout(1000)
        shifts = page.evaluate("window.kbShifts")
        results = page.locator(".search-result").count()
    finally:
        context.close()
    assert results == 10 and sum(shifts) < 0.05, shifts


def test_header_placeholder_fits_at_360_px_and_has_no_key_hint_on_touch(browser, server):
    touch = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        found = {}
        for name, context in (("touch", touch), ("desk", desk)):
            page = context.new_page()
            page.goto(server + "index.html")
            page.wait_for_function("document.getElementById('site-search')")
            page.wait_for_timeout(300)
            found[name] = page.evaluate("""() => {
                const input = document.getElementById('site-search'), style = getComputedStyle(input);
                const ctx = document.createElement('canvas').getContext('2d');
                ctx.font = `${style.fontSize} ${style.fontFamily}`;
                const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                return {placeholder: input.placeholder, fits: ctx.measureText(input.placeholder).width <= room};
            }""")
    finally:
        touch.close()
        desk.close()
    assert found["touch"] == {"placeholder": "検索", "fits": True}
    assert found["desk"] == {"placeholder": "検索（/ キー）", "fits": True}


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots(browser, server, width):
    page = open_page(browser, server, width, requests=True)
    try:
        page.goto(search_url(server, "LoRA"))
        page.wait_for_function(DONE)
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


def test_query_and_filters_in_url_and_reload_restores_them(page, server, records):
    page.goto(server + "search/index.html")
    page.evaluate("kbSearch.ready")
    page.locator("#search-input").fill("LoRA")
    page.wait_for_function("new URLSearchParams(location.search).get('q') === 'LoRA' && " + DONE)
    page.select_option("#search-sort", "newest")
    page.wait_for_function("new URLSearchParams(location.search).get('sort') === 'newest' && " + DONE)
    page.select_option("#search-kind", "paper")
    page.wait_for_function("new URLSearchParams(location.search).get('kind') === 'paper' && " + DONE)
    page.select_option("#search-year", "2025")
    page.wait_for_function("new URLSearchParams(location.search).get('year') === '2025' && " + DONE)
    page.locator("#search-tags summary").click()
    page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").check()
    page.wait_for_function("new URLSearchParams(location.search).get('tag') === 'PEFT(Adaptor/LoRA)' && " + DONE)
    load_everything(page)
    before = shown_ids(page)
    by_id = {r.id: r for r in records}
    expected = {i for i in expected_ids(records, "LoRA", "PEFT(Adaptor/LoRA)")
                if by_id[i].kind == "paper" and by_id[i].issue_date and by_id[i].issue_date.year == 2025}
    assert set(before) == expected and expected
    params = parse_qs(urlparse(page.url).query)
    assert params == {"q": ["LoRA"], "tag": ["PEFT(Adaptor/LoRA)"], "sort": ["newest"], "kind": ["paper"],
                      "year": ["2025"]}
    page.reload()
    load_everything(page)
    assert page.locator("#search-input").input_value() == "LoRA"
    assert page.locator("#search-sort").input_value() == "newest"
    assert page.locator("#search-kind").input_value() == "paper"
    assert page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").is_checked()
    assert shown_ids(page) == before
    assert page.problems == []


def test_tag_filter_narrows_any_and_all(page, server, records):
    page.goto(search_url(server, "LoRA"))
    load_everything(page)
    unfiltered = set(shown_ids(page))
    page.locator("#search-tags summary").click()
    page.locator("#search-tag-options input[value='PEFT(Adaptor/LoRA)']").check()
    page.wait_for_function("new URLSearchParams(location.search).get('tag') && " + DONE)
    load_everything(page)
    one = set(shown_ids(page))
    assert one and one < unfiltered
    tags = {r.id: set(r.tags) for r in records}
    assert all("PEFT(Adaptor/LoRA)" in tags[i] for i in one)
    page.locator("#search-tag-options input[value='NLP']").check()
    page.wait_for_function("new URLSearchParams(location.search).getAll('tag').length === 2 && " + DONE)
    load_everything(page)
    either = set(shown_ids(page))
    page.locator("input[name=match][value=all]").check()
    page.wait_for_function("new URLSearchParams(location.search).get('match') === 'all' && " + DONE)
    load_everything(page)
    both = set(shown_ids(page))
    assert both <= one <= either and either > one
    assert both == {i for i in unfiltered if {"PEFT(Adaptor/LoRA)", "NLP"} <= tags[i]}
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
    assert unquote(page.url).endswith(target.removeprefix("../"))
    assert page.problems == []


def test_header_box_slash_instant_results_and_enter(page, server, records, paper_of):
    page.goto(server + "index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("強化学習")
    page.wait_for_selector("#site-search-panel:not([hidden]) li a")
    expected = one_per_paper(expected_order(records, "強化学習", None), paper_of)
    assert page.locator("#site-search-panel").get_attribute("data-count") == str(len(expected))
    titles = page.eval_on_selector_all("#site-search-results a", "as => as.map(a => a.getAttribute('href'))")
    assert [t.split("/records/")[1].split("/")[0] for t in titles] == expected[:len(titles)]
    assert not set(expected) & set(paper_of)  # (no note of a paper among them: each links to its record)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#site-search-results') !== null")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
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
    assert "ウェブサーバー" in page.locator("#search-file").inner_text()
    assert page.problems == []


# ---- figures: bytes fetched, time to first result ----

def test_bytes_and_time_to_first_result(browser, server, site, records, capsys):
    figures = {"records": len(records), **measure_queries(browser, server)}
    figures["index_bytes"] = sum(f.stat().st_size for f in (site / "search").rglob("*") if f.is_file())
    update_figures({"bundled_fetch": figures})
    with capsys.disabled():
        print("\nsearch figures:", json.dumps(figures, ensure_ascii=False, indent=1))
    first, second = figures["first_query"], figures["second_query"]
    assert first["index_bytes"] > 0 and second["index_bytes"] > 0  # figures are printed, not asserted


def test_meeting_filter(page, server, records, paper_of):
    meetings = {r.meeting for r in records if r.meeting}
    assert meetings == {"2025-09-24 機械学習勉強会"}
    meeting = meetings.pop()
    page.goto(search_url(server, "の", meeting=meeting))
    load_everything(page)
    assert page.locator("#search-meeting").input_value() == meeting
    by_id = {r.id: r for r in records}
    in_meeting = [i for i in expected_order(records, "の", None) if by_id[i].meeting == meeting]
    assert shown_ids(page) == one_per_paper(in_meeting, paper_of)
    assert len(shown_ids(page)) == 4
    assert page.problems == []


def test_a_query_s_files_are_fetched_while_the_style_sheet_still_loads(browser, site, records, paper_of):
    """search/?q= runs its code from the head, before the style sheet: with the sheet answered 2 s
    late, the query's index files and the files of every result of its first page are all asked
    for before the sheet is here; the results drawn then are kb's first ten."""
    import functools
    import http.server
    import threading

    from search_bytes import RangeHandler

    class LateStyleSheet(RangeHandler):
        def do_GET(self) -> None:
            if self.path.endswith("/style.css"):
                time.sleep(2)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(LateStyleSheet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    page = open_page(browser, server)
    try:
        page.goto(search_url(server, "推論"))
        page.wait_for_function(DONE)
        fetched = page.evaluate("performance.getEntriesByType('resource').map(r => [new URL(r.name).pathname, "
                                "r.startTime, r.responseEnd])")
        shown = shown_ids(page)
    finally:
        page.context.close()
        httpd.shutdown()
        httpd.server_close()
    sheet_here = next(end for path, _, end in fetched if path.endswith("/static/style.css"))
    asked = {path.split("/search/", 1)[1].split("/")[0]: start for path, start, _ in fetched if "/search/" in path
             and not path.endswith(".html")}
    late = [(path, start) for path, start, _ in fetched if "/search/" in path and not path.endswith(".html")
            and start >= sheet_here]
    assert sheet_here >= 2000
    assert {"index.json", "d", "r", "t"} <= asked.keys()  # the index, a shard, the days' ids, the results' texts
    assert late == []
    assert shown == one_per_paper(expected_order(records, "推論", None), paper_of)[:10]
