"""The same paper noted in several notes: linked as `same_as`, never merged away.

Candidate pairs come from blocks (the same arXiv id; the same first or last three title
tokens) so nothing compares all pairs; within a block rapidfuzz decides. A block is sorted
by title and each record compared with the WINDOW records after it: all pairs of a block of
up to WINDOW + 1 records, a number linear in the block beyond (1,449 entries of a listing
titled alike were a million comparisons, 54 s); the same paper's records, alike in title,
sit side by side there and their chain of links is one paper (`kb.index.papers`). Titles that
differ in a number or a numeral (`Textbooks Are All You Need` / `... II`,
`FlashAttention` / `FlashAttention-2`) are different papers however close they look.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from rapidfuzz import fuzz

from kb.index.names import tokens
from kb.models import Record

SIMILARITY = 92.0
BLOCK_TOKENS = 3
WINDOW = 50
_NUMBERED = re.compile(r"\d|^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$")


def title_tokens(record: Record) -> tuple[str, ...]:
    return _title_tokens(record.title)


@lru_cache(maxsize=1 << 16)
def _title_tokens(title: str) -> tuple[str, ...]:
    return tokens(title)


@lru_cache(maxsize=1 << 16)
def numerals(words: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens that tell editions apart: anything with a digit, roman numerals."""
    return tuple(word for word in words if _NUMBERED.search(word))


def same_title(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if numerals(a) != numerals(b):
        return False
    return fuzz.ratio(" ".join(a), " ".join(b)) >= SIMILARITY


def block_keys(record: Record) -> list[tuple]:
    """The blocks of a record: its arXiv id, its first three and its last three title tokens."""
    words = title_tokens(record)
    keys: list[tuple] = [("arxiv", record.arxiv_id)] if record.arxiv_id else []
    if len(words) >= BLOCK_TOKENS:
        keys += [("head", *words[:BLOCK_TOKENS]), ("tail", *words[-BLOCK_TOKENS:])]
    return keys


def blocks(records: list[Record], keys: dict[str, list[tuple]] | None = None) -> dict[tuple, list[Record]]:
    """Records grouped by block (block_keys, or each record's `keys` where given)."""
    found: dict[tuple, list[Record]] = defaultdict(list)
    for record in records:
        for key in keys[record.id] if keys is not None else block_keys(record):
            found[key].append(record)
    return found


def is_same_paper(a: Record, b: Record) -> bool:
    if a.arxiv_id and b.arxiv_id:
        return a.arxiv_id == b.arxiv_id
    return same_title(title_tokens(a), title_tokens(b))


def neighbours(members: list[Record]):
    """Each record of a block, in title order, with each of the WINDOW records after it."""
    ordered = sorted(members, key=lambda record: (title_tokens(record), record.id))
    for index, record in enumerate(ordered):
        for other in ordered[index + 1 : index + 1 + WINDOW]:
            yield record, other


Pairs = frozenset[tuple[str, str]]


def block_pairs(members: list[Record]) -> Pairs:
    """Sorted id pairs of a block's records that are the same work."""
    return frozenset(tuple(sorted((a.id, b.id))) for a, b in neighbours(members)
                     if a.id != b.id and is_same_paper(a, b))


def paired_blocks(records: list[Record], before: dict[tuple, Pairs] | None = None,
                  touched: set[tuple] | frozenset[tuple] = frozenset(),
                  keys: dict[str, list[tuple]] | None = None) -> dict[tuple, Pairs]:
    """Each block's pairs. Given the previous build's, only the `touched` blocks (those of a
    changed record, before and after the change) are compared again. `keys`: each record's block_keys."""
    return {key: before[key] if before is not None and key not in touched and key in before else block_pairs(members)
            for key, members in blocks(records, keys).items()}


def same_paper_pairs(records: list[Record]) -> set[tuple[str, str]]:
    """Sorted id pairs of records that are the same work."""
    return set().union(*paired_blocks(records).values())


def link_same_papers(records: list[Record], paired: dict[tuple, Pairs] | None = None) -> dict[str, list[str]]:
    """Each record's `same_as`: sorted, symmetric (from `paired`, paired_blocks' result, when given)."""
    linked: dict[str, set[str]] = defaultdict(set)
    for a, b in set().union(*(paired if paired is not None else paired_blocks(records)).values()):
        linked[a].add(b)
        linked[b].add(a)
    return {record.id: sorted(linked.get(record.id, ())) for record in records}
