"""What one record may ask of the site: a bounded number of tag pages, links only to the web.

Every tag of a record gets a page listing the record, so a note with 10,000 tags (93 KB) made
10,000 pages and, with every list entry printing every tag, a 6.0 GB site. A record keeps its first
MAX_TAGS tags as tags; the others stay in the record, as plain text in a section of their own
(nothing a note says is dropped), and the note gets a warning at its `file:line`. A `url` that is
not http(s) (`javascript:`, `data:`, `file:`) is never linked; `kb check` says so.
"""

from __future__ import annotations

import re

from kb.i18n import N_
from kb.models import Diagnostic, ParsedNote, Record, Section, Severity
from kb.text import excerpt

MAX_TAGS = 50
MORE_TAGS = "その他のタグ"
WEB = re.compile(r"https?://|mailto:", re.IGNORECASE)  # what kb links (kb.search.SAFE_URL)


def bounded(note: ParsedNote) -> ParsedNote:
    """The note with each record's tags capped at MAX_TAGS, and a warning per capped record or
    address kb will not link."""
    warnings = [too_many_tags(note.path, record) for record in note.records if len(record.tags) > MAX_TAGS]
    warnings += [not_a_web_address(note.path, record) for record in note.records
                 if record.url and not WEB.match(record.url.strip())]
    if not warnings:
        return note
    records = [capped(record) if len(record.tags) > MAX_TAGS else record for record in note.records]
    return note.model_copy(update={"records": records, "diagnostics": [*note.diagnostics, *warnings]})


def not_a_web_address(path: str, record: Record) -> Diagnostic:
    return Diagnostic(path=path, line=record.source.line_start, severity=Severity.WARNING,
                      message=N_("url of {title} is not an http(s) address: kb does not link it (write the "
                                 "paper's https:// address)", title=repr(excerpt(record.title, 60))),
                      text=record.url or "")


def capped(record: Record) -> Record:
    rest = Section(heading=MORE_TAGS, body=" ".join(f"`{tag}`" for tag in record.tags[MAX_TAGS:]),
                   line=record.source.line_start)
    return record.model_copy(update={"tags": record.tags[:MAX_TAGS], "sections": [*record.sections, rest]})


def too_many_tags(path: str, record: Record) -> Diagnostic:
    extra = len(record.tags) - MAX_TAGS
    return Diagnostic(path=path, line=record.source.line_start, severity=Severity.WARNING,
                      message=N_("{count} tags on one record: the first {kept} are its tags (each has a page), "
                                 "the other {extra} are kept as text in its section '{section}'; split the note or "
                                 "use fewer tags", count=format(len(record.tags), ","), kept=MAX_TAGS,
                                 extra=format(extra, ","), section=MORE_TAGS))
