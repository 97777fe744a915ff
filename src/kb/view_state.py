"""The digests of each record's views, kept in the build state (kb.cache, entry `views/`), so
that a new process does not make every record's Facts, Item and feed entry again to learn that
they did not change (1 s of a one-note rebuild at 10,000 notes).

    context_of(site) -> str        what else every record's views are made of: kb's code, the
                                   settings and what they all read (kb.render.site.Site.view_context)
    StoredViews(context, rows)     id -> [fingerprint, one digest per VIEW_KINDS ("" if not made)]

A record's views (the inputs `record:`, `item:`, `entry:`, `cite:`, `links:` and `brief:` of
kb.render.inputs) are functions of the record, of what they read of the rest of the site (its
tags' and authors' pages, its citation key...: Site.record_context) and of that context only. The
fingerprint is the digest of the whole linked record (kb.digests.record_digest) and of its record
context, so a stored digest is used only for a record equal to the one it was made from, reading
the same of the site, in an equal context: a row can be old, never wrong. Adding a note leaves the
other records' rows valid.

Digesting every linked record for its fingerprint took 0.19 s of a one-note rebuild at 10,000
notes: the entry keeps each record's digest (`linked`) with the generation of the linking it was
made in (`links`), and a build whose linking was worked out from that one takes the kept digest
of every record it did not find dirty (kb.index.links.LinkMemo.settled): such a record is the one
that linking made.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kb.digests import code_digest, digest, settings_digest

VIEW_KINDS = ("record", "item", "entry", "cite", "links", "brief")
Row = tuple[str, str, str, str, str, str, str]  # fingerprint, then a digest per VIEW_KINDS


class StoredViews(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    context: str
    rows: dict[str, Row]
    links: str = ""  # the generation of the linking the rows were made from (kb.index.links.LinkMemo)
    linked: dict[str, str] = {}  # id -> the digest of its LinkedRecord then (the fingerprint's first part)


def context_of(site) -> str:
    """The digest of everything but the record that a record's views read (sets sorted)."""
    values = [sorted(value) if isinstance(value, frozenset) else value for value in site.view_context]
    return digest(code_digest(), settings_digest(site.settings), values)
