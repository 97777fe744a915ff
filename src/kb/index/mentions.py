"""Mentions: record A mentions record B when A's text names B's paper.

One pass over each record's tokens against a dictionary of names (token tuples), so the
cost grows with the amount of text, not with the number of record pairs.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from functools import lru_cache

from kb.formats.listing import LINK_SECTION
from kb.index.names import cased_tokens, names_of
from kb.models import Record
from kb.text import fold

_INNER_HYPHEN = re.compile(r"(?<=[0-9a-zA-Z])-(?=[0-9a-zA-Z])")
TEXT_FIELDS = ("headline", "summary", "problem", "approach", "results", "limitations", "technical",
               "costs", "references", "tweet", "comment")


class NameIndex:
    """Token-tuple names -> (record id, capitals it must be written with), with the name
    lengths to try at each first token."""

    def __init__(self, records: list[Record]) -> None:
        self.ids: dict[tuple[str, ...], set[tuple[str, tuple[str, ...] | None]]] = defaultdict(set)
        self.lengths: dict[str, set[int]] = defaultdict(set)
        for record in records:
            for name in names_of(record):
                words = joined(name.words)
                self.ids[words].add((record.id, joined(name.cased) if name.cased else None))
                self.lengths[words[0]].add(len(words))

    def find(self, text: tuple[tuple[str, ...], tuple[str, ...]]) -> set[str]:
        """Ids of every record whose name occurs in the text as a whole token run.

        `text` is (folded tokens, the same tokens with their capitals), from `record_words`."""
        words, cased = text
        found: set[str] = set()
        lengths, ids = self.lengths, self.ids
        if lengths.keys().isdisjoint(words):
            return found
        for start in [i for i, word in enumerate(words) if word in lengths]:
            for length in lengths[words[start]]:
                for record_id, spelled in ids.get(words[start:start + length], ()):
                    if spelled is None or cased[start:start + length] == spelled:
                        found.add(record_id)
        return found


def joined(words) -> tuple[str, ...]:
    """Inner hyphens dropped, so `FlashAttention2` names `FlashAttention-2` (a trailing hyphen,
    `Zero-` of `Zero-/few-shot`, stays: that word goes on)."""
    return tuple(_INNER_HYPHEN.sub("", word) if "-" in word else word for word in words)


def own_sections(record: Record) -> list:
    """The sections of the record's own words: not the tag page's printed title line (the
    record's title restated, `Efficient Attention Mechanisms ...` would mention `Efficient Attention`)."""
    return [section for section in record.sections if section.heading != LINK_SECTION]


def record_words(record: Record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Tokens of the record's own text (title excluded), fields separated by a blank token:
    (folded, with capitals)."""
    parts = [getattr(record, name) or "" for name in TEXT_FIELDS]
    parts += [f"{section.heading}\n{section.body}" for section in own_sections(record)]
    cased: list[str] = []
    for part in parts:
        cased.extend(cased_tokens(part))
        cased.append("\n")
    forms = list(map(word_forms, cased))
    return tuple(folded for _, folded in forms), tuple(word for word, _ in forms)


@lru_cache(maxsize=1 << 18)
def word_forms(word: str) -> tuple[str, str]:
    """A token with inner hyphens dropped (`joined`), and that folded (kb.text.fold). Notes'
    words repeat: computing each once per process made mention detection 3x faster."""
    word = _INNER_HYPHEN.sub("", word) if "-" in word else word
    return word, fold(word)


def text_digest(record: Record) -> str:
    """A hash of exactly the text record_words reads."""
    h = hashlib.blake2b(digest_size=20)
    for name in TEXT_FIELDS:
        h.update((getattr(record, name) or "").encode() + b"\x00")
    for section in own_sections(record):
        h.update(f"{section.heading}\n{section.body}".encode() + b"\x01")
    return h.hexdigest()


def names_digest(index: NameIndex) -> str:
    h = hashlib.blake2b(digest_size=20)
    for name in sorted(index.ids):
        spelled = sorted(f"{record_id}\x1e{' '.join(cased or ())}" for record_id, cased in index.ids[name])
        h.update("\x1f".join(name).encode() + b"\x00" + "\x1f".join(spelled).encode() + b"\x01")
    return h.hexdigest()


def link_mentions(records: list[Record], same_as: dict[str, list[str]],
                  memo: dict[str, frozenset[str]] | None = None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each record's `mentions` and `mentioned_by` (sorted ids); never self, never the same paper.

    `memo` (kept by the build cache) maps (record text, every name) hashes to what find()
    returned, so a rebuild that changed no title re-reads only the changed records' text.
    """
    index = NameIndex(records)
    names = names_digest(index) if memo is not None else ""
    used: dict[str, frozenset[str]] = {}
    mentions: dict[str, list[str]] = {}
    mentioned_by: dict[str, set[str]] = defaultdict(set)
    for record in records:
        found = found_in(record, index, names, memo, used)
        mentions[record.id] = sorted(found - {record.id, *same_as.get(record.id, ())})
        for other in mentions[record.id]:
            mentioned_by[other].add(record.id)
    if memo is not None:
        memo.clear()
        memo.update(used)
    return mentions, {record.id: sorted(mentioned_by.get(record.id, ())) for record in records}


def found_in(record: Record, index: NameIndex, names: str, memo: dict | None, used: dict) -> frozenset[str]:
    """The ids the record's text names (from the memo when its text and every name are unchanged)."""
    if memo is None:
        return frozenset(index.find(record_words(record)))
    key = names + text_digest(record)
    found = memo.get(key)
    if found is None:
        found = frozenset(index.find(record_words(record)))
    used[key] = found
    return found
