"""Machine-readable outputs: Atom feeds, sitemap.xml, records.json. All deterministic.

Without a real `base_url` in kb.yaml, links in feeds and the sitemap are relative to the
file they are in (Atom resolves them against the feed's own address; sitemap readers that
need absolute URLs should get `base_url` set). Entry ids are `urn:kb:record:<id>`, which
never change with the host.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from kb.models import Record
from kb.render.markdown import plain_text
from kb.render.site import Site, root_prefix
from kb.search import record_page

EPOCH = "1970-01-01T00:00:00Z"


def timestamp(record: Record) -> str:
    return f"{record.issue_date.isoformat()}T00:00:00Z" if record.issue_date else EPOCH


def link_base(site: Site, feed_path: str) -> str:
    """What to put before a site path: the absolute base URL, else the way to the root."""
    return site.base_url or root_prefix(feed_path)


def atom_entry(record: Record, base: str) -> str:
    summary = plain_text(record.tweet or record.summary or record.headline or record.problem, 400)
    lines = [
        f"<title>{escape(record.title)}</title>",
        f"<id>{escape('urn:kb:record:' + record.id)}</id>",
        f'<link rel="alternate" type="text/html" href={quoteattr(base + record_page(record))}/>',
        f"<updated>{timestamp(record)}</updated>",
        *(f"<author><name>{escape(a)}</name></author>" for a in record.authors),
        *(f"<category term={quoteattr(t)}/>" for t in record.tags),
        *([f"<summary>{escape(summary)}</summary>"] if summary else []),
    ]
    return "  <entry>\n" + "".join(f"    {line}\n" for line in lines) + "  </entry>\n"


def atom_feed(site: Site, feed_path: str, title: str, records: list[Record], feed_id: str) -> bytes:
    """An Atom feed of `records` (already newest first)."""
    base = link_base(site, feed_path)
    updated = max((timestamp(r) for r in records), default=EPOCH)
    entries = "".join(atom_entry(r, base) for r in records)
    text = (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang={quoteattr(site.settings.language)}>\n  <title>{escape(title)}</title>\n'
            f"  <id>{escape(feed_id)}</id>\n  <updated>{updated}</updated>\n"
            f"  <author><name>{escape(site.settings.title)}</name></author>\n"
            f'  <link rel="self" href={quoteattr(base + feed_path)}/>\n'
            f'  <link rel="alternate" type="text/html" href={quoteattr(base + "index.html")}/>\n'
            f"{entries}</feed>\n")
    return text.encode("utf-8")


def sitemap(site: Site, pages: list[str]) -> bytes:
    """Every HTML page but 404.html, sorted; absolute when base_url is set, else root-relative."""
    base = site.base_url or ""
    urls = "".join(f"  <url><loc>{escape(base + page)}</loc></url>\n" for page in sorted(pages) if page != "404.html")
    note = "" if base else "<!-- set base_url in kb.yaml for absolute URLs -->\n"
    text = (f'<?xml version="1.0" encoding="utf-8"?>\n{note}'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n')
    return text.encode("utf-8")


def record_json(record: Record) -> dict:
    return {"id": record.id, "title": record.title, "url": record_page(record), "tags": record.tags,
            "issue_date": record.issue_date.isoformat() if record.issue_date else None,
            "summary": record.summary}


def records_json(records: list[Record]) -> bytes:
    """Every record, newest first (the knowledge base's order), keys sorted."""
    data = [record_json(r) for r in records]
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
