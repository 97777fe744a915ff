"""One paper's record from the arXiv API (`kb new 2402.12354`): title, every author, abstract,
first version's date, primary category, PDF link.

The API answers an Atom feed (https://info.arxiv.org/help/api/user-manual.html); kb asks for one
id, identifies itself with a User-Agent, waits 5 s at most, and never sends two requests within
3 s (arXiv's rule), also across `kb new` runs (a stamp file in the user's cache folder). Nothing
fetched runs as code: the XML is read as data, values are plain text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from kb import DISTRIBUTION, __version__

API_BASE = "https://export.arxiv.org/api/query"
TIMEOUT = 5.0  # seconds
INTERVAL = 3.0  # seconds between two requests (arXiv's API terms)
MAX_BYTES = 1 << 20  # one entry's feed is a few kilobytes
USER_AGENT = f"kb/{__version__} ({DISTRIBUTION}; paper-notes knowledge base; one request per kb new)"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_SPACES = re.compile(r"\s+")


class ArxivUnavailable(Exception):
    """The API could not be asked or did not answer with the paper (the text says why)."""


@dataclass(frozen=True)
class ArxivPaper:
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: dt.date  # the first version's date
    category: str | None  # the primary category, e.g. cs.LG
    pdf: str | None


def one_line(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def paragraphs(text: str | None) -> str:
    """The abstract with its hard line breaks joined (arXiv wraps it at ~80 columns), paragraphs kept."""
    parts = re.split(r"\n\s*\n", (text or "").strip())
    return "\n\n".join(one_line(part) for part in parts if part.strip())


def parse_feed(data: bytes) -> ArxivPaper:
    """The paper in an API answer; ArxivUnavailable for an error entry or a feed without one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ArxivUnavailable(f"the answer is not an Atom feed ({exc})") from None
    entry = root.find(f"{ATOM}entry")
    if entry is None:
        raise ArxivUnavailable("no such paper on arXiv (the answer has no entry)")
    if "/api/errors" in (entry.findtext(f"{ATOM}id") or ""):
        raise ArxivUnavailable(f"arXiv says: {one_line(entry.findtext(f'{ATOM}summary'))}")
    published = (entry.findtext(f"{ATOM}published") or "")[:10]
    try:
        day = dt.date.fromisoformat(published)
    except ValueError:
        raise ArxivUnavailable(f"the entry's date {published!r} is not a date") from None
    primary = entry.find(f"{ARXIV}primary_category")
    pdf = next((link.get("href") for link in entry.findall(f"{ATOM}link") if link.get("title") == "pdf"), None)
    return ArxivPaper(
        title=one_line(entry.findtext(f"{ATOM}title")),
        authors=tuple(one_line(a.findtext(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")),
        abstract=paragraphs(entry.findtext(f"{ATOM}summary")), published=day,
        category=primary.get("term") if primary is not None else None, pdf=pdf)


def stamp_file() -> Path:
    """When this user's kb last asked arXiv (its modification time)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "kb" / "arxiv-last-request"


def wait_for_turn(stamp: Path, sleep=time.sleep, now=time.time) -> float:
    """Sleep until INTERVAL has passed since the last request, then mark this one; the seconds slept."""
    try:
        waited = max(0.0, stamp.stat().st_mtime + INTERVAL - now())
    except OSError:
        waited = 0.0
    if waited:
        sleep(waited)
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    except OSError:
        pass  # an unwritable cache folder must not stop kb new
    return waited


def fetch_paper(arxiv_id: str, api_base: str = API_BASE, sleep=time.sleep) -> ArxivPaper:
    """The paper's record from the API at api_base; ArxivUnavailable when it cannot be had."""
    url = f"{api_base}?{urllib.parse.urlencode({'id_list': arxiv_id, 'max_results': 1})}"
    wait_for_turn(stamp_file(), sleep)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ArxivUnavailable(f"{api_base} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArxivUnavailable(f"cannot reach {api_base}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise ArxivUnavailable(f"the answer is larger than {MAX_BYTES >> 20} MB")
    return parse_feed(data)


def paper_or_none(arxiv_id: str, api_base: str):
    """The paper, or None with a line on stderr saying why (the note then has only what kb knows)."""
    from kb.console import echo
    from kb.i18n import _

    try:
        return fetch_paper(arxiv_id, api_base)
    except ArxivUnavailable as exc:
        echo(_("arXiv did not give {id}: {reason}; the note has its id and link only (fill in title, authors and "
               "date by hand, or run kb new again later)").format(id=arxiv_id, reason=exc), err=True)
        return None
