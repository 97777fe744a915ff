"""What a build keeps of its search index for the next one, as bytes the engine stores where it likes:

    SearchState.dumps() -> bytes        SearchState.loads(data) -> SearchState   (or StateCorrupt)

The bytes are a magic line, a length and a JSON document of plain data (ids, digests, record
numbers, segments with their deletion lists and keys, the common trigrams, the generation of the
linking indexed).
Nothing in them runs as code. `loads` checks every field against its shape and the facts the others imply (types,
lengths, numbers ascending, every record in a segment that exists and not deleted by a later one,
shard counts, segment keys) and raises StateCorrupt on ANY problem, whatever its cause (wrong
type, deep nesting, truncation): the build then indexes from scratch with one warning. The files
a state names are trusted only when the site's recorded keys are the ones the segment keys give
(update.search_outputs). A file's key is not kept: update.file_key(its segment's key, its path).
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import eq, lt

MAGIC = b"kb-search-state 11\n"
KINDS = ("d", "p")
KEY = re.compile(r"[0-9a-f]{64}")  # a segment's key: its files' keys are update.file_key(key, path)


class StateCorrupt(ValueError):
    """The stored search state cannot be used (the build indexes from scratch)."""


@dataclass
class SearchState:
    """The previous index: every record's id, text digest, number and segment (record order), and
    every segment's id, shard counts, size and deletion list (kb.search_index.segments)."""

    code: str
    bits: int
    records: list  # (id, text digest, number, segment) in record order (lists once loaded)
    segments: list[list]  # [id, d shards (or buckets), p shards, records indexed, [deleted numbers], key]
    common: list[int] = field(default_factory=list)  # the base's common trigrams (update.common_grams)
    links: str = ""  # the generation of the linking the records were indexed from (kb.index.links.LinkMemo)

    def dumps(self) -> bytes:
        header = json.dumps({name: getattr(self, name) for name in HEADER}, ensure_ascii=False,
                            separators=(",", ":")).encode("utf-8")
        return MAGIC + struct.pack("<Q", len(header)) + header

    @classmethod
    def loads(cls, data: bytes) -> SearchState:
        try:
            return parse(data)
        except StateCorrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - any problem at all means "not usable"
            raise StateCorrupt(f"{type(exc).__name__}: {exc}"[:200]) from None


HEADER = ("code", "bits", "records", "segments", "common", "links")


def require(condition: bool, what: str) -> None:
    if not condition:
        raise StateCorrupt(what)


def parse(data: bytes) -> SearchState:
    require(isinstance(data, bytes | bytearray | memoryview), "not bytes")
    data = bytes(data)
    require(data.startswith(MAGIC) and len(data) >= len(MAGIC) + 8, "not a kb search state")
    (size,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    require(start + size == len(data), "truncated or padded")
    header = json.loads(data[start:].decode("utf-8"))
    require(isinstance(header, dict) and set(header) == set(HEADER), "wrong header fields")
    state = SearchState(**{name: header[name] for name in HEADER})
    require(isinstance(state.code, str) and len(state.code) < 200, "code")
    require(is_int(state.bits, 0, 32), "bits")
    require(isinstance(state.links, str) and len(state.links) < 200, "links")
    check_segments(state.segments)
    check_records(state.records, state.segments)
    require(isinstance(state.common, list) and all(is_int(g, 0, 1 << 63) for g in state.common)
            and ascending(state.common), "common trigrams")
    return state


def is_int(value, low: int = 0, high: int = 1 << 62) -> bool:
    return type(value) is int and low <= value < high


def ascending(values: list) -> bool:
    return all(map(lt, values, values[1:]))


def is_shards(d, p) -> bool:
    return is_int(d, 0, 8193) and is_int(p) and d & (d - 1) == 0 and p == 2 * d


def check_segments(segments) -> None:
    require(isinstance(segments, list) and segments and all(isinstance(s, list) and len(s) == 6 for s in segments),
            "segments")
    for sid, d, p, size, deleted, key in segments:
        require(isinstance(key, str) and KEY.fullmatch(key) is not None, "segment key")
        require(is_int(sid) and is_shards(d, p) and d > 0 and is_int(size), "segment fields")
        require(isinstance(deleted, list) and all(map(is_int, deleted)) and ascending(deleted), "deletion list")
    require(segments[0][0] == 0 and not segments[0][4] and ascending([s[0] for s in segments]), "segment ids")
    require(all(s[1] == segments[1][1] >= segments[0][1] for s in segments[1:]), "small segments' buckets")


def all_digests(values: list) -> bool:
    """Every value is a SHA-1 in lowercase hex (checked over all of them joined, in C: ~10,000
    digests in 0.5 ms; stripping the hex digits took 3)."""
    if not only(values, str):
        return False
    joined = "".join(values)
    if len(joined) != 40 * len(values) or not joined.isascii() or any(c in joined for c in "ABCDEF"):
        return False
    try:
        return len(bytes.fromhex(joined)) * 2 == len(joined)  # (fromhex skips spaces: the length tells)
    except ValueError:
        return False


def only(values, kind: type) -> bool:
    """Every value is exactly of this type (no subclass: not a bool for an int)."""
    return set(map(type, values)) <= {kind}


def check_records(records, segments) -> None:
    """Checked column by column, in C-level passes (10,000 records: 2 ms instead of 7 record by record)."""
    require(isinstance(records, list) and only(records, list) and set(map(len, records)) <= {4}, "records")
    ids, digests, numbers, owners = map(list, zip(*records, strict=True)) if records else ([], [], [], [])
    places = {s[0]: k for k, s in enumerate(segments)}
    require(only(ids, str) and all(ids) and only(numbers, int) and min(numbers, default=0) >= 0
            and max(numbers, default=0) < 1 << 62 and only(owners, int) and set(owners) <= places.keys(),
            "record fields")
    require(all_digests(digests), "record digests")
    require(ascending(numbers), "record numbers not ascending")
    require(len(set(ids)) == len(ids), "duplicate record ids")
    later: set[int] = set()  # numbers deleted by a later segment than the one looked at
    for sid, _, _, size, deleted, _ in reversed(segments):
        held = list(compress(numbers, map(eq, owners, repeat(sid))))
        require(later.isdisjoint(held), f"a record of segment {sid} is live and deleted")
        require(len(held) <= size, "a segment holds more than it indexed")
        later |= set(deleted)
