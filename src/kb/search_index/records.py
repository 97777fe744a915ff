"""What the search index says about each record besides its n-grams: what a result shows (`r/`
groups), the text its excerpt is cut from (`t/`, `b/`), the papers, the facet keys and index.json.
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
from kb.search_index.ordered import GROUP, UNDATED
from kb.urls import url_for

FORMAT = 7


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


def record_groups(numbers: list[int]) -> tuple[list[str], list[int], list[int]]:
    """What results show, GROUP records a file: record n is item n % GROUP of r/<n // GROUP>.json
    (a day's first slots; a file may end early). Each file's path, and where its records start and
    end in index order (numbers ascend there, so a file's records follow each other)."""
    groups = [number // GROUP for number in numbers]
    if not groups:
        return [], [], []
    starts = [0, *compress(range(1, len(groups)), map(ne, groups[1:], groups))]
    return [f"search/r/{groups[i]}.json" for i in starts], starts, [*starts[1:], len(groups)]


def result_item(papers: dict[str, list[str]], record: Record) -> dict:
    """What a result shows: a record in a paper noted twice or more (`papers`: PaperEntries.shown)
    carries the paper's page and title."""
    paper = papers.get(record.id)
    return shown(record) | ({"paper": paper} if paper else {})


def group_file(papers: dict[str, list[str]], records: list[Record]) -> bytes:
    return dump([result_item(papers, record) for record in records])


def text_paths(numbers: list[int]) -> tuple[list[str], list[str]]:
    """The t/ and b/ files of records `numbers` (lead_file, body_text_file)."""
    return [f"search/t/{n}.json" for n in numbers], [f"search/b/{n}.bin" for n in numbers]


def lead_file(papers: dict[str, list[str]], record: Record) -> bytes:
    """Where a result's excerpt is cut from, made when written: `t/` people, tags and lead (headline,
    summary), small and fetched for most results; `b/` the body (body_text_file), fetched only for a
    match there. Each holds what the result shows (its r/ item), so a page of results reads one
    file a result. Named by record number."""
    return dump([*search_regions(record)[1:3], result_item(papers, record)])


def body_text_file(papers: dict[str, list[str]], record: Record) -> bytes:
    return body_file(search_regions(record)[3], result_item(papers, record))


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
                 "segments": segments, **files, "group": GROUP, "labels": [LINK_SECTION],  # lines no excerpt starts in
                 "bookkeeping": sorted(bookkeeping),  # tags results do not show
                 "papers": papers,  # papers in search/papers.bin: results show one per paper (PaperEntries)
                 "regions": list(REGIONS), "fold": fold_table(), **facets})
