"""What segments cost a query: the index bytes each query of the benchmark's set reads after 20
one-note edits of a clean build, against the same notes' merged index (a clean build): with the
merge policy (tiers of four: two small segments stay live) and with 20 small segments live (no
merge). The bytes are those of the distinct index files and byte ranges the query reads
(kb.search_index.read, as the browser reads them: a small segment's head and buckets by range;
the result data a page then shows is the same on both sites and left out).

    python bench/search_segments.py PROJECT_DIR     # prints the figures as JSON

Works on a copy of PROJECT_DIR's notes (PROJECT_DIR/segments-work); the target of #18 is no
query over 1.2x its merged bytes.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from search_bytes import FIRST, SECOND  # noqa: E402

from kb.build import build_site  # noqa: E402
from kb.config import load_settings  # noqa: E402
from kb.search_index import segments  # noqa: E402
from kb.search_index.read import IndexReader  # noqa: E402
from search_queries import CORPUS_QUERIES  # noqa: E402

SEGMENTS = 20


def query_bytes(site: Path, query: str) -> int:
    reader = IndexReader(site)
    reader.search(query)
    return reader.fetched_bytes()


def edited(project: Path, work: Path, merge: bool) -> Path:
    """The site after a clean build and SEGMENTS one-note edits (with the merge policy or none)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project / "notes", work / "notes")
    settings = load_settings(work)[0]
    build_site(work, settings, work / "site", search=True, keep_going=True)
    notes = sorted((work / "notes").rglob("*.md"))
    tier = segments.TIER
    segments.TIER = tier if merge else 10_000
    try:
        for i in range(SEGMENTS):
            with notes[i * 7 % len(notes)].open("a", encoding="utf-8") as handle:
                handle.write(f"\n追記 {i}: 区分の数を測る一行。\n")
            time.sleep(2.1)  # kb does not trust a note written in the last two seconds to its quick stamp
            build_site(work, settings, work / "site", search=True, keep_going=True)
    finally:
        segments.TIER = tier
    return work / "site"


def main(project: Path) -> dict:
    work = project / "segments-work"
    site = edited(project, work, True)
    merged = work / "merged"  # the same notes (the same 20 edits each time), one clean build
    build_site(work, load_settings(work)[0], merged, search=True, clean=True, cache=False, keep_going=True)
    figures = {"merge_policy": compare(site, merged)}
    shutil.move(merged, project / "segments-merged")
    site = edited(project, work, False)
    figures["no_merge"] = compare(site, project / "segments-merged")
    shutil.rmtree(project / "segments-merged")
    return figures


def compare(site: Path, merged: Path) -> dict:
    live = len(json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))["segments"])
    queries = [FIRST, SECOND] + [q for q, tag in CORPUS_QUERIES if tag is None and q not in (FIRST, SECOND)]
    rows = {q: (query_bytes(site, q), query_bytes(merged, q)) for q in queries}
    ratios = {q: round(seg / merged, 3) if merged else 1.0 for q, (seg, merged) in rows.items()}
    worst = max(ratios, key=ratios.get)
    return {"segments_live": live, "queries": len(rows),
            "second_query": {"query": SECOND, "segmented_bytes": rows[SECOND][0], "merged_bytes": rows[SECOND][1]},
            "worst": {"query": worst, "ratio": ratios[worst], "segmented_bytes": rows[worst][0],
                      "merged_bytes": rows[worst][1]},
            "median_ratio": sorted(ratios.values())[len(ratios) // 2],
            "over_1_2x": sum(r > 1.2 for r in ratios.values())}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), ensure_ascii=False, indent=2))
