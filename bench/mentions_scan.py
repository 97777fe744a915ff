"""Mention finding, one pass per text (kb.index.name_scan) against token by token, on a generated
corpus: both must find the same entries; prints CPU seconds (the smaller of --runs runs, alternated).

    python bench/mentions_scan.py [--records 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402

from kb.config import Settings  # noqa: E402
from kb.index.mentions import NameIndex, record_words, text_parts  # noqa: E402
from kb.records import parse_notes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate(args.records, root)
        records = [r for note in parse_notes(root / "notes", root, Settings()).notes for r in note.records]
    index = NameIndex(records)
    index.scanner()
    chars = sum(len(part) for record in records for part in text_parts(record))
    best = {"token by token": float("inf"), "one pass": float("inf")}
    for _ in range(args.runs):
        start = time.process_time()
        by_tokens = [index.find(record_words(record)) for record in records]
        best["token by token"] = min(best["token by token"], time.process_time() - start)
        start = time.process_time()
        one_pass = [index.find_in(record) for record in records]
        best["one pass"] = min(best["one pass"], time.process_time() - start)
    assert one_pass == by_tokens, "the two ways found different mentions"
    print(f"{len(records)} records, {chars / 1e6:.1f} M characters, {len(index.ids)} names, "
          f"{sum(map(len, by_tokens))} entries found (the same both ways)")
    for way, seconds in best.items():
        print(f"{way:15} {seconds:6.2f} s CPU  {chars / seconds / 1e6:5.1f} M characters/s")


if __name__ == "__main__":
    main()
