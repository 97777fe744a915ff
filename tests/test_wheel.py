"""Start a knowledge base of your own with nothing but a wheel: a wheel built from this repository,
installed with pip into a fresh virtual environment in a temporary folder, runs `kb init` and
`kb build` there (no clone, no package.json, no Node), and the site's search works in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import open_page
from wheels import new_venv, run

pytestmark = pytest.mark.browser
EXAMPLE_TITLE = "LoRA: Low-Rank Adaptation of Large Language Models"


@pytest.fixture(scope="module")
def site(tmp_path_factory, kb_wheel) -> Path:
    """The site `kb init` + `kb build` make in a folder of their own, with kb from a wheel."""
    work = tmp_path_factory.mktemp("wheel-site")
    venv = work / "venv"
    env = new_venv(venv)
    run([str(venv / "bin" / "pip"), "install", "-q", str(kb_wheel)], work)
    home = work / "papers"
    home.mkdir()
    where = run([str(venv / "bin" / "python"), "-c", "import kb; print(kb.__file__)"], home, env).stdout
    assert where.startswith(str(venv)), where  # the wheel's kb, not this repository's
    run([str(venv / "bin" / "kb"), "init"], home, env)
    run([str(venv / "bin" / "kb"), "build"], home, env)
    assert not (home / "node_modules").exists() and not (home / "package.json").exists()
    return home / "site"


def test_the_wheel_builds_a_complete_site(site):
    record = (site / "records" / "2106.09685" / "index.html").read_text(encoding="utf-8")
    assert EXAMPLE_TITLE in record
    for page in ("index.html", "search/index.html", "tags/index.html", "static/style.css"):
        assert (site / page).is_file(), page


def test_the_wheel_site_searches_in_the_browser(server, browser):
    page = open_page(browser, server)
    page.goto(f"{server}search/index.html?q=低ランク")
    expect(page.locator(".search-result").first).to_contain_text(EXAMPLE_TITLE, timeout=15_000)
    page.locator("#search-input").fill("ICLR")
    expect(page.locator(".search-result").first).to_contain_text(EXAMPLE_TITLE, timeout=15_000)
    assert page.problems == []
    page.context.close()
