"""What the search index says about each record besides its n-grams: which record a number is
(`r/` days), what a result shows and the text its excerpt is cut from (`t/`, `b/`), the papers,
the facet keys and index.json.
(The record order, numbers and digests: kb.search_index.ordered.)"""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import compress
from operator import ne

from kb.digests import sha
from kb.formats.listing import LINK_SECTION
from kb.index.papers import Paper
from kb.models import Record
from kb.search import REGIONS, record_page, search_regions
from kb.search_index.ordered import UNDATED
from kb.urls import url_for

FORMAT = 8


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


def day_files(numbers: list[int], bits: int) -> tuple[list[str], list[int], list[int]]:
    """Which record is which number: r/<day>.json lists the ids of a day's records in slot order
    (record n of a dated day is item n - (day << bits) of r/<n >> bits>.json; the undated records
    are one day, UNDATED). Each file's path, and where its records start and end in index order
    (numbers ascend there, so a day's records follow each other). Adding a record on a day
    rewrites that day's file alone: the others' t/ and b/ files are named by id, not number."""
    days = [min(number >> bits, UNDATED) for number in numbers]
    if not days:
        return [], [], []
    starts = [0, *compress(range(1, len(days)), map(ne, days[1:], days))]
    return [f"search/r/{days[i]}.json" for i in starts], starts, [*starts[1:], len(days)]


def result_item(papers: dict[str, list[str]], record: Record) -> dict:
    """What a result shows: a record in a paper noted twice or more (`papers`: PaperEntries.shown)
    carries the paper's page and title."""
    paper = papers.get(record.id)
    return shown(record) | ({"paper": paper} if paper else {})


def text_paths(ids: list[str]) -> tuple[list[str], list[str]]:
    """The t/ and b/ files of records `ids` (lead_file, body_text_file): named by record id (a
    slug, as its page's folder is), which a record keeps when the numbers of its day move."""
    return [f"search/t/{i}.json" for i in ids], [f"search/b/{i}.bin" for i in ids]


def lead_file(papers: dict[str, list[str]], record: Record) -> bytes:
    """Where a result's excerpt is cut from, made when written: `t/` people, tags and lead (headline,
    summary), small and fetched for most results; `b/` the body (body_text_file), fetched only for a
    match there. Each holds what the result shows, so a page of results reads one file a result
    (and its day's r/ file, for its name: its id)."""
    return dump([*search_regions(record)[1:3], result_item(papers, record)])


def body_text_file(papers: dict[str, list[str]], record: Record) -> bytes:
    return body_file(search_regions(record)[3], result_item(papers, record))


def body_file(body: str, item: dict) -> bytes:
    """A record's b/ file: varint(n), n bytes of JSON [its result item, the body's byte length, its
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


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Characters whose case fold differs from their lower case (ß -> ss): the browser folds with
    String.normalize('NFKC') and toLowerCase(), then this table, to fold as kb.text.fold does."""
    chars = [*map(chr, range(0x2000)), *map(chr, range(0xAB00, 0xAC00)), *map(chr, range(0xFB00, 0xFC00))]
    folded = list(map(str.casefold, chars))  # (C-level passes: 2 ms, not 6, of every update)
    differs = map(ne, folded, map(str.lower, chars))
    return dict(compress(zip(chars, folded, strict=True), differs))


class PaperEntries:
    """The papers noted in two or more records (kb.index.papers), for results to show one per paper:
    `shown` gives each such record its paper's page and title (in its t/ and b/ files), `data` is
    search/papers.bin, every paper's record numbers (a note count, the first number, then the
    differences: varints), read to keep a paper's best-placed note alone among the results."""

    def __init__(self, papers: list[Paper], ids: list[str], numbers: list[int]) -> None:
        number_of = dict(zip(ids, numbers, strict=True))
        self.shown: dict[str, list[str]] = {}
        self.keys: dict[str, str] = {}  # what each such record's files' keys add: its paper's page and title
        values = []
        for paper in papers:
            docs = sorted(number_of[i] for i in paper.record_ids if i in number_of)
            values += [len(docs), *(b - a for a, b in zip([0, *docs], docs, strict=False))]
            shown = [url_for("paper", paper.id), paper.title]
            self.shown.update(dict.fromkeys(paper.record_ids, shown))
            self.keys.update(dict.fromkeys(paper.record_ids, f".{sha(*shown)[:16]}"))
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


def index_json(segments: list[dict], files: dict, records: int, bits: int, bookkeeping: frozenset[str],
               papers: int, facets: dict[str, list]) -> bytes:
    return dump({"format": FORMAT, "records": records, "dated": UNDATED << bits,  # records from here: no date
                 "segments": segments, **files, "bits": bits,  # a day's slot bits: r/ files (day_files)
                 "labels": [LINK_SECTION],  # lines no excerpt starts in
                 "bookkeeping": sorted(bookkeeping),  # tags results do not show
                 "papers": papers,  # papers in search/papers.bin: results show one per paper (PaperEntries)
                 "regions": list(REGIONS), "fold": fold_table(), **facets})
