"""Read a written index the way the browser does (templates/static/kb-search.js): the tests use
it to check the files alone answer every query exactly, and `python -m kb.search_index.read SITE
QUERY` prints what they answer."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

from kb.search_index.grams import REGION_BITS, shard_of
from kb.text import fold


def varints(data: bytes):
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            yield value
            value = shift = 0


class IndexReader:
    def __init__(self, site: Path) -> None:
        self.site = site
        self.meta = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))
        self.fetched: list[tuple[str, int, int | None]] = []  # (path, start, end or None: to the end)
        self.segments = self.meta["segments"]
        self.dead = [set().union(*(s["deleted"] for s in self.segments[k + 1:])) for k in range(len(self.segments))]

    def entries(self, kind: str, key: str) -> list[tuple[list[int], set[int], bool]]:
        """Each segment's entries that may hold `key` (as integers), with the numbers dead in it and
        whether they are the base's: a shard file of the base, then the bucket of the small
        segments' one file (read by range: its two offsets, then the bucket's parts, oldest first)."""
        base = self.meta["base"]
        found = [(list(varints(self.read(f"search/{kind}/{shard_of(key, base[kind])}.bin"))), self.dead[0], True)]
        delta = self.meta["delta"]
        if delta:
            k = shard_of(key, delta[kind]) + (delta["d"] if kind == "p" else 0)
            start, end = struct.unpack("<II", self.read(delta["path"], 4 * k, 4 * k + 8))
            ints = list(varints(self.read(delta["path"], start, end))) if start < end else []
            dead = {s["id"]: self.dead[i] for i, s in enumerate(self.segments)}
            i = 0
            while i < len(ints):  # parts of the bytes ints[i + 2:] encode: varints, counted again
                segment, length = ints[i], ints[i + 1]
                part, i = self.part(ints, i + 2, length)
                found.append((part, dead[segment], False))
        return found

    @staticmethod
    def part(ints: list[int], i: int, length: int) -> tuple[list[int], int]:
        """The varints from ints[i] that take `length` bytes, and the index after them."""
        taken = 0
        start = i
        while taken < length:
            taken += max(1, (ints[i].bit_length() + 6) // 7)
            i += 1
        return ints[start:i], i

    def read(self, path: str, start: int = 0, end: int | None = None) -> bytes:
        """Bytes start .. end of a file (the whole file without `end`), noted in `fetched`."""
        self.fetched.append((path, start, end))
        with (self.site / path).open("rb") as handle:
            handle.seek(start)
            return handle.read() if end is None else handle.read(end - start)

    def fetched_bytes(self) -> int:
        """Bytes of the distinct files and ranges read so far."""
        return sum((self.site / path).stat().st_size - start if end is None else end - start
                   for path, start, end in set(self.fetched))

    def docs(self, key: str) -> dict[int, int]:
        """doc -> region of the first occurrence, for a 1-2 character word or a facet key."""
        return self.doc_lists(key)[0]

    def doc_lists(self, key: str) -> tuple[dict[int, int], bool]:
        """docs(key), and whether the base segment has an entry for it (for a word of three or four
        characters: it is made of common trigrams, and every segment's entries are complete)."""
        found, in_base = {}, False
        for ints, dead, base in self.entries("d", key):
            got, seen = self.doc_entries(ints, key, dead)
            found.update(got)
            in_base = in_base or (seen and base)
        return found, in_base

    @staticmethod
    def doc_entries(ints: list[int], key: str, dead: set[int]) -> tuple[dict[int, int], bool]:
        i, found, seen = 0, {}, False
        while i < len(ints):
            n = ints[i]
            name = "".join(map(chr, ints[i + 1:i + 1 + n]))
            m = ints[i + 1 + n]
            i += n + 2
            seen = seen or name == key
            doc = 0
            for value in ints[i:i + m]:
                doc += value >> 2
                if name == key and doc not in dead:
                    found[doc] = value & 3
            i += m
        return found, seen

    def positions(self, key: str) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for ints, dead, _ in self.entries("p", key):
            for doc, got in self.position_entries(ints, key).items():
                if doc not in dead:
                    found.setdefault(doc, set()).update(got)
        return found

    @staticmethod
    def position_entries(ints: list[int], key: str) -> dict[int, set[int]]:
        i, found = 0, {}
        while i < len(ints):
            name = "".join(map(chr, ints[i:i + 3]))
            m = ints[i + 3]
            i += 4
            doc = 0
            for _ in range(m):
                doc += ints[i]
                k = ints[i + 1]
                pos, got = 0, set()
                for delta in ints[i + 2:i + 2 + k]:
                    pos += delta
                    got.add(pos)
                i += 2 + k
                if name == key:
                    found.setdefault(doc, set()).update(got)
        return found

    def word(self, word: str) -> dict[int, int]:
        """doc -> region of the word's first match."""
        if len(word) <= 2:
            return self.docs(word)
        if len(word) <= 4:
            found, common = self.doc_lists(word)
            if common:
                return found
        offsets = sorted({*range(0, len(word) - 2, 3), len(word) - 3})
        lists = [(k, self.positions(word[k:k + 3])) for k in offsets]
        docs = set.intersection(*(set(found) for _, found in lists))
        result = {}
        for doc in docs:
            starts = [p for p in lists[0][1][doc] if all(p + k in found[doc] for k, found in lists[1:])]
            if starts:
                result[doc] = 3 - (max(starts) >> REGION_BITS)
        return result

    def search(self, query: str) -> dict[int, int]:
        """doc -> rank region (the worst of each word's first match) for every matching record."""
        words = fold(query).split()
        found = None
        for word in words:
            hits = self.word(word)
            found = hits if found is None else {d: max(r, hits[d]) for d, r in found.items() if d in hits}
        return found or {}

    def numbers(self) -> list[int]:
        """Every record's number (each record has a kind), in record order."""
        return sorted({doc for kind, _ in self.meta["kinds"] for doc in self.docs("\x01k" + kind)})

    def name(self, doc: int) -> str:
        """Record `doc`'s id, which names its t/ and b/ files: item doc - (day << bits) of its day's r/ file."""
        bits = self.meta["bits"]
        day = min(doc >> bits, self.meta["dated"] >> bits)
        ids = json.loads((self.site / "search" / "r" / f"{day}.json").read_text(encoding="utf-8"))
        return ids[doc - (day << bits)]

    def record(self, doc: int) -> dict:
        """What result `doc` shows (the last item of its t/ file)."""
        return json.loads((self.site / "search" / "t" / f"{self.name(doc)}.json").read_text(encoding="utf-8"))[2]


if __name__ == "__main__":
    reader = IndexReader(Path(sys.argv[1]))
    for doc, region in sorted(reader.search(sys.argv[2]).items(), key=lambda kv: (kv[1], kv[0])):
        print(region, reader.record(doc)["id"], reader.record(doc)["title"])
