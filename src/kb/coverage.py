"""Proof that nothing was lost: how much of a note's text is found again in its parse.

Every line of the input, less the layout markers a parser consumes (`Issue Date:`,
`## 1.`, `[View Paper]`, `#` before a tag ...), is cut into pieces at whitespace and
markers. A piece counts as kept when it appears (case- and width-folded, whitespace
ignored) in the note's records, document metadata or residue; a piece that is only
found up to some point (a truncated copy of a longer text) counts for that prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.models import ParsedNote, Record
from kb.text import fold

MARKERS = re.compile(
    r"Issue Date:|\[Paper Note\]|\[View Paper\]|\[blog\]|\[論文\]|今週のTOPIC|メインTOPIC|"
    r"この論文を一言でまとめると|^#{1,6}\s|^\s*(?:[-*+]|\d+\.)\s|^-{3,}$|\|---\|---\||\|"
    r"|Summary|Comment|コメント$|^@|#(?=\S)|[*`>]+|</?div>|・"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Coverage:
    total: int
    kept: int
    lost: list[tuple[int, str]]

    @property
    def ratio(self) -> float:
        return self.kept / self.total if self.total else 1.0


def record_text(record: Record) -> list[str]:
    """Every piece of text a record holds, in no particular order."""
    data = record.model_dump(mode="json", exclude={"source", "sections", "id"})
    parts = [str(v) for v in data.values() if isinstance(v, str | int | float) and v is not None]
    parts += [str(item) for key in ("authors", "tags") for item in data[key]]
    for section in record.sections:
        parts += [section.heading, section.body]
    return parts


def haystack(note: ParsedNote) -> str:
    parts = [text for record in note.records for text in record_text(record)]
    parts += list(note.meta.values()) + [item.text for item in note.residue]
    return _SPACE.sub("", fold("\u0000".join(parts)))


def format_markers(note: ParsedNote) -> re.Pattern[str] | None:
    """The extra layout markers the note's format consumes (`COVERAGE_MARKERS`), if any."""
    from kb.formats import FORMATS

    module = FORMATS.get(note.format)
    return getattr(module, "COVERAGE_MARKERS", None)


def pieces(line: str, extra: re.Pattern[str] | None = None) -> list[str]:
    cut = MARKERS.sub("\u0000", line)
    if extra is not None:
        cut = extra.sub("\u0000", cut)
    return [p for p in re.split(r"[\u0000\s]+", cut) if p]


def kept_length(piece: str, hay: str) -> int:
    """Length of the longest prefix of piece that occurs in hay."""
    if piece in hay:
        return len(piece)
    low, high = 0, len(piece)
    while low < high:
        mid = (low + high + 1) // 2
        if piece[:mid] in hay:
            low = mid
        else:
            high = mid - 1
    return low


def measure(text: str, note: ParsedNote) -> Coverage:
    hay = haystack(note)
    extra = format_markers(note)
    total = kept = 0
    lost: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        for piece in pieces(line, extra):
            folded = fold(piece)
            found = kept_length(folded, hay)
            total += len(folded)
            kept += found
            if found < len(folded):
                lost.append((number, piece))
    return Coverage(total=total, kept=kept, lost=lost)
