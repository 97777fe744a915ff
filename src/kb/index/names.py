"""Paper names as token sequences: the shared ground of mentions and same-paper detection.

Text is folded (NFKC + case) and cut into tokens: an ASCII word keeps its inner hyphens,
dots, apostrophes and trailing `+` (`r1-searcher`, `qwen2.5`, `lora+`, `flashattention-2`),
and every other letter (kana, kanji) is a token of its own. A word cut short by a hyphen
keeps it (`Zero-/few-shot` gives `zero-`). Two names match only when their token sequences
are equal, so a name inside a longer word (`lora` in `qlora`, `flashattention` in
`flashattention-2`, `zero` in `zero-/few-shot`) never matches.

A name that only its capitals make a name (`ZeRO`, `AnyAnomaly`, `GQA`: no digit, hyphen
or plus), and a one-word title (`Unsloth`), must also be written with the same capitals:
`zero` or `Zero` in a sentence is the word, not the optimizer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from kb.models import Record
from kb.text import fold

_TOKEN = re.compile(r"[0-9a-z]+(?:['.\-][0-9a-z]+)*(?:\++|-+)?|[^\W\d_a-z]|\d+", re.UNICODE)
_CASED_TOKEN = re.compile(_TOKEN.pattern, re.UNICODE | re.IGNORECASE)
_SPELLED = re.compile(r"\d|[-+]")
_ONE_WORD = re.compile(r"[A-Za-z]{4,}")  # a one-word title (`Unsloth`, `tsuzumi`) names a tool, in its capitals
_SHORT_SPLIT = re.compile(r"(?<!\s)\s*+[:：]\s")  # a run of spaces is tried once, from its start
_CODED = re.compile(r".[A-Z]|\d|[-+]")
MIN_TITLE_TOKENS = 3
MAX_SHORT_TOKENS = 4


@dataclass(frozen=True)
class Name:
    """A record's name as tokens; `cased` when it must also be written with these capitals."""

    words: tuple[str, ...]
    cased: tuple[str, ...] | None = None


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(text)))


def cased_tokens(text: str) -> tuple[str, ...]:
    """The tokens of `tokens`, capitals kept (NFKC only); ASCII words line up one to one."""
    return tuple(_CASED_TOKEN.findall(unicodedata.normalize("NFKC", text)))


def name_of(text: str) -> Name:
    """The Name for a title or short name: case-sensitive when only its capitals code it."""
    words = tokens(text)
    cased = cased_tokens(text) if not _SPELLED.search(text) and len(words) <= MAX_SHORT_TOKENS else None
    return Name(words, cased if cased and len(cased) == len(words) else None)


def short_name(title: str) -> str | None:
    """The coined name before a title's colon (`R1-Searcher`, `LoRA+`), if it looks like one.

    A plain word (`Survey: ...`, `Position: ...`) is too common to be a name: a short
    name must have an inner capital, a digit, a hyphen or a plus.
    """
    parts = _SHORT_SPLIT.split(title.strip(), maxsplit=1)
    if len(parts) < 2 and "：" in title:
        parts = title.split("：", 1)
    if len(parts) < 2:
        return None
    name = parts[0].strip()
    count = len(tokens(name))
    return name if 1 <= count <= MAX_SHORT_TOKENS and _CODED.search(name) else None


def names_of(record: Record) -> list[Name]:
    """The names (token sequences) of this record's paper in another note's text."""
    return list(title_names(record.title))


@lru_cache(maxsize=1 << 16)
def title_names(title: str) -> tuple[Name, ...]:
    """names_of, by title: worked out once per title and process (kb serve asks at every rebuild
    for all 10,000 records)."""
    found = []
    words = tokens(title)
    if len(words) >= MIN_TITLE_TOKENS:
        found.append(Name(words))
    elif words and (_CODED.search(title) or _ONE_WORD.fullmatch(title.strip())):
        found.append(name_of(title))
    short = short_name(title)
    if short:
        found.append(name_of(short))
    return tuple(dict.fromkeys(name for name in found if name.words))
