"""Tag spellings that are probably one tag, for `kb tags --suggest` (never applied by itself:
the user copies the printed `tag_aliases` lines into kb.yaml).

Folding by case, width and spacing is automatic (kb.index.tags.tag_key). Beyond that, three
kinds of variant are proposed, each with a rapidfuzz score of the two spellings' cores:

- a bracketed long form: `MoE` / `MoE(Mixture-of-Experts)` (the same core before the bracket);
- a typo: `MulltiModal` / `multimodal` (cores at least TYPO_SCORE similar, with the same digits,
  the same first and last two letters, and the same capitals when both have several);
- a katakana reading: `マルチモーダル` / `multimodal` (the same consonant skeleton, l read as r).

The suggested name is the most used spelling of the group (a doubled letter a variant lacks
taken out: `MulltiModal` -> `MultiModal`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from kb.index.groups import Group
from kb.index.tags import tag_key

TYPO_SCORE = 90.0
MIN_CORE = 5  # shorter cores (`RL`, `CV`, `LLM`) are too close to each other to guess
MIN_SKELETON = 4
_OPENING, _CLOSING = re.compile(r"[(（]"), re.compile(r"[)）]")
_DIGITS = re.compile(r"\d+")
_VOWELS = re.compile(r"[aeiouy]")
_CAPITALS = re.compile(r"[A-Z]")
_KATAKANA = re.compile(r"^[\u30a0-\u30ffー]+$")
# Katakana to consonants (a reading's skeleton): vowels and long marks carry nothing here.
_KANA_CONSONANTS = {
    **dict.fromkeys("アイウエオァィゥェォーッ", ""), **dict.fromkeys("カキクケコ", "k"),
    **dict.fromkeys("ガギグゲゴ", "g"),
    **dict.fromkeys("サスセソ", "s"), "シ": "sh", **dict.fromkeys("ザズゼゾ", "z"), "ジ": "j",
    **dict.fromkeys("タテト", "t"), "チ": "t", "ツ": "ts", **dict.fromkeys("ダデド", "d"),
    **dict.fromkeys("ナニヌネノ", "n"), "ン": "n", **dict.fromkeys("ハヒヘホ", "h"), "フ": "f",
    **dict.fromkeys("バビブベボ", "b"), **dict.fromkeys("パピプペポ", "p"), **dict.fromkeys("マミムメモ", "m"),
    **dict.fromkeys("ヤユヨャュョ", ""), **dict.fromkeys("ラリルレロ", "r"), "ワ": "w", "ヲ": "", "ヴ": "v",
}


@dataclass(frozen=True)
class Suggestion:
    alias: str  # a spelling in use
    name: str  # the tag it should fold into
    score: float
    reason: str


def without_brackets(text: str) -> str:
    """The text less each bracketed part and the spaces around it, as `\\s*[(（][^)）]*[)）]\\s*` took
    them out, in linear time (that pattern read to the end of the text from each `(` with no `)`
    after it, and from each space of a run)."""
    kept, position = [], 0
    while (opening := _OPENING.search(text, position)) and (closing := _CLOSING.search(text, opening.end())):
        start, end = opening.start(), closing.end()
        while start > position and text[start - 1].isspace():
            start -= 1
        while end < len(text) and text[end].isspace():
            end += 1
        kept.append(text[position:start])
        position = end
    return "".join(kept) + text[position:]


def core(name: str) -> str:
    """The folded spelling without its bracketed part: `MoE(Mixture-of-Experts)` -> `moe`."""
    return tag_key(without_brackets(name)).replace("-", "") or tag_key(name)


def skeleton(text: str) -> str:
    """Consonants of a spelling (katakana read, l as r, ch/sh as t/s, doubles squeezed)."""
    if _KATAKANA.match(text):
        text = "".join(_KANA_CONSONANTS.get(ch, "?") for ch in text)
    else:
        text = _VOWELS.sub("", core(text)).replace("l", "r").replace("ch", "t").replace("sh", "s")
    return re.sub(r"(.)\1+", r"\1", text)


def acronym_differs(a: str, b: str) -> bool:
    """Both spellings capitalised and their capitals differ (`CVR` vs `CTR`): not a typo."""
    ua, ub = _CAPITALS.findall(a), _CAPITALS.findall(b)
    return len(ua) >= 2 and len(ub) >= 2 and "".join(ua) != "".join(ub) and len(ua) == len(ub)


def reason(a: str, b: str) -> tuple[str, float] | None:
    """Why two spellings look like one tag, and the score, or None."""
    ca, cb = core(a), core(b)
    if ca == cb:
        return "bracketed long form", 100.0
    if _KATAKANA.match(a) or _KATAKANA.match(b):
        sa, sb = skeleton(a), skeleton(b)
        ok = "?" not in sa + sb and len(sa) >= MIN_SKELETON and sa == sb
        return ("katakana reading", fuzz.ratio(sa, sb)) if ok else None
    if min(len(ca), len(cb)) < MIN_CORE or _DIGITS.findall(ca) != _DIGITS.findall(cb):
        return None
    if (ca[:2], ca[-2:]) != (cb[:2], cb[-2:]) or acronym_differs(a, b):
        return None  # `Unsupervised` / `Supervised`, `CVRPrediction` / `CTRPrediction`: other words
    score = fuzz.ratio(ca, cb)
    return ("typo", score) if score >= TYPO_SCORE else None


def undouble(name: str, others: list[str]) -> str:
    """`MulltiModal` -> `MultiModal` when another spelling has the letter once."""
    keys = {core(o) for o in others}
    for match in re.finditer(r"([A-Za-z])\1", name):
        fixed = name[: match.start()] + name[match.start() + 1:]
        if core(fixed) in keys:
            return fixed
    return name


def clusters(groups: list[Group]) -> list[list[Group]]:
    """Groups linked by a pairwise reason, joined transitively (union-find over the pairs)."""
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cores = [core(g.name) for g in groups]
    for i, group in enumerate(groups):
        near = process.extract(cores[i], cores, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE, limit=None)
        candidates = {j for _, _, j in near} | {j for j, g in enumerate(groups) if _KATAKANA.match(g.name)
                                               or _KATAKANA.match(group.name)}
        for j in candidates:
            if j > i and reason(group.name, groups[j].name):
                parent[root(j)] = root(i)
    found: dict[int, list[Group]] = defaultdict(list)
    for i, group in enumerate(groups):
        found[root(i)].append(group)
    return [members for members in found.values() if len(members) > 1]


def suggest(groups: list[Group]) -> list[Suggestion]:
    """Aliases to add to kb.yaml's tag_aliases, grouped by the tag they fold into."""
    out: list[Suggestion] = []
    for members in clusters(groups):
        members.sort(key=lambda g: (-g.count, -len(g.name), g.name))
        names = [g.name for g in members]
        name = undouble(names[0], names[1:])
        for group in members:
            if tag_key(group.name) == tag_key(name):
                continue  # the same tag up to case: folded already
            why = reason(group.name, name) or reason(group.name, names[0]) or ("variant", 0.0)
            out.append(Suggestion(group.name, name, round(why[1], 1), why[0]))
    return sorted(out, key=lambda s: (s.name, s.alias))
