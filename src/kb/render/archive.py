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

UNDATED = "undated"


def year_page(year: int | str) -> str:
    return f"archive/{year}/index.html"


def year_neighbours(years: tuple[Year, ...], index: int) -> dict:
    """The next newer and next older year around years[index] (years are newest first)."""
    return {"newer": years[index - 1] if index > 0 else None,
            "older": years[index + 1] if index + 1 < len(years) else None}


def archive_pages(site: Site) -> list[tuple[str, str, dict]]:
    """(site path, template, context) of every archive page; kb.render.pages makes them Pages."""
    dates = site.kb.dates
    ctx = {"years": dates.years, "undated_count": len(dates.undated), "nav": "archive"}
    pages = [("archive/index.html", "archive.html", ctx)]
    for index, year in enumerate(dates.years):
        months = [(m, site.listed(m.record_ids)) for m in year.months]
        pages.append((year_page(year.year), "archive_year.html",
                      {**ctx, "year": year, "months": months, **year_neighbours(dates.years, index)}))
    if dates.undated:
        pages.append((year_page(UNDATED), "archive_year.html",
                      {**ctx, "year": None, "months": [], "records": site.listed(dates.undated),
                       "newer": dates.years[-1] if dates.years else None, "older": None}))
    return pages
