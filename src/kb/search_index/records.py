"""What the search index says about each record besides its n-grams: the record order, what a
result shows (`r/` groups), the text its excerpt is cut from (`t/`), the facets and index.json."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import chain

from kb.formats.listing import LINK_SECTION
from kb.index.papers import Paper
from kb.models import Record
from kb.search import REGIONS, TEXT_FIELDS, record_page, search_regions
from kb.urls import url_for

GROUP = 4  # records per r/ file: a page of results spread over the record order reads little
FORMAT = 7


def record_order(records: list[Record]) -> list[Record]:
    """Newest first, undated last, then by id: kb.search's order among equal matches."""
    return sorted(records, key=lambda r: (-(r.issue_date or dt.date.min).toordinal(), r.id))


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1).toordinal(), dt.date(2100, 1, 1).toordinal()
UNDATED = LAST_DAY - FIRST_DAY + 1  # the day of the undated records (older dates share the day before)


def day_of(record: Record) -> int:
    """Days from LAST_DAY back to the record's date (clamped), so later dates come first."""
    if record.issue_date is None:
        return UNDATED
    return min(max(LAST_DAY - record.issue_date.toordinal(), 0), UNDATED - 1)


def record_numbers(ordered: list[Record]) -> tuple[list[int], int]:
    """The record numbers (and the bits of a day's slot): (day << bits) + place among the records
    of that day. Numbers follow `ordered` and depend on a record's own date and its
    neighbours of the same day alone, so adding, removing or re-dating a record renumbers
    no record of another day: the postings of the others stay as they are. The slots are as
    wide as the busiest dated day needs (at least GROUP, so an r/ file holds one day); the
    undated records come last and take as many slots as they are."""
    days = [day_of(r) for r in ordered]
    busiest = max((n for day, n in Counter(days).items() if day != UNDATED), default=1)
    bits = max(GROUP - 1, busiest).bit_length()
    numbers, slot = [], 0
    for i, day in enumerate(days):
        slot = slot + 1 if i and days[i - 1] == day else 0
        numbers.append((day << bits) + slot)  # (undated records: slots past the day's bits, after all)
    return numbers, bits


PARSED_FIELDS = ("title", "kind", "venue", "presenter", "meeting", *TEXT_FIELDS)  # set by the note's parse alone


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def parsed_digest(record: Record) -> str:
    """What the index reads of a record that only its note's parse sets (its texts, title, people,
    sections: the index stage never changes them), joined after their lengths into one SHA-1."""
    values = [getattr(record, name) for name in PARSED_FIELDS]
    texts = [*("" if v is None else str(v) for v in values), *record.authors,
             *(part for section in record.sections for part in (section.heading, section.body))]
    shape = [v is None for v in values] + [len(record.authors), len(record.sections)] + [len(t) for t in texts]
    return sha1(repr(shape) + "".join(texts))


def text_digest(record: Record, parsed: str) -> str:
    """Everything of a record the index reads (its links to other records are not): its parsed
    digest and what the index stage sets from the other notes too (id, arXiv id, date, year, tags)."""
    date = record.issue_date.toordinal() if record.issue_date else ""
    tags = "\0".join(record.tags)  # (NUL-separated: a tag never holds one; faster than a repr)
    return sha1(f"{parsed}\0{record.id}\0{record.arxiv_id}\0{date}\0{record.year}\0{len(record.tags)}\0{tags}")


def parsed_digests(ordered: list[Record], sources: dict[str, str],
                   known: dict[str, list]) -> tuple[list[str], dict[str, list]]:
    """Each record's parsed_digest, and per note path [the note's digest, its records' parsed
    digests in note order] to keep. A note whose bytes (`sources`: path -> digest, from the parse
    stage) are those of the previous build (`known`) parses into the same records, in the same
    order: their digests are the known ones, so an edit hashes the text of one note, not of all."""
    by_note: dict[str, list[int]] = {}
    for place, record in enumerate(ordered):
        by_note.setdefault(record.source.path, []).append(place)
    digests = [""] * len(ordered)
    notes: dict[str, list] = {}
    for path, places in by_note.items():
        if len(places) > 1:
            places.sort(key=lambda i: (ordered[i].source.line_start, ordered[i].source.line_end))
        note, old = sources.get(path), known.get(path)
        same = note is not None and old is not None and old[0] == note and len(old[1]) == len(places)
        values = old[1] if same else [parsed_digest(ordered[i]) for i in places]
        for place, value in zip(places, values, strict=True):
            digests[place] = value
        if note is not None:
            notes[path] = [note, values]
    return digests, notes


def dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def shown(record: Record) -> dict:
    """What a result shows, before its excerpt."""
    item = {"id": record.id, "url": record_page(record), "title": record.title, "kind": record.kind,
            "tags": record.tags}
    if record.issue_date:
        item["date"] = record.issue_date.isoformat()
    people = ", ".join(record.authors[:3]) + (" ほか" if len(record.authors) > 3 else "")
    for name, value in (("people", people), ("venue", record.venue)):
        if value:
            item[name] = value
    return item


def record_groups(ordered: list[Record], numbers: list[int]) -> dict[str, list[int]]:
    """What results show, GROUP records a file: record n is item n % GROUP of r/<n // GROUP>.json
    (a day's first slots; a file may end early). The places in `ordered` of each file's records."""
    groups: dict[str, list[int]] = {}
    for i, number in enumerate(numbers):
        groups.setdefault(f"search/r/{number // GROUP}.json", []).append(i)
    return groups


def group_file(ordered: list[Record], places: list[int], paper_of: dict[str, list[str]]) -> bytes:
    """A record in a paper noted twice or more carries the paper's page and title (`paper`)."""
    return dump([shown(ordered[i]) | ({"paper": paper_of[ordered[i].id]} if ordered[i].id in paper_of else {})
                 for i in places])


def text_paths(number: int) -> tuple[str, str]:
    """Record `number`'s t/ and b/ files (text_files)."""
    return f"search/t/{number}.json", f"search/b/{number}.bin"


def text_files(record: Record, number: int, paper: list[str] | None) -> dict[str, Callable[[], bytes]]:
    """Where a result's excerpt is cut from, made when written: `t/` people, tags and lead (headline,
    summary), small and fetched for most results; `b/` the body, fetched only for a match there
    (body_file: read from its start by HTTP Range requests, as far as the excerpt needs). Each holds
    what the result shows (its r/ item), so a page of results reads one file a result. Named by
    record number."""
    def item() -> dict:
        return shown(record) | ({"paper": paper} if paper else {})
    lead, body = text_paths(number)
    return {lead: lambda: dump([*search_regions(record)[1:3], item()]),
            body: lambda: body_file(search_regions(record)[3], item())}


def body_file(body: str, item: dict) -> bytes:
    """A record's b/ file: varint(n), n bytes of JSON [its r/ item, the body's byte length, its
    encoding], then the body in UTF-8, or in UTF-16 (little-endian) when that is shorter (Japanese
    text: 2 bytes a character instead of 3). The browser reads its first bytes, then more,
    by half again each time, only while the excerpt needs text further on (templates/static/kb-search.js)."""
    encoded = min(((body.encode(encoding), encoding) for encoding in ("utf-8", "utf-16le")), key=lambda e: len(e[0]))
    head = dump([item, len(encoded[0]), encoded[1]])
    return varints_of([len(head)]) + head + encoded[0]


def year_of(record: Record) -> str | None:
    return str(record.issue_date.year) if record.issue_date else None


def facet_keys(record: Record) -> list[str]:
    """Keys of the filters a record passes: tag, kind, year, meeting (`\\x01t` + tag ...)."""
    keys = ["\x01t" + tag for tag in dict.fromkeys(record.tags)] + ["\x01k" + record.kind]
    keys += ["\x01m" + record.meeting] if record.meeting else []
    return keys + (["\x01y" + year_of(record)] if year_of(record) else [])


def facets(ordered: list[Record]) -> dict[str, list]:
    """Each filter value with its record count, most used first."""
    def counted(values) -> list:
        return sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))
    years = Counter([date.year for r in ordered if (date := r.issue_date) is not None])
    return {"tags": counted(chain.from_iterable([dict.fromkeys(r.tags) for r in ordered])),
            "kinds": counted([r.kind for r in ordered]),
            "years": sorted(((str(y), n) for y, n in years.items()), reverse=True),
            "meetings": sorted(Counter([m for r in ordered if (m := r.meeting)]).items(), reverse=True)}


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Characters whose case fold differs from their lower case (ß -> ss): the browser folds with
    String.normalize('NFKC') and toLowerCase(), then this table, to fold as kb.text.fold does."""
    ranges = (range(0x2000), range(0xAB00, 0xAC00), range(0xFB00, 0xFC00))
    return {chr(c): chr(c).casefold() for r in ranges for c in r if chr(c).casefold() != chr(c).lower()}


class PaperEntries:
    """The papers noted in two or more records (kb.index.papers), for results to show one per paper:
    `shown` gives each such record its paper's page and title (in its r/ group), `data` is
    search/papers.bin, every paper's record numbers (a note count, the first number, then the
    differences: varints), read to keep a paper's best-placed note alone among the results."""

    def __init__(self, papers: list[Paper], ordered: list[Record], numbers: list[int]) -> None:
        number_of = {r.id: n for r, n in zip(ordered, numbers, strict=True)}
        self.shown: dict[str, list[str]] = {}
        values = []
        for paper in papers:
            docs = sorted(number_of[i] for i in paper.record_ids if i in number_of)
            values += [len(docs), *(b - a for a, b in zip([0, *docs], docs, strict=False))]
            self.shown.update((i, [url_for("paper", paper.id), paper.title]) for i in paper.record_ids)
        self.count = len(papers)
        self.data = varints_of(values)


def varints_of(values: list[int]) -> bytes:
    """LEB128 bytes of a list of values (as kb.search_index.grams writes postings)."""
    out = bytearray()
    for value in values:
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


def index_json(segments: list[dict], files: dict, ordered: list[Record], bits: int, bookkeeping: frozenset[str],
               papers: int) -> bytes:
    return dump({"format": FORMAT, "records": len(ordered), "dated": UNDATED << bits,  # records from here: no date
                 "segments": segments, **files, "group": GROUP, "labels": [LINK_SECTION],  # lines no excerpt starts in
                 "bookkeeping": sorted(bookkeeping),  # tags results do not show
                 "papers": papers,  # papers in search/papers.bin: results show one per paper (PaperEntries)
                 "regions": list(REGIONS), "fold": fold_table(), **facets(ordered)})
