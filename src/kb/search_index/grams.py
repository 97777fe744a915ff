"""Postings of character n-grams, encoded with numpy: one batch of records in, bytes per shard out.

Two kinds of shard files (kb.search_index.layout names them; templates/static/kb-search.js reads them):

- `d` (documents): for every character (unigram) and pair of characters (bigram) of a record's folded
  search text, which records hold it and in which region first (0 title ... 3 body). A query word of
  one or two characters is answered exactly by one entry. So are the base's common trigrams (in 10 %
  of the records) and the four-grams made of two of them (common_postings): a frequent word of three
  or four characters (`lora`, `学習率`) costs a few kilobytes instead of its positions.
- `p` (positions): for every three characters (trigram), the records and the positions where they
  occur. A longer word is covered by trigrams at known offsets (0, 3, 6, ..., len - 3); it occurs
  at p exactly when each covering trigram occurs at p + its offset, so every result is exact.

An entry is a run of unsigned LEB128 varints:

    d: n, c1..cn, m, then m values (doc - previous doc) << 2 | region
    p: c1, c2, c3, m, then m times: doc - previous doc, k, then k positions (position - previous)

(doc and position counting from 0 in each entry). A key may have several entries in a file, one per
batch of records, in record order. Positions are virtual: the body's characters count from 0, the
headline and summary's from 1 << 26, people and tags from 2 << 26, the title from 3 << 26, so a
position tells its region and deltas inside a region stay small. N-grams holding white space (or
NUL) are not indexed: a query word never holds white space.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from kb.search_index.folding import folded_code_points

REGION_BITS = 26  # a region of one record may hold up to 64 M characters
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619


@lru_cache(maxsize=1)
def blank_table() -> np.ndarray:
    """For code points below 0x3100: whether it splits a query into words (str.split's white
    space) or is NUL (no character above is either)."""
    table = np.array(list(map(str.isspace, map(chr, range(0x3100)))), dtype=bool)  # (3 ms less, in C-level passes)
    table[0] = True
    return table


def fnv(columns: list[np.ndarray]) -> np.ndarray:
    """32-bit FNV-1a over the code points of each n-gram (kb-search.js hashes the same way)."""
    h = np.full(len(columns[0]), FNV_OFFSET, dtype=np.uint32)
    for column in columns:
        h ^= column.astype(np.uint32)
        h *= np.uint32(FNV_PRIME)
    return h


def varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LEB128 bytes of every value (< 2**35), and the byte offset where each value starts (plus the end).
    Most values take one byte: only the others go through the loop."""
    values = values.astype(np.uint32 if values.max(initial=0) < 1 << 32 else np.uint64)
    big = np.flatnonzero(values >= 0x80)
    rest = values[big]
    sizes = np.ones(len(values), dtype=np.uint8)
    extra = np.full(len(big), 2, dtype=np.uint8)
    for bits in (14, 21, 28):
        extra += rest >= (1 << bits)
    sizes[big] = extra
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(sizes, dtype=np.int64, out=offsets[1:])
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    data[offsets[:-1]] = (values & 0x7F).astype(np.uint8)
    at, size = offsets[big], sizes[big]
    data[at] |= 0x80
    for k in range(1, 5):  # byte k of the values that have one
        rest = rest >> 7
        data[at + k] = (rest & 0x7F).astype(np.uint8) | ((size > k + 1).astype(np.uint8) << np.uint8(7))
        longer = np.flatnonzero(size > k + 1)
        if not len(longer):
            break
        at, rest, size = at[longer], rest[longer], size[longer]
    return data, offsets


class Batch:
    """The texts of a run of records (each record's four regions, kb.search.search_regions), folded
    into code points with their row (the record's place in the batch), record number and virtual
    position."""

    def __init__(self, numbers: list[int], regions: list[tuple[str, str, str, str]], tables: bool = True) -> None:
        self.numbers = np.array(numbers, dtype=np.int64)
        pieces, rows, bases = [], [], []
        for row, parts in enumerate(regions):
            for region in (3, 2, 1, 0):  # body first: positions then ascend in text order
                pieces.append(parts[region] + "\0")
                rows.append(row)
                bases.append((3 - region) << REGION_BITS)
        self.cp, lengths = folded_code_points(pieces, tables)
        piece = np.repeat(np.arange(len(pieces)), lengths)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        self.row = np.array(rows, dtype=np.int64)[piece]
        self.doc = self.numbers[self.row]
        self.pos = np.arange(len(self.cp), dtype=np.int64) - starts[piece] + np.array(bases, dtype=np.int64)[piece]
        blank = blank_table()
        self.ok = ~blank[np.minimum(self.cp, len(blank) - 1)]

    @cached_property
    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """dense_ids of the batch's code points."""
        return dense_ids(self.cp)

    @cached_property
    def region(self) -> np.ndarray:
        """Each character's region (0 title ... 3 body)."""
        return 3 - (self.pos >> REGION_BITS)

    def gram(self, n: int) -> np.ndarray:
        """Indexes i where the n-gram starting at i holds no blank (and stays inside one piece)."""
        ok = self.ok[: len(self.ok) - n + 1].copy()
        for k in range(1, n):
            ok &= self.ok[k: len(self.ok) - n + 1 + k]
        return np.flatnonzero(ok)


def group_starts(*keys: np.ndarray) -> np.ndarray:
    """Start indexes of runs of equal rows (keys already sorted)."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def split_by_shard(data: np.ndarray, offsets: np.ndarray, first_item: np.ndarray, shard: np.ndarray,
                   shards: int) -> Blocks:
    """Entries (item ranges starting at `first_item`, in key order) regrouped per shard."""
    byte_start = offsets[first_item]
    byte_end = np.append(byte_start[1:], offsets[-1])
    order = np.argsort(shard.astype(np.uint16) if shards <= 1 << 16 else shard, kind="stable")  # a radix sort
    lengths = (byte_end - byte_start)[order]
    gather = np.repeat(byte_start[order] - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    blob = data[gather + np.arange(lengths.sum())]
    ends = np.concatenate(([0], np.cumsum(lengths)))
    return Blocks(blob, ends[np.searchsorted(shard[order], np.arange(shards + 1))])


@dataclass
class Blocks:
    """One batch's entries of one kind, shard after shard: shard s is blob[bounds[s]:bounds[s + 1]]."""

    blob: np.ndarray
    bounds: np.ndarray


def place(total: int, slots: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    stream = np.zeros(total, dtype=np.uint64)
    for where, values in slots:
        stream[where] = values
    return stream


def dense_ids(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct code points (ascending) and each character's index among them."""
    present = np.zeros(int(cp.max(initial=0)) + 1, dtype=bool)
    present[cp] = True
    ids = np.flatnonzero(present)
    lookup = np.cumsum(present, dtype=np.int32) - 1
    return ids.astype(np.uint64), lookup[cp].astype(np.int64)


def best_regions(gram: np.ndarray, local: np.ndarray, region: np.ndarray, grams: int, docs: int):
    """(gram, record) pairs in that order, and the best (lowest) region of each: the minimum over a
    table of grams x records."""
    table = np.full(grams * docs, 4, dtype=np.uint8)
    np.minimum.at(table, gram * docs + local, region.astype(np.uint8))
    cell = np.flatnonzero(table != 4)
    return cell // docs, cell % docs, table[cell].astype(np.int64)


def bigram_ids(dense: np.ndarray, at: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each bigram at `at` as (first * count + second) over dense character ids: the distinct
    ones (ascending, so in code point order) and each bigram's index among them."""
    pair = dense[at] * count + dense[at + 1]
    if count * count > 1 << 25:
        distinct, inverse = np.unique(pair, return_inverse=True)
        return distinct, inverse
    present = np.zeros(count * count, dtype=bool)
    present[pair] = True
    lookup = np.cumsum(present, dtype=np.int32) - 1
    return np.flatnonzero(present), lookup[pair].astype(np.int64)


def doc_postings(batch: Batch, shards: int) -> Blocks:
    """The `d` entries of one batch, per shard."""
    uni, bi = batch.gram(1), batch.gram(2)
    ids, dense = batch.dense
    local, region = batch.row, batch.region
    docs = len(batch.numbers)
    g1, d1, r1 = best_regions(dense[uni], local[uni], region[uni], len(ids), docs)
    pairs, inverse = bigram_ids(dense, bi, len(ids))
    g2, d2, r2 = best_regions(inverse, local[bi], region[bi], len(pairs), docs)
    first, second = ids[pairs // len(ids)], ids[pairs % len(ids)]
    n = np.concatenate((np.ones(len(g1), np.int64), np.full(len(g2), 2)))
    c1 = np.concatenate((ids[g1], first[g2]))
    c2 = np.concatenate((np.zeros(len(g1), np.uint64), second[g2]))
    heads = np.ones(len(n), dtype=bool)
    heads[1:] = (c1[1:] != c1[:-1]) | (c2[1:] != c2[:-1]) | (n[1:] != n[:-1])
    zero = np.zeros(len(n), np.uint64)
    return doc_stream(n, [c1, c2, zero, zero], batch.numbers[np.concatenate((d1, d2))], np.concatenate((r1, r2)),
                      heads, shards)


def doc_stream(n: np.ndarray, columns: list[np.ndarray], doc: np.ndarray, best: np.ndarray, heads: np.ndarray,
               shards: int) -> Blocks:
    """`d` entries (n, c1..cn, m, values) of rows already grouped by n-gram (`heads` marks the first)."""
    starts = np.flatnonzero(heads)
    counts = np.diff(np.append(starts, len(n)))
    head_len = n[starts] + 2
    item_len = np.ones(len(n), np.int64)
    item_len[starts] += head_len
    end = np.cumsum(item_len)
    h0 = end[starts] - item_len[starts]
    prev = np.concatenate(([0], doc[:-1]))
    prev[starts] = 0
    value = ((doc - prev).astype(np.uint64) << np.uint64(2)) | best.astype(np.uint64)
    slots = [(h0, n[starts])] + [(h0[n[starts] > k] + 1 + k, columns[k][starts][n[starts] > k]) for k in range(4)]
    stream = place(int(end[-1]) if len(end) else 0, slots + [(h0 + head_len - 1, counts), (end - 1, value)])
    data, offsets = varints(stream)
    shard = fnv_keys(n[starts], [c[starts] for c in columns]) % np.uint32(shards)
    return split_by_shard(data, offsets, h0, shard.astype(np.int64), shards)


def fnv_keys(n: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """FNV-1a of n-grams given as columns of code points, each row using its first n columns."""
    h = np.full(len(n), FNV_OFFSET, dtype=np.uint32)
    for i, column in enumerate(columns):
        mixed = (h ^ column.astype(np.uint32)) * np.uint32(FNV_PRIME)
        h = np.where(n > i, mixed, h)
    return h


@dataclass
class TrigramRuns:
    """A batch's trigram occurrences sorted by code points, then by place in the text (so by record,
    then by position: a record's last occurrence is in its best region): `at` their places in the
    text, `heads` where each trigram's run starts, `docs` where each (trigram, record) run starts."""

    at: np.ndarray
    heads: np.ndarray
    docs: np.ndarray

    def head_code_points(self, batch: Batch) -> list[np.ndarray]:
        """The code points of each trigram (one column per character)."""
        at = self.at[self.heads]
        return [batch.cp[at + k].astype(np.uint64) for k in range(3)]


def trigram_runs(batch: Batch) -> TrigramRuns:
    """The trigrams of a batch sorted (TrigramRuns). Characters get dense ids so that trigram and
    row number pack into one 64-bit integer, which sorts much faster than a stable sort."""
    at = batch.gram(3)
    ids, dense = batch.dense
    bits = max(1, int(len(ids) - 1).bit_length())
    rows = max(1, int(len(at) - 1).bit_length()) if len(at) else 1
    if 3 * bits + rows <= 64:
        dense = dense.astype(np.uint64)
        key = (dense[at] << np.uint64(2 * bits)) | (dense[at + 1] << np.uint64(bits)) | dense[at + 2]
        packed = np.sort((key << np.uint64(rows)) | np.arange(len(at), dtype=np.uint64))
        key, order = packed >> np.uint64(rows), (packed & np.uint64((1 << rows) - 1)).astype(np.int64)
    else:
        cp = batch.cp.astype(np.uint64)
        key = (cp[at] << np.uint64(42)) | (cp[at + 1] << np.uint64(21)) | cp[at + 2]
        order = np.argsort(key, kind="stable")
        key = key[order]
    at = at[order]
    return TrigramRuns(at, group_starts(key), group_starts(key, batch.doc[at]))


def position_postings(batch: Batch, runs: TrigramRuns, shards: int) -> Blocks:
    """The `p` entries of one batch, per shard."""
    at, heads, docs = runs.at, runs.heads, runs.docs
    doc, pos = batch.doc[at], batch.pos[at]
    new_doc = np.zeros(len(at), dtype=bool)
    new_doc[docs] = True
    new_key = np.zeros(len(at), dtype=bool)
    new_key[heads] = True
    item_len = 1 + 2 * new_doc + 4 * new_key
    end = np.cumsum(item_len)
    start = end - item_len
    prev_pos = np.concatenate(([0], pos[:-1]))
    prev_pos[docs] = 0
    doc_of_run = doc[docs]
    prev_doc = np.concatenate(([0], doc_of_run[:-1]))
    prev_doc[new_key[docs]] = 0
    per_doc = np.diff(np.append(docs, len(at)))
    docs_per_key = np.diff(np.append(np.searchsorted(docs, heads), len(docs)))
    h0 = start[heads]
    d0 = start[docs] + 4 * new_key[docs]
    cols = runs.head_code_points(batch)
    stream = place(int(end[-1]) if len(end) else 0, [
        (h0, cols[0]), (h0 + 1, cols[1]), (h0 + 2, cols[2]), (h0 + 3, docs_per_key),
        (d0, doc_of_run - prev_doc), (d0 + 1, per_doc), (end - 1, pos - prev_pos)])
    data, offsets = varints(stream)
    shard = fnv(cols) % np.uint32(shards)
    return split_by_shard(data, offsets, h0, shard.astype(np.int64), shards)


def shard_of(key: str, shards: int) -> int:
    h = FNV_OFFSET
    for ch in key:
        h = ((h ^ ord(ch)) * FNV_PRIME) & 0xFFFFFFFF
    return h % shards


def joined_blocks(a: Blocks, b: Blocks) -> Blocks:
    """Two kinds of entries of one batch in one set of shards: shard s holds a's then b's."""
    if not len(b.blob):
        return a
    blob = np.concatenate((a.blob, b.blob))
    starts = np.stack((a.bounds[:-1], b.bounds[:-1] + len(a.blob)), axis=1).ravel()
    lengths = np.stack((np.diff(a.bounds), np.diff(b.bounds)), axis=1).ravel()
    gather = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    ends = np.concatenate(([0], np.cumsum(lengths)))
    return Blocks(blob[gather + np.arange(int(lengths.sum()))], ends[::2])
