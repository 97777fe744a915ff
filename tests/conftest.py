"""Shared fixtures: the real notes in notes/, the external tag pages in ../shared/external."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kb.build
import kb.search_index.update
from kb.discover import SourceFile, read_source
from kb.formats import parse_source
from kb.models import ParsedNote

# Builds made inside a test process render and index in that process. The suite runs a test file
# per core already: two forked render workers per build on top made a seeds build 2.5x slower
# (4 concurrent builds: 13.1 s with workers, 5.3 s without), and inline builds keep the Markdown
# memo across a file's many builds. The forked paths keep their own tests (test_publish, test_collector,
# test_search_index: byte-identical to inline), and every `kb` run as a command forks as users' do.
kb.build.WORKERS = kb.search_index.update.WORKERS = 1

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "notes"
EXTERNAL = ROOT.parent / "shared" / "external"
SEEDS = {
    "minutes": "000_7ec92ae646da1197.txt",
    "summaries": "001_aab98827960bca54.txt",
    "blog": "002_08efc3dd06c964ef.txt",
    "blog_no_date": "003_ed31778f23d8584c.txt",
    "listing": "004_92a03f46596b4115.txt",
}



def tree(folder: Path) -> dict[str, str]:
    """Every file below folder, by its path, as a SHA-256 of its bytes (to compare two builds)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}

SEGMENT_FILES = ("search/d/", "search/p/", "search/s/", "search/index.json")  # postings and segment list


def pages(files: dict[str, str]) -> dict[str, str]:
    """A tree() without the search index's postings and segment list: an incremental build adds a
    segment where a clean build writes one base, so those files differ while their answers do not."""
    return {path: digest for path, digest in files.items() if not path.startswith(SEGMENT_FILES)}


def answers(site: Path, queries) -> dict[tuple, list[str]] | None:
    """Every (query, tag)'s record ids in the site's order, read from its index files alone as the
    browser reads them; None for a site without a search index."""
    from kb.search_index.read import IndexReader

    if not (site / "search" / "index.json").is_file():
        return None
    reader = IndexReader(site)
    ids = {}
    for query, tag in queries:
        found = reader.search(query)
        if tag:
            found = {d: r for d, r in found.items() if d in reader.docs("\x01t" + tag)}
        ids[query, tag] = [reader.record(d)["id"] for d in sorted(found, key=lambda d: (found[d], d))]
    return ids


def assert_same_site(site: Path, clean: Path) -> None:
    """site is what a clean build makes: every file byte for byte but the search postings and segment
    list, and those answer every query of the bundled query set exactly as the clean index does."""
    from search_queries import QUERIES

    assert pages(tree(site)) == pages(tree(clean))
    assert answers(site, QUERIES) == answers(clean, QUERIES)


def settled_names(folder: Path, timeout: float = 20) -> list[str]:
    """The names in folder once kb's background removals (`.<site>.old-*` folders) are done."""
    deadline = time.monotonic() + timeout
    while any(".old-" in p.name for p in folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sorted(p.name for p in folder.iterdir())


def load_seed(name: str) -> tuple[SourceFile, ParsedNote]:
    source = read_source(NOTES / SEEDS[name], ROOT)
    assert isinstance(source, SourceFile), source
    return source, parse_source(source)


def external_dir() -> Path:
    """The external tag pages: a missing folder fails under CI and skips elsewhere."""
    if not EXTERNAL.is_dir():
        message = f"external tag pages not found at {EXTERNAL} (shared/ beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return EXTERNAL


@pytest.fixture(autouse=True)
def idle_after_each_test():
    """kb serve's builds leave the collector paused until it is idle (kb.collector.hold_until_idle):
    after each test, as after a serve build, the process is idle and gets it back, so no test
    inherits a paused collector from one that built through kb.serve.Session."""
    yield
    from kb.collector import resume

    resume()


@pytest.fixture(scope="session")
def kb_wheel(tmp_path_factory) -> Path:
    """A wheel of this repository (ronbun_kb-*.whl), built once per test session."""
    from wheels import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def minutes() -> tuple[SourceFile, ParsedNote]:
    return load_seed("minutes")


# --- a real browser (Debian chromium + Playwright) on a site served from 127.0.0.1 ----------------
# Test modules that use these define a module-scoped `site` fixture (the built site folder).
# The benchmark serves and drives the browser the same way (bench/search_bytes.py).

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from search_bytes import CHROMIUM_ARGS, served  # noqa: E402


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        missing("Debian chromium not found (apt-get install chromium)")
    if not japanese_fonts():
        # Without one, Chromium draws kana and kanji as 0.62 em boxes, so what a layout test
        # measures of a Japanese line is not what a reader's phone shows.
        missing("no Japanese font for Chromium (apt-get install fonts-noto-cjk)")
    return path


def japanese_fonts() -> list[str]:
    """The font files fontconfig offers for Japanese (fc-list :lang=ja)."""
    if shutil.which("fc-list") is None:
        return []
    listing = subprocess.run(["fc-list", ":lang=ja", "file"], capture_output=True, text=True, check=False)
    return listing.stdout.split()


def missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(site):
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, server: str, width: int = 1280, requests: bool = False):
    """A page in a fresh context (its cache starts cold) that records console errors, page errors and any
    request leaving the site in `page.problems`; with `requests`, also finished requests in
    `page.finished` and failed ones as problems. Close it with `page.context.close()`."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.problems, page.finished = [], []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    if requests:
        page.on("requestfinished", lambda request: page.finished.append(request))
        page.on("requestfailed", lambda request: page.problems.append(f"failed: {request.url}"))

    own = (server, "file://", "data:")
    # Seen, not routed: a request leaving the site is a problem the test reports either way, and
    # routing every request through Playwright turns the browser's HTTP cache off. A page keeps
    # its cache across navigations as a reader's browser does (150 of the seeds' pages at 360 px: 11 s,
    # was 16.4 s); with `requests` (tests that count what the page fetches) it is off.
    context.on("request", lambda request: request.url.startswith(own)
               or page.problems.append(f"external request: {request.url}"))
    if requests:
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    return page
