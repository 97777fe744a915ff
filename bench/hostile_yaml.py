"""Time and memory of kb on a YAML alias bomb ("billion laughs") under an unknown front-matter key.

    python bench/hostile_yaml.py

Runs `kb check` and `kb build --no-search --keep-going` on a scratch project (the five seed notes plus the
bomb) in child processes and prints wall time, the child's peak RSS, and the extra memory over
the same command on the seed notes alone. The issue's bound: an error within a second and less
than 200 MB extra memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOMB = ("---\ntitle: Billion Laughs\nkind: paper\nlol:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"  {k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi", strict=True))
        + "---\n## summary\nA bomb under an unknown key.\n")


def run(project: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the child and its last output line."""
    code = "import sys; from kb.cli import main; sys.argv = ['kb', *sys.argv[1:]]; main()"
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, *args], cwd=project, stdout=out, stderr=out)
        _, _, usage = os.wait4(child.pid, 0)  # this child's own peak RSS (KB on Linux)
        seconds = time.perf_counter() - start
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    bomb_line = next((line.strip() for line in lines if "bomb.md:" in line), lines[-1] if lines else "")
    return seconds, usage.ru_maxrss / 1024, bomb_line


def parse_alone() -> None:
    """The bomb note on its own, in this process: parse time and the memory it allocates."""
    import tracemalloc

    from kb.discover import SourceFile
    from kb.formats import parse_source

    source = SourceFile("notes/bomb.md", BOMB, "utf-8", "0")
    parse_source(SourceFile("notes/warm.md", "---\ntitle: Warm\n---\n", "utf-8", "0"))  # first-use setup
    tracemalloc.start()
    start = time.perf_counter()
    note = parse_source(source)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    [error] = note.diagnostics
    print(f"parse of the bomb note alone: {seconds * 1000:.1f} ms, {peak / 1024:.0f} KB allocated at peak: "
          f"line {error.line}: {error.message}")


def main() -> None:
    parse_alone()
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "plain"
        shutil.copytree(ROOT / "notes", plain / "notes")
        bombed = Path(scratch) / "bombed"
        shutil.copytree(ROOT / "notes", bombed / "notes")
        (bombed / "notes" / "bomb.md").write_text(BOMB, encoding="utf-8")
        for command in (["check"], ["build", "--no-search", "--keep-going"]):
            base_s, base_mb, _ = run(plain, *command)
            bomb_s, bomb_mb, said = run(bombed, *command)
            print(f"kb {' '.join(command)}: seeds alone {base_s:.2f} s; with the bomb {bomb_s:.2f} s "
                  f"(+{bomb_s - base_s:.2f} s), peak RSS {bomb_mb:.0f} MB (seeds alone {base_mb:.0f} MB)")
            print(f"    {said}")


if __name__ == "__main__":
    main()
