"""What the search index says about each record besides its n-grams: the record order, what a
result shows (`r/` groups), the text its excerpt is cut from (`t/`), the facets and index.json."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from kb.cache import sha
from kb.models import Record
from kb.search import REGIONS, TEXT_FIELDS, record_page, search_regions
from kb.text import fold

GROUP = 4  # records per r/ file: a page of results spread over the record order reads little
FORMAT = 1


def record_order(records: list[Record]) -> list[Record]:
    """Newest first, undated last, then by id: the index's record numbers."""
    return sorted(records, key=lambda r: (-(r.issue_date or dt.date.min).toordinal(), r.id))


def text_digest(record: Record) -> str:
    """Everything of a record the index reads (its links to other records are not)."""
    fields = [record.id, record.title, record.kind, record.authors, record.venue, record.year, record.arxiv_id,
              record.issue_date and record.issue_date.isoformat(), record.tags, record.presenter, record.meeting,
              [(s.heading, s.body) for s in record.sections], [getattr(record, name) for name in TEXT_FIELDS]]
    return sha(json.dumps(fields, ensure_ascii=False))


def folded_regions(record: Record) -> tuple[str, str, str, str]:
    return tuple(fold(text) for text in search_regions(record))


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


def group_files(ordered: list[Record]) -> dict[str, bytes]:
    return {f"search/r/{g}.json": dump([shown(r) for r in ordered[start:start + GROUP]])
            for g, start in enumerate(range(0, len(ordered), GROUP))}


def text_files(record: Record) -> dict[str, Callable[[], bytes]]:
    """Where a result's excerpt is cut from, made when written: `t/` people, tags and lead (headline,
    summary), small and fetched for most results; `b/` the body, fetched only for a match there."""
    return {f"search/t/{record.id}.json": lambda: dump(list(search_regions(record)[1:3])),
            f"search/b/{record.id}.json": lambda: dump(search_regions(record)[3])}


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
    return {"tags": counted(t for r in ordered for t in dict.fromkeys(r.tags)),
            "kinds": counted(r.kind for r in ordered),
            "years": sorted(Counter(y for r in ordered if (y := year_of(r))).items(), reverse=True),
            "meetings": sorted(Counter(r.meeting for r in ordered if r.meeting).items(), reverse=True)}


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Characters whose case fold differs from their lower case (ß -> ss): the browser folds with
    String.normalize('NFKC') and toLowerCase(), then this table, to fold as kb.text.fold does."""
    ranges = (range(0x2000), range(0xAB00, 0xAC00), range(0xFB00, 0xFC00))
    return {chr(c): chr(c).casefold() for r in ranges for c in r if chr(c).casefold() != chr(c).lower()}


def index_json(count: int, shards: tuple[int, int], ordered: list[Record]) -> bytes:
    dated = sum(r.issue_date is not None for r in ordered)  # records 0 .. dated-1 have a date
    return dump({"format": FORMAT, "records": count, "dated": dated, "shards": {"d": shards[0], "p": shards[1]},
                 "group": GROUP,
                 "regions": list(REGIONS), "fold": fold_table(), **facets(ordered)})
