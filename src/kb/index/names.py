"""Paper names as token sequences: the shared ground of mentions and same-paper detection.

Text is folded (NFKC + case) and cut into tokens: an ASCII word keeps its inner hyphens,
dots, apostrophes and trailing `+` (`r1-searcher`, `qwen2.5`, `lora+`, `flashattention-2`),
and every other letter (kana, kanji) is a token of its own. Two names match only when
their token sequences are equal, so a name inside a longer word (`lora` in `qlora`,
`flashattention` in `flashattention-2`) never matches.
"""

from __future__ import annotations

import re

from kb.models import Record
from kb.text import fold

_TOKEN = re.compile(r"[0-9a-z]+(?:['.\-][0-9a-z]+)*\+*|[^\W\d_a-z]|\d+", re.UNICODE)
_SHORT_SPLIT = re.compile(r"\s*[:：]\s")
_CODED = re.compile(r".[A-Z]|\d|[-+]")
MIN_TITLE_TOKENS = 3
MAX_SHORT_TOKENS = 4


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(text)))


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


def names_of(record: Record) -> list[tuple[str, ...]]:
    """The token sequences that name this record's paper in another note's text."""
    found = []
    title = tokens(record.title)
    if len(title) >= MIN_TITLE_TOKENS or (title and _CODED.search(record.title)):
        found.append(title)
    short = short_name(record.title)
    if short:
        found.append(tokens(short))
    return list(dict.fromkeys(name for name in found if name))
