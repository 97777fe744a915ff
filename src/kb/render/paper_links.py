"""The links out of a record page to the work itself: its page, arXiv's page and PDF, or,
for a paper the note gives no link to, searches for its title (nothing is fetched by the
page: these are plain links)."""

from __future__ import annotations

from urllib.parse import quote_plus, urlsplit

from kb.models import Record
from kb.search import is_safe_url

PAGE_LABELS = {"paper": "論文のページ", "talk": "発表のページ", "repository": "リポジトリ"}
SEARCHES = (("arXiv", "https://arxiv.org/search/?searchtype=title&query="),
            ("Google Scholar", "https://scholar.google.com/scholar?q="),
            ("Semantic Scholar", "https://www.semanticscholar.org/search?q="))


def url_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def on_arxiv(record: Record) -> bool:
    return bool(record.arxiv_id and record.url and url_host(record.url).endswith("arxiv.org"))


def paper_links(record: Record) -> list[tuple[str, str]]:
    """(href, label) of the record's own page (its url), arXiv's abstract page and the PDF."""
    links: list[tuple[str, str]] = []
    if record.url and is_safe_url(record.url) and not on_arxiv(record):
        label = PAGE_LABELS.get(record.kind, "元の記事")
        links.append((record.url.strip(), f"{label}（{url_host(record.url)}）"))
    if record.arxiv_id:
        links.append((f"https://arxiv.org/abs/{record.arxiv_id}", "arXiv の論文ページ"))
        links.append((f"https://arxiv.org/pdf/{record.arxiv_id}", "PDF"))
    return links


def title_searches(record: Record) -> list[tuple[str, str]]:
    """Searches for a paper's title, when the note links to nothing: (href, site name)."""
    if record.kind != "paper" or paper_links(record):
        return []
    query = quote_plus(record.title)
    return [(base + query, name) for name, base in SEARCHES]
