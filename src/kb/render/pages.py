"""Which pages exist and what each one shows: (site path, template, context) triples."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, partial

from markupsafe import Markup

from kb.formats.listing import LINK_SECTION
from kb.index.groups import Group
from kb.models import LinkedRecord, Record
from kb.render.archive import archive_pages
from kb.render.bibtex import bibtex_entry
from kb.render.chart import records_per_month_svg
from kb.render.citations import formatted_reference
from kb.render.graph import RELATIONS, Row, drawn_links, graph_inputs, graph_rows, graph_svg, readers
from kb.render.inputs import NEWEST, Scope
from kb.render.markdown import keeps_lines, render_markdown
from kb.render.paper_links import paper_links, title_searches
from kb.render.site import Site, root_prefix
from kb.render.summary import one_line
from kb.render.views import Item
from kb.render.wikilinks import links_by_record
from kb.text import Taken, first_free, slugify
from kb.urls import group_url, url_for

BOX_LIMIT = 20  # records shown in a link box; the rest are on the box's own page
FIELDS = (("problem", "課題"), ("approach", "手法"), ("results", "結果"), ("limitations", "限界"),
          ("technical", "技術的な詳細"), ("costs", "コスト"), ("references", "参考文献"), ("comment", "コメント"))
LINKS = (("mentions", "この記録が言及しているもの"), ("mentioned_by", "この記録に言及しているもの"),
         ("same_as", "同じ論文の別のノート"), ("related", "関連する記録"))


@dataclass(frozen=True)
class Page:
    """One HTML page: where it goes, its template, the names of what it reads (kb.render.inputs),
    and the function making its context from a Scope holding only those. The names are worked
    out when first asked for (`declared` gives them): a rebuild planned from the stored plan asks
    only for those of the pages a change reaches (kb.plan_state)."""

    path: str
    template: str
    declared: Callable[[], Iterable[str]]
    context: Callable[[Scope], dict]

    @cached_property
    def inputs(self) -> frozenset[str]:
        """(Interned: the pages of 10,000 notes name ~30,000 inputs ~1,000,000 times, ~40 MB as
        separate strings.)"""
        return frozenset(map(sys.intern, self.declared()))


def page(at: str, template: str, inputs: Iterable[str] | Callable[[], Iterable[str]], context: Callable[..., dict],
         **keys) -> Page:
    """A Page whose context is `context(scope, **keys)`: a module-level function given keys, never
    the site, so all it can read is what the scope hands out. `inputs` may be a function giving
    them, for pages whose inputs take work to list (a record page's graph)."""
    return Page(at, template, inputs if callable(inputs) else partial(tuple, inputs), partial(context, **keys))


def items_of(ids: Iterable[str]) -> list[str]:
    return [f"item:{i}" for i in ids]


@dataclass(frozen=True)
class Block:
    """One headed part of a record page: anchor id, heading, rendered body."""

    id: str
    heading: str
    html: Markup


def rendered(record: Record, text: str | None, prefix: str, wiki: tuple = ()) -> Markup:
    """A field or section of the record as HTML (a copied page's lines kept, kb.render.markdown.keeps_lines;
    its [[links]] as `wiki` resolves them)."""
    return Markup(render_markdown(text, 3, prefix, keeps_lines(record.source.format), wiki))


def field_blocks(record: Record, wiki: tuple = ()) -> list[Block]:
    return [Block(name, label, rendered(record, getattr(record, name), name, wiki))
            for name, label in FIELDS if getattr(record, name)]


def shown_texts(record: Record) -> list[str]:
    """The texts the page shows as fields (the tweet card, the summary, the headline too)."""
    names = [name for name, _ in FIELDS] + ["summary", "abstract", "tweet", "headline"]
    return [text.strip() for text in (getattr(record, name) for name in names) if text and text.strip()]


def is_folded(section_body: str, shown: list[str]) -> bool:
    """A section whose text a field already shows (whole, or as one of the parts it gathered)."""
    body = section_body.strip()
    return bool(body) and any(body == text or body in text for text in shown)


def shown_body(record: Record, section) -> str:
    """A section's text as its page shows it: a tag page's raw link text (元の掲載情報) without the
    title the page has just shown (`[Paper Note] Title, Lou+, arXiv'25` -> `[Paper Note] Lou+, arXiv'25`)."""
    if section.heading != LINK_SECTION or record.title not in section.body:
        return section.body
    head, _, tail = section.body.partition(record.title)
    return " ".join(f"{head.strip()} {tail.lstrip(' ,')}".split())


def section_blocks(record: Record, taken: Taken, wiki: tuple = ()) -> list[Block]:
    """Sections whose text is not already shown as a field, with unique anchors."""
    shown = shown_texts(record)
    blocks: list[Block] = []
    for section in record.sections:
        if is_folded(section.body, shown):
            continue
        anchor = first_free("s-" + slugify(section.heading), taken)
        blocks.append(Block(anchor, section.heading, rendered(record, shown_body(record, section), anchor, wiki)))
    return blocks


def link_ids(record: LinkedRecord) -> dict[str, list[str]]:
    """Each link box's ids, a record in one box only: same paper, then mentions, then mentioned
    by, then related (the strongest tie wins)."""
    seen: set[str] = {record.id}
    boxes: dict[str, list[str]] = {}
    for name in ("same_as", "mentions", "mentioned_by", "related"):
        boxes[name] = [i for i in getattr(record, name) if i not in seen]
        seen.update(boxes[name])
    return boxes


def link_groups(scope: Scope, record: LinkedRecord) -> list[tuple[str, str, list[Item]]]:
    """(key, heading, items) of each non-empty link box, in the page's order, each record once:
    Items, but Briefs in the related box (it shows their title, kind and date alone)."""
    boxes = link_ids(record)
    groups = [(name, label, (scope.briefs if name == "related" else scope.items)(boxes[name])) for name, label in LINKS]
    return [g for g in groups if g[2]]


def description(record: Record, settings_description: str, plain: dict | None = None) -> str:
    return one_line(record, plain) or settings_description


def is_long(record: Record) -> bool:
    """Long enough to want a table of contents: >= 1,500 characters of text in >= 3 headed parts."""
    texts = [getattr(record, name) for name, _ in FIELDS] + [record.summary, record.tweet]
    texts = [t for t in texts if t] + [s.body for s in record.sections]
    return len(texts) >= 3 and sum(len(t) for t in texts) >= 1500


def citation(record: Record, key: str | None) -> dict:
    """The record's BibTeX entry and formatted reference (partials/citation.html)."""
    if not key:
        return {"bibtex": None, "reference": None}
    return {"bibtex": bibtex_entry(record, key), "reference": formatted_reference(record, key)}


def record_context(scope: Scope, record_id: str, wiki: tuple = ()) -> dict:
    record = scope.record(record_id)
    facts = scope.facts(record)
    fields = field_blocks(record, wiki)
    sections = section_blocks(record, Taken(b.id for b in fields), wiki)
    summary = rendered(record, record.summary, "summary", wiki)
    tweet = rendered(record, record.tweet, "tweet", wiki)
    abstract = rendered(record, record.abstract, "abstract", wiki)
    return {
        "record": record, "facts": facts, "fields": fields, "sections": sections, "summary_html": summary,
        "abstract_html": abstract, "tweet_html": tweet, "links": link_groups(scope, record), "box_limit": BOX_LIMIT,
        "reasons": dict(zip(record.related, record.related_reasons, strict=True)),
        "paper_links": paper_links(record), "title_searches": title_searches(record),
        **citation(record, facts.bib_key),
        "description": description(record, scope.settings.description, scope.plain), "og_type": "article",
        "long": is_long(record), **scope.neighbours(record_id),
        "graph": graph_svg(record_graph(scope, record), root_prefix(scope.path)),
        "code_css": any("<pre" in html for html in [*(b.html for b in fields + sections), summary, abstract, tweet]),
    }


def record_groups(boxes: dict[str, list[str]]) -> list[tuple[str, str, list[str]]]:
    """The graph's groups of links (kind, heading, ids), from the record's link boxes (link_ids)."""
    return [(k, label, boxes[k]) for k, label in RELATIONS]


def record_graph(scope: Scope, record: LinkedRecord) -> list[Row]:
    """The rows of the record's link graph, read from the page's scope."""
    links_of, title_of = readers(scope, f"graph:{record.id}")
    return graph_rows((record.id, record.kind, record.title), record_groups(link_ids(record)), links_of, title_of)


def record_drawing(site: Site, record_id: str) -> dict[str, list[str]]:
    """The drawn links of the record's graph (kb.render.graph.drawn_links): the input graph:<id>."""
    found = site.drawings.get(f"graph:{record_id}")
    if found is None:
        record = site.kb.by_id[record_id]
        found = site.drawings[f"graph:{record_id}"] = drawn_links(record.id, record_groups(link_ids(record)),
                                                                   site.graph_links.__getitem__)
    return found


def record_inputs(site: Site, record: LinkedRecord, wiki: dict[str, str]) -> list[str]:
    near = site.neighbours(record)
    boxes = link_ids(record)
    listed = [i for name, ids in boxes.items() if name != "related" for i in ids]
    return [f"record:{record.id}", f"order:{record.id}", *items_of(listed), *(f"brief:{i}" for i in boxes["related"]),
            *items_of(r.id for r in near.values() if r), *items_of(sorted(set(wiki.values()))),
            *graph_inputs(record_drawing(site, record.id), f"graph:{record.id}")]


def record_pages(site: Site) -> list[Page]:
    links = links_by_record(site.kb.records)
    pages = []
    for r in site.kb.records:
        wiki = links.get(r.id, {})  # a page reads the records its [[links]] name (their titles may change)
        hrefs = tuple(sorted((t, root_prefix(url_for("record", r.id)) + url_for("record", i)) for t, i in wiki.items()))
        pages.append(page(url_for("record", r.id), "record.html", partial(record_inputs, site, r, wiki),
                          record_context, record_id=r.id, wiki=hrefs))
    return pages


def box_context(scope: Scope, record_id: str, key: str, label: str) -> dict:
    record = scope.record(record_id)
    return {"record": record, "label": label, "records": scope.items(link_ids(record)[key])}


def link_box_pages(site: Site) -> list[Page]:
    """A page per link box longer than BOX_LIMIT: the box's every record."""
    pages: list[Page] = []
    for record in site.kb.records:
        for key, ids in link_ids(record).items():
            if len(ids) > BOX_LIMIT:
                pages.append(page(url_for("links", record.id, key), "record_links.html",
                                  [f"record:{record.id}", *items_of(ids)], box_context, record_id=record.id,
                                  key=key, label=dict(LINKS)[key]))
    return pages


def cloud_size(count: int, peak: int) -> int:
    """1 (rare) to 5 (the most used tag), on a log scale."""
    if peak <= 1:
        return 3
    return 1 + round(4 * math.log(count) / math.log(peak))


def home_context(scope: Scope) -> dict:
    newest, counts = scope.newest()
    topics = [g for g in scope.groups("tags") if not g.bookkeeping]
    peak = max((g.count for g in topics), default=1)
    return {"newest": newest, "counts": counts, "chart": records_per_month_svg(scope.dates()),
            "cloud": [(g, cloud_size(g.count, peak)) for g in topics], "nav": "home"}


def home_page(site: Site) -> Page:
    # kb.records is in newest_first order already: its head is the home page's list
    newest = items_of(r.id for r in site.kb.records[:NEWEST])
    return page(url_for("home"), "index.html", ["newest", "groups:tags", "dates", *newest], home_context)


def tags_context(scope: Scope) -> dict:
    tags = scope.groups("tags")
    return {"tags": [g for g in tags if not g.bookkeeping], "by_count": sorted(tags, key=lambda g: (-g.count, g.name)),
            "filing": [g for g in tags if g.bookkeeping], "nav": "tags"}


def group_context(scope: Scope, kind: str, key: str, label: str = "") -> dict:
    group = scope.group(kind, key)
    return {"group": group, "records": scope.items(group.record_ids), "nav": kind, "kind": kind, "label": label}


def by_year(items: list[Item]) -> list[tuple[int | None, list[Item]]]:
    """The items (newest first, undated last) under their years: (year or None, items)."""
    years: dict[int | None, list[Item]] = {}
    for item in items:
        years.setdefault(item.issue_date.year if item.issue_date else None, []).append(item)
    return list(years.items())


def tag_context(scope: Scope, key: str) -> dict:
    context = group_context(scope, "tags", key)
    return {**context, "years": by_year(context["records"])}


def group_inputs(kind: str, group: Group) -> list[str]:
    return [f"group:{kind}:{group.key}", *items_of(group.record_ids)]


def tag_pages(site: Site) -> list[Page]:
    pages = [page(url_for("tags"), "tags.html", ["groups:tags"], tags_context)]
    pages += [page(url_for("tag", g.slug), "tag.html", partial(group_inputs, "tags", g), tag_context, key=g.key)
              for g in site.kb.tags]
    return pages


def notes_context(scope: Scope) -> dict:
    return {"notes": scope.notes(), "nav": "notes"}


def note_context(scope: Scope, path: str) -> dict:
    note = scope.note(path)
    return {"note": note, "records": scope.items(note.record_ids), "nav": "notes"}


def note_pages(site: Site) -> list[Page]:
    pages = [page(url_for("notes"), "notes.html", ["notes"], notes_context)]
    pages += [page(n.page, "note.html", partial(note_inputs, n), note_context, path=n.path) for n in site.notes]
    return pages


def note_inputs(note) -> list[str]:
    return [f"note:{note.path}", *items_of(note.record_ids)]


def runs_of(item: Item) -> list[tuple[list, str]]:
    """A record's runs for the compute table: the GPUs of one statement together, with its text."""
    runs: dict[str, list] = {}
    for run in item.compute:
        runs.setdefault(run.text, []).append(run)
    return [(gpus, text) for text, gpus in runs.items()]


def compute_context(scope: Scope) -> dict:
    return {"rows": [(r, runs_of(r)) for r in scope.with_compute()], "nav": "compute"}


def compute_page(site: Site) -> Page:
    return page(url_for("compute"), "compute.html", ["compute", *items_of(site.with_compute)], compute_context)


def groups_context(scope: Scope, kind: str, label: str) -> dict:
    return {"kind": kind, "label": label, "nav": kind, "groups": scope.groups(kind)}


def group_pages(site: Site, kind: str, label: str) -> list[Page]:
    pages = [page(url_for(kind), "groups.html", [f"groups:{kind}"], groups_context, kind=kind, label=label)]
    pages += [page(group_url(kind, g.slug), "group.html", partial(group_inputs, kind, g), group_context, kind=kind,
                   key=g.key, label=label) for g in site.groups(kind)]
    return pages


def meetings_context(scope: Scope) -> dict:
    return {"meetings": [(g, scope.items(g.record_ids)) for g in scope.groups("meetings")], "nav": "meetings"}


def meeting_context(scope: Scope, key: str, note: str | None) -> dict:
    from kb.render.digest import digest_context  # what was added since the previous meeting

    context = group_context(scope, "meetings", key)
    return {**context, "note": scope.note(note) if note else None, **digest_context(scope, key)}


def digest_inputs(site: Site, key: str) -> list[str]:
    from kb.render.digest import digest_inputs

    return digest_inputs(site, key)


def meeting_pages(site: Site) -> list[Page]:
    """The meetings index (newest first) and a page per meeting: its talks and main topic in the
    order of the minutes, with presenters and kinds, and the minutes note."""
    meetings = site.kb.meetings
    every = [i for g in meetings for i in g.record_ids]
    pages = [page(url_for("meetings"), "meetings.html", ["groups:meetings", *items_of(every)], meetings_context)]
    for group in meetings:
        first = site.kb.by_id.get(group.record_ids[0]) if group.record_ids else None
        note = site.note_of(first) if first else None
        inputs = group_inputs("meetings", group) + ([f"note:{note.path}"] if note else [])
        inputs += digest_inputs(site, group.key)
        pages.append(page(group_url("meetings", group.slug), "meeting.html", inputs, meeting_context, key=group.key,
                          note=note.path if note else None))
    return pages


def plain_context(scope: Scope, nav: str | None = None) -> dict:
    return {"nav": nav} if nav else {}


def html_pages(site: Site) -> list[Page]:
    """Every HTML page of the site, in a fixed order."""
    from kb.render.digest import digest_pages  # these build on this module's pages
    from kb.render.paper_pages import paper_pages
    from kb.render.redirects import redirect_pages  # it makes Pages: imported here, not in a cycle

    return [
        home_page(site), *record_pages(site), *link_box_pages(site), *tag_pages(site), *archive_pages(site),
        *note_pages(site), compute_page(site),
        *group_pages(site, "authors", "著者"), *group_pages(site, "venues", "会議・掲載先"), *meeting_pages(site),
        *paper_pages(site), *digest_pages(site),
        page(url_for("search"), "search.html", [], plain_context, nav="search"),
        page(url_for("404"), "404.html", [], plain_context), *redirect_pages(site),
    ]
