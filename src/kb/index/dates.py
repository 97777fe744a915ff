"""The issue-date index: year -> month -> records, newest first; undated kept apart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from kb.models import Record
from kb.text import fold


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    record_ids: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.record_ids) for m in self.months)


@dataclass(frozen=True)
class DateIndex:
    years: tuple[Year, ...]
    undated: tuple[str, ...]

    def months(self) -> list[Month]:
        return [month for year in self.years for month in year.months]


def arxiv_month(arxiv_id: str | None) -> dt.date | None:
    """The first day of the month an arXiv id was issued in (2503.04504 -> 2025-03-01)."""
    if not arxiv_id or len(arxiv_id) < 4 or not arxiv_id[:4].isdigit():
        return None
    year, month = 2000 + int(arxiv_id[:2]), int(arxiv_id[2:4])
    return dt.date(year, month, 1) if 1 <= month <= 12 else None


def inferred_dates(records: list[Record]) -> dict[str, dict]:
    """For an undated record with an arXiv id: that id's month (the index marks it `date_inferred`)."""
    found: dict[str, dict] = {}
    for record in records:
        month = arxiv_month(record.arxiv_id) if record.issue_date is None else None
        if month is not None:
            found[record.id] = {"issue_date": month}
    return found


def inferred_years(records: list[Record]) -> dict[str, dict]:
    """For a record without a year: its arXiv id's year (2502.18968 -> 2025), else its issue date's
    (the note's date, or the month inferred from the arXiv id); the index marks it `year_inferred`."""
    found: dict[str, dict] = {}
    for record in records:
        if record.year is not None:
            continue
        month = arxiv_month(record.arxiv_id) or record.issue_date
        if month is not None:
            found[record.id] = {"year": month.year}
    return found


def sort_key(record: Record) -> tuple:
    """Newest first; undated after every dated record; then title and id for stability."""
    date = record.issue_date or dt.date.min
    return (record.issue_date is None, -date.toordinal(), fold(record.title), record.id)


def newest_first(records: list[Record]) -> list[Record]:
    return sorted(records, key=sort_key)


def build_date_index(records: list[Record]) -> DateIndex:
    """Expects records newest first (see newest_first)."""
    by_month: dict[tuple[int, int], list[str]] = defaultdict(list)
    undated: list[str] = []
    for record in records:
        if record.issue_date is None:
            undated.append(record.id)
        else:
            by_month[(record.issue_date.year, record.issue_date.month)].append(record.id)
    years: dict[int, list[Month]] = defaultdict(list)
    for (year, month), ids in sorted(by_month.items(), reverse=True):
        years[year].append(Month(year, month, tuple(ids)))
    return DateIndex(tuple(Year(y, tuple(ms)) for y, ms in sorted(years.items(), reverse=True)), tuple(undated))
