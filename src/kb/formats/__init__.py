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
from kb.formats.limits import bounded
from kb.i18n import N_, Message
from kb.models import Diagnostic, ParsedNote, Residue, Severity

FORMATS: dict[str, ModuleType] = {
    module.NAME: module for module in (native, summaries, minutes, listing, blog)
}
MIN_SCORE = 0.3
NEEDS = {  # what a note lacks when it is closest to a format but not it
    "native": N_("YAML front matter with a title: between '---' lines at the top, or a first line '# title'"),
    "summaries": N_("'## 1.' to '## 8.' question headings under a '# title' line"),
    "minutes": N_("a meeting date on its first line and '@presenter' lines before talk titles"),
    "listing": N_("at least three 'Issue Date:' lines, each after its '#tag' line"),
    "blog": N_("a '紹介論文' line near the top or a 'この論文を一言でまとめると' line"),
}


def detect_format(text: str) -> tuple[str | None, float]:
    """The best-scoring format for this text (first registered wins a tie)."""
    best_name, best_score = closest_format(text)
    if best_score < MIN_SCORE:
        return None, best_score
    return best_name, best_score


def closest_format(text: str) -> tuple[str, float]:
    """The best-scoring format and its score, however low (native when none scores at all)."""
    best_name, best_score = "native", 0.0
    for name, module in FORMATS.items():
        try:
            score = module.detect(text)
        except Exception:  # a detector bug must not stop the other notes
            score = 0.0
        if score > best_score:
            best_name, best_score = name, score
    return best_name, best_score


def unrecognised(source: SourceFile, message: Message) -> ParsedNote:
    """A note no parser takes: one error, and every non-blank line kept as residue."""
    residue = [Residue(line=i, text=t) for i, t in enumerate(source.lines, 1) if t.strip()]
    first = residue[0] if residue else None  # the text shown with the error: the note's first line
    error = Diagnostic(path=source.path, line=1, severity=Severity.ERROR, message=message,
                       text=first.text if first else "")
    return ParsedNote(path=source.path, format="unknown", residue=residue, diagnostics=[error])


def parse_source(source: SourceFile, forced: str | None = None) -> ParsedNote:
    """Parse one note with the forced format, or the one its content looks like."""
    if forced is not None and forced not in FORMATS:
        known = ", ".join(FORMATS)
        return unrecognised(source, N_("format {name} is not known (expected one of: {known})", name=repr(forced),
                                       known=known))
    name = forced or detect_format(source.text)[0]
    if name is None:
        near = closest_format(source.text)[0]
        return unrecognised(source, N_("not a note kb can read (none of its lines is used): closest to the {near} "
                                       "format, which needs {needs}", near=near, needs=NEEDS[near]))
    try:
        return bounded(FORMATS[name].parse(source))
    except Exception as exc:  # a parser bug must not stop the other notes
        return unrecognised(source, N_("the {name} parser failed on this note: {error}", name=name,
                                       error=type(exc).__name__ + ": " + str(exc)))
