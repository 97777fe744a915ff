"""Accessibility and HTML validity of the built bundled site, by the standard tools:
axe-core in headless Chromium at phone and desktop widths, and the Nu Html Checker (vnu.jar).

Both come from npm as test-only tools (package.json devDependencies); vnu.jar runs on Debian's
Java. A missing tool fails under CI=true and skips with the reason elsewhere."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import NOTES, ROOT, open_page
from kb.build import build_site
from kb.config import load_settings
from validators import axe_script, axe_violations, sample_pages, vnu_errors, vnu_jar

WIDTHS = (360, 1280)
PAGE_TYPES = ("home", "record", "tag", "search", "archive", "note")


def require(found, message: str):
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("a11y") / "site"
    settings = load_settings(ROOT)[0].model_copy(update={"base_url": "https://example.github.io/papers/"})
    build_site(ROOT, settings, out, NOTES, search=False, cache=False)
    return out


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_axe_core_finds_no_violation(browser, server, site, kind, width):
    require(axe_script(), "axe-core not installed (npm install: package.json devDependencies)")
    path = sample_pages(site)[PAGE_TYPES.index(kind)].relative_to(site).as_posix()
    page = open_page(browser, server, width=width)
    try:
        page.goto(server + path)
        page.wait_for_load_state("load")
        assert axe_violations(page) == [], path
    finally:
        page.context.close()


def test_record_page_sample_has_code_blocks(site):
    """The record page checked is one whose code blocks scroll: focusable, labelled, with their CSS."""
    html = sample_pages(site)[1].read_text(encoding="utf-8")
    assert html.count('<pre tabindex="0" role="group" aria-label="コード') == 4
    assert "static/pygments.css" in html
    assert "static/pygments.css" not in (site / "index.html").read_text(encoding="utf-8")


def test_nu_html_checker_finds_no_error(site):
    require(vnu_jar(), "vnu.jar not installed (npm install: package.json devDependencies)")
    require(shutil.which("java"), "java not found (apt-get install default-jre-headless)")
    pages = sample_pages(site)
    assert len(pages) == len(PAGE_TYPES)
    assert vnu_errors(pages) == []
