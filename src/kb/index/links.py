"""The links between records (same paper, mentions, related, compute), worked out anew only
where a change can reach them.

    relink(records, before, memo, inferred, years) -> (linked records, LinkMemo)
    link_records(records, memo, inferred, years) -> linked records (every record linked)

A clean build links every record. A rebuild passes the previous build's LinkMemo (kept in memory
by kb serve and kb build --watch, else read from the build state: kb.link_state): the records
whose digest differs from then (edited, added, removed: `changed`) are read again, and a fact of
another record is worked out again only when something it is made of changed:
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

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from kb.cache import MentionMemo
from kb.index.compute import link_compute
from kb.index.mentions import link_mentions
from kb.index.related import Features, limits, link_related, related_reasons
from kb.index.same_paper import Pairs, block_keys, link_same_papers, paired_blocks
from kb.models import LinkedRecord, Record

LINKS = ("same_as", "mentions", "mentioned_by", "related", "related_reasons")  # what a next build takes over


@dataclass
class LinkMemo:
    """What linking keeps for the next build: a digest of each record it linked (as linked,
    kb.digests.record_digest) and its same-paper block keys, each title block's pairs, each
    text's digest, each record's links (LINKS, by name then id), and the ids whose part of all
    that differs from the build before (`dirty`: what the build state writes again). In the
    same process also the features and the LinkedRecords; read from the build state
    (kb.link_state), a changed record's old features come from `stored_features` instead, and
    every record's from `all_features`."""

    digests: dict[str, str]
    keys: dict[str, list[tuple]]
    blocks: dict[tuple, Pairs]
    texts: dict[str, str]
    values: dict[str, dict[str, list[str]]]
    features: Features | None = None
    linked: dict[str, LinkedRecord] = field(default_factory=dict)
    stored_features: Callable[[str], frozenset[str]] | None = None
    all_features: Callable[[], dict[str, frozenset[str]]] | None = None
    dirty: frozenset[str] = frozenset()
    generation: str = ""  # names this linking: a new one whenever a record or its links changed
    since: str = ""  # the generation of the linking it was worked out from ("": none, every record is dirty)

    def settled(self, generation: str) -> frozenset[str] | None:
        return self.mark().settled(generation)

    def mark(self) -> LinkMark:
        return LinkMark(self.generation, self.since, self.dirty)

    def features_of(self, record_id: str) -> frozenset[str]:
        if self.features is not None:
            return self.features.of(record_id)
        return self.stored_features(record_id) if self.stored_features else frozenset()


class LinkMark(NamedTuple):
    """A linking's generation, the one it was worked out from and the ids dirty since (LinkMemo),
    without the memo (which a one-shot build lets go of before the search index stage)."""

    generation: str
    since: str
    dirty: frozenset[str]

    def settled(self, generation: str) -> frozenset[str] | None:
        """The dirty ids, if this linking was worked out from the one named `generation`: every
        other record's LinkedRecord is then the one that linking made (its fields, as parsed and
        as the index stage set them, are the same by digest, and so are its links: dirty_ids).
        None when it was not: nothing is known of what changed since that one."""
        return self.dirty if generation and self.since == generation else None


def changed_ids(now: dict[str, str], before: LinkMemo) -> frozenset[str]:
    """Ids added, removed, or whose record differs from the previous build's (by digest)."""
    old = before.digests
    return frozenset(i for i in now.keys() | old.keys() if now.get(i) != old.get(i))


def link_records(records: list[Record], memo: MentionMemo | None = None, inferred: frozenset[str] = frozenset(),
                 years: frozenset[str] = frozenset()) -> list[LinkedRecord]:
    return relink(records, None, memo, inferred, years)[0]


def relink(records: list[Record], before: LinkMemo | None, memo: MentionMemo | None = None,
           inferred: frozenset[str] = frozenset(), years: frozenset[str] = frozenset(),
           digests: dict[str, str] | None = None) -> tuple[list[LinkedRecord], LinkMemo]:
    """The records with their link fields, in dependency order: same paper, mentions, related,
    compute. `memo` (from the build state) lets mention detection skip text it has read before;
    `inferred` are the ids whose issue date the index inferred, `years` those whose year it
    inferred; `before` is the previous build's LinkMemo (the module docstring), which this takes over;
    `digests` are the records' (kb.digests.record_digest): a record without one counts as changed."""
    now = {record.id: record for record in records}
    digests = {i: d for i in now if (d := (digests or {}).get(i))}
    changed = changed_ids(digests, before) | (now.keys() - digests.keys()) if before is not None else None
    old_features = {i: before.features_of(i) for i in changed} if before is not None else {}
    features = linked_features(records, before, changed)
    keys, blocks = title_blocks(records, before, changed)
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
    kept_values = {name: values[name] for name in LINKS}
    dirty = dirty_ids(now, before, changed, kept_values)
    return linked, LinkMemo(digests, keys, blocks, texts, kept_values, features, {r.id: r for r in linked},
                            dirty=dirty, generation=generation_after(before, changed, dirty),
                            since=before.generation if before is not None else "")


def generation_after(before: LinkMemo | None, changed: frozenset[str] | None, dirty: frozenset[str]) -> str:
    """The previous linking's generation when no record came, went or changed and no link moved;
    else a new one (random: it only names a linking, for kb.plan_state and kb.view_state)."""
    if before is not None and before.generation and not changed and not dirty:
        return before.generation
    return uuid.uuid4().hex


def linked_features(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None) -> Features:
    """The records' related-record features: the previous build's taken over in the same process,
    the stored ones of unchanged records in a new one (kb.link_state), else all worked out."""
    if before is None:
        return Features(records)
    if before.features is not None:
        return Features(records, before.features, changed)
    stored = before.all_features() if before.all_features is not None else {}
    return Features(records, known={i: found for i, found in stored.items() if i not in changed})


def title_blocks(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None,
                 ) -> tuple[dict[str, list[tuple]], dict[tuple, Pairs]]:
    """Each record's same-paper block keys, and each block's pairs: compared again only in the
    blocks of a changed record, before or after the change (kb.index.same_paper)."""
    if before is None:
        keys = {r.id: block_keys(r) for r in records}
        return keys, paired_blocks(records, keys=keys)
    keys = {r.id: block_keys(r) if r.id in changed else before.keys[r.id] for r in records}
    touched = {key for i in changed for key in (*keys.get(i, ()), *before.keys.get(i, ()))}
    return keys, paired_blocks(records, before.blocks, touched, keys)


def dirty_ids(now: dict[str, Record], before: LinkMemo | None, changed: frozenset[str] | None,
              values: dict[str, dict[str, list[str]]]) -> frozenset[str]:
    """The records whose digest, block keys, text digest or links differ from the previous build's."""
    if before is None:
        return frozenset(now)
    moved = {i for name, found in values.items() for i, ids in found.items() if before.values[name].get(i) != ids}
    return frozenset(changed & now.keys()) | moved


def affected(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None, features: Features,
             old_features: dict[str, frozenset[str]], links: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """The ids whose related records must be worked out again (None: all of them)."""
    if before is None or limits(len(before.keys)) != limits(len(records)):
        return None
    moved = set().union(*(old_features[i] ^ features.of(i) for i in changed))  # features whose records changed
    reach = set(changed).union(*(features.holders.get(f, ()) for f in telling(moved, features, old_features, changed)))
    for name, values in links.items():
        old = before.values[name]
        reach.update(i for i, ids in values.items() if i in old and old[i] != ids)
    return [record.id for record in records if record.id in reach]


def telling(moved: set[str], features: Features, old_features: dict[str, frozenset[str]],
            changed: frozenset[str]) -> list[str]:
    """The features among `moved` that rank records before or after the change: one on too many
    records (a tag on 2,000 of 10,000) or on one alone ranks none either way, so the records having
    it are not ranked again for it (an added note reached 8,600 of 10,000 records through its tags)."""
    found = []
    for feature in moved:
        now = len(features.holders.get(feature, ()))
        gained = sum(feature in features.of(i) for i in changed) - sum(feature in old_features[i] for i in changed)
        if features.ranks(feature, now) or features.ranks(feature, now - gained):
            found.append(feature)
    return found


def kept(found: dict[str, list], before: LinkMemo | None, name: str, now: dict[str, Record]) -> dict[str, list]:
    """`found` (values of some records), with the previous build's `name` for every other record of `now`."""
    if before is None:
        return found
    old = before.values[name]
    return {i: found[i] if i in found else old[i] for i in now}


def to_explain(records: list[Record], before: LinkMemo | None, changed: frozenset[str] | None,
               todo: list[str] | None, related: dict[str, list[str]]) -> list[str] | None:
    """The ids whose reasons must be written again (None: all of them)."""
    if todo is None:
        return None
    again = set(todo)
    old = before.values["related"]
    return [r.id for r in records if r.id in again  # every changed record is among them
            or related[r.id] != old[r.id] or not changed.isdisjoint(related[r.id])]


def linked_record(record: Record, values: dict[str, dict], date_inferred: bool, year_inferred: bool,
                  before: LinkMemo | None, changed: frozenset[str] | None) -> LinkedRecord:
    """The record with its links: the previous build's object when none of it changed."""
    links = {name: found[record.id] for name, found in values.items()}
    links |= {"date_inferred": date_inferred, "year_inferred": year_inferred}
    earlier = before.linked.get(record.id) if before is not None and record.id not in changed else None
    if earlier is not None:
        if all(getattr(earlier, name) == value for name, value in links.items()):
            return earlier
    return LinkedRecord.of(record, links)
