"""The home page's picture of the collection: records per month as an SVG bar chart, drawn at build time."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from kb.index.dates import DateIndex

WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 720, 140, 2, 8
MIN_BAR = 10  # a month with records is at least this tall (of HEIGHT): one record stays visible on a phone
LABEL_ROOM = "2.6em"  # a year label's width: the last one is moved in so it is never cut off
MAJOR_LABELS = 6  # at most this many year labels stay on a phone; the rest are "minor"


def month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every (year, month) from first to last, inclusive, so empty months show as gaps."""
    months, (year, month) = [], first
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_counts(dates: DateIndex) -> list[tuple[int, int, int]]:
    counts = {(m.year, m.month): len(m.record_ids) for m in dates.months()}
    if not counts:
        return []
    return [(y, m, counts.get((y, m), 0)) for y, m in month_range(min(counts), max(counts))]


def bar(i: int, step: float, year: int, month: int, count: int, peak: int) -> str:
    height = max(MIN_BAR, (HEIGHT - PAD_BOTTOM - PAD_TOP) * count / peak)
    y = HEIGHT - PAD_BOTTOM - height
    label = f"{year}年{month}月: {count}件"
    return (f'<rect class="bar" x="{i * step + step * 0.1:.2f}" y="{y:.2f}" width="{step * 0.8:.2f}" '
            f'height="{height:.2f}"><title>{escape(label)}</title></rect>')


def year_labels(series: list[tuple[int, int, int]], step: float) -> str:
    """The year labels as HTML under the SVG (an SVG's text shrinks with it: ~5 px on a phone).

    Each sits where its year's first month starts; when there are many, every n-th stays and the
    others are marked "minor" (hidden on a phone) so the labels never overlap.
    """
    shown = [(i, year) for i, (year, month, _) in enumerate(series) if month == 1 or (i == 0 and month <= 7)]
    every = max(1, math.ceil(len(shown) / MAJOR_LABELS))
    minor = ' class="minor"'
    spans = [f'<span{"" if n % every == 0 else minor} style="left:min({100 * i * step / WIDTH:.2f}%, '
             f'calc(100% - {LABEL_ROOM}))">{year}</span>' for n, (i, year) in enumerate(shown)]
    return f'<div class="chart-years" aria-hidden="true">{"".join(spans)}</div>'


def records_per_month_svg(dates: DateIndex) -> Markup:
    """An accessible SVG (role=img with a text summary) and its year labels, or '' when no record has a date."""
    series = monthly_counts(dates)
    if not series:
        return Markup("")
    step, peak = WIDTH / len(series), max(c for _, _, c in series) or 1
    total = sum(c for _, _, c in series)
    first, last = series[0], series[-1]
    summary = f"{first[0]}年{first[1]}月から{last[0]}年{last[1]}月までの月別記録数（計{total}件、最多{peak}件）"
    parts = [bar(i, step, y, m, c, peak) for i, (y, m, c) in enumerate(series) if c]
    axis = f'<line class="axis-line" x1="0" x2="{WIDTH}" y1="{HEIGHT - PAD_BOTTOM}" y2="{HEIGHT - PAD_BOTTOM}"/>'
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" role="img" '
                  f'aria-labelledby="chart-title" '
                  f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(summary)}</title>'
                  f'{axis}{"".join(parts)}</svg>{year_labels(series, step)}')
