"""The link graph on record and paper pages (kb.render.graph): inline SVG, real links, two steps."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import NOTES, ROOT, open_page
from kb.build import build_site
from kb.config import load_settings
from kb.render.graph import STEP1, STEP2

RECORD = "records/2503.04504/index.html"  # AnyAnomaly: one related record (VideoPainter), no other link
PAPER = "papers/full-parameter-fine-tuning-for-large-language-models-with-limited-resources/index.html"
SVG = re.compile(r'<svg class="graph".*?</svg>', re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False, cache=False)
    return out


def graph_of(site: Path, page: str) -> str:
    found = SVG.search((site / page).read_text(encoding="utf-8"))
    assert found, page
    return found.group(0)


def test_every_link_in_every_graph_resolves(site):
    checked = 0
    for page in sorted(site.glob("records/*/index.html")) + sorted(site.glob("papers/*/index.html")):
        svg = SVG.search(page.read_text(encoding="utf-8"))
        for href in re.findall(r'<a href="([^"]+)">', svg.group(0) if svg else ""):
            assert (page.parent / unquote(href)).resolve().is_file(), (page, href)
            checked += 1
    assert checked > 500


def test_the_graph_holds_the_links_and_their_links(site):
    svg = graph_of(site, RECORD)
    assert "関連（1）" in svg and "<title>AnyAnomaly" not in svg  # the record itself is not linked again
    linked = re.findall(r'<a href="../../records/([^/]+)/index.html">', svg)
    # VideoPainter, then its own related records (its page's box: AnyAnomaly, these two)
    assert linked == ["2503.05639", "improving-context-fidelity-via-native-retrieval-augmented-reasoning",
                      "transformer-xl-attentive-language-models-beyond-a-fixed-length-context"]
    assert len(linked) <= 1 + STEP2
    assert "<script" not in svg and 'role="group"' in svg


def test_a_paper_page_draws_its_notes(site):
    svg = graph_of(site, PAPER)
    assert "この論文のノート（2）" in svg
    assert svg.count('class="graph-node graph-notes"') == 2 <= STEP1


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_graph_fits_and_stays_legible(browser, server, width):
    page = open_page(browser, server, width=width)
    try:
        page.goto(server + RECORD)
        box = page.locator("svg.graph").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        font = box["width"] / 360 * 13  # the drawing is 360 units wide, its text 13 units
        assert 11 <= font <= 13 * 1.4
        assert page.problems == []
    finally:
        page.context.close()


def test_records_named_in_passing_are_read_as_briefs(tmp_path):
    """AnyAnomaly's graph draws Transformer-XL under VideoPainter, its related box lists VideoPainter:
    its page reads both as briefs (brief:, title, kind and date), not as list entries (item:), so
    editing their summary or tags does not make AnyAnomaly's page again (at 10,000 notes a summary
    edit made 413 pages again for their related boxes and graphs)."""
    result = build_site(ROOT, load_settings(ROOT)[0], tmp_path / "site", NOTES, search=False, cache=False, trace=True)
    reads = result.reads[RECORD]
    far = "transformer-xl-attentive-language-models-beyond-a-fixed-length-context"
    assert {f"brief:{far}", "brief:2503.05639"} <= set(reads)
    assert not {f"item:{far}", "item:2503.05639"} & set(reads)
    assert '<text x="70" y="121">Transformer-XL' in graph_of(tmp_path / "site", RECORD)
