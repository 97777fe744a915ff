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
from collections import Counter, defaultdict
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
    """Each record's tags and terms, computed once per call of the functions below (a reason
    compares two records' features, and each record is in several reasons)."""

    def __init__(self, records: list[Record]) -> None:
        self.tags = {record.id: tag_features(record) for record in records}
        self.terms = {record.id: term_features(record) for record in records}


def inverted(records: list[Record], features: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for feature in sorted(features[record.id]):
            index[feature].append(record.id)
    return {feature: ids for feature, ids in index.items() if 1 < len(ids) <= common_limit(len(records), feature)}


def rarity(ids: list[str], weight: float) -> float:
    return weight / math.log(1 + len(ids))


def shared_features(record_id: str, features: Features, tag_index, term_index) -> list[tuple[str, list[str], float]]:
    """(feature, records having it, weight) of the record's tags and its MAX_TERMS rarest terms."""
    tags = [(f, tag_index[f], rarity(tag_index[f], 1.0)) for f in sorted(features.tags[record_id]) if f in tag_index]
    terms = sorted((len(term_index[f]), f) for f in features.terms[record_id] if f in term_index)[:MAX_TERMS]
    return tags + [(f, term_index[f], rarity(term_index[f], TERM_WEIGHT)) for _, f in sorted(terms, key=lambda t: t[1])]


def score_candidates(record_id: str, features: Features, tag_index, term_index, linked: list[str]) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for _, ids, gain in shared_features(record_id, features, tag_index, term_index):
        for other in ids:
            scores[other] += gain
    for other in linked:
        scores[other] += MENTION_WEIGHT
    return scores


def link_related(records: list[Record], same_as: dict[str, list[str]], mentions: dict[str, list[str]],
                 mentioned_by: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each record's `related`: up to LIMIT ids, best first; never self or the same paper."""
    features = Features(records)
    tag_index, term_index = inverted(records, features.tags), inverted(records, features.terms)
    related: dict[str, list[str]] = {}
    for record in records:
        linked = [*mentions[record.id], *mentioned_by[record.id]]
        scores = score_candidates(record.id, features, tag_index, term_index, linked)
        excluded = {record.id, *same_as[record.id]}
        ranked = sorted((-score, other) for other, score in scores.items()
                        if other not in excluded and score >= MIN_SCORE)
        related[record.id] = [other for _, other in ranked[:LIMIT]]
    return related


def reason(pair: tuple[Record, Record], features: Features, linked: bool, common: Counter) -> str:
    """What the two records share, strongest (rarest) first, at most REASONS parts."""
    record, other = pair
    names = {"#" + tag_key(t): t for t in other.tags}
    tags = [(common[f], fold(names[f]), f"タグ {names[f]}") for f in features.tags[record.id] & features.tags[other.id]
            if f in common]
    terms = [(common[f], f, f'語 "{f}"') for f in features.terms[record.id] & features.terms[other.id] if f in common]
    parts: list[tuple[str, str]] = []
    for _, _, key, text in sorted((count, -len(key), key, text) for count, key, text in tags + terms):
        if len(parts) < REASONS and not any(key in seen or seen in key for seen, _ in parts):
            parts.append((key, text))  # "reinforcement" adds nothing beside "reinforcement learning"
    return "共通: " + ", ".join((["言及"] if linked else []) + [text for _, text in parts])


def related_reasons(records: list[Record], related: dict[str, list[str]], mentions: dict[str, list[str]],
                    mentioned_by: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each record, the reason of each of its related records (same order as `related`)."""
    by_id = {record.id: record for record in records}
    features = Features(records)
    counts = Counter(f for record in records for f in features.tags[record.id] | features.terms[record.id])
    common = Counter({f: n for f, n in counts.items() if 1 < n <= common_limit(len(records), f)})
    reasons: dict[str, list[str]] = {}
    for record in records:
        linked = set(mentions[record.id]) | set(mentioned_by[record.id])
        reasons[record.id] = [reason((record, by_id[o]), features, o in linked, common) for o in related[record.id]]
    return reasons
