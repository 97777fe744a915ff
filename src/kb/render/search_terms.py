"""Extra text a record page gives the search index, so the site finds what `kb search` finds.

The record page renders it as a `hidden` block at the end of its `data-pagefind-body`
(Pagefind 1.6 indexes `hidden` elements; browsers neither show it nor read it out). It holds:

- the tags, one per word: the visible tag links sit side by side with no space between them
  (`ArticleComputerVision`), so they are kept out of the index and listed here instead;
- the headings of sections the page does not show (their text is already shown as a field),
  which `kb.search.search_text` includes;
- the suffixes (>= 2 characters) of the ASCII words of the record's text. Pagefind matches a
  query word as a prefix of an indexed word, so `lora` finds `qlora` only if `lora` is indexed
  too: listing the suffixes makes `LoRA` find QLoRA / LongLoRA and `GRPO` find `-QGRPO`.

Every word here is a substring of `search_text(record)`, so it adds no match the shared rule
would not make (the site checks results against the page text, this block included).
"""

from __future__ import annotations

import re
import unicodedata

from kb.models import Record
from kb.search import search_text

ASCII_WORD = re.compile(r"[0-9a-z]+")
MIN_SUFFIX = 2  # `KV` inside `QKV`; 3 would save ~2 % of the bundle and miss it
MAX_WORD = 40  # longer runs are hashes or squashed URLs: nobody types a piece of them
BLOCK_ID = "kb-search-terms"


def ascii_suffixes(text: str) -> list[str]:
    """Sorted, deduplicated proper suffixes (>= MIN_SUFFIX chars) of the text's ASCII words
    that are not words of the text themselves (those are indexed already)."""
    words = set(ASCII_WORD.findall(unicodedata.normalize("NFKC", text).lower()))
    found = {w[i:] for w in words if len(w) <= MAX_WORD for i in range(1, len(w) - MIN_SUFFIX + 1)}
    return sorted(found - words)


def hidden_headings(record: Record, shown: set[str]) -> list[str]:
    """Section headings that the page leaves out (the section's text is shown as a field)."""
    return [s.heading for s in record.sections if s.heading and s.heading not in shown]


def search_terms(record: Record, shown_headings: set[str]) -> str:
    """The text of the hidden block: tags, hidden headings, then ASCII suffixes, space-separated."""
    parts = [*record.tags, *hidden_headings(record, shown_headings), *ascii_suffixes(search_text(record))]
    return " ".join(p for p in parts if p)
