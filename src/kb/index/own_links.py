"""A record's own link: when a note gives no `url`, the first link its text names as the
paper's or project's page fills it.

A link counts as the record's own when the note labels it so (`論文のプロジェクトリンク:`,
`論文:`, `Project page:`, `OpenReview:`, `arXiv:` ...), or when its host names the record
(`https://gpt4all.io/index.html` in the GPT4All note). Posts on X/Twitter are never a
paper's page (`元ポスト:`, `公式ポスト:` are people talking about it), and neither is a
`関連論文:` / `参考論文:` link (another paper).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from kb.index.names import short_name, tokens
from kb.models import Record
from kb.text import URL, arxiv_id_from_url

TEXT_FIELDS = ("summary", "comment", "headline", "references")
LABELLED = re.compile(
    r"(?<!関連)(?<!参考)(?<!引用)(?<!関連する)(?:論文|プロジェクト|project|paper|arxiv|openreview|公式サイト|公式ページ|公式ブログ|website)"
    r"(?:の?(?:プロジェクト)?(?:リンク|ページ|サイト|url))?\s*[:：]\s*$",
    re.IGNORECASE,
)
NOT_A_PAPER_PAGE = ("x.com", "twitter.com", "www.x.com", "mobile.twitter.com")
MIN_NAME = 4
MAX_NAME_WORDS = 2


def texts(record: Record) -> list[str]:
    parts = [getattr(record, name) or "" for name in TEXT_FIELDS]
    return [p for p in parts if p] + [section.body for section in record.sections if section.body]


def host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def record_names(record: Record) -> set[str]:
    """The record's name as a host would spell it: a title of one or two words, or its short name."""
    found = [tokens(record.title), tokens(short_name(record.title) or "")]
    names = {"".join(words).replace("-", "") for words in found if 1 <= len(words) <= MAX_NAME_WORDS}
    return {name for name in names if len(name) >= MIN_NAME}


def names_host(record: Record, url: str) -> bool:
    """The host is named after the record (`gpt4all.io` for GPT4All)."""
    labels = {label.replace("-", "") for label in host(url).removeprefix("www.").split(".")[:-1]}
    return not labels.isdisjoint(record_names(record))


def own_link(record: Record) -> str | None:
    """The first link the record's text labels as its own page, or whose host is named after it."""
    for text in texts(record):
        for match in URL.finditer(text):
            url = match.group(0).rstrip(".,;:)]")
            if host(url) in NOT_A_PAPER_PAGE:
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            if LABELLED.search(text[line_start : match.start()]) or names_host(record, url):
                return url
    return None


def own_links(records: list[Record]) -> dict[str, dict]:
    """For each record without a `url`, its own link from its text (and the arXiv id it carries)."""
    found: dict[str, dict] = {}
    for record in records:
        url = None if record.url else own_link(record)
        if url:
            found[record.id] = {"url": url, "arxiv_id": record.arxiv_id or arxiv_id_from_url(url)}
    return found
