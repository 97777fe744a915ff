"""Named groups of records (authors, venues) and the KnowledgeBase they live in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from kb.models import Record
from kb.text import fold, keyed_slug, short_hash


@dataclass(frozen=True)
class Group:
    """Records sharing a name (an author, a venue, a tag): display name, slug, ids."""

    key: str
    name: str
    slug: str
    record_ids: tuple[str, ...]
    bookkeeping: bool = False  # a tag that files a note (Pocket, read-later), not a topic

    @property
    def count(self) -> int:
        return len(self.record_ids)


@dataclass(frozen=True)
class KnowledgeBase:
    records: list[Record]
    by_id: dict[str, Record]
    tags: list[Group]
    dates: object  # kb.index.dates.DateIndex
    authors: list[Group]
    venues: list[Group]
    meetings: list[Group] = field(default_factory=list)  # study-group meetings, newest first


def unique_slugs(keys: list[str]) -> dict[str, str]:
    """A slug per key that depends on the key alone (kb.text.keyed_slug), so adding or removing
    one key never moves another's URL. Keys differing only in separators (`a.b`, `a b`) share a
    plain slug: the one spelled exactly like it keeps it, the others get their hash too."""
    slugs = {key: keyed_slug(key) for key in keys}
    by_slug: dict[str, list[str]] = defaultdict(list)
    for key, slug in slugs.items():
        by_slug[slug].append(key)
    for slug, same in by_slug.items():
        if len(same) > 1:
            for key in same:
                if key != slug:
                    slugs[key] = f"{slug}-{short_hash(key, 10)}"
    return slugs


def make_groups(members: dict[str, list[str]], names: dict[str, str]) -> list[Group]:
    slugs = unique_slugs(list(members))
    groups = [Group(key, names[key], slugs[key], tuple(dict.fromkeys(ids))) for key, ids in members.items()]
    return sorted(groups, key=lambda g: (fold(g.name), g.key))


@lru_cache(maxsize=1 << 16)
def group_key(name: str) -> str:
    """The key an author or venue name is filed under: folded, so case and width do not split a
    group (asked for every author of every record at each build and page: kept per name)."""
    return " ".join(fold(name).split())


def group_records(records: list[Record], values) -> list[Group]:
    """Group records by the names `values(record)` gives, folded so case/width don't split."""
    members: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for record in records:
        for name in values(record):
            key = group_key(name)
            members[key].append(record.id)
            names.setdefault(key, name.strip())
    return make_groups(members, names)


def group_by_author(records: list[Record]) -> list[Group]:
    return group_records(records, lambda r: [a for a in r.authors if a.strip()])


def group_by_venue(records: list[Record]) -> list[Group]:
    return group_records(records, lambda r: [r.venue] if r.venue and r.venue.strip() else [])


def group_by_meeting(records: list[Record]) -> list[Group]:
    """The study-group meetings, newest first (a meeting's name starts with its date), each
    with its talks and main topic in the order of the minutes."""
    in_order = sorted(records, key=lambda r: (r.source.path, r.source.line_start))
    groups = group_records(in_order, lambda r: [r.meeting] if r.meeting and r.meeting.strip() else [])
    return sorted(groups, key=lambda g: (g.name, g.key), reverse=True)
