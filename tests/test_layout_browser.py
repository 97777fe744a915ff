"""Order and way-finding, and a layout that holds on a phone, measured in headless Chromium on the
bundled notes: list order, tables of contents, previous/next, the archive by year, words that never
split, chart labels, the dark-mode toggle, and no horizontal scroll on any page at 360 px."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import NOTES, ROOT, SEEDS, open_page
from kb.build import build_site
from kb.config import load_settings
from kb.records import parse_notes
from kb.search import record_page

pytestmark = pytest.mark.browser

PHONE = 360
# Every text node's words (Intl.Segmenter, so "台数" and "364.8" are words too) that the layout
# split across lines: a word whose Range has client rects on two different lines.
SPLIT_IN = """(root) => {
  const seg = new Intl.Segmenter("ja", {granularity: "word"});
  const split = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const s of seg.segment(node.data)) {
      if (!s.isWordLike) continue;
      const range = document.createRange();
      range.setStart(node, s.index);
      range.setEnd(node, s.index + s.segment.length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(s.segment);
    }
  }
  return split;
}"""
SPLIT_WORDS = f"root => ({SPLIT_IN})(root)"
# The same for every tag name of the page, in one call.
SPLIT_TAG_WORDS = f"""() => Array.from(document.querySelectorAll(".tag, .tag-cloud a, .tag-index a"))
  .flatMap(el => ({SPLIT_IN})(el))"""
# The dates of every entry of the page's record lists, in page order ("" for an undated record).
LIST_DATES = """() => Array.from(document.querySelectorAll(
    "main .record-list > li:not(.empty), main .compute-table tbody tr"))
  .map(li => { const t = li.querySelector("time"); return t ? t.getAttribute("datetime") : ""; })"""
# Record-list entries (compute rows aside) and those without a visible one-line summary.
LIST_LINES = """() => { const items = Array.from(document.querySelectorAll("main .record-list > li:not(.empty)"));
  const shown = li => { const p = li.querySelector(".record-line"); return p && p.innerText.trim() !== ""; };
  return {entries: items.length, lineless: items.filter(li => !shown(li)).length}; }"""

# A record page's own date and the pages its previous (older) / next (newer) links lead to.
PAGER = """() => { const link = rel => { const a = document.querySelector(`nav.pager a[rel=${rel}]`);
    return a ? decodeURI(new URL(a.href).pathname).slice(1) : null; };
  const time = document.querySelector("article.record .facts dd:not(.added) > time");  // the issue date
  return {date: time ? time.getAttribute("datetime") : "", older: link("prev"), newer: link("next")}; }"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False)
    return out


@pytest.fixture(scope="module")
def records(site) -> list[dict]:
    return json.loads((site / "records.json").read_text(encoding="utf-8"))["records"]


@pytest.fixture()
def phone(browser, server):
    page = open_page(browser, server, width=PHONE)
    yield page
    page.context.close()


@pytest.fixture()
def wide(browser, server):
    page = open_page(browser, server, width=1280)
    yield page
    page.context.close()


def html_pages(site: Path) -> list[str]:
    """Every HTML page but the search page (it needs Pagefind's index, not built here: test_search_browser)."""
    pages = (p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return sorted(p for p in pages if p != "search/index.html")


def list_pages(site: Path) -> list[str]:
    """Every page that lists records: home, tags, authors, venues, meetings, archive years, compute."""
    prefixes = ("tags/", "authors/", "venues/", "meetings/", "archive/")
    return ["index.html", "compute/index.html"] + [p for p in html_pages(site) if p.startswith(prefixes)]


@pytest.fixture(scope="module")
def walked(browser, server, site) -> dict[str, dict]:
    """Every HTML page at 360 px: its scroll width, its list dates, and the words its tags split."""
    page = open_page(browser, server, width=PHONE)
    facts = {}
    for path in html_pages(site):
        page.goto(server + path, wait_until="domcontentloaded")  # site.js is deferred: CSS is in by then
        facts[path] = page.evaluate(f"""() => ({{width: document.scrollingElement.scrollWidth,
          dates: ({LIST_DATES})(), lines: ({LIST_LINES})(), split_tags: ({SPLIT_TAG_WORDS})(), pager: ({PAGER})()}})""")
    facts["problems"] = page.problems
    page.context.close()
    return facts


def decode(url: str) -> str:
    return unquote(url)


def non_increasing_undated_last(dates: list[str]) -> bool:
    dated = [d for d in dates if d]
    return dates == dated + [""] * (len(dates) - len(dated)) and dated == sorted(dated, reverse=True)


def test_every_page_fits_360_px_without_horizontal_scroll(walked, site):
    pages = html_pages(site)
    assert len(pages) > 400
    wide_pages = {p: walked[p]["width"] for p in pages if walked[p]["width"] > PHONE}
    assert wide_pages == {}
    assert walked["problems"] == []


def test_every_list_page_is_newest_first_with_undated_last(walked, site):
    pages = list_pages(site)
    assert len([p for p in pages if p.startswith("tags/")]) > 100
    listed = {p: walked[p]["dates"] for p in pages if walked[p]["dates"]}
    assert "tags/peft-adaptor-lora-b82c53/index.html" in listed and "compute/index.html" in listed
    assert "archive/undated/index.html" in listed and "index.html" in listed
    disordered = {p: d for p, d in listed.items() if not non_increasing_undated_last(d)}
    assert disordered == {}
    lora = listed["tags/peft-adaptor-lora-b82c53/index.html"]
    assert lora.index("2024-09-24") < lora.index("2024-03-05")  # LoftQ above LoRA+ (the issue's example)


def test_every_list_entry_shows_a_one_line_summary(walked, site):
    lines = {p: walked[p]["lines"] for p in list_pages(site)}
    assert sum(f["entries"] for f in lines.values()) > 1000  # every record is listed on several pages
    assert {p: f["lineless"] for p, f in lines.items() if f["lineless"]} == {}


def test_tag_names_never_break_inside_a_word(walked):
    split = {p: f["split_tags"] for p, f in walked.items() if p != "problems" and f["split_tags"]}
    assert split == {}


def test_the_tag_of_the_issue_keeps_its_words_at_phone_width(phone, server, site):
    page = next(p for p in html_pages(site) if p.startswith("tags/automaticspeechrecognition"))
    phone.goto(server + page)
    heading = phone.locator("main h1")
    assert "AutomaticSpeechRecognition(ASR)" in heading.inner_text()
    assert heading.evaluate(SPLIT_WORDS) == []


@pytest.mark.parametrize("width", [PHONE, 1280])
def test_compute_table_never_splits_a_word(browser, server, width):
    page = open_page(browser, server, width=width)
    page.goto(server + "compute/index.html")
    table = page.locator("main table.compute-table")
    words = table.evaluate("""t => { const seg = new Intl.Segmenter("ja", {granularity: "word"});
      return Array.from(seg.segment(t.innerText)).filter(s => s.isWordLike).length; }""")
    assert words > 300  # the measure below saw the whole table
    assert table.evaluate(SPLIT_WORDS) == []
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    for word in ("A100", "RTX", "3090", "364.8", "台", "GPU"):
        assert word in table.inner_text()
    assert page.problems == []
    page.context.close()


def long_record_pages(records: list[dict]) -> list[str]:
    """The records of the eight-question summaries (001) and the blogs (002, 003): all long."""
    long_notes = {SEEDS["summaries"], SEEDS["blog"], SEEDS["blog_no_date"]}
    parsed = parse_notes(NOTES, ROOT, load_settings(ROOT)[0]).records
    pages = [record_page(r) for r in parsed if Path(r.source.path).name in long_notes]
    assert set(pages) <= {r["url"] for r in records}
    return pages


def test_long_record_pages_have_a_table_of_contents(site, records):
    pages = long_record_pages(records)
    assert len(pages) == 25
    missing = [p for p in pages if 'class="toc"' not in (site / p).read_text(encoding="utf-8")]
    assert missing == []


def toc_jumps(page, server: str, path: str, open_it: bool) -> list[str]:
    """Follow every link of the page's table of contents; return those that did not bring their
    target to the top of the window (a source line keeps 4rem above it), or the window to the end."""
    page.goto(server + path)
    toc = page.locator("details.toc")
    hrefs = toc.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= 4
    missed = []
    for href in hrefs:
        page.evaluate("window.scrollTo(0, 0)")
        if open_it and not toc.evaluate("t => t.open"):
            toc.locator("summary").click()
        toc.locator(f'a[href="{href}"]').click()
        page.wait_for_function(f"decodeURIComponent(location.hash) === {json.dumps(href)}")
        top = page.evaluate(f"document.getElementById({json.dumps(href[1:])}).getBoundingClientRect().top")
        at_end = page.evaluate("Math.ceil(scrollY + innerHeight) >= document.scrollingElement.scrollHeight - 1")
        if not (-2 <= top <= 80 or (at_end and top > 0)):
            missed.append(f"{href}: top {top}")
    return missed


def test_record_toc_links_jump_to_their_sections_beside_the_text(wide, server, records):
    path = next(u for u in long_record_pages(records) if "2503.04504" in u)  # AnyAnomaly
    wide.goto(server + path)
    toc = wide.locator("details.toc")
    box, body = toc.bounding_box(), wide.locator(".page-body").bounding_box()
    assert toc.evaluate("t => t.open || getComputedStyle(t.querySelector('nav')).display !== 'none'")
    assert box["x"] >= body["x"] + body["width"]  # beside the text, not above it
    wide.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
    assert 0 <= toc.bounding_box()["y"] < 100  # sticky: still in view halfway down
    assert toc_jumps(wide, server, path, open_it=False) == []
    wide.locator('details.toc a[href="#approach"]').click()  # the part being read is marked
    wide.wait_for_selector('details.toc a[href="#approach"][aria-current="true"]')
    assert wide.locator('details.toc a[aria-current="true"]').count() == 1
    assert wide.problems == []


def test_record_toc_is_folded_on_a_phone_and_its_links_jump(phone, server, records):
    path = next(u for u in long_record_pages(records) if "2503.04504" in u)
    phone.goto(server + path)
    toc = phone.locator("details.toc")
    assert toc.evaluate("t => !t.open") and not toc.locator("nav").is_visible()
    assert toc_jumps(phone, server, path, open_it=True) == []
    assert phone.problems == []


def test_note_page_toc_jumps_to_each_record_of_the_note(wide, server):
    path = "notes/" + SEEDS["minutes"].removesuffix(".txt").replace("_", "-") + "/index.html"
    assert toc_jumps(wide, server, path, open_it=False) == []
    lines = wide.locator("details.toc a[href^='#L']").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    assert len(lines) == 4 and "#L103" in lines  # the four talks; the main topic starts on line 103


def test_previous_next_links_chain_every_record_in_date_order(walked, records):
    """From the newest record, "previous" links visit every record once, dates never increasing,
    undated last; each "next" link leads back to where it came from."""
    pager = {path: facts["pager"] for path, facts in walked.items() if path.startswith("records/")}
    newest = [path for path, p in pager.items() if p["newer"] is None]
    assert len(newest) == 1 and len(pager) == len(records) > 150
    seen, path = [], newest[0]
    while path is not None and path not in seen:
        seen.append(path)
        path = pager[path]["older"]
    assert len(seen) == len(pager)
    assert non_increasing_undated_last([pager[p]["date"] for p in seen])
    assert all(pager[older]["newer"] == newer for newer, older in zip(seen, seen[1:], strict=False))


def test_previous_link_is_followed_in_the_browser(wide, server, records):
    ordered = [r["url"] for r in records]  # records.json is in the lists' order, newest first
    dated = sum(1 for r in records if r["issue_date"])
    wide.goto(server + ordered[dated - 1])  # the oldest dated record: next comes the first undated
    wide.locator("nav.pager a[rel=prev]").click()
    wide.wait_for_load_state()
    assert decode(wide.url) == server + ordered[dated]
    assert wide.locator("article.record .undated").count() == 1
    wide.get_by_role("link", name="次の記録（新しい）").click()
    wide.wait_for_load_state()
    assert decode(wide.url) == server + ordered[dated - 1]
    assert wide.problems == []


def test_archive_has_a_year_index_and_a_page_per_year(phone, server, records):
    phone.goto(server + "archive/index.html")
    links = phone.locator("main a.year-link")
    names = links.all_inner_texts()
    assert names[0] == "2025年" and names[-1] == "日付なし" and "2017年" in names
    counts = phone.locator("main .year-index > li > .count").all_inner_texts()
    assert sum(int(c.split()[0]) for c in counts) == len(records)
    links.first.click()
    phone.wait_for_load_state()
    assert phone.url.endswith("archive/2025/index.html")
    dates = phone.evaluate(LIST_DATES)
    assert dates and all(d.startswith("2025-") for d in dates)
    assert len(dates) == sum(1 for r in records if (r["issue_date"] or "").startswith("2025-"))
    height = phone.evaluate("document.scrollingElement.scrollHeight")
    phone.locator("nav.pager a[rel=prev]").click()
    phone.wait_for_load_state()
    assert phone.url.endswith("archive/2024/index.html")
    assert height < 32000  # one year, not the whole archive
    assert phone.problems == []


def test_chart_year_labels_are_at_least_11_px_at_phone_width(phone, server):
    phone.goto(server + "index.html")
    labels = phone.locator(".chart-years span").evaluate_all("""spans => spans
      .filter(s => getComputedStyle(s).display !== "none")
      .map(s => ({text: s.textContent, size: parseFloat(getComputedStyle(s).fontSize),
                  left: s.getBoundingClientRect().left, right: s.getBoundingClientRect().right}))""")
    assert len(labels) >= 3 and all(label["text"].isdigit() for label in labels)
    assert min(label["size"] for label in labels) >= 11
    assert all(a["right"] <= b["left"] for a, b in zip(labels, labels[1:], strict=False))  # none overlaps the next
    assert phone.locator("svg.chart").bounding_box()["width"] <= PHONE


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_dark_mode_follows_the_system_then_the_readers_choice_across_a_reload(browser, server):
    context = browser.new_context(viewport={"width": PHONE, "height": 740}, color_scheme="dark")
    page = context.new_page()
    page.goto(server + "index.html")
    toggle = page.get_by_role("button", name="ダークモード")
    system_dark = background(page)
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false" and background(page) != system_dark
    light = background(page)
    # No flash: the chosen theme is on <html> before <body> exists (the first paint needs a body).
    page.add_init_script("""new MutationObserver((_, obs) => { if (document.body) {
        window.themeAtBody = document.documentElement.dataset.theme || "none"; obs.disconnect(); } })
      .observe(document, {childList: true, subtree: true});""")
    page.reload()
    assert page.evaluate("window.themeAtBody") == "light"
    assert background(page) == light
    assert page.get_by_role("button", name="ダークモード").get_attribute("aria-pressed") == "false"
    page.goto(server + "tags/index.html")
    assert background(page) == light  # the choice holds on every page
    context.close()
