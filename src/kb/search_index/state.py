"""What a build keeps of its search index for the next one, as bytes the engine stores where it likes:

    SearchState.dumps() -> bytes        SearchState.loads(data) -> SearchState   (or StateCorrupt)

The bytes are a magic line, a length, a JSON header (plain data: ids, digests, numbers, spans,
shard keys) and the block tables as little-endian unsigned 64-bit integers. Nothing in them runs
as code. `loads` checks every field against the shape and the facts the others imply (types,
lengths, record numbers ascending, each batch's span where kb.search_index.state.batch_spans cuts
the ids, a table row per batch and shard) and raises StateCorrupt on ANY problem, whatever its
cause (wrong type, deep nesting, truncated arrays): the build then indexes from scratch with one
warning. Blocks are checked once more against the shard files they describe when an update
splices them (kb.search_index.update).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"kb-search-state 2\n"
BATCH = 128  # records per batch on average: an edit re-indexes its batch (64: +40 % postings bytes)
KINDS = ("d", "p")
DIGEST = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
SHARD_PATH = re.compile(r"search/([dp])/(0|[1-9][0-9]{0,5})\.bin")


class StateCorrupt(ValueError):
    """The stored search state cannot be used (the build indexes from scratch)."""


def batch_size() -> int:
    return BATCH


def batch_spans(ids: list[str], batch: int | None = None) -> list[tuple[int, int]]:
    """Where each batch starts and ends in record order: a batch of at least BATCH / 2 records
    ends before a record whose id's CRC-32 is 0 modulo BATCH / 2, and at 2 x BATCH records in
    any case (content-defined, like rsync's chunks: a record added shifts no later boundary)."""
    if not ids:
        return []
    batch = batch or BATCH
    starts, half = [], max(1, batch // 2)
    for i, record_id in enumerate(ids):
        size = i - starts[-1] if starts else 0
        if not starts or size >= 2 * batch or (size >= half and zlib.crc32(record_id.encode("utf-8")) % half == 0):
            starts.append(i)
    return list(zip(starts, [*starts[1:], len(ids)], strict=True))


@dataclass
class SearchState:
    """The previous index: the records it holds, how they were cut into batches, and per kind a
    table batches x shards x [length, hash] of the blocks in the shard files (unsigned 64-bit)."""

    code: str
    shards: list[int]
    bits: int
    docs: list[list]  # [id, text digest, number] in record order
    spans: list[list[int]]  # each batch's [start, end] in docs
    batch: int  # the BATCH that cut them
    facets: list[str]  # digest of each d shard's facet block ("" when none)
    keys: dict[str, str] = field(default_factory=dict)  # shard path -> key
    tables: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def dumps(self) -> bytes:
        header = json.dumps({name: getattr(self, name) for name in HEADER}, ensure_ascii=False,
                            separators=(",", ":")).encode("utf-8")
        arrays = b"".join(np.ascontiguousarray(self.tables[kind], dtype="<u8").tobytes() for kind in KINDS)
        return MAGIC + struct.pack("<Q", len(header)) + header + arrays

    @classmethod
    def loads(cls, data: bytes) -> SearchState:
        try:
            return parse(data)
        except StateCorrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - any problem at all means "not usable"
            raise StateCorrupt(f"{type(exc).__name__}: {exc}"[:200]) from None


HEADER = ("code", "shards", "bits", "docs", "spans", "batch", "facets", "keys")


def require(condition: bool, what: str) -> None:
    if not condition:
        raise StateCorrupt(what)


def parse(data: bytes) -> SearchState:
    require(isinstance(data, bytes | bytearray | memoryview), "not bytes")
    data = bytes(data)
    require(data.startswith(MAGIC) and len(data) >= len(MAGIC) + 8, "not a kb search state")
    (size,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    require(start + size <= len(data), "truncated header")
    header = json.loads(data[start:start + size].decode("utf-8"))
    require(isinstance(header, dict) and set(header) == set(HEADER), "wrong header fields")
    state = SearchState(**{name: header[name] for name in HEADER})
    check_header(state)
    state.tables = tables_of(data[start + size:], len(state.spans), state.shards)
    return state


def is_int(value, low: int = 0, high: int = 1 << 62) -> bool:
    return type(value) is int and low <= value < high


def check_header(state: SearchState) -> None:
    require(isinstance(state.code, str) and len(state.code) < 200, "code")
    require(isinstance(state.shards, list) and len(state.shards) == 2 and all(map(is_int, state.shards)), "shards")
    d, p = state.shards
    require(8 <= d <= 8192 and d & (d - 1) == 0 and p == 2 * d, "shard counts")
    require(is_int(state.bits, 0, 32), "bits")
    docs = state.docs
    require(isinstance(docs, list) and all(isinstance(doc, list) and len(doc) == 3 for doc in docs), "docs")
    require(all(isinstance(i, str) and i and isinstance(h, str) and DIGEST.fullmatch(h) and is_int(n)
                for i, h, n in docs), "doc fields")
    numbers = [n for _, _, n in docs]
    require(all(a < b for a, b in zip(numbers, numbers[1:], strict=False)), "record numbers not ascending")
    require(len({i for i, _, _ in docs}) == len(docs), "duplicate record ids")
    spans = state.spans
    require(isinstance(spans, list) and all(isinstance(s, list) and len(s) == 2 and all(map(is_int, s))
                                            for s in spans), "spans")
    require(is_int(state.batch, 1, 1 << 20), "batch")
    require([tuple(s) for s in spans] == batch_spans([i for i, _, _ in docs], state.batch),
            "spans do not cut the records")
    require(isinstance(state.facets, list) and len(state.facets) == d
            and all(isinstance(f, str) and (f == "" or DIGEST.fullmatch(f)) for f in state.facets), "facets")
    require(isinstance(state.keys, dict) and all(isinstance(k, str) and isinstance(v, str) and len(v) < 200
                                                 for k, v in state.keys.items()), "keys")
    for path in state.keys:
        match = SHARD_PATH.fullmatch(path)
        require(match is not None and int(match[2]) < state.shards[KINDS.index(match[1])], f"key path {path[:80]!r}")


def tables_of(data: bytes, batches: int, shards: list[int]) -> dict[str, np.ndarray]:
    sizes = [batches * count * 2 * 8 for count in shards]
    require(len(data) == sum(sizes), f"tables of {len(data)} bytes, {sum(sizes)} expected")
    tables, at = {}, 0
    for kind, count, size in zip(KINDS, shards, sizes, strict=True):
        table = np.frombuffer(data, dtype="<u8", count=size // 8, offset=at).reshape(batches, count, 2)
        tables[kind] = table.astype(np.uint64)
        at += size
    return tables
