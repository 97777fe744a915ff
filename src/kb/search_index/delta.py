"""The small segments' postings in ONE file, `search/s/<id>.bin` (the id of its newest segment), so
that a query costs the same few bytes however many small segments are live:

    bytes 0 .. 4 (B + 1)    B + 1 offsets (uint32, little-endian): bucket k is bytes off[k] .. off[k + 1]
    then the B buckets      (d buckets then p buckets, by n-gram hash as the base's shards)

and a bucket is its segments' parts, oldest segment first: varint(segment id), varint(length),
then that segment's entries (kb.search_index.grams) for the bucket. A query reads, per n-gram,
the 8 bytes of its bucket's two offsets and then the bucket, by HTTP Range requests (a server
without Range sends the whole file once); each part's postings are masked by the deletion lists of
the segments after its own (kb.search_index.segments).

An edit rewrites this one file: the kept segments' parts are copied from the previous file (no
postings recomputed) and the new segment's parts appended, bucket by bucket (numpy gathers). Its
size stays bounded by the merge policy (segments.merged: past MERGE_SHARE of the records in small
segments everything becomes a new base). The buckets are as many as the base's shards (at least
MIN_BUCKETS d and twice as many p): a bucket then holds about MERGE_SHARE of a base shard's bytes.
"""

from __future__ import annotations

import numpy as np

from kb.search_index.grams import Blocks, varints
from kb.search_index.state import StateCorrupt

MIN_BUCKETS = 256  # d buckets (p: twice as many) of a small base's delta file
OFFSET = np.dtype("<u4")


def bucket_counts(base: tuple[int, int]) -> tuple[int, int]:
    """The d and p buckets of the delta file of a base with `base` shards."""
    d = max(base[0], MIN_BUCKETS)
    return d, 2 * d


def read_varints(data: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The varint starting at each index of `at`, and the index after it (StateCorrupt past the end)."""
    value = np.zeros(len(at), dtype=np.int64)
    going = np.ones(len(at), dtype=bool)
    at = at.copy()
    for k in range(5):
        if np.any(at[going] >= len(data)):
            raise StateCorrupt("delta file: a varint runs past the end")
        byte = data[np.minimum(at, len(data) - 1)].astype(np.int64)
        value[going] |= (byte[going] & 0x7F) << (7 * k)
        at[going] += 1
        going &= byte >= 0x80
        if not going.any():
            return value, at
    raise StateCorrupt("delta file: a varint longer than 5 bytes")


def kept_parts(data: bytes, buckets: int, kept: set[int], known: set[int]) -> np.ndarray:
    """The parts (header and entries) of the segments in `kept` in a previous delta file, as
    (bucket, byte range start, end) rows in file order; StateCorrupt when the file is not a delta
    file of `buckets` buckets whose parts belong to the `known` segments, oldest first."""
    raw = np.frombuffer(data, np.uint8)
    table = 4 * (buckets + 1)
    if len(raw) < table:
        raise StateCorrupt("delta file: shorter than its table")
    offsets = np.frombuffer(data, OFFSET, count=buckets + 1).astype(np.int64)
    if offsets[0] != table or offsets[-1] != len(raw) or np.any(np.diff(offsets) < 0):
        raise StateCorrupt("delta file: bucket offsets")
    at, end = offsets[:-1].copy(), offsets[1:]
    rows, last = [], np.full(buckets, -1, dtype=np.int64)
    live = np.flatnonzero(at < end)
    while len(live):
        ids, after_id = read_varints(raw, at[live])
        lengths, start = read_varints(raw, after_id)
        if not np.isin(ids, list(known)).all() or np.any(ids <= last[live]) or np.any(start + lengths > end[live]):
            raise StateCorrupt("delta file: bucket parts")
        last[live] = ids
        rows.append((live, ids, at[live], start + lengths))
        at[live] = start + lengths
        live = live[at[live] < end[live]]
    if not rows:
        return np.zeros((3, 0), dtype=np.int64)
    bucket, ids, first, stop = (np.concatenate(column) for column in zip(*rows, strict=True))
    keep = np.isin(ids, list(kept))
    order = np.lexsort((ids[keep], bucket[keep]))
    return np.stack((bucket[keep][order], first[keep][order], stop[keep][order]))


def delta_file(previous: bytes | None, kept: set[int], known: set[int], new_id: int | None, new: Blocks | None,
               buckets: int) -> bytes:
    """The delta file: the `kept` segments' parts from the `previous` file (of the `known`
    segments), then segment `new_id`'s buckets `new` (none without it), bucket by bucket."""
    old = np.frombuffer(previous or b"", np.uint8)
    rows = kept_parts(previous, buckets, kept, known) if previous is not None and kept else np.zeros((3, 0), np.int64)
    pieces = [(rows[0], rows[1], rows[2] - rows[1])]
    sources = [old]
    if new is not None and new_id is not None:
        lengths = np.diff(new.bounds)
        filled = np.flatnonzero(lengths)
        header, at = varints(np.stack((np.full(len(filled), new_id), lengths[filled]), axis=1).ravel())
        base = len(old)
        pieces.append((filled, base + at[:-1:2], at[2::2] - at[:-1:2]))  # each part's header
        pieces.append((filled, base + len(header) + new.bounds[filled], lengths[filled]))  # its entries
        sources += [header, new.blob]
    bucket, start, length = (np.concatenate(column).astype(np.int64) for column in zip(*pieces, strict=True))
    order = np.argsort(bucket, kind="stable")  # per bucket: kept parts in file order, then the new header, entries
    bucket, start, length = bucket[order], start[order], length[order]
    source = np.concatenate(sources) if len(sources) > 1 else old
    gather = np.repeat(start - np.concatenate(([0], np.cumsum(length)[:-1])), length) + np.arange(int(length.sum()))
    sizes = np.bincount(bucket, weights=length, minlength=buckets).astype(np.int64)
    table = 4 * (buckets + 1) + np.concatenate(([0], np.cumsum(sizes)))
    if table[-1] >= 1 << 32:
        raise ValueError("search delta file past 4 GB")
    return table.astype(OFFSET).tobytes() + source[gather].tobytes()
