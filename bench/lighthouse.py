"""Lighthouse on the search page with a query (issue #18: mobile performance >= 95, cumulative
layout shift < 0.05), as a static host serves the site.

    python bench/lighthouse.py SITE_DIR [--runs 3]      # prints the figures as JSON

Lighthouse comes from npm into bench/ (`npm install --prefix bench --no-package-lock`: a
benchmark tool, not a dependency of kb) and drives Debian's chromium (CHROME_PATH). Its default
configuration is the mobile preset with simulated throttling. Each run is a cold load of
`search/?q=推論`; the figures are the median performance score and the largest layout shift.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bytes import served_apart  # noqa: E402

LIGHTHOUSE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "lighthouse"
PAGE = "search/?q=" + quote("推論")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"


def one_run(binary: str, url: str, chromium: str) -> dict:
    done = subprocess.run([binary, url, "--only-categories=performance", "--output=json", "--output-path=stdout",
                           "--quiet", f"--chrome-flags={CHROME_FLAGS}"],
                          env={**os.environ, "CHROME_PATH": chromium}, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    report = json.loads(done.stdout)
    audits = report["audits"]
    return {"performance": round(report["categories"]["performance"]["score"] * 100),
            "layout_shift": round(audits["cumulative-layout-shift"]["numericValue"], 4),
            "largest_contentful_paint_ms": round(audits["largest-contentful-paint"]["numericValue"]),
            "lighthouse": report["lighthouseVersion"], "form_factor": report["configSettings"]["formFactor"]}


def lighthouse_figures(site: Path, runs: int = 3, binary: str | None = None) -> dict:
    """The runs' figures, or {'skipped': reason} when Lighthouse, chromium or the search page is missing."""
    binary = binary or os.environ.get("LIGHTHOUSE") or (str(LIGHTHOUSE) if LIGHTHOUSE.exists() else None)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        return {"skipped": "lighthouse not installed (npm install --prefix bench --no-package-lock)"}
    if chromium is None:
        return {"skipped": "chromium not installed (apt-get install chromium)"}
    if not (site / "search" / "index.html").is_file():
        return {"skipped": "no search page in the site"}
    with served_apart(site) as server:
        found = [one_run(binary, server + PAGE, chromium) for _ in range(runs)]
    done = [run for run in found if "error" not in run]
    if not done:
        return {"skipped": f"lighthouse failed: {found[0]['error']}", "runs": found}
    return {"page": PAGE, "runs": found, "median_performance": statistics.median(r["performance"] for r in done),
            "worst_layout_shift": max(r["layout_shift"] for r in done)}


if __name__ == "__main__":
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    print(json.dumps(lighthouse_figures(Path(sys.argv[1]), runs), ensure_ascii=False, indent=2))
