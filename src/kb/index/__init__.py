"""The index stage: parsed records in, one read-only KnowledgeBase out (tags, dates, people, links).

    build_index(records, settings, memo=None) -> KnowledgeBase
    index_records(records, settings, memo, before) -> (KnowledgeBase, LinkMemo)  (kb serve: kb.index.links)

The parsed records (kb.models.Record, frozen) are never changed: each step returns values by
record id, and the stage ends by making one frozen LinkedRecord per record. Order: a paper's
own link from its text (url, arXiv id), a month inferred from the arXiv id for an undated
paper, canonical tags, then the links (same paper, mentions, related, compute), each step
reading what the ones before it settled.
"""

from __future__ import annotations

from kb.cache import MentionMemo
from kb.config import Settings
from kb.digests import record_digest
from kb.index.dates import build_date_index, inferred_dates, inferred_years, newest_first
from kb.index.groups import KnowledgeBase, group_by_author, group_by_meeting, group_by_venue
from kb.index.links import LinkMemo, link_records, relink
from kb.index.own_links import own_links
from kb.index.tags import build_tag_index
from kb.models import Record

Origins = dict[str, tuple[str, Record]]  # id -> (digest of the record as parsed, that record)

__all__ = ["KnowledgeBase", "LinkMemo", "build_index", "index_records", "link_records"]


def updated(records: list[Record], values: dict[str, dict]) -> list[Record]:
    """The records with the values a step found (a frozen copy where one differs: the canonical
    tags step gives every record its tags, most of them as they were)."""
    return [record.model_copy(update=found) if (found := values.get(record.id)) and differs(record, found) else record
            for record in records]


def differs(record: Record, found: dict) -> bool:
    return any(getattr(record, name) != value for name, value in found.items())


def build_index(records: list[Record], settings: Settings, memo: MentionMemo | None = None) -> KnowledgeBase:
    return index_records(records, settings, memo)[0]


def index_records(records: list[Record], settings: Settings, memo: MentionMemo | None = None,
                  before: LinkMemo | None = None, origins: Origins | None = None) -> tuple[KnowledgeBase, LinkMemo]:
    """build_index, given what linking kept from the previous build (`before`, kb.index.links),
    and returning what this one keeps for the next. `origins` (id -> the digest of the record as
    parsed and that record, kb.build.origins) lets it tell changed records by digest."""
    records = updated(records, own_links(records))
    dates = inferred_dates(records)  # {id: {"issue_date": month}}: marked date_inferred when linked
    records = updated(records, dates)
    years = inferred_years(records)  # {id: {"year": ...}} from the arXiv id or the issue date: marked year_inferred
    records = newest_first(updated(records, years))  # first: every group below then lists its records newest first
    tags, canonical = build_tag_index(records, settings.tag_aliases, settings.bookkeeping_tags)
    records = updated(records, canonical)
    digests = {r.id: record_digest(r, origin) for r in records if (origin := origins.get(r.id))} if origins else {}
    linked, links = relink(records, before, memo, frozenset(dates), frozenset(years), digests)
    kb = KnowledgeBase(
        records=linked,
        by_id={record.id: record for record in linked},
        tags=tags,
        dates=build_date_index(linked),
        authors=group_by_author(linked),
        venues=group_by_venue(linked),
        meetings=group_by_meeting(linked),
    )
    return kb, links
