"""Write the index as segments (kb.search_index.segments): a base segment made at a clean build and
merges, then one small segment per changed build with the records added or changed since and a
deletion list. An edit writes the small segments' one file and index.json (which lists the
segments and their deletion lists); the base stays as it is, linked from the previous site.

The base's postings are cut into shard files by n-gram hash (kb.search_index.grams):
search/d/<n>.bin and search/p/<n>.bin, a d shard file ending with the facet entries of its
records. Every small segment's postings are in one file, search/s/<id>.bin, bucketed by the same
hash (kb.search_index.delta): an edit copies the kept segments' parts from the previous file and
appends the new segment's.

The build keeps a SearchState (kb.search_index.state: bytes, never code): every record's id, text
digest, number and segment, and every segment's shard counts, size, deletion list and key. Its
files are reused only when the previous site holds them under the keys the segment keys give.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache, partial
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from types import MethodType
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from kb.digests import code_digest, sha
from kb.i18n import N_
from kb.index.papers import Paper
from kb.models import Record
from kb.render import Output
from kb.search import TEXT_FIELDS, search_regions
from kb.search_index.common import common_postings, trigram_records
from kb.search_index.delta import bucket_counts, delta_file
from kb.search_index.folding import fold_tables
from kb.search_index.grams import Batch, Blocks, doc_postings, joined_blocks, position_postings, shard_of, trigram_runs
from kb.search_index.ordered import OrderedRecords, sha1_all
from kb.search_index.records import (
    FORMAT,
    PaperEntries,
    body_text_file,
    day_files,
    dump,
    facet_keys,
    index_json,
    lead_file,
    text_paths,
    varints_of,
)
from kb.search_index.segments import Segment, clean, plan
from kb.search_index.spill import SpilledBlocks
from kb.search_index.state import KINDS, SearchState, StateCorrupt
from kb.write import die_with_parent

if TYPE_CHECKING:
    from kb.index.links import LinkMark

BATCH = 128  # records computed at a time (by one of WORKERS processes)
SAMPLE = 1024  # records read to find the common trigrams
COMMON_SHARE, COMMON_LEAST = 0.2, 4  # a common trigram is in 10 % of the records, and at least 4
WORKERS = min(2, os.cpu_count() or 1)
CHARS_PER_SHARD = 11000  # text characters per d shard of the base, at most


def shard_counts(records: int, chars: int = 0) -> tuple[int, int]:
    """The base's shard files per kind: a power of two near records / 2, or near chars /
    CHARS_PER_SHARD for long notes (8 to 8,192) `d` shards and twice as many `p` shards: a query
    reads a shard per n-gram, and a shard holds a few kilobytes (1,000 notes of 11,000 characters:
    2,048 d shards of 3 KB instead of 512 of 13 KB; notes of ~4,400 characters, as the benchmark's,
    keep records / 2)."""
    d = 8
    while d < max(records // 2, chars // CHARS_PER_SHARD) and d < 8192:
        d *= 2
    return d, 2 * d


def text_chars(records: list[Record]) -> int:
    """About how many characters of text the records hold (the notes' own fields, before rendering)."""
    return sum(len(r.title) + sum(len(getattr(r, name) or "") for name in TEXT_FIELDS)
               + sum(len(s.heading) + len(s.body) for s in r.sections) for r in records)


def file_key(key: str, path: str) -> str:
    """A segment file's key: its segment's key (which covers every byte of its files) and its path,
    checked for every base file at each update (a string, not a hash: 24,576 hashes took 0.1 s)."""
    return f"{key}:{path}"


@lru_cache(maxsize=8)
def base_paths(d: int, p: int) -> tuple[str, ...]:
    """The base's shard files (every one, empty ones too: a browser never asks for a missing file):
    the d files, then the p files. (Remembered: a process's updates name the same 24,576 files.)"""
    return (*[f"search/d/{shard}.bin" for shard in range(d)], *[f"search/p/{shard}.bin" for shard in range(p)])


@lru_cache(maxsize=2)
def base_keys(key: str, d: int, p: int) -> list[str]:
    """file_key(key, path) of every base file, in base_paths order (the keys an update gives them)."""
    return list(map(f"{key}:".__add__, base_paths(d, p)))


def outputs_of(paths: Iterable[str], keys: Iterable[str], makers: Iterable[Callable[[], bytes]]) -> list[Output]:
    """Output(path, key, make) of each, made in bulk: an update gives one for each of ~48,600 index
    files, made or not. (Output is a NamedTuple: tuple.__new__ makes one in C, 0.1 us against its
    Python __new__'s 0.3 us. The makers are mostly MethodType(f, x): f bound to x, a callable of
    no arguments made in C in 0.08 us, against 0.24 us for functools.partial(f, x).)"""
    return list(map(partial(tuple.__new__, Output), zip(paths, keys, makers, repeat(Output._field_defaults["reads"]))))


def delta_of(segments: list[list]) -> tuple[str, str] | None:
    """The delta file of state segments [id, d, p, size, deleted, key] (kb.search_index.delta): its
    path (named by the newest small segment holding records) and key (their keys'), or None when no
    small segment holds records."""
    filled = [s for s in segments[1:] if s[3]]
    if not filled:
        return None
    return f"search/s/{filled[-1][0]}.bin", sha(*(s[5] for s in filled))


def holds_files(keys: dict[str, str], segments: list[list]) -> bool:
    """Whether a site's file keys are those of the index files of the segments a state names: its
    small segments' file, and the first and last `d` and `p` files of its base. (A build writes a
    base whole, every file under file_key(its segment's key, its path), and a published site's
    recorded keys are the ones it wrote, kb.cache.previous_site: a site without its search files,
    or with another base, which other shard counts make too, differs in those four. Checking
    every one of 24,576 files took 18 ms of a one-note update at 10,000 notes.)"""
    _, d, p, _, _, key = segments[0]
    delta = delta_of(segments)
    if delta is not None and keys.get(delta[0]) != file_key(delta[1], delta[0]):
        return False
    paths = base_paths(d, p)
    return all(keys.get(path) == file_key(key, path) for path in (paths[0], paths[d - 1], paths[d], paths[-1]))


T = TypeVar("T")
_JOB: tuple | None = None  # what forked workers read (never pickled)


def postings_of(b: int) -> dict[str, Blocks]:
    """The `d` and `p` blocks of batch b of the records in _JOB."""
    ordered, numbers, shards, common, tables = _JOB
    start, end = b * BATCH, min((b + 1) * BATCH, len(ordered))
    batch = Batch(numbers[start:end], [search_regions(r) for r in ordered[start:end]], tables)
    runs = trigram_runs(batch)
    return {"d": joined_blocks(doc_postings(batch, shards[0]), common_postings(batch, runs, shards[0], common)),
            "p": position_postings(batch, runs, shards[1])}


def sample_trigrams(b: int) -> np.ndarray:
    """The trigrams of batch b of the records in _JOB, once per record (common.trigram_records)."""
    sample, tables = _JOB
    part = sample[b * BATCH: (b + 1) * BATCH]
    return trigram_records(Batch(list(range(len(part))), [search_regions(r) for r in part], tables))


def common_grams(records: list[Record]) -> list[int]:
    """The trigrams (packed: common.packed_trigrams) that COMMON_SHARE of the records hold, counted
    on every k-th record (at most SAMPLE), ascending: such a trigram and each four-gram made of two
    of them get record-level `d` entries (common.common_postings) in every segment of this base."""
    sample = records[:: max(1, len(records) // SAMPLE)]
    found = list(in_workers(sample_trigrams, (sample,), batches(len(sample))))
    if not found:
        return []
    grams = np.sort(np.concatenate(found))
    starts = np.flatnonzero(np.concatenate(([True], grams[1:] != grams[:-1])))
    counts = np.diff(np.append(starts, len(grams)))
    return grams[starts[counts >= max(COMMON_LEAST, COMMON_SHARE * len(sample))]].tolist()


def batches(records: int) -> int:
    return -(-records // BATCH)


def in_workers(work: Callable[[int], T], job: tuple, count: int) -> Iterator[T]:
    """work(0) .. work(count - 1), in order, as they come; several are shared between WORKERS
    forked processes (they read `job`, as _JOB, from this process's memory and send back arrays)."""
    global _JOB
    _JOB = (*job, count > 1)  # the last: fold with tables (worth making for two batches or more)
    if count > 1:
        fold_tables()  # made once, before the workers fork
    try:
        if count < 2 or WORKERS < 2 or "fork" not in multiprocessing.get_all_start_methods():
            yield from map(work, range(count))
            return
        with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            yield from pool.map(work, range(count))
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


def settled_digests(old: SearchState, links: LinkMark | None) -> dict[str, str] | None:
    """The text digest of each record of the previous index that this build's linking knows to
    be as it was then (LinkMark.settled: linked from the linking that index was made from, and
    not dirty since), by id; None when it does not know."""
    dirty = links.settled(old.links) if links is not None else None
    if dirty is None:
        return None
    digest_of = dict(map(itemgetter(0, 1), old.records))
    for record_id in dirty & digest_of.keys():
        del digest_of[record_id]
    return digest_of


class SearchIndex:
    """The index files of one build (its `outputs`) and the state to keep for the next."""

    def __init__(self, records: list[Record], old: SearchState | None, old_site: Path | None,
                 bookkeeping: frozenset[str] = frozenset(), papers: tuple[Paper, ...] = (),
                 links: LinkMark | None = None) -> None:
        self.problems: list[str] = []
        self.bookkeeping, self.papers = bookkeeping, list(papers)
        self.code = code_digest()
        same_code = old is not None and old.code == self.code
        self.records = OrderedRecords(records, settled_digests(old, links) if same_code else None)
        self.ordered, self.numbers, bits = self.records.ordered, self.records.numbers, self.records.bits
        self.docs = self.records.docs()
        usable = old is not None and old_site is not None and old.code == self.code and old.bits == bits
        self.old, self.old_site = (old, old_site) if usable else (None, None)
        self.segments = plan(self.docs, old.records, old.segments) if self.old else clean(len(self.docs))
        base = self.segments[0]
        counts = (old.segments[0][1], old.segments[0][2]) if base.reused else shard_counts(base.size,
                                                                                           text_chars(self.ordered))
        self.shards = {seg.id: counts if seg.id == 0 else bucket_counts(counts) for seg in self.segments}
        self.keys = {s[0]: s[5] for s in old.segments} if self.old else {}
        self.state = SearchState(code=self.code, bits=bits, records=self.state_records(), segments=[],
                                 common=self.old.common if base.reused else common_grams(self.ordered),
                                 links=links.generation if links is not None else "")
        self.outputs = self.base_outputs(base)
        made = [seg for seg in self.segments[1:] if not seg.reused and seg.size]  # (one at most)
        postings = {seg.id: SegmentPostings(self, seg, self.shards[seg.id]) for seg in made}
        for seg in made:
            self.segment_key(seg)
        self.state.segments = [[s.id, *self.shards[s.id], s.size, s.deleted, self.keys.get(s.id, "0" * 64)]
                               for s in self.segments]
        self.outputs += self.delta_outputs(postings) + self.other_outputs(bits)

    def state_records(self) -> list[tuple[str, str, int, int]]:
        """Each record's (id, text digest, number, segment), in index order."""
        owners = [0] * len(self.docs)
        for seg in self.segments[1:]:
            for place in seg.places:
                owners[place] = seg.id
        return list(zip(self.records.ids, self.records.digests, self.numbers, owners, strict=True))

    def segment_key(self, seg: Segment) -> str:
        """A new segment's key: what its files' bytes depend on (its records' ids, digests and
        numbers, the shard counts, the common trigrams, kb's code)."""
        digest = hashlib.sha1(json.dumps([self.docs[p] for p in seg.places]).encode(), usedforsecurity=False)
        common = sha(json.dumps(self.state.common))  # the d entries depend on the common trigrams
        key = self.keys[seg.id] = sha(self.code, str(self.shards[seg.id]), common, digest.hexdigest())
        return key

    def base_outputs(self, base: Segment) -> list[Output]:
        """The base's shard files: the previous site's when it is reused, else made anew. A file's
        key is file_key(the segment's key, its path)."""
        paths = base_paths(*self.shards[0])
        if base.reused:
            return outputs_of(paths, base_keys(self.keys[0], *self.shards[0]), map(MethodType, repeat(self.read_old),
                                                                                   paths))
        made = SegmentPostings(self, base, self.shards[0])  # computed now: forked writers share the spilled files
        key = self.segment_key(base)
        makers = [made.maker(kind, shard) for kind, count in zip(KINDS, self.shards[0], strict=True)
                  for shard in range(count)]
        return outputs_of(paths, base_keys(key, *self.shards[0]), makers)

    def delta_outputs(self, postings: dict[int, SegmentPostings]) -> list[Output]:
        """The small segments' one file (kb.search_index.delta): the previous one when the same
        segments hold records, else the kept segments' parts copied from it and the new segment's
        appended (made now: the previous file is read before the site changes)."""
        delta = delta_of(self.state.segments)
        if delta is None:
            return []
        path, key = delta
        before = delta_of(self.old.segments) if self.old else None
        if before == delta:
            return [Output(path, file_key(key, path), partial(self.read_old, path))]
        held = {s[0] for s in self.old.segments[1:] if s[3]} if self.old else set()
        kept = {seg.id for seg in self.segments[1:] if seg.reused and seg.size}
        previous = (self.old_site / before[0]).read_bytes() if kept else None
        new_id, new = next(((sid, made.blocks()) for sid, made in postings.items()), (None, None))
        data = delta_file(previous, kept, held, new_id, new, sum(bucket_counts(self.shards[0])))
        return [Output(path, file_key(key, path), lambda: data)]

    def read_old(self, path: str) -> bytes:
        return (self.old_site / path).read_bytes()

    def other_outputs(self, bits: int) -> list[Output]:
        """index.json, papers.bin, the r/ days and each record's t/ and b/ texts (made only when
        what they hold changed)."""
        segments = [{"id": seg.id, "deleted": seg.deleted} for seg in self.segments]
        delta = delta_of(self.state.segments)
        files = {"base": dict(zip(KINDS, self.shards[0], strict=True)),
                 "delta": {"path": delta[0], **dict(zip(KINDS, bucket_counts(self.shards[0]), strict=True))}
                 if delta else None}
        papers = PaperEntries(self.papers, self.records.ids, self.numbers)
        data = index_json(segments, files, len(self.ordered), bits, self.bookkeeping, papers.count,
                          self.records.facets())
        outputs = [Output("search/index.json", sha(data), lambda: data),
                   Output("search/papers.bin", sha(papers.data), lambda: papers.data)]
        return outputs + self.record_outputs(papers)

    def record_outputs(self, papers: PaperEntries) -> list[Output]:
        """The r/ days (which id each number is) and each record's t/ and b/ files (named by id),
        keyed by what they hold, as this kb cuts it."""
        keys = list(map(f"{self.code[:16]}.{FORMAT}.".__add__, self.records.digests))
        for place in compress(range(len(keys)), map(papers.keys.__contains__, self.records.ids)):
            keys[place] += papers.keys[self.records.ids[place]]
        paths, starts, ends = day_files(self.numbers, self.records.bits)
        days = list(map(self.records.ids.__getitem__, map(slice, starts, ends)))
        day_keys = map(f"{FORMAT}.".__add__, sha1_all(map("\n".join, days)))
        leads, bodies = text_paths(self.records.ids)
        return (outputs_of(paths, day_keys, map(MethodType, repeat(dump), days))
                + outputs_of(leads, keys, map(MethodType, repeat(partial(lead_file, papers.shown)), self.ordered))
                + outputs_of(bodies, keys, map(MethodType, repeat(partial(body_text_file, papers.shown)),
                                               self.ordered)))


class SegmentPostings:
    """The postings of one new segment, spilled to temporary files (kb.search_index.spill)."""

    def __init__(self, index: SearchIndex, seg: Segment, counts: tuple[int, int]) -> None:
        self.records = [index.ordered[p] for p in seg.places]
        self.numbers = [index.numbers[p] for p in seg.places]
        self.counts = counts
        self.common = np.array(index.state.common, dtype=np.uint64)
        self.compute()

    def compute(self) -> None:
        spills = {kind: SpilledBlocks(count) for kind, count in zip(KINDS, self.counts, strict=True)}
        job = (self.records, self.numbers, self.counts, self.common)
        for postings in in_workers(postings_of, job, batches(len(self.records))):
            for kind in KINDS:
                spills[kind].add(postings[kind])
        for spill in spills.values():
            spill.regroup()
        self.facets = facet_blocks(self.records, self.numbers, self.counts[0])
        self.spills = spills

    def shard_bytes(self, kind: str, shard: int) -> bytes:
        return self.spills[kind].shard(shard) + (self.facets.get(shard, b"") if kind == "d" else b"")

    def maker(self, kind: str, shard: int) -> Callable[[], bytes]:
        return lambda: self.shard_bytes(kind, shard)

    def blocks(self) -> Blocks:
        """Every bucket's bytes (d then p, as shard_bytes gives them) in one blob."""
        facets = sorted(self.facets.items())
        lengths = np.zeros(self.counts[0], dtype=np.int64)
        lengths[[shard for shard, _ in facets]] = [len(data) for _, data in facets]
        facet_blocks_ = Blocks(np.frombuffer(b"".join(data for _, data in facets), np.uint8),
                               np.concatenate(([0], np.cumsum(lengths))))
        d, p = joined_blocks(self.spills["d"].blocks(), facet_blocks_), self.spills["p"].blocks()
        return Blocks(np.concatenate((d.blob, p.blob)), np.concatenate((d.bounds, p.bounds[1:] + len(d.blob))))


def search_outputs(records: list[Record], state: SearchState | None = None, old_site: Path | None = None,
                   old_keys: dict[str, str] | None = None, bookkeeping: frozenset[str] = frozenset(),
                   papers: tuple[Paper, ...] = (), links: LinkMark | None = None) -> SearchIndex:
    """The index of `records`; with the previous build's state, site folder and output keys, an
    update of the previous index (used only when the site holds every file under the key the state
    recorded; a state that does not fit its files gives a clean index and a line in `problems`).
    Results show a record's tags except the `bookkeeping` labels, as the list pages do, and one
    result per paper of `papers` (kb.index.papers: the papers noted in two or more records).
    This build's linking (`links`) spares hashing the records it knows to be as the previous index
    had them (settled_digests)."""
    usable = state is not None and old_site is not None and old_keys is not None and holds_files(old_keys,
                                                                                                 state.segments)
    collecting = gc.isenabled()
    gc.disable()  # 10,000 records' objects and ~50,000 outputs: collections took 0.4 s of a 1 s update
    try:
        return SearchIndex(records, state if usable else None, old_site if usable else None, bookkeeping, papers,
                           links)
    except (StateCorrupt, OSError) as exc:
        index = SearchIndex(records, None, None, bookkeeping, papers, links)
        index.problems.append(N_("search state discarded and the index rebuilt: {reason}", reason=str(exc)))
        return index
    finally:
        if collecting:
            gc.enable()
