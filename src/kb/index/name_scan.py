"""Finding every name in a text in one pass: an Aho-Corasick automaton over token strings.

The mention rule (kb.index.names) compares token sequences: the text's tokens (NFKC, capitals
kept, inner hyphens dropped, then folded) against each name's tokens. Here the text is folded
whole, cut into tokens by one regular-expression call and joined with single spaces; a name is
its tokens joined the same way, with a space on each side, so an automaton hit is exactly a run of
whole tokens (`lora` never inside `qlora`). Everything per character runs in C (folding,
tokenising, joining, pyahocorasick's scan); Python sees only the hits.

Folding the whole text and then cutting it gives the same tokens as cutting it and folding each
token unless the text holds a character whose case folding lengthens it, makes it ASCII, or that
matches an ASCII letter only when case is ignored (`K` the kelvin sign, `ſ`, `İ`, `ß`...): for such a text
(`unsafe`) the caller goes token by token instead. tests/test_mentions_scan.py compares both ways
on the bundled notes, a generated corpus and random text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ahocorasick

from kb.index.names import _CASED_TOKEN, _TOKEN
from kb.text import compat_table

SEPARATOR = " "  # no token holds a space
PART_END = "\n"  # the token the old reader put after each field: no name holds it
_INNER_HYPHEN = re.compile(r"(?<=[0-9a-zA-Z])-(?=[0-9a-zA-Z])")
_ASCII_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


@lru_cache(maxsize=1)
def unsafe_characters() -> frozenset[str]:
    """Characters (after NFKC) for which folding the whole text is not folding token by token: those
    case folding makes longer (`ß` -> `ss`) or ASCII, or moves in or out of a token, and those an
    ignore-case `[a-z]` matches though not ASCII. `Σ` -> `σ`, `É` -> `é` are safe: a letter each way."""
    found = set()
    for code in range(0x80, 0x20000):  # no character above has a case
        char = chr(code)
        if 0xD800 <= code < 0xE000 or (char.lower() == char and char.upper() == char):
            continue
        folded = char.casefold()
        if len(folded) != 1 or folded.isascii() or _ASCII_LETTER.match(char) \
                or (_CASED_TOKEN.fullmatch(char) is None) != (_TOKEN.fullmatch(folded) is None):
            found.add(char)
    return frozenset(found)


def nfkc(text: str) -> str:
    """NFKC, as kb.text.fold computes it (a table for the characters that change alone)."""
    if text.isascii():
        return text
    mapped = text.translate(compat_table())
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", mapped)


@lru_cache(maxsize=1)
def unsafe_pattern() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(char) for char in sorted(unsafe_characters())) + "]")


def token_line(parts: list[str]) -> str | None:
    """The folded, hyphen-joined tokens of the parts, each part followed by PART_END, joined by
    SEPARATOR with one at each end; None when a part holds an unsafe character."""
    unsafe = unsafe_pattern()
    words: list[str] = []
    for part in parts:
        normal = nfkc(part)
        if not normal.isascii() and unsafe.search(normal):
            return None
        words += _TOKEN.findall(normal.casefold())
        words.append(PART_END)
    line = SEPARATOR + SEPARATOR.join(words) + SEPARATOR
    return _INNER_HYPHEN.sub("", line) if "-" in line else line


def name_key(words: tuple[str, ...]) -> str:
    return SEPARATOR + SEPARATOR.join(words) + SEPARATOR


class NameScanner:
    """An automaton of names (token tuples) -> their values; `hits` yields (token index, value)."""

    def __init__(self, names: dict[tuple[str, ...], object]) -> None:
        self.automaton = ahocorasick.Automaton()
        for words, value in names.items():
            self.automaton.add_word(name_key(words), (len(name_key(words)), words, value))
        self.empty = not names
        if not self.empty:
            self.automaton.make_automaton()

    def hits(self, line: str) -> list[tuple[int, tuple[str, ...], object]]:
        """(index of the first token in the line, words, value) for every occurrence of a name,
        in the order of the text."""
        if self.empty:
            return []
        found = sorted((end - length + 1, words, value) for end, (length, words, value) in self.automaton.iter(line))
        located, tokens_before, counted = [], 0, 0
        for start, words, value in found:
            tokens_before += line.count(SEPARATOR, counted, start + 1)
            counted = start + 1
            located.append((tokens_before - 1, words, value))
        return located
