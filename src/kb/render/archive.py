"""The archive: an index of years (with their months), one page per year, one for undated records.

    archive/index.html          years, each with its month counts
    archive/<year>/index.html   that year's records by month, newest first
    archive/undated/index.html  records without an issue date

One page per year keeps a phone's page short (the single archive page of 171 records was
32,000 px at 360 px wide) and lets a reader go straight to a year.
"""

from __future__ import annotations

from kb.index.dates import Year
from kb.render.site import Site
from kb.urls import url_for

UNDATED = "undated"


def year_neighbours(years: tuple[Year, ...], index: int) -> dict:
    """The next newer and next older year around years[index] (years are newest first)."""
    return {"newer": years[index - 1] if index > 0 else None,
            "older": years[index + 1] if index + 1 < len(years) else None}


def index_context(scope) -> dict:
    dates = scope.dates()
    return {"years": dates.years, "undated_count": len(dates.undated), "nav": "archive"}


def year_context(scope, index: int) -> dict:
    dates = scope.dates()
    year = dates.years[index]
    return {**index_context(scope), "year": year, "months": [(m, scope.items(m.record_ids)) for m in year.months],
            **year_neighbours(dates.years, index)}


def undated_context(scope) -> dict:
    dates = scope.dates()
    return {**index_context(scope), "year": None, "months": [], "records": scope.items(dates.undated),
            "newer": dates.years[-1] if dates.years else None, "older": None}


def archive_pages(site: Site) -> list:
    """The archive's pages (kb.render.pages.Page): each reads the date index and its records' items."""
    from kb.render.pages import items_of, page

    dates = site.kb.dates
    pages = [page(url_for("archive"), "archive.html", ["dates"], index_context)]
    for index, year in enumerate(dates.years):
        ids = [i for m in year.months for i in m.record_ids]
        pages.append(page(url_for("year", year.year), "archive_year.html", ["dates", *items_of(ids)], year_context,
                          index=index))
    if dates.undated:
        pages.append(page(url_for("year", UNDATED), "archive_year.html", ["dates", *items_of(dates.undated)],
                          undated_context))
    return pages
