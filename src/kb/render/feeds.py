"""Machine-readable outputs: Atom feeds (RFC 4287), sitemap.xml (sitemaps.org 0.9), records.json.

All deterministic: dates come from the records, never from the build clock.

Feeds and the sitemap carry absolute, percent-encoded URLs, so they need the site's address
(`base_url` in kb.yaml, or the GitHub Pages address inferred in GitHub Actions); without one
they are not written at all (`wants_base_url` says why). Entry ids are `urn:kb:record:<id>`,
which never change with the host. Undated records are left out of feeds rather than dated 1970.
Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates) are
dropped from every text that goes into XML.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from kb.models import LinkedRecord, Record
from kb.render.site import Site

if TYPE_CHECKING:
    from kb.render.inputs import Scope
from kb.render.summary import one_line
from kb.urls import group_url, url_for

SCHEMA_PATH = "records.schema.json"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` escaped for XML character data, without the characters XML 1.0 forbids."""
    return escape(_NOT_XML.sub("", text))


def xml_attr(text: str) -> str:
    return quoteattr(_NOT_XML.sub("", text))


def absolute_url(base: str, path: str) -> str:
    """base_url + a site path, percent-encoded (RFC 3986): `authors/オミータ/` -> `authors/%E3%82%AA...`."""
    return quote(base, safe=":/?#[]@!$&'()*+,;=%~") + quote(path, safe="/!$&'()*+,;=:@~")


def timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def newest(records: list[Record]) -> dt.date | None:
    return max((r.issue_date for r in records if r.issue_date), default=None)


def atom_entry(record: Record, base: str, plain: dict | None) -> str:
    lines = [
        f"<title>{xml_text(record.title)}</title>",
        f"<id>{xml_text('urn:kb:record:' + record.id)}</id>",
        f'<link rel="alternate" type="text/html" href={xml_attr(absolute_url(base, url_for("record", record.id)))}/>',
        f"<updated>{timestamp(record.issue_date)}</updated>",
        *(f"<author><name>{xml_text(a)}</name></author>" for a in record.authors),
        *(f"<category term={xml_attr(t)}/>" for t in record.tags),
        f"<summary>{xml_text(one_line(record, plain))}</summary>",
    ]
    return "  <entry>\n" + "".join(f"    {line}\n" for line in lines) + "  </entry>\n"


@dataclass(frozen=True)
class Feed:
    """One Atom feed: its path, the page it is the feed of, its title and id."""

    path: str
    page: str
    title: str
    id: str


def atom_feed(site: Site | Scope, feed: Feed, records: list[Record], latest: dt.date | None) -> bytes:
    """An Atom feed of the dated `records` (already newest first).

    `<updated>` is the newest record's date (`latest`, the site's newest, when none here has one)."""
    base = site.base_url or ""
    feed_path, page_path, title, feed_id = feed.path, feed.page, feed.title, feed.id
    dated = [r for r in records if r.issue_date]
    updated = newest(dated) or latest or dt.date(2000, 1, 1)
    entries = "".join(atom_entry(r, base, site.plain) for r in dated)
    text = (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang={xml_attr(site.settings.language)}>\n  <title>{xml_text(title)}</title>\n'
            f"  <id>{xml_text(feed_id)}</id>\n  <updated>{timestamp(updated)}</updated>\n"
            f"  <author><name>{xml_text(site.settings.title)}</name></author>\n"
            f'  <link rel="self" type="application/atom+xml" href={xml_attr(absolute_url(base, feed_path))}/>\n'
            f'  <link rel="alternate" type="text/html" href={xml_attr(absolute_url(base, page_path))}/>\n'
            f"{entries}</feed>\n")
    return text.encode("utf-8")


def page_dates(site: Site) -> dict[str, dt.date | None]:
    """When each page last changed, as far as the records say: a record's page its date, a tag,
    author, venue, note, meeting or archive-year page its newest record's (None: no record there is dated)."""
    kb = site.kb
    dates: dict[str, dt.date | None] = {url_for("record", r.id): r.issue_date for r in kb.records}
    groups = [(group_url(kind, g.slug), g.record_ids) for kind in ("tags", "authors", "venues")
              for g in site.groups(kind)]
    groups += [(note.page, note.record_ids) for note in site.notes]
    groups += [(site.meeting_page(g.name), g.record_ids) for g in kb.meetings]
    groups += [(url_for("year", y.year), [i for m in y.months for i in m.record_ids]) for y in kb.dates.years]
    for path, ids in groups:
        dates[path] = newest(site.records_of(ids))
    return dates


def sitemap(site: Site, pages: list[str]) -> bytes:
    """Every HTML page but 404.html, once, sorted, with absolute URLs and the records' dates
    (a page listing records of every date, like the home page, the site's newest)."""
    base, dates, latest = site.base_url or "", page_dates(site), newest(site.kb.records)
    rows = []
    for page in sorted(set(pages) - {"404.html"}):
        day = dates.get(page, latest)
        lastmod = f"<lastmod>{day.isoformat()}</lastmod>" if day else ""
        rows.append(f"  <url><loc>{xml_text(absolute_url(base, page))}</loc>{lastmod}</url>\n")
    text = ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{"".join(rows)}</urlset>\n')
    return text.encode("utf-8")


def record_json(record: LinkedRecord, plain: dict | None) -> dict:
    return {"id": record.id, "title": record.title, "url": url_for("record", record.id), "kind": record.kind,
            "authors": record.authors, "et_al": record.et_al, "tags": record.tags,
            "issue_date": record.issue_date.isoformat() if record.issue_date else None,
            "date_inferred": record.date_inferred, "summary": one_line(record, plain)}


def records_json(records: list[LinkedRecord], plain: dict | None = None,
                 known: dict[str, tuple[dict, str]] | None = None) -> bytes:
    """Every record, newest first (the knowledge base's order), keys sorted, with its JSON Schema
    named: what json.dumps(..., indent=1, sort_keys=True) writes, made of one text per record, which
    `known` keeps by id with the values it shows for the next build of the process (kb serve:
    writing out 10,000 records took 0.45 s of a one-note rebuild)."""
    if not records:
        return (json.dumps({"$schema": SCHEMA_PATH, "records": []}, ensure_ascii=False, indent=1, sort_keys=True)
                + "\n").encode("utf-8")
    known = {} if known is None else known
    texts = ",\n".join([entry_text(r, plain, known) for r in records])
    return f'{{\n "$schema": {json.dumps(SCHEMA_PATH)},\n "records": [\n{texts}\n ]\n}}\n'.encode()


def entry_text(record: LinkedRecord, plain: dict | None, known: dict[str, tuple[dict, str]]) -> str:
    """A record's object in records.json, written out again only when it differs from the one known."""
    data = record_json(record, plain)
    found = known.get(record.id)
    if found is None or found[0] != data:
        found = known[record.id] = (data, entry_json(data))
    return found[1]


def entry_json(data: dict) -> str:
    """A record's object as records.json holds it: indented as its list's item (two levels of one space)."""
    return "  " + json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).replace("\n", "\n  ")
