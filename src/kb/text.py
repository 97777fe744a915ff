"""Small text rules shared by parsers and the index: arXiv ids, slugs, folding."""

from __future__ import annotations

import hashlib
import re
import unicodedata

ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}")
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
SLUG_MAX = 80


def arxiv_id_from_url(url: str | None) -> str | None:
    """The bare arXiv id (no version) of an arxiv.org abs/pdf/html link, else None."""
    if not url:
        return None
    match = _ARXIV_URL.search(url)
    return match.group(1) if match else None


def fold(text: str) -> str:
    """NFKC + case fold: the one notion of 'the same text' for matching and search."""
    return unicodedata.normalize("NFKC", text).casefold()


def slugify(text: str, max_len: int = SLUG_MAX) -> str:
    """A URL-safe slug that keeps Unicode letters (kanji stay kanji).

    Runs of anything that is not a letter, digit or underscore become one '-'.
    Text with no letters at all gets a short hash so the slug is never empty.
    """
    folded = fold(text)
    slug = _NON_WORD.sub("-", folded).strip("-_")
    slug = slug.replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug)
    if len(slug) > max_len:
        slug = slug[:max_len].rstrip("-")
    if not slug:
        slug = "h" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return slug
