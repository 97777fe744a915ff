"""Linear time on hostile notes (issue #19, row 5): each shape of bench/hostile_shapes.py at 1, 2 and
4 MB through everything kb does with a note short of writing HTML (parse, ids, linking, section
anchors), in this process, with the ratio of each doubling.

    python bench/hostile_linear.py [--sizes 1,2,4] [--shapes a,b]

CPU seconds (time.process_time) of one run each; a linear shape doubles, a quadratic one quadruples.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_shapes import SHAPES, note_cost  # noqa: E402

MB = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,2,4", help="sizes in MB (characters / 10^6)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    note_cost(SHAPES["headings"](1000))  # first-use setup
    print(f"{'shape':26}" + "".join(f"{s:>10g} MB" for s in sizes) + "   ratios")
    for name in args.shapes.split(","):
        times = []
        for size in sizes:
            text = SHAPES[name](int(size * MB))
            start = time.process_time()
            note_cost(text)
            times.append(time.process_time() - start)
        ratios = " ".join(f"x{b / a:.2f}" if a > 0 else "-" for a, b in zip(times, times[1:], strict=False))
        print(f"{name:26}" + "".join(f"{t:11.2f}s" for t in times) + f"   {ratios}", flush=True)


if __name__ == "__main__":
    main()
