"""What the renderer is given: the knowledge base, the note files, the settings, and site paths.

Every site path here is relative to the site root ("records/<id>/index.html"); a page
turns it into a relative link with its own `root` prefix ("../../"), so the site works
under any sub-path and from file://.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import PurePosixPath

from markupsafe import Markup, escape

from kb.config import Settings
from kb.discover import SourceFile
from kb.index import KnowledgeBase
from kb.index.dates import newest_first
from kb.index.groups import Group, group_key, unique_slugs
from kb.index.papers import Paper, papers_of
from kb.models import ParsedNote, Record
from kb.render.graph import all_links
from kb.render.summary import noted_line
from kb.render.views import Facts, Item, Link
from kb.urls import absolute_base, url_for


def root_prefix(page: str) -> str:
    """The way back to the site root from a page: '' at the root, '../../' two folders down."""
    return "../" * page.count("/")


@dataclass(frozen=True)
class NoteFile:
    """One note file as the site shows it: its text, format, date and the records drawn from it."""

    path: str
    slug: str
    format: str
    source: SourceFile = field(compare=False, repr=False)  # its text, read when a page shows it
    date: dt.date | None = None
    record_ids: tuple[str, ...] = ()
    title: str | None = None  # what the note is: the minutes' meeting, a page's title or its first record's title
    spans: tuple[tuple[int, int], ...] = ()  # each record's first and last line, as record_ids

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def page(self) -> str:
        return url_for("note", self.slug)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def numbered_html(self) -> Markup:
        """Every line in its own anchored row (`#L12`), built in one pass (what note.html shows)."""
        return numbered_lines(self.text)


def numbered_lines(text: str) -> Markup:
    rows = [f'<div class="line" id="L{n}"><a class="ln" href="#L{n}" aria-label="{n} 行目">{n}</a>'
            f'<span class="lt">{line}</span></div>\n'
            for n, line in enumerate(escape(text).split("\n"), 1)]
    return Markup("".join(rows))


@lru_cache(maxsize=2)
def note_slugs(paths: tuple[str, ...], prefix: str) -> dict[str, str]:
    """A unique slug per note path, from the path below the notes folder, suffix dropped;
    notes that differ only in their suffix (`foo.md`, `foo.txt`) keep it (`foo-md`, `foo-txt`).
    Kept for the last paths of the process (kb serve: the same 10,000 paths after every edit; never changed)."""
    def inner(path: str) -> str:
        return path[len(prefix):] if prefix and path.startswith(prefix) else path

    shorts = {p: str(PurePosixPath(inner(p)).with_suffix("")) for p in paths}
    count = Counter(shorts.values())
    names = {p: shorts[p] if count[shorts[p]] == 1 else inner(p) for p in paths}
    by_name = unique_slugs(list(names.values()))
    return {p: by_name[names[p]] for p in paths}


def note_date(note: ParsedNote, records: list[Record]) -> dt.date | None:
    dates = sorted(r.issue_date for r in records if r.issue_date)
    return dates[0] if dates else None


def make_note(source: SourceFile, note: ParsedNote | None, slug: str) -> NoteFile:
    """A note as the site shows it (never its errors: a note with an error is not published)."""
    records = note.records if note else []
    return NoteFile(path=source.path, slug=slug, format=note.format if note else "", source=source,
                    date=note_date(note, records) if note else None, record_ids=tuple(r.id for r in records),
                    title=(note.meta.get("title") or (records[0].title if records else None)) if note else None,
                    spans=tuple((r.source.line_start, r.source.line_end) for r in records))


def make_notes(sources: list[SourceFile], notes: list[ParsedNote], prefix: str) -> list[NoteFile]:
    by_path = {note.path: note for note in notes}
    slugs = note_slugs(tuple(s.path for s in sources), prefix)
    made = [make_note(s, by_path.get(s.path), slugs[s.path]) for s in sources]
    return sorted(made, key=lambda n: n.path)


class Items(dict):
    """A site's list entries by record id (Site.items), each made on first lookup."""

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site

    def __missing__(self, record_id: str) -> Item:
        site = self.site
        item = self[record_id] = site.kept(site.kb.by_id[record_id], "items", site.item_of)
        return item


@dataclass
class ViewMemo:
    """What kb serve keeps of each record's views between builds (kb.build.Memory): its Facts and
    Item, made again only when the record is another object (kb.index.links keeps an unchanged
    record's), what they read of the rest of the site changed (Site.record_context), or what all
    of them read (`context`, Site.view_context). Making them all was 0.4 s of a rebuild at 10,000 notes."""

    context: tuple = ()
    facts: dict[str, tuple[Record, tuple, Facts]] = field(default_factory=dict)
    items: dict[str, tuple[Record, tuple, Item]] = field(default_factory=dict)

    def valid_for(self, context: tuple) -> ViewMemo:
        if context != self.context:
            self.context, self.facts, self.items = context, {}, {}
        return self


@dataclass(frozen=True)
class Site:
    """Everything the pages are drawn from; read-only."""

    kb: KnowledgeBase
    notes: list[NoteFile]
    settings: Settings
    plain: dict[str, str] | None = None  # one-line texts by text hash, kept by the build cache
    added: dict[str, dt.date] = field(default_factory=dict)  # when each record was added (kb.index.added)
    notices: tuple = ()  # diagnostics of the site's making (a shallow git clone)
    origins: dict[str, tuple[str, Record]] = field(default_factory=dict)  # id -> (digest, record) as parsed
    views: ViewMemo | None = None  # kb serve: the views of the build before (ViewMemo)

    def records_of(self, ids) -> list[Record]:
        return [self.kb.by_id[i] for i in ids if i in self.kb.by_id]

    def listed(self, ids) -> list[Record]:
        """The records as every list shows them: newest first by issue date, undated last, then title."""
        return newest_first(self.records_of(ids))

    @cached_property
    def positions(self) -> dict[str, int]:
        return {record.id: n for n, record in enumerate(self.kb.records)}

    def neighbours(self, record: Record) -> dict[str, Record | None]:
        """The records just newer and just older than this one, in the lists' order (newest first)."""
        n, records = self.positions[record.id], self.kb.records
        return {"newer": records[n - 1] if n > 0 else None, "older": records[n + 1] if n + 1 < len(records) else None}

    @cached_property
    def graph_links(self) -> dict[str, list[str]]:
        """Each record's linked ids as its graph draws them (kb.render.graph.all_links): planning
        asks for a record's once per graph it appears in."""
        return {record.id: all_links(record) for record in self.kb.records}

    @cached_property
    def tag_slugs(self) -> dict[str, str]:
        return {group.name: group.slug for group in self.kb.tags}

    @cached_property
    def notes_by_path(self) -> dict[str, NoteFile]:
        return {note.path: note for note in self.notes}

    def note_of(self, record: Record) -> NoteFile | None:
        return self.notes_by_path.get(record.source.path)

    def source_link(self, record: Record) -> str | None:
        note = self.note_of(record)
        return f"{note.page}#L{record.source.line_start}" if note else None

    @cached_property
    def author_slugs(self) -> dict[str, str]:
        return {group.key: group.slug for group in self.kb.authors}

    @cached_property
    def venue_slugs(self) -> dict[str, str]:
        return {group.key: group.slug for group in self.kb.venues}

    @cached_property
    def meeting_slugs(self) -> dict[str, str]:
        return {group.name: group.slug for group in self.kb.meetings}

    def meeting_page(self, name: str | None) -> str | None:
        """The meeting's page (meetings/<slug>/index.html), relative to the site root."""
        slug = self.meeting_slugs.get(name) if name else None
        return url_for("meeting", slug) if slug else None

    @cached_property
    def bookkeeping_tags(self) -> frozenset[str]:
        return frozenset(group.name for group in self.kb.tags if group.bookkeeping)

    def topic_tags(self, record: Record) -> list[str]:
        """The record's tags that name a topic (bookkeeping labels aside)."""
        return [t for t in record.tags if t not in self.bookkeeping_tags]

    def filing_tags(self, record: Record) -> list[str]:
        """The record's bookkeeping labels (Pocket, read-later ...)."""
        return [t for t in record.tags if t in self.bookkeeping_tags]

    def tag_slug(self, name: str) -> str | None:
        return self.tag_slugs.get(name)

    def author_slug(self, name: str) -> str | None:
        return self.author_slugs.get(group_key(name))

    def venue_slug(self, name: str | None) -> str | None:
        return self.venue_slugs.get(group_key(name)) if name else None

    @property
    def base_url(self) -> str | None:
        return absolute_base(self.settings)

    def groups(self, kind: str) -> list[Group]:
        """Every group of a kind: tags, authors, venues or meetings."""
        return {"tags": self.kb.tags, "authors": self.kb.authors, "venues": self.kb.venues,
                "meetings": self.kb.meetings}[kind]

    @cached_property
    def groups_by_key(self) -> dict[tuple[str, str], Group]:
        return {(kind, g.key): g for kind in ("tags", "authors", "venues", "meetings") for g in self.groups(kind)}

    def group(self, kind: str, key: str) -> Group:
        return self.groups_by_key[(kind, key)]

    @cached_property
    def counts(self) -> dict[str, int]:
        kb = self.kb
        return {"records": len(kb.records), "notes": len(self.notes), "tags": len(kb.tags),
                "authors": len(kb.authors), "venues": len(kb.venues)}

    @cached_property
    def with_compute(self) -> list[str]:
        """The ids of records that report compute, newest first."""
        return [r.id for r in self.kb.records if r.compute]

    @cached_property
    def latest(self) -> dt.date | None:
        """The newest issue date of any record."""
        return max((r.issue_date for r in self.kb.records if r.issue_date), default=None)

    @cached_property
    def citation_keys(self) -> dict[str, str]:
        from kb.render.bibtex import citation_keys

        return citation_keys(self.kb.records)

    def tag_link(self, name: str) -> Link:
        slug = self.tag_slug(name)
        return Link(name, url_for("tag", slug) if slug else None)

    @cached_property
    def view_context(self) -> tuple:
        """What every record's views read of the site alike (its own part: record_context)."""
        return (self.bookkeeping_tags,)

    def record_context(self, record: Record) -> tuple:
        """What a record's views (Facts, Item, its feed and BibTeX entries) read of the rest of the
        site: its tags', authors', venue's and meeting's pages, its note's page, its citation key,
        its paper and when it was added. Only these, so adding a note, or a name to the site, leaves
        the views of other records as they were (all of them were digested again for an add).
        Worked out once per record and build: each of its views asks for it."""
        found = self.record_contexts.get(record.id)
        if found is None:
            found = self.record_contexts[record.id] = (
                tuple(map(self.tag_slug, record.tags)), tuple(map(self.author_slug, record.authors)),
                self.venue_slug(record.venue), self.meeting_page(record.meeting), self.source_link(record),
                self.citation_keys.get(record.id), self.paper_page(record.id), self.added.get(record.id))
        return found

    @cached_property
    def record_contexts(self) -> dict[str, tuple]:
        return {}

    @cached_property
    def drawings(self) -> dict[str, dict[str, list[str]]]:
        """Each graph's drawn links by input name (graph:<id>, papergraph:<id>), worked out once
        per build: planning lists and digests them, the page draws them."""
        return {}

    @cached_property
    def kept_views(self) -> ViewMemo | None:
        return self.views.valid_for(self.view_context) if self.views is not None else None

    def facts(self, record: Record) -> Facts:
        """What the record's own page prints about it from the rest of the site."""
        return self.kept(record, "facts", self.make_facts)

    def kept(self, record: Record, kind: str, make):
        """make(record), or what kb serve's previous build made of this very record (ViewMemo)."""
        memo = self.kept_views
        if memo is None:
            return make(record)
        known, context = getattr(memo, kind).get(record.id), self.record_context(record)
        if known is None or known[0] is not record or known[1] != context:
            known = getattr(memo, kind)[record.id] = (record, context, make(record))
        return known[2]

    def make_facts(self, record: Record) -> Facts:
        authors = tuple(Link(a, url_for("author", s) if (s := self.author_slug(a)) else None) for a in record.authors)
        venue = record.venue and self.venue_slug(record.venue)
        return Facts(topic_tags=tuple(map(self.tag_link, self.topic_tags(record))),
                     filing_tags=tuple(map(self.tag_link, self.filing_tags(record))), authors=authors,
                     venue=Link(record.venue, url_for("venue", venue) if venue else None) if record.venue else None,
                     meeting_page=self.meeting_page(record.meeting), source_link=self.source_link(record),
                     bib_key=self.citation_keys.get(record.id), paper_page=self.paper_page(record.id),
                     added=self.added.get(record.id))

    @cached_property
    def papers(self) -> list[Paper]:
        """The papers noted in two or more records, newest first (kb.index.papers)."""
        return papers_of(self.kb.records)

    @cached_property
    def papers_by_id(self) -> dict[str, Paper]:
        return {paper.id: paper for paper in self.papers}

    @cached_property
    def paper_of(self) -> dict[str, Paper]:
        return {record_id: paper for paper in self.papers for record_id in paper.record_ids}

    def paper_page(self, record_id: str) -> str | None:
        paper = self.paper_of.get(record_id)
        return url_for("paper", paper.id) if paper else None

    @cached_property
    def items(self) -> Items:
        """Each record's list entry by id, made once per build when first asked for (a one-note
        rebuild at 10,000 notes asks for a few thousand: the lists it renders again)."""
        return Items(self)

    def item_of(self, record: Record) -> Item:
        return Item(id=record.id, page=url_for("record", record.id), title=record.title, kind=record.kind,
                    issue_date=record.issue_date, date_inferred=record.date_inferred,
                    tags=tuple(map(self.tag_link, self.topic_tags(record))), presenter=record.presenter,
                    venue=record.venue, line=noted_line(record, self.plain),
                    compute=tuple(record.compute), added=self.added.get(record.id))
