"""The archive: an index of years (with their months), one page per year, one for undated records.

    archive/index.html          years, each with its month counts
    archive/<year>/index.html   that year's records by month, newest first
    archive/undated/index.html  records without an issue date

One page per year keeps a phone's page short (the single archive page of 171 records was
32,000 px at 360 px wide) and lets a reader go straight to a year.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.index.dates import DateIndex, Year
from kb.render.site import Site
from kb.urls import url_for

UNDATED = "undated"


@dataclass(frozen=True)
class YearName:
    """A year as another year's page names it (the year nav, the pager): its number only."""

    year: int


@dataclass(frozen=True)
class YearView:
    """What a year's page (or the undated records' page, year None) shows of the date index: its
    own year, the other years by number, and how many records are undated (the input
    year:<year>, so a record added to one year keys anew that year's page alone)."""

    year: Year | None
    years: tuple[YearName, ...]
    undated: tuple[str, ...]
    newer: YearName | None
    older: YearName | None


def year_view(dates: DateIndex, key: str) -> YearView:
    """The view of the page of year `key` (its number, or UNDATED); LookupError when it has none."""
    names = tuple(YearName(y.year) for y in dates.years)
    if key == UNDATED:
        if not dates.undated:
            raise LookupError(key)
        return YearView(None, names, dates.undated, names[-1] if names else None, None)
    index = [y.year for y in dates.years].index(int(key))
    return YearView(dates.years[index], names, dates.undated, names[index - 1] if index > 0 else None,
                    names[index + 1] if index + 1 < len(names) else None)


def index_context(scope) -> dict:
    dates = scope.dates()
    return {"years": dates.years, "undated_count": len(dates.undated), "nav": "archive"}


def year_context(scope, key: str) -> dict:
    view = scope.year(key)
    context = {"years": view.years, "undated_count": len(view.undated), "nav": "archive", "year": view.year,
               "newer": view.newer, "older": view.older}
    if view.year is None:
        return {**context, "months": [], "records": scope.items(view.undated)}
    return {**context, "months": [(m, scope.items(m.record_ids)) for m in view.year.months]}


def archive_pages(site: Site) -> list:
    """The archive's pages (kb.render.pages.Page): each reads the date index and its records' items."""
    from kb.render.pages import items_of, page

    dates = site.kb.dates
    pages = [page(url_for("archive"), "archive.html", ["dates"], index_context)]
    for year in dates.years:
        ids = [i for m in year.months for i in m.record_ids]
        pages.append(page(url_for("year", year.year), "archive_year.html", [f"year:{year.year}", *items_of(ids)],
                          year_context, key=str(year.year)))
    if dates.undated:
        pages.append(page(url_for("year", UNDATED), "archive_year.html", [f"year:{UNDATED}", *items_of(dates.undated)],
                          year_context, key=UNDATED))
    return pages
