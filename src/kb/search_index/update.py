"""Write the index, or update the previous one in place: only the shard files an edit touches change.

Records keep their numbers (kb.search_index.records.record_numbers: day and slot), and are cut
into batches in record order where a record's id hashes to 0 (kb.search_index.state.batch_spans):
both depend on the records themselves, not on how many come before them, so adding, removing,
editing or re-dating a note changes the postings of its batch alone (rarely its neighbour's). A shard file is
its entries of batch 0, batch 1, ... then the facet entries.

The build keeps a SearchState (kb.search_index.state: bytes, never code): each record's id, text
digest and number, and for every batch the length and a 64-bit hash of its block in every shard.
An update recomputes the changed batches only; a shard file whose blocks (and facets) are the
same is hard-linked from the previous site, the others are spliced from the old file's unchanged
blocks (each checked against the state's hash first: a mismatch means a clean index, with a
warning) and the new ones when written.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
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
from kb.search_index.state import KINDS, SearchState, StateCorrupt, batch_size, batch_spans
from kb.write import die_with_parent

WORKERS = min(2, os.cpu_count() or 1)


def shard_counts(records: int) -> tuple[int, int]:
    """Shards per kind: a power of two near records / 2 (8 to 8,192), positions twice as many."""
    d = 8
    while d < records // 2 and d < 8192:
        d *= 2
    return d, 2 * d


def shard_path(kind: str, shard: int) -> str:
    return f"search/{kind}/{shard}.bin"


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

    def __init__(self, records: list[Record], old: SearchState | None, old_site: Path | None) -> None:
        self.problems: list[str] = []
        self.ordered = record_order(records)
        self.code = code_digest()
        numbers, bits = record_numbers(self.ordered)
        self.shards = shard_counts(len(self.ordered))
        self.numbers = numbers
        docs = [[r.id, text_digest(r), n] for r, n in zip(self.ordered, numbers, strict=True)]
        self.spans = batch_spans([r.id for r in self.ordered])
        usable = (old is not None and old_site is not None and old.code == self.code
                  and old.shards == list(self.shards) and old.bits == bits and old.batch == batch_size())
        self.old, self.old_site = (old, old_site) if usable else (None, None)
        members = [json.dumps(docs[a:b]) for a, b in self.spans]
        old_rows = {json.dumps(old.docs[a:b]): row for row, (a, b) in enumerate(old.spans)} if self.old else {}
        self.rows = [old_rows.get(m) for m in members]  # the old batch each batch equals, if any
        self.changed = [b for b, row in enumerate(self.rows) if row is None]
        self.removed = sorted(set(old_rows.values()) - set(self.rows))
        self.state = SearchState(code=self.code, shards=list(self.shards), bits=bits, docs=docs,
                                 spans=[list(s) for s in self.spans], batch=batch_size(), facets=[])
        self.new = self.compute(numbers)
        self.facets = facet_blocks(self.ordered, numbers, self.shards[0])
        self.state.facets = [sha(self.facets[s]) if s in self.facets else "" for s in range(self.shards[0])]
        self.touched = {kind: self.touched_shards(kind, self.state.tables[kind]) for kind in KINDS}
        self.check_old_blocks()
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

    def touched_shards(self, kind: str, table: np.ndarray) -> np.ndarray:
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
        for kind in KINDS:
            table, touched = self.state.tables[kind], self.touched[kind]
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
        """The old shard file cut into its batches' blocks (at the lengths the state kept)."""
        if self.old is None or not any(row is not None for row in self.rows):
            return {}
        lengths = self.old.tables[kind][:, shard, 0].astype(np.int64)
        data = (self.old_site / shard_path(kind, shard)).read_bytes() if lengths.any() else b""
        ends = np.cumsum(lengths)
        return {row: data[ends[row] - lengths[row]:ends[row]] for row in range(len(lengths))}

    def check_old_blocks(self) -> None:
        """Every old shard file an update splices holds the blocks the state describes (lengths,
        hashes, facet digest): else StateCorrupt (a state that lies must not make a wrong index)."""
        if self.old is None or not any(row is not None for row in self.rows):
            return
        for kind in KINDS:
            table = self.old.tables[kind]
            for shard in np.flatnonzero(self.touched[kind]).tolist():
                path = self.old_site / shard_path(kind, shard)
                data = path.read_bytes() if path.exists() else b""
                lengths = table[:, shard, 0].astype(np.int64)
                total = int(lengths.sum())
                bounds = np.concatenate(([0], np.cumsum(lengths)))
                blocks = Blocks(np.frombuffer(data[:total], np.uint8), bounds)
                facet = data[total:] if kind == "d" else b""
                if (len(data) < total or not np.array_equal(blocks.hashes(), table[:, shard, 1])
                        or (sha(facet) if facet else "") != (self.old.facets[shard] if kind == "d" else "")):
                    raise StateCorrupt(f"{shard_path(kind, shard)} does not hold the blocks the state describes")

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


def search_outputs(records: list[Record], state: SearchState | None = None, old_site: Path | None = None,
                   old_keys: dict[str, str] | None = None) -> SearchIndex:
    """The index of `records`; with the previous build's state, site folder and output keys, an
    update of the previous index (used only when the site still holds what the state says; a state
    that does not match its files gives a clean index and a line in `problems`)."""
    usable = state is not None and old_site is not None and old_keys is not None
    if usable and any(old_keys.get(path) != key for path, key in state.keys.items()):
        usable = False
    try:
        return SearchIndex(records, state if usable else None, old_site if usable else None)
    except (StateCorrupt, OSError) as exc:
        index = SearchIndex(records, None, None)
        index.problems.append(f"search state discarded and the index rebuilt: {exc}")
        return index
