"""Mentions: record A mentions record B when A's text names B's paper.

One pass over each record's text with an automaton of all names (kb.index.name_scan), so the
cost grows with the amount of text, not with the number of names or record pairs; `NameIndex.find`
(token by token against a dictionary of names) reads the texts the automaton cannot.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from kb.cache import MentionMemo
from kb.formats.listing import LINK_SECTION
from kb.index.name_scan import NameScanner, token_line
from kb.index.names import cased_tokens, names_of
from kb.models import Record
from kb.text import drop_inner_hyphens, fold

TEXT_FIELDS = ("headline", "summary", "problem", "approach", "results", "limitations", "technical",
               "costs", "references", "tweet", "comment")


class NameIndex:
    """Token-tuple names -> (record id, capitals it must be written with), with the name
    lengths to try at each first token."""

    def __init__(self, records: list[Record]) -> None:
        self.ids: dict[tuple[str, ...], set[tuple[str, tuple[str, ...] | None]]] = defaultdict(set)
        self.lengths: dict[str, set[int]] = defaultdict(set)
        self._scanner: NameScanner | None = None
        for record in records:
            for name in names_of(record):
                words = joined(name.words)
                self.ids[words].add((record.id, joined(name.cased) if name.cased else None))
                self.lengths[words[0]].add(len(words))

    def find_in(self, record: Record) -> set[str]:
        """The entries (entry_key) of every name in the record's own text: `find` in one pass over the
        text (kb.index.name_scan), token by token only for a text it cannot fold whole."""
        text = token_line(text_parts(record))
        if text is None:
            return self.find(record_words(record))
        found: set[str] = set()
        for start, end, words, entries in self.scanner().hits(text.folded):
            for record_id, spelled in entries:
                if spelled is None or text.spelled(start, end) == spelled:
                    found.add(entry_key(words, record_id, spelled))
        return found

    def scanner(self) -> NameScanner:
        if self._scanner is None:
            self._scanner = NameScanner({words: sorted(found, key=str) for words, found in self.ids.items()})
        return self._scanner

    def entries(self) -> frozenset[str]:
        """Every (name, record, capitals) entry, as entry_key strings."""
        return frozenset(entry_key(words, record_id, spelled) for words, found in self.ids.items()
                         for record_id, spelled in found)

    def find(self, text: tuple[tuple[str, ...], tuple[str, ...]]) -> set[str]:
        """The entries (entry_key) of every name that occurs in the text as a whole token run.

        `text` is (folded tokens, the same tokens with their capitals), from `record_words`.
        Each entry is found or not on its own, whatever the other names: so a stored result stays
        right for every name that did not change (MentionMemo)."""
        words, cased = text
        found: set[str] = set()
        lengths, ids = self.lengths, self.ids
        if lengths.keys().isdisjoint(words):
            return found
        for start in [i for i, word in enumerate(words) if word in lengths]:
            for length in lengths[words[start]]:
                name = words[start:start + length]
                for record_id, spelled in ids.get(name, ()):
                    if spelled is None or cased[start:start + length] == spelled:
                        found.add(entry_key(name, record_id, spelled))
        return found


def joined(words) -> tuple[str, ...]:
    """Inner hyphens dropped, so `FlashAttention2` names `FlashAttention-2` (a trailing hyphen,
    `Zero-` of `Zero-/few-shot`, stays: that word goes on)."""
    return tuple(map(drop_inner_hyphens, words))


def own_sections(record: Record) -> list:
    """The sections of the record's own words: not the tag page's printed title line (the
    record's title restated, `Efficient Attention Mechanisms ...` would mention `Efficient Attention`)."""
    return [section for section in record.sections if section.heading != LINK_SECTION]


def text_parts(record: Record) -> list[str]:
    """The record's own text (title excluded), field by field."""
    parts = [getattr(record, name) or "" for name in TEXT_FIELDS]
    return parts + [f"{section.heading}\n{section.body}" for section in own_sections(record)]


def record_words(record: Record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Tokens of the record's own text (title excluded), fields separated by a blank token:
    (folded, with capitals)."""
    cased: list[str] = []
    for part in text_parts(record):
        cased.extend(cased_tokens(part))
        cased.append("\n")
    forms = list(map(word_forms, cased))
    return tuple(folded for _, folded in forms), tuple(word for word, _ in forms)


@lru_cache(maxsize=1 << 18)
def word_forms(word: str) -> tuple[str, str]:
    """A token with inner hyphens dropped (`joined`), and that folded (kb.text.fold). Notes'
    words repeat: computing each once per process made mention detection 3x faster."""
    word = drop_inner_hyphens(word)
    return word, fold(word)


def text_digest(record: Record) -> str:
    """A hash of exactly the text record_words reads."""
    h = hashlib.blake2b(digest_size=20)
    for name in TEXT_FIELDS:
        h.update((getattr(record, name) or "").encode() + b"\x00")
    for section in own_sections(record):
        h.update(f"{section.heading}\n{section.body}".encode() + b"\x01")
    return h.hexdigest()


def entry_key(words: tuple[str, ...], record_id: str, spelled: tuple[str, ...] | None) -> str:
    return "\x1f".join(words) + "\x1e" + record_id + "\x1e" + ("\x1f".join(spelled) if spelled else "")


def entry_id(key: str) -> str:
    return key.split("\x1e")[1]


def entry_words(key: str) -> tuple[str, ...]:
    return tuple(key.split("\x1e")[0].split("\x1f"))


def link_mentions(records: list[Record], same_as: dict[str, list[str]], memo: MentionMemo | None = None,
                  digests: dict[str, str] | None = None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each record's `mentions` and `mentioned_by` (sorted ids); never self, never the same paper.
    `digests` (record id -> text_digest) spares hashing again the texts of unchanged records; it
    is filled with every record's (kb.index.links keeps them for the next build of kb serve)."""
    reader = MatchReader(NameIndex(records), memo, digests)
    mentions: dict[str, list[str]] = {}
    mentioned_by: dict[str, set[str]] = defaultdict(set)
    for record in records:
        found = {entry_id(key) for key in reader.matches(record)}
        mentions[record.id] = sorted(found - {record.id, *same_as.get(record.id, ())})
        for other in mentions[record.id]:
            mentioned_by[other].add(record.id)
    reader.remember()
    return mentions, {record.id: sorted(mentioned_by.get(record.id, ())) for record in records}


class MatchReader:
    """The entries each record's text matches, from the memo where they are still right."""

    def __init__(self, index: NameIndex, memo: MentionMemo | None, digests: dict[str, str] | None = None) -> None:
        self.index, self.memo = index, memo
        self.digests = digests if digests is not None else {}
        self.used: dict[str, frozenset[str]] = {}
        self.names = index.entries() if memo is not None else frozenset()
        self.removed = memo.names - self.names if memo is not None else frozenset()
        added = self.names - memo.names if memo is not None else frozenset()
        found = sorted({entry_words(key) for key in added})
        self.added = [word_patterns(words) for words in found]
        self.ascii = all(word.isascii() for words in found for word in words)

    def matches(self, record: Record) -> frozenset[str]:
        if self.memo is None:
            return frozenset(self.index.find_in(record))
        key = self.digests.get(record.id) or text_digest(record)
        self.digests[record.id] = key
        known = self.memo.matches.get(key)
        if known is None or (self.added and may_contain(record, self.added, self.ascii)):
            found = frozenset(self.index.find_in(record))
        else:
            found = known - self.removed
        self.used[key] = found
        return found

    def remember(self) -> None:
        if self.memo is not None:
            self.memo.matches, self.memo.names = self.used, self.names


def word_patterns(words: tuple[str, ...]) -> list[tuple[str, re.Pattern | None]]:
    """A test per word of a name: the word, and for an ASCII word a search for it as a whole word."""
    return [(w, re.compile(f"(?<![0-9a-z]){re.escape(w)}(?![0-9a-z])") if w.isascii() else None) for w in words]


def holds(text: str, word: str, whole: re.Pattern | None) -> bool:
    return word in text and (whole is None or whole.search(text) is not None)


def may_contain(record: Record, names: list[list[tuple[str, re.Pattern | None]]], ascii_names: bool) -> bool:
    """False only when the record's text cannot hold any of the names: a name's every token,
    hyphen-joined and folded, is then in the whole text treated the same way, an ASCII one
    between non-alphanumerics (the token rule, kb.index.names). For ASCII names and a text with
    no character that NFKC turns into ASCII (full-width letters, ligatures...), case folding alone
    gives the same ASCII at a fraction of the cost."""
    raw = "\n".join(text_parts(record))
    if ascii_names and not has_ascii_lookalike(raw):
        text = drop_inner_hyphens(raw).lower()  # no İ or K here: lower() adds no ASCII
    else:
        text = fold(drop_inner_hyphens(unicodedata.normalize("NFKC", raw)))
    return any(all(holds(text, word, whole) for word, whole in words) for words in names)


TOKEN_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.+-")


@lru_cache(maxsize=1)
def ascii_lookalikes() -> frozenset[str]:
    """Characters that can put into a folded token an ASCII letter, digit or the punctuation a
    token holds (' . + -) without being ASCII: those NFKC or case folding turn into one (ＬｏＲＡ,
    ﬁ, ①, 𝐀, ß, ．...) and combining marks (which NFKC composes with an ASCII letter before
    them). Full-width brackets and colons, which only ever end a token, are not among them."""
    return frozenset(chr(code) for code in range(0x80, 0x20000)
                     if not 0xD800 <= code < 0xE000 and shows_ascii(chr(code)))


@lru_cache(maxsize=1)
def lookalike_table():
    """ascii_lookalikes as a table by code point (numpy booleans, one per code point)."""
    import numpy as np

    table = np.zeros(0x110000, dtype=bool)
    table[[ord(char) for char in ascii_lookalikes()]] = True
    return table


def has_ascii_lookalike(text: str) -> bool:
    """Whether the text holds one of ascii_lookalikes: looked up in C over the text's code points
    (frozenset.isdisjoint made a str object of each character: 1.5 s of adding a note at 10,000)."""
    if text.isascii():
        return False
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return bool(lookalike_table()[codes].any())


def shows_ascii(char: str) -> bool:
    if unicodedata.combining(char):
        return True
    return not TOKEN_ASCII.isdisjoint(unicodedata.normalize("NFKC", char) + char.casefold())
