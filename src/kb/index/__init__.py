"""The index stage: records in, a read-only KnowledgeBase out (tags, dates, people, links).

`build_index` copies the records it is given and fills what the index knows: canonical
tags, a month inferred from the arXiv id for an undated paper, and the link fields
(same_as, mentions, mentioned_by, related, compute). The parsed records stay untouched.
"""

from __future__ import annotations

from kb.config import Settings
from kb.index.compute import link_compute
from kb.index.dates import build_date_index, infer_dates, newest_first
from kb.index.groups import KnowledgeBase, group_by_author, group_by_meeting, group_by_venue
from kb.index.mentions import link_mentions
from kb.index.own_links import fill_own_links
from kb.index.related import link_related
from kb.index.same_paper import link_same_papers
from kb.index.tags import build_tag_index
from kb.models import Record

__all__ = ["KnowledgeBase", "build_index", "link_records"]


def link_records(records: list[Record], memo: dict | None = None) -> None:
    """Fill the link fields in dependency order: same paper, mentions, related, compute.

    `memo` (from the build cache) lets mention detection skip text it has read before.
    """
    link_same_papers(records)
    link_mentions(records, memo)
    link_related(records)
    link_compute(records)


def build_index(records: list[Record], settings: Settings, memo: dict | None = None) -> KnowledgeBase:
    # Shallow copies: the index only ever assigns fields (never mutates a parsed list in place).
    records = [record.model_copy() for record in records]
    fill_own_links(records)
    infer_dates(records)
    ordered = newest_first(records)  # first: every group below then lists its records newest first
    tags = build_tag_index(ordered, settings.tag_aliases, settings.bookkeeping_tags)
    link_records(ordered, memo)
    return KnowledgeBase(
        records=ordered,
        by_id={record.id: record for record in ordered},
        tags=tags,
        dates=build_date_index(ordered),
        authors=group_by_author(ordered),
        venues=group_by_venue(ordered),
        meetings=group_by_meeting(ordered),
    )
