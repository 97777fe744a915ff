"""What a careful reader still tripped over (issue #21), seen in headless Chromium at a phone's
and a laptop's width: Japanese lines, "et al.", scraped markup, the compute table's width.
(tests/test_reader.py reads the text of every page.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NOTES, ROOT, open_page
from kb.build import build_site
from kb.config import load_settings

pytestmark = pytest.mark.browser

WIDTHS = (360, 1280)
ADACOT = "records/adacot-pareto-optimal-adaptive-chain-of-thought-triggering-via-reinforcement-lea/index.html"
# The compute table's box: its scroll width, its own width, and whether a scroll cue shows
# (the shadow gradients drawn only while the table overflows its box, style.css .table-box).
BOX = """() => { const box = document.querySelector('.table-box');
  return {scroll: box.scrollWidth, width: box.clientWidth,
          rows: document.querySelectorAll('.compute-table tbody tr').length}; }"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reader") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False)
    return out


@pytest.fixture(scope="module", params=WIDTHS)
def page(request, browser, server):
    page = open_page(browser, server, width=request.param)
    yield page
    assert page.problems == []
    page.context.close()


def test_adacot_reads_as_written(page, server):
    page.goto(server + ADACOT)
    text = page.locator("main").inner_text()
    # note 004 line 210: 「AdaCoT: …, Chenwei Lou+, arXiv'25」
    assert page.locator("dd.people").inner_text() == "Chenwei Lou ほか"
    # lines 211-214: the three 「・」 items each on a line of their own, then 「を設定し、」 on the next
    assert "だけでなく、\n・reasoningをなくした場合のペナルティ項\n・reasoningをoveruseした場合のペナルティ項\n" in text
    assert "・formattingに関するペナルティ項\nを設定し、" in text
    # lines 215-216: the empty code span and the trailing </span> are gone
    assert "Decision tokenとして、トークン直後" in text and "</span>" not in text and "``" not in text


def test_copied_lines_never_run_together(page, server):
    # note 000 lines 31-32: 「CMUが発表した論文の公式ブログ」 and 「論文のプロジェクトリンク:…」 are two lines
    page.goto(server + "records/diffusion-beats-autoregressive-in-data-constrained-settings/index.html")
    text = page.locator("main").inner_text()
    assert "CMUが発表した論文の公式ブログ\n論文のプロジェクトリンク:" in text


def test_compute_table_fits_its_box(page, server):
    page.goto(server + "compute/index.html")
    box = page.evaluate(BOX)
    assert box["scroll"] == box["width"]
    assert box["rows"] == 13  # one row per record with compute (kb export: 13 records have runs)
    # note 001 lines 1035-1038: 2502.18968's four runs, the two on 4 A100s both kept
    row = page.locator("tr", has=page.locator("a[href$='records/2502.18968/index.html']"))
    assert row.locator(".runs li").count() == 4
    assert row.locator(".figures").all_inner_texts() == ["A100 × 4 台 · 48 時間", "H20 × 2 台 · 120 時間",
                                                         "RTX 3090 × 2 台 · 72 時間", "A100 × 4 台 · 48 時間"]


# The home chart: the shortest bar's height in CSS pixels, and each year label's box against
# the label strip's (a label cut off or hidden is not whole).
CHART = """() => {
  const bars = [...document.querySelectorAll('.chart .bar')].map(b => b.getBoundingClientRect().height);
  const strip = document.querySelector('.chart-years').getBoundingClientRect();
  const labels = [...document.querySelectorAll('.chart-years span')]
    .filter(s => getComputedStyle(s).display !== 'none')
    .map(s => { const r = s.getBoundingClientRect(); return {text: s.textContent, left: r.left, right: r.right}; });
  return {shortest: Math.min(...bars), bars: bars.length, strip: {left: strip.left, right: strip.right}, labels};
}"""


def test_home_chart_is_legible(page, server):
    page.goto(server + "index.html")
    chart = page.evaluate(CHART)
    assert chart["bars"] > 20
    assert chart["shortest"] >= 5  # a month with one record is a bar a reader sees
    labels = chart["labels"]
    assert len(labels) >= 3 and all(len(label["text"]) == 4 for label in labels)
    outside = [label for label in labels
               if label["left"] < chart["strip"]["left"] - 0.5 or label["right"] > chart["strip"]["right"] + 0.5]
    assert outside == []
    overlapping = [(a["text"], b["text"]) for a, b in zip(labels, labels[1:], strict=False) if b["left"] < a["right"]]
    assert overlapping == []


def test_tag_page_entries_leave_out_the_tag(page, server):
    page.goto(server + "tags/languagemodel/index.html")
    # 93 records carry #LanguageModel (the page's own count); none shows the tag again
    assert page.locator("main .record-list > li").count() == 93
    assert page.locator("main .record-list a.tag", has_text="LanguageModel").count() == 0
    jumps = page.locator("nav.year-jump a").all_inner_texts()
    assert jumps[0] == "2025 年" and jumps == [h for h in page.locator("main section h2").all_inner_texts()]


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    """A knowledge base of two notes, a year apart: the chart's last year label starts 12/13 of the way in."""
    root = tmp_path_factory.mktemp("small")
    (root / "notes").mkdir()
    for day in ("2024-01-15", "2025-01-15"):
        (root / "notes" / f"{day}.md").write_text(
            f"---\ntitle: ノート {day}\nissue_date: {day}\n---\n## summary\n{day} の記録。\n", encoding="utf-8")
    out = root / "site"
    build_site(root, load_settings(root)[0], out, root / "notes", search=False)
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_small_chart_keeps_its_last_year_label_whole(browser, small_site, width):
    from search_bytes import served

    with served(small_site) as url:
        page = open_page(browser, url, width=width)
        page.goto(url + "index.html")
        chart = page.evaluate(CHART)
        page.context.close()
    assert [label["text"] for label in chart["labels"]] == ["2024", "2025"]
    assert chart["labels"][-1]["right"] <= chart["strip"]["right"] + 0.5
