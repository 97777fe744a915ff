"""Which pages exist and what each one shows: (site path, template, context) triples."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from kb.index.groups import Group
from kb.models import Record
from kb.render.archive import archive_pages
from kb.render.bibtex import bibtex_entry
from kb.render.chart import records_per_month_svg
from kb.render.markdown import render_markdown
from kb.render.paper_links import paper_links, title_searches
from kb.render.site import Site, tag_page
from kb.render.summary import one_line
from kb.search import record_page
from kb.text import first_free, slugify

NEWEST = 20
BOX_LIMIT = 20  # records shown in a link box; the rest are on the box's own page
FIELDS = (("problem", "課題"), ("approach", "手法"), ("results", "結果"), ("limitations", "限界"),
          ("technical", "技術的な詳細"), ("costs", "コスト"), ("references", "参考文献"), ("comment", "コメント"))
LINKS = (("mentions", "この記録が言及しているもの"), ("mentioned_by", "この記録に言及しているもの"),
         ("same_as", "同じ論文の別のノート"), ("related", "関連する記録"))


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """One headed part of a record page: anchor id, heading, rendered body."""

    id: str
    heading: str
    html: Markup


def field_blocks(record: Record) -> list[Block]:
    return [Block(name, label, Markup(render_markdown(getattr(record, name), 3, name)))
            for name, label in FIELDS if getattr(record, name)]


def shown_texts(record: Record) -> list[str]:
    """The texts the page shows as fields (the tweet card, the summary, the headline too)."""
    names = [name for name, _ in FIELDS] + ["summary", "tweet", "headline"]
    return [text.strip() for text in (getattr(record, name) for name in names) if text and text.strip()]


def is_folded(section_body: str, shown: list[str]) -> bool:
    """A section whose text a field already shows (whole, or as one of the parts it gathered)."""
    body = section_body.strip()
    return bool(body) and any(body == text or body in text for text in shown)


def section_blocks(record: Record, taken: set[str]) -> list[Block]:
    """Sections whose text is not already shown as a field, with unique anchors."""
    shown = shown_texts(record)
    blocks: list[Block] = []
    for section in record.sections:
        if is_folded(section.body, shown):
            continue
        anchor = first_free("s-" + slugify(section.heading), taken)
        blocks.append(Block(anchor, section.heading, Markup(render_markdown(section.body, 3, anchor))))
    return blocks


def link_ids(record: Record) -> dict[str, list[str]]:
    """Each link box's ids, a record in one box only: same paper, then mentions, then mentioned
    by, then related (the strongest tie wins)."""
    seen: set[str] = {record.id}
    boxes: dict[str, list[str]] = {}
    for name in ("same_as", "mentions", "mentioned_by", "related"):
        boxes[name] = [i for i in getattr(record, name) if i not in seen]
        seen.update(boxes[name])
    return boxes


def link_groups(site: Site, record: Record) -> list[tuple[str, str, list[Record]]]:
    """(key, heading, records) of each non-empty link box, in the page's order, each record once."""
    boxes = link_ids(record)
    groups = [(name, label, site.records_of(boxes[name])) for name, label in LINKS]
    return [g for g in groups if g[2]]


def links_page(record: Record, key: str) -> str:
    """The page listing every record of one of a record's link boxes (when it has more than BOX_LIMIT)."""
    return f"records/{record.id}/{key}/index.html"


def description(record: Record, settings_description: str) -> str:
    return one_line(record) or settings_description


def is_long(record: Record) -> bool:
    """Long enough to want a table of contents: >= 1,500 characters of text in >= 3 headed parts."""
    texts = [getattr(record, name) for name, _ in FIELDS] + [record.summary, record.tweet]
    texts = [t for t in texts if t] + [s.body for s in record.sections]
    return len(texts) >= 3 and sum(len(t) for t in texts) >= 1500


def record_context(site: Site, record: Record, keys: dict[str, str]) -> dict:
    fields = field_blocks(record)
    sections = section_blocks(record, {b.id for b in fields})
    summary = Markup(render_markdown(record.summary, 3, "summary"))
    tweet = Markup(render_markdown(record.tweet, 3, "tweet"))
    return {
        "record": record, "fields": fields, "sections": sections, "summary_html": summary, "tweet_html": tweet,
        "links": link_groups(site, record), "box_limit": BOX_LIMIT, "links_page": links_page,
        "paper_links": paper_links(record), "title_searches": title_searches(record),
        "meeting_page": site.meeting_page(record.meeting),
        "topic_tags": site.topic_tags(record), "filing_tags": site.filing_tags(record),
        "source_link": site.source_link(record),
        "bibtex": bibtex_entry(record, keys[record.id]) if record.id in keys else None,
        "description": description(record, site.settings.description), "og_type": "article",
        "long": is_long(record), **site.neighbours(record),
        "code_css": any("<pre" in html for html in [*(b.html for b in fields + sections), summary, tweet]),
    }


class LazyContext(Mapping):
    """A page context built only when the page is rendered (an unchanged page never is).

    `fingerprint_inputs` must name everything `build` reads (the build cache hashes it to
    decide whether the page changed); the record digest covers the record's own fields.
    """

    def __init__(self, build, inputs: dict) -> None:
        self.build, self.fingerprint_inputs = build, inputs

    def __getitem__(self, key):
        return self.build()[key]

    def __iter__(self):
        return iter(self.build())

    def __len__(self) -> int:
        return len(self.build())


def record_pages(site: Site, keys: dict[str, str]) -> list[Page]:
    def lazy(record: Record) -> LazyContext:
        inputs = {"record": record, "links": link_groups(site, record), "source_link": site.source_link(record),
                  "meeting_page": site.meeting_page(record.meeting), "filing": site.filing_tags(record),
                  "bib_key": keys.get(record.id), "description": site.settings.description,
                  **site.neighbours(record)}
        return LazyContext(lambda: record_context(site, record, keys), inputs)

    return [Page(record_page(r), "record.html", lazy(r)) for r in site.kb.records]


def link_box_pages(site: Site) -> list[Page]:
    """A page per link box longer than BOX_LIMIT: the box's every record."""
    pages: list[Page] = []
    for record in site.kb.records:
        for key, label, items in link_groups(site, record):
            if len(items) > BOX_LIMIT:
                pages.append(Page(links_page(record, key), "record_links.html",
                                  {"record": record, "label": label, "records": items}))
    return pages


def cloud_size(count: int, peak: int) -> int:
    """1 (rare) to 5 (the most used tag), on a log scale."""
    if peak <= 1:
        return 3
    return 1 + round(4 * math.log(count) / math.log(peak))


def home_page(site: Site) -> Page:
    kb = site.kb
    topics = [g for g in kb.tags if not g.bookkeeping]
    peak = max((g.count for g in topics), default=1)
    counts = {"records": len(kb.records), "notes": len(site.notes), "tags": len(kb.tags),
              "authors": len(kb.authors), "venues": len(kb.venues)}
    # kb.records is in newest_first order already: its head is the home page's list
    return Page("index.html", "index.html", {
        "newest": kb.records[:NEWEST], "counts": counts, "chart": records_per_month_svg(kb.dates),
        "cloud": [(g, cloud_size(g.count, peak)) for g in topics], "nav": "home"})


def tag_pages(site: Site) -> list[Page]:
    by_count = sorted(site.kb.tags, key=lambda g: (-g.count, g.name))
    pages = [Page("tags/index.html", "tags.html", {
        "tags": [g for g in site.kb.tags if not g.bookkeeping], "by_count": by_count,
        "filing": [g for g in site.kb.tags if g.bookkeeping], "nav": "tags"})]
    for group in site.kb.tags:
        pages.append(Page(tag_page(group.slug), "tag.html", {
            "group": group, "records": site.listed(group.record_ids), "nav": "tags"}))
    return pages


def archive_index_and_years(site: Site) -> list[Page]:
    return [Page(path, template, context) for path, template, context in archive_pages(site)]


def note_pages(site: Site) -> list[Page]:
    return [Page(note.page, "note.html", {"note": note, "records": site.records_of(note.record_ids), "nav": "notes"})
            for note in site.notes]


def notes_index(site: Site) -> Page:
    return Page("notes/index.html", "notes.html", {"notes": site.notes, "nav": "notes"})


def compute_page(site: Site) -> Page:
    rows = [(r, c) for r in site.listed(r.id for r in site.kb.records if r.compute) for c in r.compute]
    return Page("compute/index.html", "compute.html", {"rows": rows, "nav": "compute"})


def group_pages(site: Site, kind: str, groups: list[Group], label: str) -> list[Page]:
    ctx = {"kind": kind, "label": label, "nav": kind}
    pages = [Page(f"{kind}/index.html", "groups.html", {**ctx, "groups": groups})]
    for group in groups:
        pages.append(Page(f"{kind}/{group.slug}/index.html", "group.html",
                          {**ctx, "group": group, "records": site.listed(group.record_ids)}))
    return pages


def meeting_pages(site: Site) -> list[Page]:
    """The meetings index (newest first) and a page per meeting: its talks and main topic in the
    order of the minutes, with presenters and kinds, and the minutes note."""
    meetings = site.kb.meetings
    pages = [Page("meetings/index.html", "meetings.html", {
        "meetings": [(g, site.records_of(g.record_ids)) for g in meetings], "nav": "meetings"})]
    for group in meetings:
        records = site.records_of(group.record_ids)
        pages.append(Page(site.meeting_page(group.name), "meeting.html", {
            "group": group, "records": records, "note": site.note_of(records[0]) if records else None,
            "nav": "meetings"}))
    return pages


def html_pages(site: Site, keys: dict[str, str]) -> list[Page]:
    """Every HTML page of the site, in a fixed order."""
    return [
        home_page(site), *record_pages(site, keys), *link_box_pages(site), *tag_pages(site),
        *archive_index_and_years(site),
        notes_index(site), *note_pages(site), compute_page(site),
        *group_pages(site, "authors", site.kb.authors, "著者"),
        *group_pages(site, "venues", site.kb.venues, "会議・掲載先"), *meeting_pages(site),
        Page("search/index.html", "search.html", {"nav": "search"}),
        Page("404.html", "404.html", {}),
    ]
