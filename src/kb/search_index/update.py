"""Write the index, or update the previous one in place: only the shard files an edit touches change.

Records keep their numbers (kb.search_index.records.record_numbers: day and slot), and are cut
into batches in record order where a record's id hashes to 0 (kb.search_index.update.batch_spans):
both depend on the records themselves, not on how many come before them, so adding, removing,
editing or re-dating a note changes the postings of its batch alone (rarely its neighbour's). A shard file is
its entries of batch 0, batch 1, ... then the facet entries.

The build cache keeps, as data (never code), each record's id, text digest and number, and for
every batch the length and a 64-bit hash of its block in every shard (a sibling .npz file of
plain integer arrays). An update recomputes the changed batches only; a shard file whose blocks
(and facets) are the same is hard-linked from the previous site, the others are spliced from
the old file's unchanged blocks and the new ones when written.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.cache import code_digest, sha
from kb.models import Record
from kb.render import Output
from kb.search import search_regions
from kb.search_index.folding import fold_tables
from kb.search_index.grams import Batch, Blocks, doc_postings, mix, position_postings, shard_of, varints_of
from kb.search_index.records import (
    FORMAT,
    facet_keys,
    group_file,
    index_json,
    record_groups,
    record_numbers,
    record_order,
    text_digest,
    text_files,
)
from kb.search_index.spill import SpilledBlocks
from kb.write import die_with_parent

BATCH = 128  # records per batch on average: an edit re-indexes its batch (64: +40 % postings bytes)
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


def batch_spans(ids: list[str]) -> list[tuple[int, int]]:
    """Where each batch starts and ends in record order: a batch of at least BATCH / 2 records
    ends before a record whose id's CRC-32 is 0 modulo BATCH / 2, and at 2 x BATCH records in
    any case (content-defined, like rsync's chunks: a record added shifts no later boundary)."""
    starts, half = [], max(1, BATCH // 2)
    for i, record_id in enumerate(ids):
        size = i - starts[-1] if starts else 0
        if not starts or size >= 2 * BATCH or (size >= half and zlib.crc32(record_id.encode("utf-8")) % half == 0):
            starts.append(i)
    return list(zip(starts, [*starts[1:], len(ids)], strict=True))


def tables_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.stem + "-tables.npz")


@dataclass
class IndexState:
    """The previous index, as the cache keeps it: JSON, and the block tables in a sibling .npz file
    (kind -> batches x shards x [length, hash], unsigned 64-bit)."""

    code: str
    shards: list[int]
    bits: int
    docs: list[list]  # [id, text digest, number] in record order
    spans: list[list[int]]  # each batch's [start, end] in docs
    facets: list[str]  # digest of each d shard's facet block ("" when none)
    keys: dict[str, str] = field(default_factory=dict)  # shard path -> key
    token: str = ""
    tables: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | None) -> IndexState | None:
        try:
            state = cls(**json.loads(path.read_text(encoding="utf-8")))
            with np.load(tables_path(path), allow_pickle=False) as data:  # the zip checks each array's CRC-32
                state.tables = {kind: data[kind] for kind in KINDS}
                token = data["token"].tobytes().hex()
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return None
        return state if token == state.token else None

    def save(self, path: Path) -> None:
        """The tables, then the JSON: a token both hold tells they were written together."""
        self.token = os.urandom(16).hex()
        with open(tables_path(path).with_suffix(".tmp"), "wb") as handle:
            np.savez(handle, token=np.frombuffer(bytes.fromhex(self.token), np.uint8), **self.tables)
        tables_path(path).with_suffix(".tmp").replace(tables_path(path))
        fields = {k: v for k, v in self.__dict__.items() if k != "tables"}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(fields, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)


_JOB: tuple | None = None  # what forked workers read (never pickled)


def postings_of(b: int) -> dict[str, Blocks]:
    """The `d` and `p` blocks of batch b of the records in _JOB."""
    ordered, numbers, spans, shards, tables = _JOB
    start, end = spans[b]
    batch = Batch(numbers[start:end], [search_regions(r) for r in ordered[start:end]], tables)
    return {"d": doc_postings(batch, shards[0]), "p": position_postings(batch, shards[1])}


def batch_postings(job: tuple, batches: list[int]) -> Iterator[tuple[int, dict[str, Blocks]]]:
    """Postings of the given batches, in order, as they come; several batches are shared between
    WORKERS forked processes (they read the records from this process's memory and send back arrays)."""
    global _JOB
    _JOB = (*job, len(batches) > 1)
    if len(batches) > 1:
        fold_tables()  # made once, before the workers fork
    try:
        if len(batches) < 2 or WORKERS < 2 or "fork" not in multiprocessing.get_all_start_methods():
            yield from ((b, postings_of(b)) for b in batches)
            return
        with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            yield from zip(batches, pool.map(postings_of, batches), strict=True)
    finally:
        _JOB = None


def facet_blocks(ordered: list[Record], numbers: list[int], shards: int) -> dict[int, bytes]:
    postings: dict[str, list[int]] = {}
    for number, record in zip(numbers, ordered, strict=True):
        for key in facet_keys(record):
            postings.setdefault(key, []).append(number)
    blocks: dict[int, list[bytes]] = {}
    for key in sorted(postings):
        docs = postings[key]
        deltas = [(b - a) << 2 for a, b in zip([0, *docs], docs, strict=False)]
        entry = varints_of([len(key), *map(ord, key), len(docs), *deltas])
        blocks.setdefault(shard_of(key, shards), []).append(entry)
    return {s: b"".join(parts) for s, parts in blocks.items()}


def block_sums(table: np.ndarray) -> np.ndarray:
    """Per shard, an order-free sum of its non-empty blocks (length and hash) in `table`'s rows:
    a block holds record numbers, so its place among the others follows from its content."""
    with np.errstate(over="ignore"):
        mixed = mix(table[:, :, 1] ^ (table[:, :, 0] << np.uint64(40)))
        return np.where(table[:, :, 0] > 0, mixed, np.uint64(0)).sum(axis=0, dtype=np.uint64)


class SearchIndex:
    """The index files of one build (its `outputs`) and the state to keep for the next."""

    def __init__(self, records: list[Record], old: IndexState | None, old_site: Path | None) -> None:
        self.ordered = record_order(records)
        self.code = code_digest()
        numbers, bits = record_numbers(self.ordered)
        self.shards = shard_counts(len(self.ordered))
        self.numbers = numbers
        docs = [[r.id, text_digest(r), n] for r, n in zip(self.ordered, numbers, strict=True)]
        self.spans = batch_spans([r.id for r in self.ordered])
        usable = (old is not None and old_site is not None and old.code == self.code
                  and old.shards == list(self.shards) and old.bits == bits)
        self.old, self.old_site = (old, old_site) if usable else (None, None)
        members = [json.dumps(docs[a:b]) for a, b in self.spans]
        old_rows = {json.dumps(old.docs[a:b]): row for row, (a, b) in enumerate(old.spans)} if self.old else {}
        self.rows = [old_rows.get(m) for m in members]  # the old batch each batch equals, if any
        self.changed = [b for b, row in enumerate(self.rows) if row is None]
        self.removed = sorted(set(old_rows.values()) - set(self.rows))
        self.state = IndexState(code=self.code, shards=list(self.shards), bits=bits, docs=docs,
                                spans=[list(s) for s in self.spans], facets=[])
        self.new = self.compute(numbers)
        self.facets = facet_blocks(self.ordered, numbers, self.shards[0])
        self.outputs = self.shard_outputs() + self.other_outputs(bits)

    def compute(self, numbers: list[int]) -> dict[str, SpilledBlocks]:
        """The changed batches' postings, spilled to a file as they come (their lengths and hashes
        go to the state's tables, which take the unchanged batches' rows from the old ones)."""
        tables = {kind: np.zeros((len(self.spans), count, 2), dtype=np.uint64)
                  for kind, count in zip(KINDS, self.shards, strict=True)}
        for b, row in enumerate(self.rows):
            for kind in KINDS if row is not None else ():
                tables[kind][b] = self.old.tables[kind][row]
        spills = {kind: SpilledBlocks(count) for kind, count in zip(KINDS, self.shards, strict=True)}
        for b, postings in batch_postings((self.ordered, numbers, self.spans, self.shards), self.changed):
            for kind in KINDS:
                blocks = postings[kind]
                tables[kind][b, :, 0], tables[kind][b, :, 1] = blocks.lengths(), blocks.hashes()
                spills[kind].add(blocks)
        self.state.tables = tables
        for spill in spills.values():
            spill.regroup()
        return spills

    def touched(self, kind: str, table: np.ndarray) -> np.ndarray:
        count = self.shards[KINDS.index(kind)]
        if self.old is None:
            return np.ones(count, dtype=bool)
        old = self.old.tables[kind]
        touched = block_sums(table[self.changed]) != block_sums(old[self.removed])
        touched |= (table[self.changed, :, 0] > 0).sum(0) != (old[self.removed, :, 0] > 0).sum(0)
        if kind == "d":
            touched |= np.array(self.state.facets) != np.array(self.old.facets)
        return touched

    def shard_outputs(self) -> list[Output]:
        outputs = []
        self.state.facets = [sha(self.facets[s]) if s in self.facets else "" for s in range(self.shards[0])]
        for kind in KINDS:
            table = self.state.tables[kind]
            touched = self.touched(kind, table)
            for shard in range(len(touched)):  # every shard, empty ones too: a browser never asks for a missing file
                path = shard_path(kind, shard)
                if not touched[shard] and path in self.old.keys:
                    output = Output(path, self.old.keys[path], self.reader(path))
                else:
                    facet = self.state.facets[shard] if kind == "d" else ""
                    key = sha(path, facet, table[:, shard].tobytes().hex())
                    output = Output(path, key, self.maker(kind, shard))
                outputs.append(output)
                self.state.keys[path] = output.key
        return outputs

    def maker(self, kind: str, shard: int) -> Callable[[], bytes]:
        return lambda: self.shard_bytes(kind, shard)

    def shard_bytes(self, kind: str, shard: int) -> bytes:
        facets = self.facets.get(shard, b"") if kind == "d" else b""
        if len(self.changed) == len(self.rows):  # every block is new: they lie in the spill in order
            return self.new[kind].shard(shard) + facets
        old, new = self.old_blocks(kind, shard), iter(self.new[kind].blocks(shard))
        return b"".join(old[row] if row is not None else next(new) for row in self.rows) + facets

    def old_blocks(self, kind: str, shard: int) -> dict[int, bytes]:
        """The old shard file cut into its batches' blocks (at the lengths the cache kept)."""
        if self.old is None or not any(row is not None for row in self.rows):
            return {}
        lengths = self.old.tables[kind][:, shard, 0].astype(np.int64)
        data = (self.old_site / shard_path(kind, shard)).read_bytes() if lengths.any() else b""
        ends = np.cumsum(lengths)
        return {row: data[ends[row] - lengths[row]:ends[row]] for row in range(len(lengths))}

    def reader(self, path: str) -> Callable[[], bytes]:
        return lambda: (self.old_site / path).read_bytes()

    def other_outputs(self, bits: int) -> list[Output]:
        """index.json, the r/ groups and each record's t/ and b/ texts (made only when their records changed)."""
        data = index_json(self.shards, self.ordered, bits)
        outputs = [Output("search/index.json", sha(data), lambda: data)]
        docs, code = self.state.docs, self.code
        for path, places in record_groups(self.ordered, self.numbers).items():
            key = sha(code, str(FORMAT), *(docs[i][1] for i in places))
            outputs.append(Output(path, key, lambda p=places: group_file(self.ordered, p)))
        outputs += [Output(path, f"{code[:16]}.{FORMAT}.{d[1]}", make)  # the record's text, as this kb cuts it
                    for r, d in zip(self.ordered, docs, strict=True)
                    for path, make in text_files(r, d[2]).items()]
        return outputs


def search_outputs(records: list[Record], cache_file: Path | None = None, old_site: Path | None = None,
                   old_keys: dict[str, str] | None = None) -> SearchIndex:
    """The index of `records`; with the previous build's cache file, site folder and output keys,
    an update of the previous index (used only when the site still holds what the cache says)."""
    old = IndexState.load(cache_file) if cache_file and old_site and old_keys is not None else None
    if old is not None and any(old_keys.get(path) != key for path, key in old.keys.items()):
        old = None
    return SearchIndex(records, old, old_site)
