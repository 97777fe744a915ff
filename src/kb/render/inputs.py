"""What each output reads, by name, and one digest per name: the build's dependency graph.

Every output (kb.render.outputs.Output) declares the names of its inputs; its key is the hash
of those names' digests (with kb's code, the settings and its templates), so an output whose
declared inputs are all unchanged is not made again. Its bytes are made from a `Scope` that
hands out only what was declared: reading anything else raises UndeclaredInput, so a page
that forgets an input fails in every build instead of going stale.

    record:<id>          a record as its own page shows it: every field and link (by id), and
                         the site's facts about it (kb.render.views.Facts)
    item:<id>            a record as a list shows it (kb.render.views.Item)
    brief:<id>           a record as a related-records box and the link graphs name it (Brief)
    entry:<id>           a record as records.json and the Atom feeds show it (kb.render.feeds.record_json)
    cite:<id>            a record as BibTeX shows it: its citation key and the fields an entry reads
    order:<id>           the records just newer and just older than it (previous / next)
    group:<kind>:<key>   one group (kind: tags, authors, venues, meetings): name, slug, members
    groups:<kind>        every group of that kind: names, slugs, counts
    note:<path>          a note file as its page shows it (text, format, date, title, records)
    notes                every note's path, slug, format, date, title and number of records
    dates                the date index: years, months and their records, the undated
    year:<year>          one year's page of it (kb.render.archive.YearView; <year> may be `undated`)
    newest               the home page's newest records and the counts it shows
    compute              the records that report compute, in list order
    latest               the newest issue date of the site (a feed's <updated> fallback)
    ids                  every record's id, in list order (the site-wide files list them all)
    records              every record, whole (sitemap.xml)
    pages                every HTML page's path (sitemap.xml)
    added                when each record was added (kb.index.added)
    latest_added         when the newest ADDED_LIST records were added: added/, added.xml
    window:<a>..<u>      the ids added after date a up to date u (either may be empty): a meeting's digest
    graph:<id>           the links a record's graph draws of the records it draws (kb.render.graph)
    papergraph:<id>      the same for a paper's graph
    paper:<id>           a paper (kb.index.papers.Paper): its facts and its notes' ids
    papers               every paper, in list order (the papers page)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kb import digests as digesting
from kb.digests import digest, text_digest
from kb.errors import BuildError
from kb.index.groups import Group
from kb.models import LinkedRecord
from kb.render.site import NoteFile, Site
from kb.render.views import Brief, Item
from kb.urls import url_for
from kb.view_state import VIEW_KINDS, StoredViews, context_of

VIEW_PLACES = {kind: n for n, kind in enumerate(VIEW_KINDS, start=1)}  # a kind's place in a stored row

NEWEST = 20  # records on the home page
GROUP_KINDS = ("tags", "authors", "venues", "meetings")


class UndeclaredInput(BuildError):
    """An output read something it did not declare (a bug in kb.render.pages, never in a note)."""


def group_view(group: Group) -> tuple:
    return (group.key, group.name, group.slug, group.record_ids, group.bookkeeping)


Sourced = dict[str, tuple[object, str]]  # input name -> (what its digest was made from, the digest)


@dataclass(frozen=True)
class Linking:
    """What the link stage knows of the records since the linking a stored plan or stored views
    were made from (kb.index.links.LinkMemo.settled): the records that may differ (`dirty`), or
    None when it knows nothing; and this build's generation, for the views it leaves."""

    generation: str = ""
    plan_dirty: frozenset[str] | None = None  # since the plan's linking (kb.plan_state.PlanBasis.links)
    plan_digests: Mapping[str, str] = field(default_factory=dict)  # that plan's input digests
    views_dirty: frozenset[str] | None = None  # since the stored views' linking (kb.view_state)


class Digests:
    """The digest of every input name of one build, each computed once, on first use.

    `before` is what the previous build of the same process computed (kb serve, kb build
    --watch): a name whose source (the values its digest is made from) equals the one then
    keeps that digest without serialising it again. Equal values serialise alike, so the
    digest is the same either way; `now` is what this build computed, for the next.

    A record's views (VIEW_KINDS) are functions of the record, its record context and the site's
    view context (kb.view_state): in a process that keeps its memo, their source is the record
    object itself with its record context, and a record the link stage kept (the same object)
    keeps its view digests while both contexts are the previous build's (`same_context`), as
    kb.render.site.ViewMemo keeps its views.
    `stored` is what the last build left in the build state (kb.view_state), for a new process:
    a record's view digests, taken while the record and the context are the ones they were made
    from; `views()` gives this build's for the next."""

    def __init__(self, site: Site, text_digests: dict[str, str] | None = None, pages: Iterable[str] = (),
                 before: Sourced | None = None, stored: StoredViews | None = None, same_context: bool = False,
                 linking: Linking | None = None) -> None:
        self.site, self.text_digests, self.pages = site, text_digests or {}, tuple(pages)
        self.known: dict[str, str] = {}
        self.before, self.now = before or {}, {}
        self.stored = stored.rows if stored is not None and stored.context == self.context else {}
        self.by_record, self.same_context = stored is None, same_context
        self.prints: dict[str, str] = {}  # record id -> its fingerprint (the record and its record_context)
        self.linked: dict[str, str] = {}  # record id -> the digest of its LinkedRecord (the fingerprint's part)
        self.linking = linking or Linking()
        views_dirty = self.linking.views_dirty
        self.kept_linked = stored.linked if stored is not None and views_dirty is not None else {}
        self.views_dirty = views_dirty or frozenset()

    def __getitem__(self, name: str) -> str:
        found = self.known.get(name)
        if found is None:
            kind, _, key = name.partition(":")
            found = self.stored_view(kind, key) if self.stored else None
            if kind == "graph" and self.linking.plan_dirty is not None:
                found = self.settled_graph(name, key)
            if found is None and self.by_record and kind in VIEW_PLACES:
                found = self.view_by_record(name, kind, key)
            if found is None:
                source, make = getattr(self, "of_" + kind)(key)
                earlier = self.before.get(name)
                found = earlier[1] if earlier is not None and earlier[0] == source else make()
                self.now[name] = (source, found)
            self.known[name] = found
        return found

    def view_by_record(self, name: str, kind: str, record_id: str) -> str:
        record = self.site.kb.by_id[record_id]
        source, earlier = (record, self.site.record_context(record)), self.before.get(name)
        if self.same_context and earlier is not None and earlier[0][0] is record and earlier[0][1] == source[1]:
            found = earlier[1]
        else:
            found = getattr(self, "of_" + kind)(record_id)[1]()
        self.now[name] = (source, found)
        return found

    @cached_property
    def context(self) -> str:
        return context_of(self.site)

    def settled_graph(self, name: str, record_id: str) -> str | None:
        """The stored plan's digest of a record's graph (graph:<id>), when neither the record nor
        any record it links to is dirty since the plan's linking: the graph draws their links alone
        (kb.render.graph.drawn_links), and those are as they were (working each drawing out again
        took 0.34 s of a one-note rebuild at 10,000 notes)."""
        dirty, record = self.linking.plan_dirty, self.site.kb.by_id.get(record_id)
        if record is None or record_id in dirty:
            return None
        if not all(dirty.isdisjoint(ids) for ids in (record.same_as, record.mentions, record.mentioned_by,
                                                      record.related)):
            return None
        return self.linking.plan_digests.get(name)

    def fingerprint(self, record_id: str) -> str:
        found = self.prints.get(record_id)
        if found is None:
            record = self.site.kb.by_id[record_id]
            linked = self.kept_linked.get(record_id) if record_id not in self.views_dirty else None
            linked = self.linked[record_id] = linked or record_digest(self.site, record)
            found = self.prints[record_id] = digest(linked, self.site.record_context(record))
        return found

    def stored_view(self, kind: str, record_id: str) -> str | None:
        """The stored digest of a record's view, if the record is the one it was made from."""
        place = VIEW_PLACES.get(kind)
        row = self.stored.get(record_id) if place else None
        if row is None or row[0] != self.fingerprint(record_id):
            return None
        return row[place] or None

    def views(self) -> StoredViews:
        """This build's view digests of every record it fingerprinted, for the next build."""
        return StoredViews(context=self.context, rows={
            i: (fp, *(self.known.get(f"{kind}:{i}", "") for kind in VIEW_KINDS)) for i, fp in self.prints.items()},
            links=self.linking.generation, linked=self.linked)

    def unchanged(self, name: str) -> bool:
        """The name's digest is the previous build's (in this process)."""
        earlier = self.before.get(name)
        return earlier is not None and self[name] == earlier[1]

    # Each of_<kind>(key) gives (source, a function digesting it).

    def of_record(self, key: str):
        record = self.site.kb.by_id[key]
        facts = self.site.facts(record)  # a frozen dataclass's repr shows every field, in order
        return (record, facts), lambda: text_digest(self.fingerprint(key) + repr(facts))

    def of_entry(self, key: str):
        from kb.render.feeds import record_json

        return seal(record_json(self.site.kb.by_id[key], self.site.plain))

    def of_cite(self, key: str):
        r = self.site.kb.by_id[key]
        return seal(self.site.citation_keys.get(key), r.kind, r.title, r.authors, r.venue, r.year, r.issue_date,
                    r.url, r.arxiv_id, r.et_al)

    def of_item(self, key: str):
        item = self.site.items[key]
        return item, lambda: text_digest(repr(item))

    def of_brief(self, key: str):
        return seal(brief_of(self.site.kb.by_id[key]))

    def of_order(self, key: str):
        near = self.site.neighbours(self.site.kb.by_id[key])
        return seal([r.id if r else None for r in (near["newer"], near["older"])])

    def of_group(self, key: str):
        kind, _, group_key = key.partition(":")
        return seal(group_view(self.site.group(kind, group_key)))

    def of_groups(self, kind: str):
        return seal([group_view(g) for g in self.site.groups(kind)])

    def of_note(self, path: str):
        note = self.site.notes_by_path[path]
        return seal(note.path, note.slug, note.format, self.note_text(path), note.date, note.record_ids, note.title,
                    note.spans)

    def note_text(self, path: str) -> str:
        note = self.site.notes_by_path.get(path)
        return self.text_digests.get(path) or (digest(note.text) if note else "")

    def of_notes(self, _: str):
        return seal([(n.path, n.slug, n.format, n.date, n.title, len(n.record_ids)) for n in self.site.notes])

    def of_dates(self, _: str):
        return seal(self.site.kb.dates)

    def of_year(self, key: str):
        from kb.render.archive import year_view

        return seal(year_view(self.site.kb.dates, key))

    def of_newest(self, _: str):
        return seal([r.id for r in self.site.kb.records[:NEWEST]], self.site.counts)

    def of_compute(self, _: str):
        return seal(self.site.with_compute)

    def of_latest(self, _: str):
        return seal(self.site.latest)

    def of_ids(self, _: str):
        return seal([r.id for r in self.site.kb.records])

    def of_records(self, _: str):
        return seal([self[f"record:{r.id}"] for r in self.site.kb.records])

    def of_pages(self, _: str):
        return seal(sorted(self.pages))

    def of_added(self, _: str):
        return seal(sorted(self.site.added.items()))

    def of_latest_added(self, _: str):
        from kb.render.digest import latest_added

        return seal(sorted(latest_added(self.site.added).items()))

    def of_window(self, key: str):
        from kb.render.digest import since, window_of

        return seal(since(self.site.added, *window_of(key)))

    def of_graph(self, key: str):
        from kb.render.pages import record_drawing

        return seal(record_drawing(self.site, key))

    def of_papergraph(self, key: str):
        from kb.render.paper_pages import paper_drawing

        return seal(paper_drawing(self.site, key))

    def of_paper(self, key: str):
        return seal(self.site.papers_by_id[key])

    def of_papers(self, _: str):
        return seal(self.site.papers)


def record_digest(site: Site, record: LinkedRecord) -> str:
    """A digest of every field and link of the record (kb.digests.record_digest, from its origin)."""
    return digesting.record_digest(record, site.origins.get(record.id))


def brief_of(record: LinkedRecord) -> Brief:
    return Brief(record.id, url_for("record", record.id), record.title, record.kind, record.issue_date,
                 record.date_inferred)


def seal(*values):
    """(the values, a function digesting them) for Digests."""
    return values, lambda: digest(*values)


class Scope:
    """The part of the site an output declared: everything else raises UndeclaredInput."""

    def __init__(self, site: Site, inputs: frozenset[str], path: str) -> None:
        self._site, self.inputs, self.path = site, inputs, path
        self.settings, self.plain, self.base_url = site.settings, site.plain, site.base_url

    def need(self, name: str) -> None:
        if name not in self.inputs:
            raise UndeclaredInput(f"{self.path} reads {name} but does not declare it")

    def record(self, record_id: str) -> LinkedRecord:
        self.need(f"record:{record_id}")
        return self._site.kb.by_id[record_id]

    def facts(self, record: LinkedRecord):
        self.need(f"record:{record.id}")
        return self._site.facts(record)

    def declared(self, kind: str, ids: Iterable[str]) -> list[str]:
        """The ids, each checked to be declared as `kind:<id>`."""
        ids = list(ids)
        for record_id in ids:
            self.need(f"{kind}:{record_id}")
        return ids

    def items(self, ids: Iterable[str]) -> list[Item]:
        return [self._site.items[i] for i in self.declared("item", ids)]

    def briefs(self, ids: Iterable[str]) -> list[Brief]:
        return [brief_of(self._site.kb.by_id[i]) for i in self.declared("brief", ids)]

    def neighbours(self, record_id: str) -> dict[str, Item | None]:
        self.need(f"order:{record_id}")
        near = self._site.neighbours(self._site.kb.by_id[record_id])
        return {side: self.items([r.id])[0] if r else None for side, r in near.items()}

    def group(self, kind: str, key: str) -> Group:
        self.need(f"group:{kind}:{key}")
        return self._site.group(kind, key)

    def groups(self, kind: str) -> list[Group]:
        self.need(f"groups:{kind}")
        return self._site.groups(kind)

    def note(self, path: str) -> NoteFile:
        self.need(f"note:{path}")
        return self._site.notes_by_path[path]

    def notes(self) -> list[NoteFile]:
        self.need("notes")
        return self._site.notes

    def dates(self):
        self.need("dates")
        return self._site.kb.dates

    def year(self, key: str):
        """What the page of year `key` shows of the date index (kb.render.archive.YearView)."""
        from kb.render.archive import year_view

        self.need(f"year:{key}")
        return year_view(self._site.kb.dates, key)

    def newest(self) -> tuple[list[Item], dict]:
        self.need("newest")
        return self.items(r.id for r in self._site.kb.records[:NEWEST]), self._site.counts

    def with_compute(self) -> list[Item]:
        self.need("compute")
        return self.items(self._site.with_compute)

    def latest(self) -> dt.date | None:
        self.need("latest")
        return self._site.latest

    def records(self) -> list[LinkedRecord]:
        self.need("records")
        return self._site.kb.records

    def entries(self, ids: Iterable[str]) -> list[LinkedRecord]:
        """Records, for what records.json and the feeds show of them (entry:<id>)."""
        return [self._site.kb.by_id[i] for i in self.declared("entry", ids)]

    def cited(self, ids: Iterable[str]) -> tuple[list[LinkedRecord], dict[str, str]]:
        """Records and their citation keys, for BibTeX (cite:<id>)."""
        records = [self._site.kb.by_id[i] for i in self.declared("cite", ids)]
        keys = self._site.citation_keys
        return records, {r.id: keys[r.id] for r in records if r.id in keys}

    def site(self) -> Site:
        """The whole site, for outputs that declared every record (site-wide feeds and data)."""
        self.need("records")
        return self._site

    def added(self) -> dict[str, dt.date]:
        self.need("added")
        return self._site.added

    def latest_added(self) -> dict[str, dt.date]:
        """The added dates of the ADDED_LIST records added last (kb.render.digest.latest_added)."""
        from kb.render.digest import latest_added

        self.need("latest_added")
        return latest_added(self._site.added)

    def added_between(self, after: dt.date | None, until: dt.date | None) -> list[str]:
        """The ids added in (after, until], newest first (kb.render.digest.since)."""
        from kb.render.digest import since, window_name

        self.need(window_name(after, until))
        return since(self._site.added, after, until)

    def drawing(self, name: str) -> dict[str, list[str]]:
        """The drawn links of a graph (kb.render.graph.drawn_links): graph:<record id> or
        papergraph:<paper id>."""
        from kb.render.pages import record_drawing
        from kb.render.paper_pages import paper_drawing

        self.need(name)
        kind, _, key = name.partition(":")
        return (record_drawing if kind == "graph" else paper_drawing)(self._site, key)

    def paper(self, paper_id: str):
        """A paper (kb.index.papers.Paper), declared as paper:<id>."""
        self.need(f"paper:{paper_id}")
        return self._site.papers_by_id[paper_id]

    def papers(self) -> list:
        self.need("papers")
        return self._site.papers

    def pages(self, pages: Iterable[str]) -> list[str]:
        self.need("pages")
        return list(pages)
