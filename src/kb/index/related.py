"""Related records: a short ranked list from mentions, shared tags and shared title words.

Candidates come from inverted indexes (tag -> records, title word -> records), skipping
tags and words so common they say nothing (on more than MAX_SHARE of the records, or
more than MAX_COMMON), so the work stays near-linear. Scores are deterministic:
ties break on the id.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import lru_cache

from kb.index.names import tokens
from kb.index.tags import tag_key
from kb.models import Record

LIMIT = 5
MAX_SHARE = 0.2
MIN_COMMON = 30
MAX_COMMON = 100
MENTION_WEIGHT = 3.0
WORD_WEIGHT = 0.5
STOP_WORDS = frozenset("a an and are as at by for from in is of on or the to via with without using".split())


def tag_features(record: Record) -> frozenset[str]:
    return tag_set(tuple(record.tags))


def word_features(record: Record) -> frozenset[str]:
    return title_words(record.title)


@lru_cache(maxsize=1 << 16)
def tag_set(tags: tuple[str, ...]) -> frozenset[str]:
    """Features are asked for twice per record (index, then scores): computed once per process."""
    return frozenset("#" + tag_key(tag) for tag in tags)


@lru_cache(maxsize=1 << 16)
def title_words(title: str) -> frozenset[str]:
    return frozenset(w for w in tokens(title) if len(w) > 3 and w.isascii() and w not in STOP_WORDS)


def inverted(records: list[Record], features) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for feature in sorted(features(record)):
            index[feature].append(record.id)
    limit = min(MAX_COMMON, max(MIN_COMMON, MAX_SHARE * len(records)))
    return {feature: ids for feature, ids in index.items() if 1 < len(ids) <= limit}


def add_shared(scores: dict[str, float], record: Record, index: dict[str, list[str]], features, weight: float):
    """Adds each shared feature's gain, features in sorted order: float sums in set order would
    depend on the process's string hash seed, and a near tie could then rank differently."""
    for feature in sorted(features(record)):
        ids = index.get(feature)
        if ids:
            gain = weight / math.log(1 + len(ids))
            for other in ids:
                scores[other] += gain


def score_candidates(record: Record, tag_index, word_index, mentioned: list[str]) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    add_shared(scores, record, tag_index, tag_features, 1.0)
    add_shared(scores, record, word_index, word_features, WORD_WEIGHT)
    for other in mentioned:
        scores[other] += MENTION_WEIGHT
    return scores


def link_related(records: list[Record], same_as: dict[str, list[str]], mentions: dict[str, list[str]],
                 mentioned_by: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each record's `related`: up to LIMIT ids, best first; never self or the same paper."""
    tag_index = inverted(records, tag_features)
    word_index = inverted(records, word_features)
    related: dict[str, list[str]] = {}
    for record in records:
        scores = score_candidates(record, tag_index, word_index, [*mentions[record.id], *mentioned_by[record.id]])
        excluded = {record.id, *same_as[record.id]}
        ranked = sorted((-score, other) for other, score in scores.items() if other not in excluded)
        related[record.id] = [other for _, other in ranked[:LIMIT]]
    return related
