"""Record-level `d` entries for frequent n-grams (kb.search_index.grams writes the others).

A trigram in COMMON_SHARE of the base's records (update.common_grams) and a four-gram made of
two such trigrams get a `d` entry (records and best region, like a character or a pair of
characters), so a frequent word of three or four characters (`lora`, `学習率`) costs a few
kilobytes instead of its positions.
"""

from __future__ import annotations

import numpy as np

from kb.search_index.grams import Batch, Blocks, TrigramRuns, doc_stream


def packed_trigrams(batch: Batch, at: np.ndarray) -> np.ndarray:
    """The trigram starting at each index of `at` as one integer of its code points (21 bits each)."""
    cp = batch.cp.astype(np.uint64)
    return (cp[at] << np.uint64(42)) | (cp[at + 1] << np.uint64(21)) | cp[at + 2]


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (a sort: much faster than np.unique's hashing here)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def trigram_records(batch: Batch) -> np.ndarray:
    """Each trigram (packed) once per record of the batch that holds it."""
    at = batch.gram(3)
    ids, dense = batch.dense
    bits = np.uint64(max(1, int(len(ids) - 1).bit_length()))
    rows = np.uint64(max(1, int(len(batch.numbers) - 1).bit_length()))
    if 3 * int(bits) + int(rows) > 64:
        return distinct(packed_trigrams(batch, at))  # (never with batches of 128 records)
    key = np.zeros(len(at), dtype=np.uint64)
    for k in range(3):
        key = (key << bits) | dense[at + k].astype(np.uint64)
    key = distinct((key << rows) | batch.row[at].astype(np.uint64)) >> rows
    mask = (np.uint64(1) << bits) - np.uint64(1)
    cp = [ids[((key >> (bits * np.uint64(2 - k))) & mask).astype(np.int64)] for k in range(3)]
    return (cp[0] << np.uint64(42)) | (cp[1] << np.uint64(21)) | cp[2]


def common_postings(batch: Batch, runs: TrigramRuns, shards: int, common: np.ndarray) -> Blocks:
    """`d` entries (records and best region, as for one or two characters) of the trigrams in
    `common` (packed, ascending) and of the four-grams whose two trigrams are both in it: a query
    word of three or four characters made of common trigrams is answered by one entry, without
    positions. The trigrams' entries come from the sorted runs the positions are written from; the
    four-grams, much fewer, are sorted on their own."""
    cols = runs.head_code_points(batch)
    packed = (cols[0] << np.uint64(42)) | (cols[1] << np.uint64(21)) | cols[2]
    found = np.minimum(np.searchsorted(common, packed), max(len(common) - 1, 0))
    is_common = common[found] == packed if len(common) else np.zeros(len(packed), dtype=bool)
    flagged = np.zeros(len(batch.cp) + 1, dtype=bool)  # a common trigram starts here
    flagged[runs.at] = np.repeat(is_common, np.diff(np.append(runs.heads, len(runs.at))))
    at4 = np.flatnonzero(flagged[:-1] & flagged[1:])
    runs_per_trigram = np.diff(np.append(np.searchsorted(runs.docs, runs.heads), len(runs.docs)))
    trigram_of_run = np.repeat(np.arange(len(runs.heads)), runs_per_trigram)
    kept = np.flatnonzero(is_common[trigram_of_run])  # the (common trigram, record) runs
    last = np.append(runs.docs[1:], len(runs.at))[kept] - 1
    new_key = np.zeros(len(runs.at), dtype=bool)
    new_key[runs.heads] = True
    three = (np.full(len(kept), 3), [c[trigram_of_run[kept]] for c in cols] + [np.zeros(len(kept), np.uint64)],
             batch.doc[runs.at[runs.docs[kept]]], batch.region[runs.at[last]], new_key[runs.docs[kept]])
    ids, dense = batch.dense
    bits = max(1, int(len(ids) - 1).bit_length())
    four = gram_entries(batch, at4, 4, ids, dense, bits, batch.region.astype(np.uint64))
    n, doc, best, heads = (np.concatenate((three[k], four[k])) for k in (0, 2, 3, 4))
    columns = [np.concatenate((three[1][k], four[1][k])) for k in range(4)]
    return doc_stream(n, columns, doc, best, heads, shards)


def gram_entries(batch: Batch, at: np.ndarray, n: int, ids: np.ndarray, dense: np.ndarray, bits: int,
                 region: np.ndarray):
    """Each distinct (n-gram, record) at `at` with its best region, n-gram after n-gram, and where
    each n-gram starts. Dense character ids, record row and region packed in one integer when they
    fit in 64 bits (a batch of 128 records holds far fewer than 2**13 distinct characters), else
    sorted as rows."""
    rows = max(1, int(len(batch.numbers) - 1).bit_length())
    parts = [dense[at + k].astype(np.uint64) for k in range(n)] + [batch.row[at].astype(np.uint64), region[at]]
    widths = [bits] * n + [rows, 2]
    if sum(widths) <= 64:
        packed = np.zeros(len(at), dtype=np.uint64)
        for part, width in zip(parts, widths, strict=True):
            packed = (packed << np.uint64(width)) | part
        packed = distinct(packed)
        parts = [(packed >> np.uint64(sum(widths[k + 1:]))) & np.uint64((1 << width) - 1)
                 for k, width in enumerate(widths)]
    else:
        parts = list(np.unique(np.stack(parts), axis=1))
    same_pair = np.ones(len(parts[0]), dtype=bool)  # rows of one (n-gram, record): the first has its best region
    same_gram = np.ones(len(parts[0]), dtype=bool)
    for k in range(n):
        same_gram[1:] &= parts[k][1:] == parts[k][:-1]
    same_pair[1:] = same_gram[1:] & (parts[n][1:] == parts[n][:-1])
    first = ~same_pair
    first[0:1] = True
    heads = ~same_gram[first]
    heads[0:1] = True
    columns = [ids[parts[k][first].astype(np.int64)] if k < n else np.zeros(int(first.sum()), np.uint64)
               for k in range(4)]
    doc = batch.numbers[parts[n][first].astype(np.int64)]
    return np.full(len(doc), n), columns, doc, parts[n + 1][first].astype(np.int64), heads


