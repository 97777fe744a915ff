"""The one-line summary of a record: one rule for every place that shows one.

Record lists, records.json, the Atom feeds and the page's description (OGP, Twitter) all
call `one_line`, so a reader sees the same sentence wherever the record appears. The first
field with text wins, in this order; a record with none of them says what it is instead,
so no list entry, feed entry or description is ever empty.
"""

from __future__ import annotations

from kb.models import Record
from kb.render.markdown import keeps_lines, plain_text

ORDER = ("headline", "summary", "tweet", "problem", "approach", "results", "comment")
LIMIT = 200
# A one-line summary is read, not clicked: addresses in it (a comment's 元ポスト:https://...) are
# left out, so no list, feed or description shows a bare URL.
KIND_NOUNS = {"paper": "論文", "blog": "ブログ記事", "article": "記事", "talk": "発表", "repository": "リポジトリ",
              "other": "資料"}


def one_line(record: Record, store: dict[str, str] | None = None) -> str:
    """The record's summary as plain text on one line, at most LIMIT characters, never empty."""
    return noted_line(record, store) or plain_text(f"{record.title}（{KIND_NOUNS[record.kind]}）", LIMIT, store)


def noted_line(record: Record, store: dict[str, str] | None = None) -> str:
    """`one_line` from the record's own text only: empty when the note says nothing beyond the
    title (a record list then shows no line rather than the title again)."""
    texts = [getattr(record, name) for name in ORDER] + [section.body for section in record.sections]
    keep_lines = keeps_lines(record.source.format)
    for text in texts:
        line = plain_text(text, 10 * LIMIT, store, keep_lines)[:LIMIT]
        if line.strip(" :：、。"):
            return line
    return ""
