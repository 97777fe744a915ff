"""A paper-notes site's tag page, copied out of a browser (visible text).

    EfficiencyImprovement                          <- the page's own tag (first line)
    #Pocket #NLP ...                               <- the entry's tags (own lines, or ending the previous line)
    Issue Date: 2025-08-26 [Paper Note] Title, Yuxian Gu+, arXiv'25 Summary... Comment...
    more comment lines...

One record per entry. The page prints entries twice (two layouts) and scanning
(`listing_entries`) finds every printing; printings with the same date and (nearly) the
same link text are merged: union of tags, the fullest Summary and Comment.

Link text `[Paper Note] Title, First Author+, N_A, arXiv'25` is split into title,
authors (a trailing `+` means "et al.": the name is kept without it, `et_al` set), venue (`N_A` is a
placeholder, dropped) and year. The raw link text, whitespace collapsed, is kept as the
record's 「元の掲載情報」 section (`link_text(record)`), so nothing the split drops is lost.
`[Paper Note]` marks a paper, the `#Article` tag an article.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pydantic import ValidationError
from rapidfuzz import fuzz

from kb.discover import SourceFile
from kb.formats.listing_entries import HEADER, Occurrence, normalise, scan
from kb.i18n import N_
from kb.models import Diagnostic, ParsedNote, Record, Residue, Section, Severity, SourceSpan
from kb.text import URL, arxiv_id_from_url, fold

NAME = "listing"
KEEPS_LINES = True  # a copied page: each line of a field was a line (a block) of the page
DESCRIPTION = "paper-notes tag page copied from a browser (#tags, Issue Date:, title, Summary, Comment)"
COVERAGE_MARKERS = re.compile(r"^\s*more\s*$|</?h2>")
LINK_SECTION = "元の掲載情報"
SAME_LINK_SCORE = 95
SAME_DATE_FUZZY = 32  # the most entries of one date in the pages of ../shared/external: 13
_PAPER_PREFIX = re.compile(r"^\s*\[Paper Note\]\s*")
_PART_SPLIT = re.compile(r",(?=\s|$)|\s+,")
_ET_AL = re.compile(r"^(?P<name>[^+]+?)\s*\+\s*(?:[(（][^)）]*[)）])?$")
_TRAILING_AUTHOR = re.compile(
    r"^(?P<title>.*[?!.])\s+(?P<author>[^?!.]{1,40}\+\s*(?:[(（][^)）]*[)）])?)$"
    r"|^(?P<title2>.+\S)\s+(?P<author2>[A-Z][a-z\-']+\+)$"
)
_DATE_PART = re.compile(r"^(?P<year>\d{4})(?:\.\d{1,2})?$")
_VENUE_PART = re.compile(r"^[^\u3040-\u309f]{0,80}?(?:['’‘]?(?P<yy>\d{2})|\s(?P<yyyy>\d{4})(?:\.\d{1,2})?)\.?$")
_PLACEHOLDER = "N_A"
_NAME_PART = re.compile(
    r"^(?:[A-Z][\w.\-']*(?: [A-Z][\w.\-']*){0,3}|[A-Za-z][\w.\-']*|[\u30a0-\u30ff\u4e00-\u9fff\w]{1,12})"
    r"(?:\s*[(（][^)）]*[)）])?$"
)
_HIRAGANA = re.compile(r"[\u3040-\u309f]")
_ORG_WORDS = re.compile(r"\b(?:University|Research|Institute|Laborator(?:y|ies)|Labs?|College|School|Academy)\b")
_OWN_PAGE = re.compile(r"(?:OpenReview|openreview|論文|Paper|paper|arXiv|arxiv)\s*[:：]\s*(https?://\S+)")
_OPENREVIEW = re.compile(r"https?://openreview\.net/forum\?id=[\w-]+")


@dataclass
class Entry:
    """All printings of one entry, merged."""

    first: Occurrence
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class LinkParts:
    title: str
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    year: int | None = None
    et_al: bool = False


def detect(text: str) -> float:
    """Many `Issue Date:` headers, most of them right after `#tag` runs."""
    headers = list(HEADER.finditer(text))
    if len(headers) < 3:
        return 0.0
    tagged = sum(1 for m in headers if "#" in text[max(0, m.start() - 120) : m.start()])
    return min(1.0, len(headers) / 10) * (0.5 + 0.5 * tagged / len(headers))


def link_key(link: str) -> str:
    return normalise(fold(_PAPER_PREFIX.sub("", link)))


def same_link(a: str, b: str) -> bool:
    """The same link text (link_key of each), allowing truncation and spacing differences."""
    if a == b or (min(len(a), len(b)) >= 20 and (a.startswith(b) or b.startswith(a))):
        return True
    return fuzz.ratio(a, b) >= SAME_LINK_SCORE


def merge(occurrences: list[Occurrence]) -> list[Entry]:
    """Printings of one entry merged: the first entry of the same date whose link is the same.

    Only the first SAME_DATE_FUZZY entries of a date are compared loosely (a tag page has a few
    per date); later ones of that date merge only on an equal link, so that 20,000 entries of
    one date cost 20,000 look-ups, not 200 million comparisons."""
    entries: list[Entry] = []
    by_date: dict[str, list[tuple[str, Entry]]] = {}
    exact: dict[tuple[str, str], Entry] = {}
    for occurrence in occurrences:
        if not occurrence.link:
            continue
        key = link_key(occurrence.link)
        same_date = by_date.setdefault(occurrence.date, [])
        match = next((e for k, e in same_date[:SAME_DATE_FUZZY] if same_link(k, key)), None) \
            or exact.get((occurrence.date, key))
        if match is None:
            match = Entry(first=occurrence)
            entries.append(match)
            same_date.append((key, match))
            exact.setdefault((occurrence.date, key), match)
        match.occurrences.append(occurrence)
    return entries


def year_of(part: str, pivot: int) -> int | None:
    """2025 from `arXiv'25`, `EMNLP2025`, `NIPS 2015` or `2024.08`.

    A two-digit year takes the century that puts it at most one year after `pivot` (the
    entry's own issue year), never today's date: the same note gives the same year forever.
    """
    date = _DATE_PART.match(part)
    if date:
        return int(date.group("year"))
    venue = _VENUE_PART.match(part)
    if venue is None:
        return None
    if venue.group("yyyy"):
        return int(venue.group("yyyy"))
    yy = int(venue.group("yy"))
    year = pivot // 100 * 100 + yy
    return year - 100 if year > pivot + 1 else year


def is_venue_like(part: str) -> bool:
    return part == _PLACEHOLDER or bool(_DATE_PART.match(part) or _VENUE_PART.match(part))


def is_affiliation(part: str) -> bool:
    return bool(_ORG_WORDS.search(part)) or part.startswith(("(", "（"))


def is_name(part: str) -> bool:
    return bool(_NAME_PART.match(part)) and not _HIRAGANA.search(part) and not is_venue_like(part)


def venue_and_year(tail: list[str], pivot: int) -> tuple[str | None, int | None]:
    """The first real venue of the trailing parts (a bare date only gives the year)."""
    venues = [p for p in tail if p != _PLACEHOLDER and not _DATE_PART.match(p)]
    venue = venues[0] if venues else None
    years = [year_of(p, pivot) for p in ([venue] if venue else []) + tail if p != _PLACEHOLDER]
    return venue, next((y for y in years if y), None)


def author_index(parts: list[str]) -> int | None:
    """Where the authors are: the first `Name+` part, else a name just before the venue."""
    for index, part in enumerate(parts[1:], 1):
        if _ET_AL.match(part):
            return index
    index = len(parts) - 1
    if index > 1 and is_affiliation(parts[index]) and is_name(parts[index - 1]):
        index -= 1  # `Han, Stanford University`: the person, then the affiliation
    if index >= 1 and is_name(parts[index]):
        return index
    return None


def split_trailing_author(parts: list[str]) -> list[str]:
    """`Can GPT-4 Perform Neural Architecture Search? Zhang+` (no comma before the author) -> two parts."""
    if any(_ET_AL.match(p) for p in parts[1:]):
        return parts
    match = _TRAILING_AUTHOR.match(parts[0])
    if match is None:
        return parts
    title, author = match.group("title") or match.group("title2"), match.group("author") or match.group("author2")
    return [title, author, *parts[1:]]


def split_link(link: str, pivot: int) -> LinkParts:
    """Title, authors, venue and year of `Title, First Author+, [affiliations,] venue`.

    `pivot` is the entry's issue year: it decides the century of a two-digit year (`arXiv'23`).
    """
    text = normalise(_PAPER_PREFIX.sub("", link))
    parts = [p.strip() for p in _PART_SPLIT.split(text) if p.strip()] or [text]
    tail: list[str] = []
    while len(parts) > 1 and is_venue_like(parts[-1]):
        tail.insert(0, parts.pop())
    parts = split_trailing_author(parts)
    venue, year = venue_and_year(tail, pivot)
    index = author_index(parts)
    if index is None:
        return LinkParts(title=", ".join(parts), venue=venue, year=year)
    title_end = index
    while title_end > 1 and is_affiliation(parts[title_end - 1]):
        title_end -= 1  # `Title, Riiid AI Research, Lee+`
    et_al = _ET_AL.match(parts[index])
    author = et_al.group("name").strip() if et_al else parts[index]
    return LinkParts(title=", ".join(parts[:title_end]), authors=[author], venue=venue, year=year,
                     et_al=et_al is not None)


def link_text(record: Record) -> str | None:
    """The entry's raw link text (title, authors, venue as printed), or None."""
    return next((s.body for s in record.sections if s.heading == LINK_SECTION), None)


def fullest(texts: list[str | None]) -> str | None:
    """The longest of the printings' texts (None when no printing has one)."""
    present = [t for t in texts if t is not None]
    return max(present, key=len) if present else None


def union(lists: list[list[str]]) -> list[str]:
    seen: dict[str, str] = {}
    for items in lists:
        for item in items:
            seen.setdefault(fold(item), item)
    return list(seen.values())


def own_url(link: str, comment: str | None) -> str | None:
    """A URL in the link text, else one the comment labels as the paper's own page (OpenReview:, 論文:)."""
    match = URL.search(link)
    if match:
        return match.group(0)
    labelled = _OWN_PAGE.search(comment or "")
    if labelled is None:
        return None
    url = URL.match(labelled.group(1))
    if url is None:
        return None
    openreview = _OPENREVIEW.match(url.group(0))
    return openreview.group(0) if openreview else url.group(0)


def record_fields(entry: Entry, page_tag: str | None) -> dict:
    first = entry.first
    parts = split_link(first.link, int(first.date[:4]))
    tags = union([o.tags for o in entry.occurrences] + [[page_tag] if page_tag else []])
    comment = fullest([o.comment for o in entry.occurrences])
    kind = "article" if any(fold(t) == "article" for t in tags) else "paper"
    url = own_url(first.link, comment)
    return {
        "title": parts.title, "kind": kind, "authors": parts.authors, "et_al": parts.et_al, "venue": parts.venue,
        "year": parts.year,
        "issue_date": dt.date.fromisoformat(first.date), "tags": tags, "url": url,
        "arxiv_id": arxiv_id_from_url(url), "summary": fullest([o.summary for o in entry.occurrences]),
        "comment": comment,
        "sections": [Section(heading=LINK_SECTION, body=normalise(first.link), line=first.line)],
    }


def build(source: SourceFile, entry: Entry, page_tag: str | None) -> Record | Diagnostic:
    first = entry.first
    span = SourceSpan(path=source.path, format=NAME, line_start=first.start, line_end=max(first.end, first.line))
    try:
        return Record(source=span, **record_fields(entry, page_tag))
    except (ValidationError, ValueError) as exc:
        return Diagnostic(path=source.path, line=first.line, severity=Severity.ERROR,
                          message=N_("entry of {date} could not be made a record: {error}", date=first.date,
                                     error=str(exc)), text=first.link)


def problems(source: SourceFile, occurrences: list[Occurrence]) -> list[Diagnostic]:
    """Headers without link text, and a page that ends inside its last entry."""
    found = [
        Diagnostic(path=source.path, line=o.line, severity=Severity.ERROR,
                   message=N_("'Issue Date: {date}' is not followed by the entry's title; entry skipped",
                              date=o.date))
        for o in occurrences if not o.link
    ]
    last = occurrences[-1] if occurrences else None
    if last is not None and last.link and last.summary is None and last.comment is None:
        found.append(Diagnostic(
            path=source.path, line=last.line, severity=Severity.WARNING, text=normalise(last.link),
            message=N_("the page is cut off: it ends right after the last entry's title, "
                       "with no Summary or Comment (the copy stopped here)")))
    return found


def parse(source: SourceFile) -> ParsedNote:
    found = scan(source.lines)
    note = ParsedNote(path=source.path, format=NAME)
    if found.heading:
        note.meta["tag"] = note.meta["title"] = found.heading  # the page's heading names the note
    entries = merge(found.occurrences)
    for entry in entries:
        made = build(source, entry, found.heading)
        (note.records if isinstance(made, Record) else note.diagnostics).append(made)
    note.meta["printings"] = str(len(found.occurrences))
    note.diagnostics.extend(problems(source, found.occurrences))
    note.residue.extend(Residue(line=n, text=t) for n, t in found.orphans)
    return note
