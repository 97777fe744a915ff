"""Where a build spends its time: cProfile of a clean build and of the rebuild after editing
one note, the top functions by cumulative and by own time.

    python bench/profile_build.py PROJECT_DIR [--top 15]     # prints the figures as JSON

The profiled builds run in one process (kb.build.WORKERS and the search index's WORKERS set to
1): cProfile sees only the process it runs in, and the timed builds' worker processes would
take rendering and indexing out of the profile. Their wall times are the profiler's, not the
benchmark's. Builds into PROJECT_DIR/site-profile with the project's cache, like `kb build`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import sys
import time
from pathlib import Path

from kb.build import build_site
from kb.config import load_settings

ONE_PROCESS = ("kb.build", "kb.search_index.update")  # modules whose WORKERS the profile sets to 1
NOTE = ("one process (WORKERS=1): the timed builds share rendering and the search index between two worker "
        "processes, which cProfile would not see; times are under the profiler")


def one_process() -> None:
    import importlib

    for name in ONE_PROCESS:
        module = importlib.import_module(name)
        if hasattr(module, "WORKERS"):
            module.WORKERS = 1


def where(key: tuple[str, int, str]) -> str:
    """`kb/build.py:177(build_site)`: the path from the package on (site-packages, src/ or bench/)."""
    file, line, name = key
    short = re.sub(r"^.*?(site-packages/|/src/|/bench/|/lib/python3\.\d+/)", "", file)
    return f"{short}:{line}({name})" if line else name


def top(stats: pstats.Stats, field: int, count: int) -> list[dict]:
    """The `count` functions with the most cumulative (field 3) or own (field 2) time."""
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][field], reverse=True)[:count]
    return [{"function": where(key), "calls": nc, "own_s": round(tt, 3), "cumulative_s": round(ct, 3)}
            for key, (_cc, nc, tt, ct, _callers) in rows]


def profiled(project: Path, clean: bool, count: int) -> dict:
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    result = build_site(project, load_settings(project)[0], project / "site-profile", clean=clean)
    profile.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profile)
    return {"wall_s": round(wall, 2), "rendered": result.rendered, "files": len(result.files),
            "by_cumulative": top(stats, 3, count), "by_own": top(stats, 2, count)}


def edit_one_note(project: Path) -> None:
    note = sorted((project / "notes").rglob("*.md"))[0]
    with note.open("a", encoding="utf-8") as handle:
        handle.write("\n追記: プロファイルを取るための一行。\n")
    time.sleep(2.1)  # kb does not trust a note written in the last two seconds to its quick stamp


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    one_process()
    clean = profiled(args.project, True, args.top)
    edit_one_note(args.project)
    return {"note": NOTE, "clean": clean, "edit_one_note": profiled(args.project, False, args.top)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), ensure_ascii=False, indent=2))
