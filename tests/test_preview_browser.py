"""Preview cards and the link graph in headless Chromium, on the bundled notes' site served under
a sub-path (/kb/), as GitHub Pages serves a project site."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NOTES, ROOT, open_page
from kb.build import build_site
from kb.config import load_settings
from validators import axe_script, axe_violations

SUB = "kb/"
HOME = SUB + "index.html"
PAPER = "papers/full-parameter-fine-tuning-for-large-language-models-with-limited-resources/"
LAYOUT_SHIFT = """window.__shift = 0;
new PerformanceObserver(list => list.getEntries().forEach(e => { window.__shift += e.value; }))
  .observe({type: 'layout-shift', buffered: true});"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("preview")
    build_site(ROOT, load_settings(ROOT)[0], top / "kb", NOTES, search=False, cache=False)
    return top  # served from here: the site is at /kb/


def previews(page) -> list[str]:
    return [r.url for r in page.finished if r.url.endswith("preview.json")]


def card_shown(page) -> bool:
    return page.evaluate("(() => { const c = document.getElementById('kb-preview'); return !!c && !c.hidden; })()")


@pytest.mark.browser
def test_hover_shows_the_card_after_a_delay_from_one_file(browser, server):
    page = open_page(browser, server, requests=True)
    try:
        page.goto(server + HOME)
        link = page.locator("main a.record-title").first
        title, href = link.inner_text(), link.get_attribute("href")
        link.hover()
        assert not card_shown(page)  # not at once: after a short delay
        page.wait_for_selector("#kb-preview", state="visible")
        card = page.locator("#kb-preview")
        assert card.locator(".preview-title").inner_text() == title
        assert card.get_attribute("role") == "tooltip" and link.get_attribute("aria-describedby") == "kb-preview"
        page.mouse.move(1, 1)
        page.wait_for_selector("#kb-preview", state="hidden")
        link.hover()
        page.wait_for_selector("#kb-preview", state="visible")
        wanted = server + SUB + href.removesuffix("index.html") + "preview.json"
        assert previews(page) == [wanted]  # once, under the sub-path, however often it is hovered
        assert page.problems == []
    finally:
        page.context.close()


@pytest.mark.browser
def test_keyboard_focus_shows_it_and_escape_dismisses_it(browser, server):
    page = open_page(browser, server)
    try:
        page.goto(server + HOME)
        link = page.locator("main a.record-title").nth(1)
        link.focus()
        page.wait_for_selector("#kb-preview", state="visible")
        assert page.locator("#kb-preview .preview-meta").inner_text().startswith(("論文", "ブログ", "記事", "発表"))
        page.keyboard.press("Escape")
        assert not card_shown(page) and link.get_attribute("aria-describedby") is None
        assert page.problems == []
    finally:
        page.context.close()


@pytest.mark.browser
def test_a_card_shifts_no_layout_and_axe_finds_no_violation(browser, server):
    page = open_page(browser, server)
    try:
        page.add_init_script(LAYOUT_SHIFT)
        page.goto(server + SUB + PAPER + "index.html")
        page.wait_for_load_state("load")
        settled = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(window.__shift))))"
        assert page.evaluate(settled) == 0  # nothing moves while the page loads (the header's toggle did)
        box = page.locator("main").bounding_box()
        link = page.locator("main .paper-note h2 a").first
        link.focus()
        page.wait_for_selector("#kb-preview", state="visible")
        assert page.evaluate(settled) == 0
        assert page.locator("main").bounding_box() == box
        if axe_script() is None:
            pytest.skip("axe-core not installed (npm install: package.json devDependencies)")
        violations = axe_violations(page)
        assert violations == [], violations
    finally:
        page.context.close()


@pytest.mark.browser
def test_a_paper_link_shows_the_paper_card(browser, server):
    page = open_page(browser, server)
    try:
        page.goto(server + SUB + "records/full-parameter-fine-tuning-for-large-language-models-with-limited-resources/"
                  "index.html")
        page.locator(".paper-page a").hover()
        page.wait_for_selector("#kb-preview", state="visible")
        assert page.locator("#kb-preview .preview-meta").inner_text().startswith("論文・ノート 2 件")
    finally:
        page.context.close()


@pytest.mark.browser
def test_touch_follows_the_link_and_fetches_no_preview(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 800}, has_touch=True, is_mobile=True)
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.goto(server + HOME)
        link = page.locator("main a.record-title").first
        href = link.get_attribute("href")
        link.tap()
        page.wait_for_url(server + SUB + href)
        assert [u for u in fetched if u.endswith("preview.json")] == []
    finally:
        context.close()
