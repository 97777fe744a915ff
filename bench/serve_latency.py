"""How soon a saved note shows in a page open under `kb serve` (targets: 1 s on the bundled
notes, 2 s at 1,000 notes; issue #23: 0.3 s on 1,000 long notes, 0.5 s at 10,000 notes).

    python bench/serve_latency.py                       # bundled notes, 1,000 notes, 1,000 long notes
    python bench/serve_latency.py --sizes 0 --edits 9   # 0 = the bundled notes (notes/)
    python bench/serve_latency.py --sizes long1000,10000 --json out.json

For each size, a kb project in bench/work/serve-<size>/ (the bundled notes, or a corpus from
bench/corpus.py: `long<n>` is its corpus of n long notes) plus one native note; `kb serve --port 0`
runs in a subprocess (with and without the search index, `--no-search`); headless Chromium opens
that note's record page.
Each edit rewrites the note's summary with a new word; the time from the write to the page,
reloaded by kb serve's script, holding that word (its DOMContentLoaded) is one figure. Prints the
median and the slowest per size and mode. Needs Debian chromium and Playwright for Python.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright
from search_bytes import CHROMIUM_ARGS

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NOTE = """---
title: "LoRA+: Efficient Low Rank Adaptation of Large Models"
kind: paper
url: https://arxiv.org/abs/2402.12354
issue_date: 2024-02-19
tags: [PEFT(Adaptor/LoRA)]
---
## summary
{summary}
"""
PAGE = "records/2402.12354/index.html"
TARGETS = {"0": 1.0, "1000": 2.0, "long1000": 0.3, "10000": 0.5}


def make_project(size: str) -> Path:
    project = BENCH / "work" / f"serve-{size}"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    if size == "0":
        shutil.copytree(ROOT / "notes", project / "notes")
    else:
        from corpus import generate

        generate(int(size.removeprefix("long")), project, long=size.startswith("long"))
    write_note(project, "計測の前の本文。")
    return project


def write_note(project: Path, summary: str) -> None:
    (project / "notes" / "serve-latency.md").write_text(NOTE.format(summary=summary), encoding="utf-8")


class Server:
    def __init__(self, project: Path, search: bool) -> None:
        cmd = [sys.executable, "-m", "kb", "serve", "--port", "0", *([] if search else ["--no-search"])]
        self.proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True).start()

    def url(self, seconds: float = 1800) -> str:
        while True:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", self.lines.get(timeout=seconds))
            if found:
                return found.group(1)

    def output(self) -> str:
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get())
        return "".join(lines[-40:])

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=120)


def one_edit(page, loaded: list[float], project: Path, word: str) -> float:
    """Seconds from writing the note to a loaded page that shows `word` (`loaded`: load times)."""
    start = time.perf_counter()
    write_note(project, f"計測 {word} の本文。")
    while True:
        page.wait_for_event("domcontentloaded", timeout=60_000)  # a failing build never reloads: say so
        if word in page.locator("main").inner_text():
            return loaded[-1] - start


def measure(browser, project: Path, search: bool, edits: int) -> list[float]:
    server = Server(project, search)
    try:
        url = server.url()
        page = browser.new_page()
        loaded: list[float] = []
        page.on("domcontentloaded", lambda _: loaded.append(time.perf_counter()))
        page.goto(url + PAGE)
        times = []
        for i in range(edits):
            try:
                times.append(one_edit(page, loaded, project, f"w{i}x{int(search)}"))
            except PlaywrightTimeout:
                raise SystemExit(f"kb serve never showed edit {i}; its output:\n{server.output()}") from None
            time.sleep(0.5)
        page.close()
        return times
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--sizes", default="0,1000,long1000", help="0 is the bundled notes, long<n> n long notes")
    args.add_argument("--edits", type=int, default=5)
    args.add_argument("--modes", default="search,no-search")
    args.add_argument("--json", type=Path, help="also write the figures there (bench/run.py reads them)")
    options = args.parse_args(argv)

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=CHROMIUM_ARGS)
        for size in options.sizes.split(","):
            project = make_project(size)
            for mode in options.modes.split(","):
                times = measure(browser, project, mode == "search", options.edits)
                rows.append((size, mode, times))
                report(size, mode, times)
        browser.close()
    print("\n| notes | kb serve | median s | slowest s | target s | edits |\n|---|---|---|---|---|---|")
    for size, mode, times in rows:
        print(f"| {shown(size)} | {mode} | {statistics.median(times):.2f} | {max(times):.2f} | "
              f"{TARGETS.get(size, '-')} | {len(times)} |")
    if options.json:
        options.json.write_text(json.dumps([{"size": size, "mode": mode, "median_s": statistics.median(times),
                                             "max_s": max(times), "target_s": TARGETS.get(size), "times_s": times}
                                            for size, mode, times in rows], indent=1), encoding="utf-8")


def shown(size: str) -> str:
    return "bundled" if size == "0" else size.replace("long", "long notes: ")


def report(size: str, mode: str, times: list[float]) -> None:
    print(f"{shown(size)} notes, {mode}: " + ", ".join(f"{t:.2f}" for t in times), flush=True)


if __name__ == "__main__":
    main()
