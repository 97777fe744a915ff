"""The index stage: parsed records in, one read-only KnowledgeBase out (tags, dates, people, links).

    build_index(records, settings, memo=None) -> KnowledgeBase

The parsed records (kb.models.Record, frozen) are never changed: each step returns values by
record id, and the stage ends by making one frozen LinkedRecord per record. Order: a paper's
own link from its text (url, arXiv id), a month inferred from the arXiv id for an undated
paper, canonical tags, then the links (same paper, mentions, related, compute), each step
reading what the ones before it settled.
"""

from __future__ import annotations

from kb.cache import MentionMemo
from kb.config import Settings
from kb.index.compute import link_compute
from kb.index.dates import build_date_index, inferred_dates, inferred_years, newest_first
from kb.index.groups import KnowledgeBase, group_by_author, group_by_meeting, group_by_venue
from kb.index.mentions import link_mentions
from kb.index.own_links import own_links
from kb.index.related import link_related, related_reasons
from kb.index.same_paper import link_same_papers
from kb.index.tags import build_tag_index
from kb.models import LinkedRecord, Record

__all__ = ["KnowledgeBase", "build_index", "link_records"]


def updated(records: list[Record], values: dict[str, dict]) -> list[Record]:
    """The records with the values a step found (a frozen copy where it found any)."""
    return [record.model_copy(update=values[record.id]) if record.id in values else record for record in records]


def link_records(records: list[Record], memo: MentionMemo | None = None,
                 inferred: frozenset[str] = frozenset(), years: frozenset[str] = frozenset()) -> list[LinkedRecord]:
    """The records with their link fields, in dependency order: same paper, mentions, related,
    compute. `memo` (from the build cache) lets mention detection skip text it has read before;
    `inferred` are the ids whose issue date the index inferred, `years` those whose year it inferred."""
    same_as = link_same_papers(records)
    mentions, mentioned_by = link_mentions(records, same_as, memo)
    related = link_related(records, same_as, mentions, mentioned_by)
    reasons = related_reasons(records, related, mentions, mentioned_by)
    compute = link_compute(records)
    return [LinkedRecord.of(record, {
        "date_inferred": record.id in inferred, "year_inferred": record.id in years, "same_as": same_as[record.id],
        "mentions": mentions[record.id], "mentioned_by": mentioned_by[record.id], "related": related[record.id],
        "related_reasons": reasons[record.id],
        "compute": compute[record.id]}) for record in records]


def build_index(records: list[Record], settings: Settings, memo: MentionMemo | None = None) -> KnowledgeBase:
    records = updated(records, own_links(records))
    dates = inferred_dates(records)  # {id: {"issue_date": month}}: marked date_inferred when linked
    records = updated(records, dates)
    years = inferred_years(records)  # {id: {"year": ...}} from the arXiv id or the issue date: marked year_inferred
    records = newest_first(updated(records, years))  # first: every group below then lists its records newest first
    tags, canonical = build_tag_index(records, settings.tag_aliases, settings.bookkeeping_tags)
    linked = link_records(updated(records, canonical), memo, frozenset(dates), frozenset(years))
    return KnowledgeBase(
        records=linked,
        by_id={record.id: record for record in linked},
        tags=tags,
        dates=build_date_index(linked),
        authors=group_by_author(linked),
        venues=group_by_venue(linked),
        meetings=group_by_meeting(linked),
    )
