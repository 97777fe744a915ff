"""The new postings blocks of a build, kept in anonymous temporary files until the site is written.

A clean index of 10,000 notes makes ~170 MB of postings between computing them and writing the
shard files; held in memory, they pushed the whole build past 1 GB. Each batch's blocks go to a
file as they come; then they are regrouped shard after shard (a shard's blocks in batch order),
so a shard file reads its new blocks with one pread, from the build process or a forked writer
alike (the files are unnamed and gone when closed).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from kb.search_index.grams import Blocks

GROUP = 1024  # shards regrouped at a time (bounds the temporary arrays)


class SpilledBlocks:
    """Blocks of several batches (added in batch order) of one kind."""

    def __init__(self, shards: int) -> None:
        self.shards = shards
        self.bounds: list[np.ndarray] = []  # each batch's shard bounds in its blob
        self.by_batch = tempfile.TemporaryFile(prefix="kb-search-")
        self.file = None
        self.lengths = np.zeros((0, shards), np.int64)
        self.starts = np.zeros(shards + 1, np.int64)

    def add(self, blocks: Blocks) -> None:
        self.by_batch.write(blocks.blob.tobytes())
        self.bounds.append(blocks.bounds)

    def regroup(self) -> None:
        """Rewrite the blocks shard after shard (then shard s is one range of the file). One batch's
        blocks are so already (an edit's small segment: 24 regrouping passes saved)."""
        if len(self.bounds) == 1:
            self.lengths = np.diff(self.bounds[0])[None, :]
            self.starts = np.asarray(self.bounds[0], np.int64)
            self.by_batch.flush()
            self.file = self.by_batch
            return
        if self.bounds:
            self.lengths = np.diff(np.stack(self.bounds), axis=1)
            self.starts = np.concatenate(([0], np.cumsum(self.lengths.sum(0))))
            self.file = tempfile.TemporaryFile(prefix="kb-search-")
            offsets = np.concatenate(([0], np.cumsum([b[-1] for b in self.bounds])))
            self.by_batch.flush()
            for first in range(0, self.shards, GROUP):
                self.file.write(self.shard_major(offsets, first, min(self.shards, first + GROUP)).tobytes())
            self.file.flush()
        self.by_batch.close()

    def shard_major(self, offsets: np.ndarray, first: int, last: int) -> np.ndarray:
        """Shards first .. last - 1 of every batch, reordered shard after shard."""
        fd = self.by_batch.fileno()
        pieces = [np.frombuffer(os.pread(fd, int(b[last] - b[first]), int(offsets[i] + b[first])), np.uint8)
                  for i, b in enumerate(self.bounds)]
        joined = np.concatenate(pieces)
        piece_start = np.concatenate(([0], np.cumsum([len(p) for p in pieces])[:-1]))
        starts = np.stack([b[first:last] - b[first] for b in self.bounds]) + piece_start[:, None]
        order_starts, order_lengths = starts.T.ravel(), self.lengths[:, first:last].T.ravel()
        index = np.int32 if len(joined) < 1 << 31 else np.int64  # half the bytes to move
        moved = np.repeat((order_starts - np.concatenate(([0], np.cumsum(order_lengths)[:-1]))).astype(index),
                          order_lengths)
        moved += np.arange(len(moved), dtype=index)
        return joined[moved]

    def shard(self, shard: int) -> bytes:
        """Every batch's block of `shard`, one after the other."""
        size = int(self.starts[shard + 1] - self.starts[shard])
        return os.pread(self.file.fileno(), size, int(self.starts[shard])) if size else b""

    def blocks(self) -> Blocks:
        """Every shard's blocks, shard after shard, in memory (a small segment's)."""
        size = int(self.starts[-1])
        blob = np.frombuffer(os.pread(self.file.fileno(), size, 0), np.uint8) if size else np.zeros(0, np.uint8)
        return Blocks(blob, self.starts)
