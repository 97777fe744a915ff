"""The registry of note formats.

Each format module has `NAME`, `DESCRIPTION`, `detect(text) -> float` (0 = surely not,
1 = surely this) and `parse(source) -> ParsedNote`. Parsers return diagnostics instead of
raising; `parse_source` still catches anything unexpected so one bad note never stops the
others.
"""

from __future__ import annotations

from types import ModuleType

from kb.discover import SourceFile
from kb.formats import blog, listing, minutes, native, summaries
from kb.models import Diagnostic, ParsedNote, Residue, Severity

FORMATS: dict[str, ModuleType] = {
    module.NAME: module for module in (native, summaries, minutes, listing, blog)
}
MIN_SCORE = 0.3


def detect_format(text: str) -> tuple[str | None, float]:
    """The best-scoring format for this text (first registered wins a tie)."""
    best_name, best_score = None, 0.0
    for name, module in FORMATS.items():
        try:
            score = module.detect(text)
        except Exception:  # a detector bug must not stop the other notes
            score = 0.0
        if score > best_score:
            best_name, best_score = name, score
    if best_score < MIN_SCORE:
        return None, best_score
    return best_name, best_score


def unrecognised(source: SourceFile, message: str) -> ParsedNote:
    """A note no parser takes: one error, and every non-blank line kept as residue."""
    residue = [Residue(line=i, text=t) for i, t in enumerate(source.lines, 1) if t.strip()]
    error = Diagnostic(path=source.path, line=1, severity=Severity.ERROR, message=message)
    return ParsedNote(path=source.path, format="unknown", residue=residue, diagnostics=[error])


def parse_source(source: SourceFile, forced: str | None = None) -> ParsedNote:
    """Parse one note with the forced format, or the one its content looks like."""
    if forced is not None and forced not in FORMATS:
        known = ", ".join(FORMATS)
        return unrecognised(source, f"format {forced!r} is not known (expected one of: {known})")
    name = forced or detect_format(source.text)[0]
    if name is None:
        known = ", ".join(f"{n} ({m.DESCRIPTION})" for n, m in FORMATS.items())
        return unrecognised(source, f"could not recognise the note's format; expected one of: {known}")
    try:
        return FORMATS[name].parse(source)
    except Exception as exc:  # a parser bug must not stop the other notes
        return unrecognised(source, f"the {name} parser failed on this note: {type(exc).__name__}: {exc}")
