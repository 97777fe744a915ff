"""The built site in a real headless Chromium: clicking through, console errors, phone width, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NOTES, ROOT, open_page
from kb.build import build_site
from kb.config import load_settings

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
MAIN_PAGE = "records/improving-context-fidelity-via-native-retrieval-augmented-reasoning/index.html"
NOTE_PAGE = "notes/000-7ec92ae646da1197/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False)
    return out


@pytest.fixture()
def page(browser, server):
    """A page that records console errors, page errors and any request leaving the site."""
    page = open_page(browser, server)
    yield page
    page.context.close()


def walk_to_provenance(page, start: str) -> None:
    """home -> first tag in the cloud -> first record -> its provenance link."""
    page.goto(start + "index.html")
    page.locator(".tag-cloud a").first.click()
    page.wait_for_load_state()
    assert "/tags/" in page.url
    page.locator("main .record-list .record-title").first.click()
    page.wait_for_load_state()
    assert "/records/" in page.url
    page.locator("a.source-link").click()
    page.wait_for_load_state()
    assert "/notes/" in page.url and "#L" in page.url
    target = page.evaluate("document.querySelector(':target') && document.querySelector(':target').id")
    assert target == page.url.rsplit("#", 1)[1]
    assert page.locator(":target").is_visible()


def test_walk_over_http(page, server):
    walk_to_provenance(page, server)
    assert page.problems == []


def test_walk_over_file_url(page, site):
    walk_to_provenance(page, site.as_uri() + "/")
    assert page.problems == []


def test_main_topic_provenance_lands_on_its_first_line(page, server):
    page.goto(server + MAIN_PAGE)
    page.locator("a.source-link").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"{NOTE_PAGE}#L103")
    assert page.locator("#L103").is_visible()
    assert page.problems == []


@pytest.mark.parametrize("path", ["index.html", MAIN_PAGE, "archive/index.html", NOTE_PAGE,
                                  "tags/index.html", "compute/index.html", "records/2503.04504/index.html"])
def test_fits_360_px_without_horizontal_scroll(page, server, path):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(server + path)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide at 360px"
    assert page.problems == []


def test_sorting_and_copy_work(page, server):
    page.goto(server + "tags/index.html")
    page.get_by_role("button", name="件数順").click()
    counts = page.eval_on_selector_all("#tag-list li", "items => items.map(i => Number(i.dataset.count))")
    assert counts == sorted(counts, reverse=True)
    page.goto(server + "records/2503.04504/index.html")
    page.get_by_role("button", name="BibTeX をコピー").click()
    page.wait_for_function("document.querySelector('button[data-copy]').textContent.includes('コピーしました')")
    assert page.problems == []


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots(page, server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in (("home", "index.html"), ("record", MAIN_PAGE), ("archive", "archive/index.html")):
        page.goto(server + path)
        shot = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 1000
    assert page.problems == []
