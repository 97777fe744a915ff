"""Related records: a short ranked list by what two records share, each with the reason.

What is shared: the records one mentions (or is mentioned by), topic tags, and content terms
of the title, headline and summary: ASCII words and word pairs (`kv cache`), katakana words
(`ウォーターマーク`) and kanji compounds (`量子化`). A candidate needs MIN_SCORE: one term shared
by two or three records, or one tag shared by a handful, at least. Each shared tag or term adds its rarity
(1 / log(1 + records having it)), terms at TERM_WEIGHT: a term on few records says more than a
tag on many. Tags on more than MAX_SHARE of the records (or more than MAX_COMMON), and terms
on more than TERM_SHARE of them (or more than MIN_TERM_COMMON in a small collection), are skipped
as saying nothing (a generic tag such as AI, words such as 評価 or データセット), and a record with
only such ties has no related records. Candidates come from inverted indexes, so the work stays near-linear; a
record contributes at most MAX_TERMS terms (its rarest). Scores are deterministic: features
are added in sorted order, ties break on the id.

    link_related(records, same_as, mentions, mentioned_by) -> {id: [related ids, best first]}
    related_reasons(records, related, mentions, mentioned_by) -> {id: [reason per related id]}

A reason names what the two share, strongest first: 「共通: タグ 量子化, 語 "KV cache"」.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache

from kb.index.tags import tag_key
from kb.models import Record
from kb.text import fold

LIMIT = 5
MAX_SHARE = 0.2
MIN_COMMON = 30
MAX_COMMON = 100
TERM_SHARE = 0.03
MIN_TERM_COMMON = 5
MENTION_WEIGHT = 3.0
MIN_SCORE = 0.5
TERM_WEIGHT = 0.75
MAX_TERMS = 40
REASONS = 3
STOP_WORDS = frozenset(
    "a an and are as at be by can for from has have in into is it its of on or our the their this to via we what"
    " when which with without using use used based new paper study model models method approach results"
    " towards toward beyond better more less how all you need through large small".split())
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_KATAKANA = re.compile(r"[ァ-ヺー]{5,}")  # shorter ones are mostly everyday words (テスト, クエリ)
_KANJI = re.compile(r"[\u4e00-\u9fff]{3,}")  # 量子化, 強化学習; two kanji are mostly generic (特定, 最適, 研究)
TERM_FIELDS = ("title", "headline", "summary")
TEXT_LIMIT = 1000  # characters of a field read for terms: the lead says what a record is about


def tag_features(record: Record) -> frozenset[str]:
    return tag_set(tuple(record.tags))


@lru_cache(maxsize=1 << 16)
def tag_set(tags: tuple[str, ...]) -> frozenset[str]:
    """Features are asked for twice per record (index, then scores): computed once per process."""
    return frozenset("#" + tag_key(tag) for tag in tags)


# Terms by a digest of the texts they come from: asked for several times per record and build,
# and again by every rebuild of a long-running `kb serve`. Bounded; a memo never changes a result.
_TERMS: dict[bytes, frozenset[str]] = {}
MEMO_LIMIT = 50_000


def term_features(record: Record) -> frozenset[str]:
    texts = tuple((getattr(record, name) or "")[:TEXT_LIMIT] for name in TERM_FIELDS)
    key = hashlib.blake2b("\x00".join(texts).encode(), digest_size=16).digest()
    terms = _TERMS.get(key)
    if terms is None:
        if len(_TERMS) >= MEMO_LIMIT:
            _TERMS.clear()
        terms = _TERMS[key] = text_terms(texts)
    return terms


def text_terms(texts: tuple[str, ...]) -> frozenset[str]:
    """Content terms: ASCII words (not stop words, 3+ letters) and adjacent pairs of them,
    katakana words of 5+ characters, kanji compounds of 3+ characters."""
    terms: set[str] = set()
    for text in texts:
        for run in re.split(r"[^A-Za-z0-9.\- ]+", text):
            words = [w.lower() for w in _ASCII_WORD.findall(run)]
            terms.update(w for w in words if len(w) >= 3 and w not in STOP_WORDS)
            terms.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
                         if a not in STOP_WORDS and b not in STOP_WORDS and len(a) + len(b) >= 4)
        terms.update(_KATAKANA.findall(text))
        terms.update(_KANJI.findall(text))
    return frozenset(fold(t) if t.isascii() else t for t in terms)


def common_limit(count: int, feature: str) -> float:
    """How many records may share a feature before it says nothing (tags start with #)."""
    if feature.startswith("#"):
        return min(MAX_COMMON, max(MIN_COMMON, MAX_SHARE * count))
    return min(MAX_COMMON, max(MIN_TERM_COMMON, TERM_SHARE * count))


class Features:
    """Each record's tags and terms, and the records having each (`holders`), for the functions
    below. Given the previous build's (kb serve), it takes them over and redoes only the
    `changed` records (added, removed or edited ids): see kb.index.links."""

    def __init__(self, records: list[Record], before: Features | None = None,
                 changed: frozenset[str] = frozenset(), known: Mapping[str, frozenset[str]] | None = None) -> None:
        """`known`: features stored for some records (kb.link_state), taken as they are."""
        self.count = len(records)
        self.tag_limit, self.term_limit = limits(self.count)  # asked for ~900,000 times at 10,000 notes
        if before is None:
            self.tags: dict[str, frozenset[str]] = {}
            self.terms: dict[str, frozenset[str]] = {}
            self.holders: dict[str, set[str]] = defaultdict(set)
            changed = frozenset(record.id for record in records)
        else:
            self.tags, self.terms, self.holders = before.tags, before.terms, before.holders
            for record_id in changed:
                for feature in self.of(record_id):
                    self.holders[feature].discard(record_id)
                self.tags.pop(record_id, None), self.terms.pop(record_id, None)
        for record in records:
            if record.id in changed:
                self.add(record, (known or {}).get(record.id))

    def add(self, record: Record, stored: frozenset[str] | None) -> None:
        if stored is None:
            tags, terms = tag_features(record), term_features(record)
        else:  # a tag feature starts with "#", which no term holds (text_terms)
            tags = frozenset(f for f in stored if f.startswith("#"))
            terms = stored - tags
        self.tags[record.id], self.terms[record.id] = tags, terms
        for feature in tags | terms:
            self.holders[feature].add(record.id)

    def of(self, record_id: str) -> frozenset[str]:
        return self.tags.get(record_id, frozenset()) | self.terms.get(record_id, frozenset())

    def postings(self, feature: str) -> set[str] | None:
        """The records having the feature, unless it is on one only or on too many to say anything."""
        ids = self.holders.get(feature)
        return ids if ids and self.ranks(feature, len(ids)) else None

    def ranks(self, feature: str, count: int) -> bool:
        """Whether a feature on `count` records says anything (postings)."""
        return 1 < count <= (self.tag_limit if feature.startswith("#") else self.term_limit)

    def common(self, feature: str) -> int:
        """How many records have the feature, 0 when it says nothing (see postings)."""
        ids = self.postings(feature)
        return len(ids) if ids else 0

    def shared(self, record_id: str) -> list[tuple[str, set[str], float]]:
        """(feature, records having it, weight) of the record's tags and its MAX_TERMS rarest terms."""
        tags = [(f, ids, rarity(ids, 1.0)) for f in sorted(self.tags[record_id]) if (ids := self.postings(f))]
        terms = sorted((len(ids), f) for f in self.terms[record_id] if (ids := self.postings(f)))[:MAX_TERMS]
        return tags + [(f, self.holders[f], rarity(self.holders[f], TERM_WEIGHT))
                       for _, f in sorted(terms, key=lambda t: t[1])]


def limits(count: int) -> tuple[int, int]:
    """The most records a tag and a term may be on (the counts compared with them are whole)."""
    return math.floor(common_limit(count, "#")), math.floor(common_limit(count, "term"))


def rarity(ids, weight: float) -> float:
    return weight / math.log(1 + len(ids))


def score_candidates(record_id: str, features: Features, linked: list[str]) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for _, ids, gain in features.shared(record_id):
        for other in ids:
            scores[other] += gain
    for other in linked:
        scores[other] += MENTION_WEIGHT
    return scores


def link_related(records: list[Record], same_as: dict[str, list[str]], mentions: dict[str, list[str]],
                 mentioned_by: dict[str, list[str]], features: Features | None = None,
                 ids: list[str] | None = None) -> dict[str, list[str]]:
    """Each record's `related` (only those of `ids`, when given): up to LIMIT ids, best first;
    never self or the same paper."""
    features = features or Features(records)
    related: dict[str, list[str]] = {}
    for record_id in ids if ids is not None else [record.id for record in records]:
        scores = score_candidates(record_id, features, [*mentions[record_id], *mentioned_by[record_id]])
        excluded = {record_id, *same_as[record_id]}
        ranked = sorted((-score, other) for other, score in scores.items()
                        if other not in excluded and score >= MIN_SCORE)
        related[record_id] = [other for _, other in ranked[:LIMIT]]
    return related


def reason(pair: tuple[Record, Record], features: Features, linked: bool) -> str:
    """What the two records share, strongest (rarest) first, at most REASONS parts."""
    record, other = pair
    names = {"#" + tag_key(t): t for t in other.tags}
    tags = [(n, fold(names[f]), f"タグ {names[f]}") for f in features.tags[record.id] & features.tags[other.id]
            if (n := features.common(f))]
    terms = [(n, f, f'語 "{f}"') for f in features.terms[record.id] & features.terms[other.id]
             if (n := features.common(f))]
    parts: list[tuple[str, str]] = []
    for _, _, key, text in sorted((count, -len(key), key, text) for count, key, text in tags + terms):
        if len(parts) < REASONS and not any(key in seen or seen in key for seen, _ in parts):
            parts.append((key, text))  # "reinforcement" adds nothing beside "reinforcement learning"
    return "共通: " + ", ".join((["言及"] if linked else []) + [text for _, text in parts])


def related_reasons(records: list[Record], related: dict[str, list[str]], mentions: dict[str, list[str]],
                    mentioned_by: dict[str, list[str]], features: Features | None = None,
                    ids: list[str] | None = None) -> dict[str, list[str]]:
    """For each record (of `ids`, when given), the reason of each of its related records (same order as `related`)."""
    by_id = {record.id: record for record in records}
    features = features or Features(records)
    reasons: dict[str, list[str]] = {}
    for record_id in ids if ids is not None else list(by_id):
        linked = set(mentions[record_id]) | set(mentioned_by[record_id])
        reasons[record_id] = [reason((by_id[record_id], by_id[o]), features, o in linked) for o in related[record_id]]
    return reasons
