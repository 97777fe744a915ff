"""Start a knowledge base of your own with nothing but a wheel: a wheel built from this repository,
installed with pip into a fresh virtual environment in a temporary folder, runs `kb init` and
`kb build` there (no clone, no package.json, no Node), and the site's search works in Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ROOT, open_page

pytestmark = pytest.mark.browser
NOT_SHIPPED = ("node_modules", ".venv", "site", ".kb-cache", "work", "test-artifacts", ".git", "__pycache__",
               "*.egg-info", "build", "dist", ".pytest_cache", ".hypothesis", ".ruff_cache")
EXAMPLE_TITLE = "LoRA: Low-Rank Adaptation of Large Language Models"


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def share_dependencies(venv: Path) -> None:
    """kb's dependencies come from the environment running the tests (no download, no network):
    its site-packages folders are appended to the new environment's path. Only folders: the
    editable install of this repository's kb there is a .pth hook, which stays unread."""
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    folders = [p for p in sys.path if p.endswith("site-packages")]
    (site_packages / "test-dependencies.pth").write_text("\n".join(folders) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site `kb init` + `kb build` make in a folder of their own, with kb from a wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: building in the repository would leave build/ and *.egg-info in it
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)], work)
    wheel = next((work / "dist").glob("ronbun_kb-*.whl"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)], work)
    share_dependencies(venv)
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], work)
    home = work / "papers"
    home.mkdir()
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    where = run([str(venv / "bin" / "python"), "-c", "import kb; print(kb.__file__)"], home, env)
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
