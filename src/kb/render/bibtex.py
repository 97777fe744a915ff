"""BibTeX entries for every record, with stable citation keys, that standard styles accept.

A key is `<first author's family name><year><first title word>` in ASCII (`vaswani2017attention`;
the family name as BibTeX reads the name, so `Vaswani, Ashish` and `Ashish Vaswani` agree);
records whose key collides get `a`, `b`... in record-id order, so a key changes only when a
new record with the very same key appears.

Entry types: a paper with a proceedings venue is `@inproceedings`; an arXiv-only paper is
`@misc` with `eprint`/`archivePrefix`; blogs, articles, talks, repositories and papers
without authors are `@misc` with `howpublished` (the `plain`, `alpha` and `unsrt` styles
require an author for `@inproceedings`, and know no `@online`). Text goes through pylatexenc
(LaTeX escapes for `\\ % & _ # ~ ^ $` and accents; braces as `\\textbraceleft{}` so BibTeX's
brace count stays right), words with capitals are brace-protected so styles keep `LLM` and
`LoRA`, a listing's `Name+` ends the author list with `and others`, and only http(s) URLs
are written.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from pybtex.database import Person
from pylatexenc.latexencode import (
    RULE_DICT,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
    get_builtin_uni2latex_dict,
)

from kb.models import Record
from kb.render.markdown import is_safe_url

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "via", "is", "are", "do", "does"}
_ARXIV_VENUE = re.compile(r"arxiv", re.IGNORECASE)
_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
HOWPUBLISHED = {"blog": "Blog post", "article": "Web article", "talk": "Talk", "repository": "Software repository",
                "other": "Online"}
# BibTeX counts `\{` as a brace too: literal braces need a macro that has none of its own.
_BRACES = UnicodeToLatexConversionRule(RULE_DICT, {ord("{"): r"\textbraceleft", ord("}"): r"\textbraceright"})


@lru_cache(maxsize=1)
def encoder() -> UnicodeToLatexEncoder:
    return UnicodeToLatexEncoder(conversion_rules=[_BRACES, "defaults"], unknown_char_policy="keep",
                                 unknown_char_warning=False, replacement_latex_protection="braces-after-macro")


@lru_cache(maxsize=1)
def converted() -> frozenset[int]:
    """The characters pylatexenc rewrites (its default table and our braces); all others it keeps."""
    return frozenset(get_builtin_uni2latex_dict()) | {ord("{"), ord("}")}


@lru_cache(maxsize=1 << 16)
def latex(text: str) -> str:
    """Plain text as LaTeX: one line, specials escaped, non-Latin scripts kept as UTF-8.

    Text with no character pylatexenc would rewrite is returned as it is without calling it
    (the same result; pylatexenc walks every character in Python, a fifth of a 10,000-note build)."""
    line = " ".join(_NOT_TEXT.sub("", text).split())
    if converted().isdisjoint(map(ord, line)):
        return line
    return encoder().unicode_to_latex(line)


def protected_title(text: str) -> str:
    """`LoRA for LLMs` -> `{LoRA} for {LLMs}`: styles that lowercase titles leave these words alone."""
    return " ".join("{" + word + "}" if re.search("[A-Z]", word) else word for word in latex(text).split(" "))


def ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(folded)


@lru_cache(maxsize=1 << 16)
def family_name(name: str) -> str:
    """The last name as BibTeX splits `First Last`, `Last, First` and `First von Last`."""
    person = Person(" ".join(name.replace("{", "").replace("}", "").split()))
    return " ".join(person.last_names) or name


def base_key(record: Record) -> str:
    family = ascii_words(family_name(record.authors[0]))[-1:] if record.authors else []
    year = record_year(record)
    title = [w for w in ascii_words(record.title) if w not in _STOP][:1]
    key = "".join(family) + (str(year) if year else "") + "".join(title)
    return key or (f"arxiv{record.arxiv_id.replace('.', '')}" if record.arxiv_id else record.kind)


def citation_keys(records: list[Record]) -> dict[str, str]:
    """record id -> unique citation key, for every record."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.id):
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


def record_year(record: Record) -> int | None:
    return record.year or (record.issue_date.year if record.issue_date else None)


def entry_type(record: Record) -> str:
    arxiv_only = not record.venue or bool(_ARXIV_VENUE.search(record.venue))
    return "inproceedings" if record.kind == "paper" and record.authors and not arxiv_only else "misc"


def author_field(record: Record) -> str:
    names = [latex(name) for name in record.authors]
    return " and ".join(names + (["others"] if record.et_al else []))


def record_url(record: Record) -> str | None:
    url = record.url or (f"https://arxiv.org/abs/{record.arxiv_id}" if record.arxiv_id else None)
    return url if url and url.startswith(("http://", "https://")) and is_safe_url(url) else None


def bib_fields(record: Record) -> list[tuple[str, str]]:
    """(name, BibTeX value) pairs, values already LaTeX."""
    kind, year, url = entry_type(record), record_year(record), record_url(record)
    fields = [("author", author_field(record))] if record.authors else []
    fields.append(("title", protected_title(record.title)))
    if kind == "inproceedings":
        fields.append(("booktitle", latex(record.venue)))
    elif record.kind != "paper":
        fields.append(("howpublished", HOWPUBLISHED[record.kind]))
    elif record.venue and not record.arxiv_id:
        arxiv = _ARXIV_VENUE.search(record.venue)
        fields.append(("howpublished", "arXiv preprint" if arxiv else latex(record.venue)))
    fields += [("year", str(year))] if year else []
    if record.arxiv_id:
        fields += [("eprint", record.arxiv_id), ("archivePrefix", "arXiv")]
    if url:
        fields.append(("url", url.replace("\\", "").replace("{", "%7B").replace("}", "%7D")))
    return fields


def bibtex_entry(record: Record, key: str) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in bib_fields(record))
    return f"@{entry_type(record)}{{{key},\n{body}\n}}\n"


def bibtex_file(records: list[Record], keys: dict[str, str]) -> str:
    entries = [bibtex_entry(r, keys[r.id]) for r in sorted(records, key=lambda r: keys.get(r.id, "")) if r.id in keys]
    return "\n".join(entries)
