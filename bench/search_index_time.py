"""kb's search index inside real builds of a project: its share of a clean build and of the
rebuilds after editing one note and after adding one, timed by the build's own progress reports (the "search index"
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import new_native_note  # noqa: E402

from kb.build import build_site  # noqa: E402
from kb.config import load_settings  # noqa: E402


def timed(project: Path, out: Path, clean: bool) -> dict:
    marks: dict[int, float] = {}
    cpu: dict[int, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "search index":
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            marks[done], cpu[done] = time.perf_counter(), time.process_time() + children.ru_utime + children.ru_stime

    start = time.perf_counter()
    result = build_site(project, load_settings(project)[0], out, clean=clean, progress=progress)
    return {"build_s": round(time.perf_counter() - start, 3), "index_s": round(marks[1] - marks[0], 3),
            "index_cpu_s": round(cpu[1] - cpu[0], 3),  # CPU time (with the index workers): the figure on a busy machine
            "search": result.search, "records": result.records}


def edit_one_note(project: Path) -> Path:
    note = sorted((project / "notes").rglob("*.md"))[0]
    with note.open("a", encoding="utf-8") as handle:
        handle.write("\n追記: 検索インデックスの更新を測る一行。\n")
    return note


def files_now(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in (out / "search").rglob("*") if p.is_file()}


def changed_files(before: dict[str, int], out: Path) -> int:
    return sum(before.get(name) != inode for name, inode in files_now(out).items())


def rebuild(project: Path, out: Path, change) -> dict:
    before = files_now(out)
    change()
    time.sleep(2.1)  # kb does not trust a note written in the last two seconds to its quick stamp
    figures = timed(project, out, clean=False)
    figures["index_files_rewritten"] = changed_files(before, out)
    figures["index_files"] = len(before)
    return figures


def main(project: Path) -> dict:
    out = project / "site-search-time"
    clean = timed(project, out, clean=True)
    edit = rebuild(project, out, lambda: edit_one_note(project))
    add = rebuild(project, out, lambda: new_native_note(project, int(time.time()) % 10_000))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"clean": clean, "edit_one_note": edit, "add_one_note": add, "peak_rss_mb": round(peak)}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=2))
