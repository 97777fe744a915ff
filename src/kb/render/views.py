"""What a page may show of a record: the whole record with its site facts, or its list entry.

    Facts   the site's facts about one record that its page prints: links to its tags,
            authors, venue, meeting and note line, its citation key (kb.render.site.Site.facts)
    Item    a record as every list shows it: title, kind, date, topic tags, one line
            (kb.render.site.Site.item)
    Brief   a record as a related-records box and a link graph name it: title, kind, date

A list page is given Items, never records, so it cannot show (or silently depend on) a field
its declared inputs do not cover (kb.render.inputs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kb.models import Compute


@dataclass(frozen=True)
class Link:
    """A name and its page (None when the name has no page)."""

    name: str
    page: str | None


@dataclass(frozen=True)
class Brief:
    """A record named in passing (a related-records box, a link graph): a page that shows no more
    than this is not made again when the record's summary or tags change."""

    id: str
    page: str
    title: str
    kind: str
    issue_date: dt.date | None
    date_inferred: bool


@dataclass(frozen=True)
class Facts:
    topic_tags: tuple[Link, ...]
    filing_tags: tuple[Link, ...]
    authors: tuple[Link, ...]
    venue: Link | None
    meeting_page: str | None
    source_link: str | None
    bib_key: str | None
    paper_page: str | None = None  # the page gathering every note of its paper (kb.index.papers)
    added: dt.date | None = None  # when the record was added (kb.index.added)


@dataclass(frozen=True)
class Item(Brief):
    """A record as a list shows it: its Brief, and what a list entry shows besides."""

    tags: tuple[Link, ...]  # topic tags only (bookkeeping labels are not a list's business)
    presenter: str | None
    venue: str | None
    line: str  # the one-line summary (kb.render.summary.noted_line), "" when the record has none
    compute: tuple[Compute, ...]
    added: dt.date | None = None  # when the record was added (kb.index.added)
