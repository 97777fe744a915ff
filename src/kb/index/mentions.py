"""Mentions: record A mentions record B when A's text names B's paper.

One pass over each record's tokens against a dictionary of names (token tuples), so the
cost grows with the amount of text, not with the number of record pairs.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from kb.index.names import names_of, tokens
from kb.models import Record

TEXT_FIELDS = ("headline", "summary", "problem", "approach", "results", "limitations", "technical",
               "costs", "references", "tweet", "comment")


class NameIndex:
    """Token-tuple names -> record ids, with the name lengths to try at each first token."""

    def __init__(self, records: list[Record]) -> None:
        self.ids: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.lengths: dict[str, set[int]] = defaultdict(set)
        for record in records:
            for name in names_of(record):
                self.ids[name].add(record.id)
                self.lengths[name[0]].add(len(name))

    def find(self, words: tuple[str, ...]) -> set[str]:
        """Ids of every record whose name occurs in words as a whole token run."""
        found: set[str] = set()
        lengths, ids = self.lengths, self.ids
        if lengths.keys().isdisjoint(words):
            return found
        for start in [i for i, word in enumerate(words) if word in lengths]:
            for length in lengths[words[start]]:
                hit = ids.get(words[start:start + length])
                if hit:
                    found |= hit
        return found


def record_words(record: Record) -> tuple[str, ...]:
    """Tokens of the record's own text (title excluded), fields separated by a blank token."""
    parts = [getattr(record, name) or "" for name in TEXT_FIELDS]
    parts += [f"{section.heading}\n{section.body}" for section in record.sections]
    words: list[str] = []
    for part in parts:
        words.extend(tokens(part))
        words.append("\n")
    return tuple(words)


def text_digest(record: Record) -> str:
    """A hash of exactly the text record_words reads."""
    h = hashlib.blake2b(digest_size=20)
    for name in TEXT_FIELDS:
        h.update((getattr(record, name) or "").encode() + b"\x00")
    for section in record.sections:
        h.update(f"{section.heading}\n{section.body}".encode() + b"\x01")
    return h.hexdigest()


def names_digest(index: NameIndex) -> str:
    h = hashlib.blake2b(digest_size=20)
    for name in sorted(index.ids):
        h.update("\x1f".join(name).encode() + b"\x00" + "\x1f".join(sorted(index.ids[name])).encode() + b"\x01")
    return h.hexdigest()


def link_mentions(records: list[Record], memo: dict[str, frozenset[str]] | None = None) -> None:
    """Fill `mentions` and `mentioned_by` (sorted ids); never self, never the same paper.

    `memo` (kept by the build cache) maps (record text, every name) hashes to what find()
    returned, so a rebuild that changed no title re-reads only the changed records' text.
    """
    index = NameIndex(records)
    names = names_digest(index) if memo is not None else ""
    used: dict[str, frozenset[str]] = {}
    mentioned_by: dict[str, set[str]] = defaultdict(set)
    for record in records:
        excluded = {record.id, *record.same_as}
        if memo is None:
            found = index.find(record_words(record))
        else:
            key = names + text_digest(record)
            found = memo.get(key)
            if found is None:
                found = frozenset(index.find(record_words(record)))
            used[key] = found
        record.mentions = sorted(found - excluded)
        for other in record.mentions:
            mentioned_by[other].add(record.id)
    for record in records:
        record.mentioned_by = sorted(mentioned_by.get(record.id, ()))
    if memo is not None:
        memo.clear()
        memo.update(used)
