"""BibTeX entries for paper records, with stable citation keys.

A key is `<first author's family name><year><first title word>` in ASCII
(`wang2025improving`); records whose key collides get `a`, `b`... in record-id order,
so a key changes only when a new paper with the very same key appears.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from kb.models import Record

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "via", "is", "are", "do", "does"}


def ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(folded)


def base_key(record: Record) -> str:
    family = ascii_words(record.authors[0])[-1:] if record.authors else []
    year = record.year or (record.issue_date.year if record.issue_date else None)
    title = [w for w in ascii_words(record.title) if w not in _STOP][:1]
    key = "".join(family) + (str(year) if year else "") + "".join(title)
    return key or (f"arxiv{record.arxiv_id.replace('.', '')}" if record.arxiv_id else "paper")


def citation_keys(records: list[Record]) -> dict[str, str]:
    """record id -> unique citation key, for every paper record."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for record in sorted((r for r in records if r.kind == "paper"), key=lambda r: r.id):
        by_key[base_key(record)].append(record.id)
    keys: dict[str, str] = {}
    for key, ids in by_key.items():
        for n, record_id in enumerate(ids):
            keys[record_id] = key if len(ids) == 1 else key + suffix(n)
    return keys


def suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def bib_value(text: str) -> str:
    """Brace-quote a value; braces and backslashes in it are escaped, so entries stay balanced."""
    clean = " ".join(text.split()).replace("\\", "\\textbackslash{}")
    clean = clean.replace("{", "\\{").replace("}", "\\}")
    return "{" + clean + "}"


def bib_fields(record: Record) -> list[tuple[str, str]]:
    fields = [("title", record.title)]
    if record.authors:
        fields.append(("author", " and ".join(record.authors)))
    if record.year or record.issue_date:
        fields.append(("year", str(record.year or record.issue_date.year)))
    if record.venue:
        fields.append(("booktitle", record.venue))
    if record.arxiv_id:
        fields += [("eprint", record.arxiv_id), ("archivePrefix", "arXiv")]
    url = record.url or (f"https://arxiv.org/abs/{record.arxiv_id}" if record.arxiv_id else None)
    if url:
        fields.append(("url", url))
    return fields


def bibtex_entry(record: Record, key: str) -> str:
    kind = "inproceedings" if record.venue else "misc"
    body = ",\n".join(f"  {name} = {bib_value(value)}" for name, value in bib_fields(record))
    return f"@{kind}{{{key},\n{body}\n}}\n"


def bibtex_file(records: list[Record], keys: dict[str, str]) -> str:
    entries = [bibtex_entry(r, keys[r.id]) for r in sorted(records, key=lambda r: keys.get(r.id, "")) if r.id in keys]
    return "\n".join(entries)
