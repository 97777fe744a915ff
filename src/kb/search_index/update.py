"""Write the index, or update the previous one in place: only the shard files an edit touches change.

Records are cut into batches of BATCH in record order; a shard file is its entries of batch 0,
batch 1, ... then the facet entries. The build cache keeps, as JSON data (never code), each
record's id and text digest and the length of every batch's block in every shard, so an edit
recomputes the postings of its batch alone and splices them into the old shard files it touches;
the other files keep their input key and are hard-linked from the previous site. When the record
numbering changes (a record added, removed, or re-dated) every batch is recomputed.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.cache import code_digest, sha
from kb.models import Record
from kb.render import Output
from kb.search_index.grams import Batch, doc_postings, position_postings, varints_of
from kb.search_index.records import (
    FORMAT,
    facet_keys,
    folded_regions,
    group_files,
    index_json,
    record_order,
    text_digest,
    text_files,
)
from kb.write import die_with_parent

BATCH = 128  # records per batch: an edit re-indexes its batch (64: +40 % postings bytes; 256: twice the work)
WORKERS = min(2, os.cpu_count() or 1)
KINDS = ("d", "p")


def shard_counts(records: int) -> tuple[int, int]:
    """Shards per kind: a power of two near records / 2 (8 to 8,192), positions twice as many."""
    d = 8
    while d < records // 2 and d < 8192:
        d *= 2
    return d, 2 * d


def shard_path(kind: str, shard: int) -> str:
    return f"search/{kind}/{shard}.bin"


@dataclass
class IndexState:
    """The previous index, as the cache keeps it (JSON; tables as base64 of little-endian int32)."""

    code: str
    shards: list[int]
    docs: list[list[str]]  # [id, text digest] in record order
    blocks: dict[str, str]  # kind -> (batch x shard) table of block lengths
    sums: dict[str, str]  # kind -> (batch x shard) table of block CRC-32s
    facets: list[str]  # digest of each d shard's facet block ("" when none)
    keys: dict[str, str] = field(default_factory=dict)  # shard path -> key

    @classmethod
    def load(cls, path: Path | None) -> IndexState | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)

    def table(self, name: str, kind: str) -> np.ndarray:
        data = np.frombuffer(base64.b64decode(getattr(self, name)[kind]), dtype="<i4")
        return data.reshape(-1, self.shards[KINDS.index(kind)]).astype(np.int64)


def encode_table(table: np.ndarray) -> str:
    return base64.b64encode(table.astype("<i4").tobytes()).decode("ascii")


_JOB: tuple[list[Record], tuple[int, int]] | None = None  # what forked workers read (never pickled)


def postings_of(b: int) -> dict[str, dict[int, bytes]]:
    """The `d` and `p` blocks of batch b of the records in _JOB."""
    ordered, shards = _JOB
    chunk = ordered[b * BATCH:(b + 1) * BATCH]
    batch = Batch(b * BATCH, [folded_regions(r) for r in chunk])
    return {"d": doc_postings(batch, shards[0]), "p": position_postings(batch, shards[1])}


def batch_postings(ordered: list[Record], shards: tuple[int, int], batches: list[int]) -> dict:
    """Postings of the given batches; several batches are shared between WORKERS forked processes
    (they read the records from this process's memory and send back bytes)."""
    global _JOB
    _JOB = (ordered, shards)
    try:
        if len(batches) < 2 or WORKERS < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return {b: postings_of(b) for b in batches}
        with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            return dict(zip(batches, pool.map(postings_of, batches), strict=True))
    finally:
        _JOB = None


def facet_blocks(ordered: list[Record], shards: int) -> dict[int, bytes]:
    from kb.search_index.grams import shard_of

    postings: dict[str, list[int]] = {}
    for doc, record in enumerate(ordered):
        for key in facet_keys(record):
            postings.setdefault(key, []).append(doc)
    blocks: dict[int, list[bytes]] = {}
    for key in sorted(postings):
        docs = postings[key]
        deltas = [(b - a) << 2 for a, b in zip([0, *docs], docs, strict=False)]
        entry = varints_of([len(key), *map(ord, key), len(docs), *deltas])
        blocks.setdefault(shard_of(key, shards), []).append(entry)
    return {s: b"".join(parts) for s, parts in blocks.items()}


class SearchIndex:
    """The index files of one build (its `outputs`) and the state to keep for the next."""

    def __init__(self, records: list[Record], old: IndexState | None, old_site: Path | None) -> None:
        self.ordered = record_order(records)
        self.shards = shard_counts(len(self.ordered))
        self.digests = [text_digest(r) for r in self.ordered]
        docs = [[r.id, d] for r, d in zip(self.ordered, self.digests, strict=True)]
        self.batches = range((len(docs) + BATCH - 1) // BATCH)
        usable = (old is not None and old_site is not None and old.code == code_digest()
                  and old.shards == list(self.shards) and [d[0] for d in old.docs] == [d[0] for d in docs])
        self.old, self.old_site = (old, old_site) if usable else (None, None)
        self.changed = [b for b in self.batches if self.old is None
                        or self.old.docs[b * BATCH:(b + 1) * BATCH] != docs[b * BATCH:(b + 1) * BATCH]]
        self.new = batch_postings(self.ordered, self.shards, self.changed)
        self.facets = facet_blocks(self.ordered, self.shards[0])
        self.state = IndexState(code=code_digest(), shards=list(self.shards), docs=docs, blocks={}, sums={}, facets=[])
        self.outputs = self.shard_outputs() + self.other_outputs()

    def tables(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Block lengths and CRC-32s of every batch in every shard of this index."""
        count = self.shards[KINDS.index(kind)]
        lengths = self.old.table("blocks", kind) if self.old else np.zeros((len(self.batches), count), np.int64)
        sums = self.old.table("sums", kind) if self.old else np.zeros((len(self.batches), count), np.int64)
        lengths, sums = lengths.copy(), sums.copy()
        for b in self.changed:
            lengths[b] = 0
            sums[b] = 0
            for shard, block in self.new[b][kind].items():
                lengths[b, shard], sums[b, shard] = len(block), zlib.crc32(block) >> 1  # fits an int32
        return lengths, sums

    def shard_outputs(self) -> list[Output]:
        outputs = []
        self.state.facets = [sha(self.facets[s]) if s in self.facets else "" for s in range(self.shards[0])]
        for kind, count in zip(KINDS, self.shards, strict=True):
            lengths, sums = self.tables(kind)
            self.state.blocks[kind], self.state.sums[kind] = encode_table(lengths), encode_table(sums)
            if self.old is None:
                touched = np.ones(count, dtype=bool)
            else:
                touched = ((lengths != self.old.table("blocks", kind)) | (sums != self.old.table("sums", kind))).any(0)
                if kind == "d":
                    touched |= np.array(self.state.facets) != np.array(self.old.facets)
            self.old_lengths = self.old.table("blocks", kind) if self.old else None
            for shard in range(count):  # every shard, empty ones too: a browser never asks for a missing file
                output = self.shard_output(kind, shard, bool(touched[shard]))
                outputs.append(output)
                self.state.keys[output.path] = output.key
        return outputs

    def shard_output(self, kind: str, shard: int, touched: bool) -> Output:
        path = shard_path(kind, shard)
        if not touched and path in self.old.keys:
            return Output(path, self.old.keys[path], self.reader(path))
        data = self.shard_bytes(kind, shard)
        return Output(path, sha(data), lambda: data)

    def shard_bytes(self, kind: str, shard: int) -> bytes:
        old = self.old_blocks(kind, shard)
        parts = [self.new[b][kind].get(shard, b"") if b in self.new else old[b] for b in self.batches]
        return b"".join(parts) + (self.facets.get(shard, b"") if kind == "d" else b"")

    def old_blocks(self, kind: str, shard: int) -> dict[int, bytes]:
        """The unchanged batches' blocks of an old shard file, cut at the lengths the cache kept."""
        if self.old is None or len(self.changed) == len(self.batches):
            return {}
        lengths = [int(n) for n in self.old_lengths[:, shard]]
        data = (self.old_site / shard_path(kind, shard)).read_bytes() if any(lengths) else b""
        starts = [sum(lengths[:b]) for b in self.batches]
        return {b: data[starts[b]:starts[b] + lengths[b]] for b in self.batches}

    def reader(self, path: str) -> Callable[[], bytes]:
        return lambda: (self.old_site / path).read_bytes()

    def other_outputs(self) -> list[Output]:
        files = {"search/index.json": index_json(len(self.ordered), self.shards, self.ordered),
                 **group_files(self.ordered)}
        outputs = [Output(path, sha(data), lambda d=data: d) for path, data in files.items()]
        code = code_digest()
        outputs += [Output(path, sha(code, str(FORMAT), d), make)
                    for r, d in zip(self.ordered, self.digests, strict=True)
                    for path, make in text_files(r).items()]
        return outputs


def search_outputs(records: list[Record], cache_file: Path | None = None, old_site: Path | None = None,
                   old_keys: dict[str, str] | None = None) -> SearchIndex:
    """The index of `records`; with the previous build's cache file, site folder and output keys,
    an update of the previous index (used only when the site still holds what the cache says)."""
    old = IndexState.load(cache_file) if cache_file and old_site and old_keys is not None else None
    if old is not None and any(old_keys.get(path) != key for path, key in old.keys.items()):
        old = None
    return SearchIndex(records, old, old_site)
