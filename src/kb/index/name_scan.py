"""Finding every name in a text in one pass: an Aho-Corasick automaton over token strings.

The mention rule (kb.index.names) compares token sequences: the text's tokens (NFKC, capitals
kept, inner hyphens dropped, then folded) against each name's tokens. Here the text's tokens are
cut by one regular-expression call per field and joined with single spaces, and the whole line is
case-folded at once; a name is its tokens joined the same way with a space on each side, so an
automaton hit is exactly a run of whole tokens (`lora` never inside `qlora`). Everything per
character runs in C (NFKC, cutting, joining, folding, pyahocorasick's scan); Python sees only the
hits. A name that must keep its capitals is checked on the unfolded line at the same place, which
folding keeps unless it changes the line's length (`ß` -> `ss`): such a text goes token by token.
tests/test_mentions_scan.py compares both ways on the bundled notes, a generated corpus and random
text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import ahocorasick

from kb.index.names import _CASED_TOKEN
from kb.text import compat_table, drop_inner_hyphens

SEPARATOR = " "  # no token holds a space
PART_END = "\n"  # the token the old reader put after each field: no name holds it


def nfkc(text: str) -> str:
    """NFKC, as kb.text.fold computes it (a table for the characters that change alone)."""
    if text.isascii():
        return text
    mapped = text.translate(compat_table())
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", mapped)


@dataclass(frozen=True)
class TokenLine:
    """A text's tokens with their capitals (`cased`) and folded (`folded`), each joined by SEPARATOR
    with one at each end: the same length, so a hit in one is at the same place in the other."""

    cased: str
    folded: str

    def spelled(self, start: int, end: int) -> tuple[str, ...]:
        """The tokens, capitals kept, of the hit folded[start:end] (with its two separators)."""
        return tuple(self.cased[start + 1:end - 1].split(SEPARATOR))


def token_line(parts: list[str]) -> TokenLine | None:
    """The tokens of the parts as kb.index.mentions.record_words cuts them (NFKC, capitals kept, inner
    hyphens dropped), each part followed by PART_END; None when folding changes the line's length
    (`ß` -> `ss`, `İ` -> `i̇`): hits could then not be placed, and the caller goes token by token."""
    words: list[str] = []
    for part in parts:
        words += _CASED_TOKEN.findall(nfkc(part))
        words.append(PART_END)
    cased = SEPARATOR + SEPARATOR.join(words) + SEPARATOR
    cased = drop_inner_hyphens(cased)
    folded = cased.casefold()
    return TokenLine(cased, folded) if len(folded) == len(cased) else None


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

    def hits(self, line: str) -> list[tuple[int, int, tuple[str, ...], object]]:
        """(start, end, words, value) of every occurrence of a name in the line, separators included."""
        if self.empty:
            return []
        return [(end - length + 1, end + 1, words, value) for end, (length, words, value) in self.automaton.iter(line)]
