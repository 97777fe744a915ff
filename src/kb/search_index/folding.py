"""kb.text.fold (casefold of NFKC) for a whole batch of texts at once, as code points in numpy.

Most characters fold on their own into one character (full-width to ASCII, upper to lower case),
and a text made only of such characters folds character by character: a table lookup. A text
holding any other character (one folding into several, a combining mark, a character NFKC may
compose with the one before it, a supplementary character other than a pictograph) is folded by
kb.text.fold itself. Folding was a third of a clean index's time; tests/test_search_index.py
checks this agrees with kb.text.fold.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

from kb.text import fold

BMP = 0x10000
EMOJI = range(0x1F000, 0x1FB00)  # pictographs: each folds alone (no NFKC composition involves them)
TABLE = EMOJI.stop  # the tables cover the BMP and EMOJI; other characters fold by kb.text.fold


@lru_cache(maxsize=1)
def composition_seconds() -> frozenset[int]:
    """Characters NFKC may compose with the character before them (the second of a canonical pair)."""
    seconds = {c for c in range(0x1161, 0x1176)} | {c for c in range(0x11A8, 0x11C3)}  # Hangul V and T jamo
    for code in range(BMP):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    return frozenset(seconds)


def folds_alone(ch: str, folded: str) -> bool:
    """`ch` folds into the one character `folded` whatever stands around it."""
    seconds = composition_seconds()
    first = unicodedata.normalize("NFKD", ch)[:1]
    return (len(folded) == 1 and not unicodedata.combining(ch) and ord(ch) not in seconds
            and not (first and (unicodedata.combining(first) or ord(first) in seconds))
            and not unicodedata.combining(folded) and ord(folded) not in seconds)


@lru_cache(maxsize=1)
def fold_tables() -> tuple[np.ndarray, np.ndarray]:
    """For every code point below TABLE: what it folds into, and whether it folds alone (else
    False: surrogates and the supplementary characters outside EMOJI)."""
    table = np.arange(TABLE, dtype=np.uint32)
    alone = np.zeros(TABLE, dtype=bool)
    for code in (*range(BMP), *EMOJI):
        if 0xD800 <= code < 0xE000:
            continue
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if folds_alone(ch, folded):
            table[code], alone[code] = ord(folded), True
    return table, alone


def folded_code_points(pieces: list[str], tables: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The code points of fold(piece) for every piece, joined, and each piece's folded length
    (without `tables`, by kb.text.fold alone: one batch folds faster than the tables are made)."""
    if not tables:
        pieces = [fold(p) for p in pieces]
        return (np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32),
                np.array([len(p) for p in pieces], dtype=np.int64))
    table, alone = fold_tables()
    cp = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.array([len(p) for p in pieces], dtype=np.int64)
    odd = np.flatnonzero(~alone[np.minimum(cp, TABLE - 1)] | (cp >= TABLE))
    if len(odd) == 0:
        return table[cp], lengths
    piece_of = np.searchsorted(np.cumsum(lengths), odd, side="right")
    bad = np.zeros(len(pieces), dtype=bool)
    bad[piece_of] = True
    pieces = [fold(p) if odd else p for p, odd in zip(pieces, bad.tolist(), strict=True)]
    lengths = np.array([len(p) for p in pieces], dtype=np.int64)
    cp = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32).copy()
    good = ~np.repeat(bad, lengths)
    cp[good] = table[cp[good]]
    return cp, lengths
