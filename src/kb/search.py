"""What a search matches, for `kb search` and for the site (its script applies the same rule).

The rule: fold the query and the text (NFKC + case fold), split the query at white
space, and a record matches when every word occurs in its text as a substring. Japanese
needs no word splitting for this, and `LoRA` finds `QLoRA`. The site's search
(kb.search_index writes the index, templates/static/kb-search.js reads it) indexes the
same text, region by region (`search_regions`), and ranks the same way (`rank_key`):
tests/test_search_browser.py checks both agree on every query of tests/search_queries.py.

Near matches (typos in ASCII names) come after exact ones, ranked with rapidfuzz.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rapidfuzz import fuzz, process, utils

from kb.index.tags import tag_key
from kb.models import Record
from kb.render.cjk_breaks import cjk_breaks
from kb.text import fold
from kb.urls import url_for

TEXT_FIELDS = ("headline", "summary", "problem", "approach", "results", "limitations", "technical",
               "costs", "references", "tweet", "comment")
NEAR_CUTOFF = 85.0


@dataclass(frozen=True)
class Hit:
    record: Record
    exact: bool
    score: float

    def as_dict(self) -> dict:
        r = self.record
        return {"id": r.id, "title": r.title, "issue_date": r.issue_date and r.issue_date.isoformat(),
                "tags": r.tags, "path": record_page(r), "match": "exact" if self.exact else "near",
                "score": round(self.score, 1)}


def record_page(record: Record) -> str:
    """The record's page, relative to the site root."""
    return url_for("record", record.id)


SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
TEXT_MEMO_LIMIT = 50_000
_TEXTS: dict[str, str] = {}  # Markdown -> the words a reader sees (filled by the renderer too)


def is_safe_url(url: str | None) -> bool:
    """Only http(s) and mailto targets become links (no `javascript:`)."""
    return bool(url) and SAFE_URL.match(url.strip()) is not None


def markdown_parser(**options) -> MarkdownIt:
    """The one Markdown dialect of kb: CommonMark + tables, raw HTML as text, safe links only.
    The renderer adds its highlighter; the tokens are the same, so pages and search agree."""
    md = MarkdownIt("commonmark", {"html": False, **options}).enable("table").use(cjk_breaks)
    md.validateLink = is_safe_url
    return md


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return markdown_parser()


def tokens_text(tokens: list[Token]) -> str:
    """The words of parsed Markdown (markup dropped, code kept), block by block."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("fence", "code_block", "html_block"):
            parts.append(token.content)
        for child in token.children or []:
            if child.type in ("text", "code_inline", "html_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
        if token.block and token.nesting <= 0:
            parts.append("\n")
    return "".join(parts)


def remember_text(markdown: str, text: str) -> None:
    """Keep `markdown_text(markdown)` computed from tokens parsed elsewhere (one parse per body)."""
    if len(_TEXTS) >= TEXT_MEMO_LIMIT:
        _TEXTS.clear()
    _TEXTS[markdown] = text


def markdown_text(markdown: str) -> str:
    """The words a reader sees in rendered Markdown (markup dropped, code kept)."""
    text = _TEXTS.get(markdown)
    if text is None:
        text = tokens_text(_markdown().parse(markdown))
        remember_text(markdown, text)
    return text


# Rank order: a match in an earlier region ranks higher.
REGIONS = ("title", "people and tags", "headline and summary", "body")


def search_regions(record: Record) -> tuple[str, str, str, str]:
    """The text a search looks at, in rank order: the title; authors, venue, presenter, meeting, tags, arXiv id;
    headline and summary; the rest of the rendered text. Lines are joined with newlines, which
    no query word contains, so a word never matches across two parts."""
    people = [", ".join(record.authors), record.venue or "", record.presenter or "", record.meeting or "",
              " ".join(record.tags), record.arxiv_id or ""]
    lead = [markdown_text(getattr(record, name) or "") for name in TEXT_FIELDS[:2]]
    body = [markdown_text(getattr(record, name)) for name in TEXT_FIELDS[2:] if getattr(record, name)]
    body += [s.heading + "\n" + markdown_text(s.body) for s in record.sections]
    return record.title, *("\n".join(p for p in group if p) for group in (people, lead, body))


def search_text(record: Record) -> str:
    """Everything a search looks at: title, people, venue, tags and the rendered text."""
    return "\n".join(p for p in search_regions(record) if p)


def match_region(words: list[str], regions: tuple[str, ...]) -> int | None:
    """Where a record matches folded `words`: the last of the regions holding each word's first
    occurrence (0 = every word in the title), None when a word is missing."""
    folded = [folded_text(r) for r in regions]
    worst = 0
    for word in words:
        found = next((i for i, text in enumerate(folded) if word in text), None)
        if found is None:
            return None
        worst = max(worst, found)
    return worst


def rank_key(region: int, record: Record) -> tuple:
    """The site's and `kb search`'s order: by match region, then newest_first."""
    return region, *newest_first(record)


def newest_first(record: Record) -> tuple:
    """Newest first (undated last, after a record dated 0001-01-01 too), then by id: the order
    among equal matches, and the search index's record order (kb.search_index.ordered)."""
    return record.issue_date is None, -(record.issue_date or dt.date.min).toordinal(), record.id


def query_words(query: str) -> list[str]:
    return fold(query).split()


@lru_cache(maxsize=4096)
def folded_text(text: str) -> str:
    """fold(text), remembered: a query set folds each record's text once, not once per query."""
    return fold(text)


def matches(query: str, text: str) -> bool:
    """The one match rule: every folded query word occurs in the folded text."""
    words = query_words(query)
    folded = folded_text(text)
    return bool(words) and all(word in folded for word in words)


def passes_filters(record: Record, tag: str | None, since: dt.date | None) -> bool:
    if tag and tag_key(tag) not in {tag_key(t) for t in record.tags}:
        return False
    return since is None or (record.issue_date is not None and record.issue_date >= since)


def near_hits(query: str, records: list[Record], limit: int) -> list[Hit]:
    """Records whose title, tags or authors are close to the query (typos in ASCII names)."""
    choices = {i: " ".join([r.title, *r.tags, *r.authors]) for i, r in enumerate(records)}
    found = process.extract(query, choices, scorer=fuzz.partial_ratio, processor=utils.default_process,
                            score_cutoff=NEAR_CUTOFF, limit=limit)
    return [Hit(records[i], exact=False, score=score) for _, score, i in found]


def search(records: list[Record], query: str, tag: str | None = None, since: dt.date | None = None,
           limit: int = 20, near: bool = True) -> list[Hit]:
    """Exact matches (the site's rule and order) first, then near matches, at most `limit` in all.
    An exact hit's score is 4 (title) to 1 (body)."""
    pool = [r for r in records if passes_filters(r, tag, since)]
    words = query_words(query)
    found = [(region, r) for r in pool if words and (region := match_region(words, search_regions(r))) is not None]
    found.sort(key=lambda pair: rank_key(*pair))
    hits = [Hit(r, True, float(len(REGIONS) - region)) for region, r in found[:limit]]
    if near and len(hits) < limit and query.isascii():
        seen = {h.record.id for h in hits}
        rest = [r for r in pool if r.id not in seen]
        hits += near_hits(query, rest, limit - len(hits))
    return hits
