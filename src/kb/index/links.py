"""The links between records (same paper, mentions, related, compute), worked out anew only
where a change can reach them.

    relink(records, before, memo, inferred, years) -> (linked records, LinkMemo)
    link_records(records, memo, inferred, years) -> linked records (every record linked)

A clean build links every record. A rebuild of the same process (kb serve, kb build --watch)
passes the previous build's LinkMemo: the records whose parse result differs from then
(edited, added, removed: `changed`) are read again, and a fact of another record is worked out
again only when something it is made of changed:
- same paper: the title blocks holding a changed record, before or after (kb.index.same_paper);
- mentions: the texts of changed records, and the texts that may hold a name that came
  (kb.index.mentions keeps what each text matched);
- related: the records sharing a tag or a term whose set of records changed, and those whose
  mentions or same paper changed; all of them when the number of records moves how many may
  share a feature (kb.index.related.limits);
- reasons: those records, and the ones whose related list changed or holds a changed record.
The result is the same as linking every record (tests/test_incremental.py builds both ways).
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.cache import MentionMemo
from kb.index.compute import link_compute
from kb.index.mentions import link_mentions
from kb.index.related import Features, limits, link_related, related_reasons
from kb.index.same_paper import Pairs, block_keys, link_same_papers, paired_blocks
from kb.models import LinkedRecord, Record


@dataclass
class LinkMemo:
    """What linking keeps for the next build of the same process: the records it linked (as
    parsed, by id), their features, each title block's pairs, each text's digest, the result."""

    records: dict[str, Record]
    features: Features
    blocks: dict[tuple, Pairs]
    texts: dict[str, str]
    linked: dict[str, LinkedRecord]


def changed_ids(now: dict[str, Record], before: LinkMemo) -> frozenset[str]:
    """Ids added, removed, or whose record differs from the previous build's."""
    old = before.records
    return frozenset(i for i in now.keys() | old.keys() if (a := now.get(i)) is not (b := old.get(i)) and a != b)


def link_records(records: list[Record], memo: MentionMemo | None = None, inferred: frozenset[str] = frozenset(),
                 years: frozenset[str] = frozenset()) -> list[LinkedRecord]:
    return relink(records, None, memo, inferred, years)[0]


def relink(records: list[Record], before: LinkMemo | None, memo: MentionMemo | None = None,
           inferred: frozenset[str] = frozenset(), years: frozenset[str] = frozenset(),
           ) -> tuple[list[LinkedRecord], LinkMemo]:
    """The records with their link fields, in dependency order: same paper, mentions, related,
    compute. `memo` (from the build state) lets mention detection skip text it has read before;
    `inferred` are the ids whose issue date the index inferred, `years` those whose year it
    inferred; `before` is the previous build's LinkMemo (the module docstring), which this takes over."""
    now = {record.id: record for record in records}
    changed = changed_ids(now, before) if before is not None else None
    old_features = {i: before.features.of(i) for i in changed} if before is not None else {}
    features = Features(records, before.features if before else None, changed or frozenset())
    touched = {key for i in changed for r in (now.get(i), before.records.get(i)) if r for key in block_keys(r)} \
        if before is not None else set()
    blocks = paired_blocks(records, before.blocks if before else None, touched)
    same_as = link_same_papers(records, blocks)
    texts = {i: d for i, d in before.texts.items() if i in now and i not in changed} if before is not None else {}
    mentions, mentioned_by = link_mentions(records, same_as, memo, texts)
    links = {"same_as": same_as, "mentions": mentions, "mentioned_by": mentioned_by}
    todo = affected(records, before, changed, features, old_features, links)
    related = kept(link_related(records, same_as, mentions, mentioned_by, features, todo), before, "related", now)
    explain = to_explain(records, before, changed, todo, related)
    reasons = kept(related_reasons(records, related, mentions, mentioned_by, features, explain), before,
                   "related_reasons", now)
    values = {**links, "related": related, "related_reasons": reasons, "compute": link_compute(records)}
    linked = [linked_record(record, values, record.id in inferred, record.id in years, before, changed)
              for record in records]
    return linked, LinkMemo(now, features, blocks, texts, {r.id: r for r in linked})


def affected(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None, features: Features,
             old_features: dict[str, frozenset[str]], links: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """The ids whose related records must be worked out again (None: all of them)."""
    if before is None or limits(len(before.records)) != limits(len(records)):
        return None
    moved = set().union(*(old_features[i] ^ features.of(i) for i in changed))  # features whose records changed
    reach = set(changed).union(*(features.holders.get(f, ()) for f in moved))
    for name, values in links.items():
        reach.update(i for i, ids in values.items() if i in before.linked and getattr(before.linked[i], name) != ids)
    return [record.id for record in records if record.id in reach]


def kept(found: dict[str, list], before: LinkMemo | None, name: str, now: dict[str, Record]) -> dict[str, list]:
    """`found` (values of some records), with the previous build's `name` for every other record of `now`."""
    if before is None:
        return found
    return {i: found[i] if i in found else getattr(before.linked[i], name) for i in now}


def to_explain(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None,
               todo: list[str] | None, related: dict[str, list[str]]) -> list[str] | None:
    """The ids whose reasons must be written again (None: all of them)."""
    if todo is None:
        return None
    again = set(todo)
    return [r.id for r in records if r.id in again  # every changed record is among them
            or related[r.id] != before.linked[r.id].related or not changed.isdisjoint(related[r.id])]


def linked_record(record: Record, values: dict[str, dict], date_inferred: bool, year_inferred: bool,
                  before: LinkMemo | None, changed: frozenset[str] | None) -> LinkedRecord:
    """The record with its links: the previous build's object when none of it changed."""
    links = {name: found[record.id] for name, found in values.items()}
    links |= {"date_inferred": date_inferred, "year_inferred": year_inferred}
    if before is not None and record.id not in changed:
        earlier = before.linked[record.id]
        if all(getattr(earlier, name) == value for name, value in links.items()):
            return earlier
    return LinkedRecord.of(record, links)
