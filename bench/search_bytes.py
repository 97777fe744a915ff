"""What a reader's browser fetches to search a built site: bytes for a first (cold) and a second
query, and the time to the first result. Shared by the benchmark and the browser test.

    python bench/search_bytes.py SITE_DIR      # prints the figures as JSON

Needs Debian chromium and Playwright for Python (the test extras).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

FIRST, SECOND = "推論", "LoRA 学習率"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SETTLED = "['done', 'empty', 'error'].includes(document.getElementById('search').dataset.state)"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class RangeHandler(QuietHandler):
    """As a static host (GitHub Pages, Netlify) answers a single byte range (206 Partial Content);
    http.server alone sends the whole file (200), which kb's search script also reads."""

    def do_GET(self) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        local = Path(self.translate_path(self.path))
        if not match or not local.is_file():
            return super().do_GET()
        size = local.stat().st_size
        start, end = int(match[1]), min(int(match[2]) + 1, size)
        if start >= end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        with local.open("rb") as handle:
            handle.seek(start)
            body = handle.read(end - start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(local)))
        self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def served(site: Path, ranges: bool = True):
    """The site over HTTP on 127.0.0.1 (browsers load no module from file://), answering Range
    requests as static hosts do (or not, `ranges=False`, as http.server alone)."""
    handler = functools.partial(RangeHandler if ranges else QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


SERVER = """import functools, http.server, sys
sys.path.insert(0, sys.argv[1])
from search_bytes import RangeHandler
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=sys.argv[2]))
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def served_apart(site: Path):
    """As `served`, from a process of its own, as a static host answers: a server thread in the
    process that drives the browser waits on that process's lock (Python's GIL) and added tens of
    milliseconds to each request of a timed page."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(Path(__file__).resolve().parent), str(site)],
                            stdout=subprocess.PIPE, text=True)
    try:
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}/"
    finally:
        proc.kill()
        proc.wait()


def is_index_file(url: str) -> bool:
    return "/search/" in url and not url.split("?")[0].endswith(".html")


def fetched(requests) -> dict:
    """Bytes (headers + bodies) of finished requests, all and the search index's alone."""
    total = index = 0
    for request in requests:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        index += size if is_index_file(request.url) else 0
    return {"bytes": total, "index_bytes": index, "requests": len(requests)}


def first_query(page, server: str) -> tuple[dict, float, float]:
    start = time.perf_counter()
    page.goto(f"{server}search/index.html?q={quote(FIRST)}")
    page.wait_for_selector(".search-result")
    wall = (time.perf_counter() - start) * 1000
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(300)
    return fetched(page.finished), page.evaluate("kbSearch.firstResultAt"), wall


def second_query(page) -> tuple[dict, float]:
    page.finished.clear()
    page.locator("#search-input").fill(SECOND)
    typed = time.perf_counter()
    page.wait_for_function(f"document.querySelector('.search-result') && "
                           f"new URLSearchParams(location.search).get('q') === {json.dumps(SECOND)} && {SETTLED}")
    wall = (time.perf_counter() - typed) * 1000
    page.wait_for_timeout(300)
    return fetched(page.finished), wall


def measure_queries(browser, server: str) -> dict:
    """Figures for FIRST (cold, opened as search/?q=) and SECOND (typed into the box)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.finished = []
    page.on("requestfinished", lambda request: page.finished.append(request))
    try:
        first, since_navigation, wall_first = first_query(page, server)
        second, wall_second = second_query(page)
    finally:
        context.close()
    return {
        "first_query": {"query": FIRST, **first, "note": "cold: page, CSS, JS, index.json, the shards of the "
                        "query's n-grams, and the result data and excerpts of the first page of results"},
        "second_query": {"query": SECOND, **second, "note": "typed into the box on the same page"},
        "time_to_first_result_ms": round(since_navigation, 1),
        "time_to_first_result_wall_ms": round(wall_first, 1),
        "typed_query_to_result_ms": round(wall_second, 1),
    }


LAYOUT_SHIFTS = """window.kbShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.kbShifts.push(entry.value);
}).observe({type: "layout-shift", buffered: true});"""


def layout_shift(browser, server: str) -> float:
    """search/?q=FIRST opened cold on a 360 px touch screen: the layout-shift entries summed, as
    Lighthouse's cumulative layout shift counts them (Lighthouse itself is not installable offline)."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    context.add_init_script(LAYOUT_SHIFTS)
    page = context.new_page()
    try:
        page.goto(f"{server}search/index.html?q={quote(FIRST)}")
        page.wait_for_function(SETTLED)
        page.wait_for_timeout(1000)
        return round(sum(page.evaluate("window.kbShifts")), 4)
    finally:
        context.close()


COLD_LOADS = 5


def cold_first_results(browser, server: str) -> list[float]:
    """Milliseconds from navigation to the first result of search/?q=FIRST, each in a new context
    (nothing cached), COLD_LOADS times."""
    times = []
    for _ in range(COLD_LOADS):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{server}search/index.html?q={quote(FIRST)}")
            page.wait_for_selector(".search-result")
            times.append(round(page.evaluate("kbSearch.firstResultAt"), 1))
        finally:
            context.close()
    return times


def measure_site(site: Path) -> dict:
    """Launch chromium, serve `site` (from a process of its own), measure; {'skipped': reason}
    when the browser is missing. The first results are timed as a reader's browser, already
    running, opens the search page the first time: the median of COLD_LOADS page loads, each with
    an empty cache, after the browser's own start (the first page it loads, which also fetches
    bytes: `time_to_first_result_first_launch_ms`)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        return {"skipped": "chromium not installed (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    index = site / "search"
    with served_apart(site) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            figures = measure_queries(browser, server)
            cold = cold_first_results(browser, server)
            figures["time_to_first_result_first_launch_ms"] = figures["time_to_first_result_ms"]
            figures["time_to_first_result_cold_loads_ms"] = cold
            figures["time_to_first_result_ms"] = statistics.median(cold)
            figures["layout_shift_360"] = layout_shift(browser, server)
        finally:
            browser.close()
    figures["index_bytes"] = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    return figures


if __name__ == "__main__":
    print(json.dumps(measure_site(Path(sys.argv[1])), ensure_ascii=False, indent=2))
