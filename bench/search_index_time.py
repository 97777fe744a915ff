"""kb's search index inside real builds of a project: its share of a clean build and of the
rebuild after editing one note, timed by the build's own progress reports (the "search index"
stage: postings computed, shard files chosen; writing them is part of the site's write stage).

    python bench/search_index_time.py PROJECT_DIR     # prints the figures as JSON

Builds into PROJECT_DIR/site-search-time with the project's cache, like `kb build` does.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from kb.build import build_site
from kb.config import load_settings


def timed(project: Path, out: Path, clean: bool) -> dict:
    marks: dict[int, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "search index":
            marks[done] = time.perf_counter()

    start = time.perf_counter()
    result = build_site(project, load_settings(project)[0], out, clean=clean, progress=progress)
    return {"build_s": round(time.perf_counter() - start, 3), "index_s": round(marks[1] - marks[0], 3),
            "search": result.search, "records": result.records}


def edit_one_note(project: Path) -> Path:
    note = sorted((project / "notes").rglob("*.md"))[0]
    with note.open("a", encoding="utf-8") as handle:
        handle.write("\n追記: 検索インデックスの更新を測る一行。\n")
    return note


def changed_files(before: dict[str, int], out: Path) -> int:
    after = {p.relative_to(out).as_posix(): p.stat().st_ino for p in (out / "search").rglob("*") if p.is_file()}
    return sum(before.get(name) != inode for name, inode in after.items())


def main(project: Path) -> dict:
    out = project / "site-search-time"
    clean = timed(project, out, clean=True)
    before = {p.relative_to(out).as_posix(): p.stat().st_ino for p in (out / "search").rglob("*") if p.is_file()}
    edit_one_note(project)
    time.sleep(2.1)  # kb does not trust a note written in the last two seconds to its quick stamp
    edit = timed(project, out, clean=False)
    edit["index_files_rewritten"] = changed_files(before, out)
    edit["index_files"] = len(before)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"clean": clean, "edit_one_note": edit, "peak_rss_mb": round(peak)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=2))
