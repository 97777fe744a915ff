"""A record's (or a paper's) links, two steps out, drawn at build time as inline SVG.

    graph_rows(center, groups, links_of, title_of)  -> list[Row]   what is drawn, in order
    drawn_links(center_id, groups, links_of)        -> {id: ids}   the drawn records' drawn links
    graph_inputs(drawing, name)                      -> list[str]   what the drawing reads (planning)
    graph_svg(rows, root)                            -> Markup     the picture

The layout is an indented tree: the record on the first row, then one group per kind of link
(mentions, mentioned by, same paper, related; a paper page: its notes), each linked record on a
row of its own, and under each of those up to STEP2 of its own links (two steps). Why this and
not a force or radial layout: labels stay horizontal at full size, so the picture is as legible
at 360 px as at 1280 px (a 360-unit-wide drawing shown at most at 1.4 times); nothing overlaps
however many links a record has; the picture depends on the links alone, so it is the same in
every build (no iteration, no randomness); and every row is a real <a> to its page, in reading
order for a keyboard and a screen reader.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from kb.urls import url_for

WIDTH, ROW, INDENT, FONT = 360, 26, 18, 13
STEP1, STEP2 = 8, 3  # linked records drawn per group, and their own links drawn per record
RELATIONS = (("same_as", "同じ論文"), ("mentions", "言及している"), ("mentioned_by", "言及されている"),
             ("related", "関連"))


@dataclass(frozen=True)
class Row:
    id: str | None  # the record on the row (None: the page's own row, a heading)
    depth: int  # 0 the record itself, 1 a group heading, 2 a linked record, 3 its own link
    label: str
    page: str | None  # site path of the row's page (None: a heading, or the page itself)
    relation: str  # the link kind (a CSS class: graph-<relation>)
    more: int = 0  # a heading: how many of the group are not drawn


def label_width(text: str) -> float:
    """The text's width in units of FONT (wide characters 1, others about 0.58)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.58 for c in text)


@lru_cache(maxsize=1 << 16)
def fitted(text: str, room: float) -> str:
    """The text cut with `…` to fit `room` units (kept per process: a title is drawn in the graph
    of every record near it, 12,000 times for one kb serve rebuild of 423 pages at 10,000 notes)."""
    if label_width(text) * FONT <= room:
        return text
    out, used = "", label_width("…") * FONT
    for char in text:
        used += label_width(char) * FONT
        if used > room:
            break
        out += char
    return out.rstrip() + "…"


def drawn(center_id: str | None, groups: list[tuple[str, str, list[str]]],
          links_of: Callable[[str], list[str]]) -> list[tuple[str, str, list[tuple[str, list[str]]]]]:
    """What is drawn, by id: per group (key, heading, [(linked id, up to STEP2 of its own links
    not drawn already)]), with the group's ids shown (up to STEP1)."""
    seen = {center_id} | {i for _, _, ids in groups for i in ids[:STEP1]}
    found = []
    for key, heading, ids in groups:
        shown = []
        for record_id in ids[:STEP1]:
            second = [i for i in links_of(record_id) if i not in seen][:STEP2]
            seen.update(second)
            shown.append((record_id, second))
        found.append((key, heading, shown))
    return found


def graph_rows(center: tuple[str | None, str, str], groups: list[tuple[str, str, list[str]]],
               links_of: Callable[[str], list[str]], title_of: Callable[[str], str]) -> list[Row]:
    """The rows: the center (its id or None, kind, title), then each group (key, heading, ids) with up to STEP1
    records and, under each, up to STEP2 of its own links not drawn already."""
    rows = [Row(None, 0, center[2], None, center[1])]
    sizes = {key: len(ids) for key, _, ids in groups}
    for key, heading, shown in drawn(center[0], groups, links_of):
        if not shown:
            continue
        rows.append(Row(None, 1, f"{heading}（{sizes[key]}）", None, key, max(0, sizes[key] - STEP1)))
        for record_id, second in shown:
            rows.append(Row(record_id, 2, title_of(record_id), url_for("record", record_id), key))
            rows += [Row(i, 3, title_of(i), url_for("record", i), "step2") for i in second]
    return rows


def drawn_links(center_id: str | None, groups: list[tuple[str, str, list[str]]],
                links_of: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """Each drawn linked record's own links as the graph draws them (up to STEP2, not drawn
    already; a record is in one group at most). A page reads these (graph:<id>, papergraph:<id>),
    not every link of the records it draws, so a record's links beyond its drawn ones change none
    of the pages drawing it; drawing again from them gives the same rows."""
    return {record_id: second for _, _, rows in drawn(center_id, groups, links_of) for record_id, second in rows}


def graph_inputs(drawing: dict[str, list[str]], name: str) -> list[str]:
    """What a drawing reads (kb.render.inputs): each drawn record's Brief (for its title), and the
    drawn links themselves (`name`)."""
    return [f"brief:{i}" for record_id, second in drawing.items() for i in (record_id, *second)] + [name]


def readers(scope, name: str) -> tuple[Callable[[str], list[str]], Callable[[str], str]]:
    """(drawn links of a record, title of a record), read from a page's Scope (kb.render.inputs:
    only what it declared): the drawn links are the input `name` (Scope.drawing)."""
    return scope.drawing(name).__getitem__, (lambda i: scope.briefs([i])[0].title)


def all_links(record) -> list[str]:
    """A record's linked ids, strongest tie first, each once."""
    ids = [*record.same_as, *record.mentions, *record.mentioned_by, *record.related]
    return [i for i in dict.fromkeys(ids) if i != record.id]


def row_y(n: int) -> int:
    return n * ROW + ROW // 2 + 4


def parents(rows: list[Row]) -> list[int | None]:
    """Each row's parent: the last row before it one level up."""
    last: dict[int, int] = {}
    found: list[int | None] = []
    for n, row in enumerate(rows):
        found.append(last.get(row.depth - 1))
        last[row.depth] = n
    return found


def row_svg(n: int, row: Row, parent: int | None, root: str) -> str:
    y, x = row_y(n), 8 + row.depth * INDENT
    label = escape(fitted(row.label, WIDTH - x - 14))
    parts = []
    if parent is not None:  # an elbow from the parent's column
        px = x - INDENT
        parts.append(f'<path class="graph-edge graph-{row.relation}" d="M{px} {row_y(parent) + 2}V{y - 4}H{x - 4}"/>')
    dot = "" if row.depth == 1 else f'<circle class="graph-node graph-{row.relation}" cx="{x}" cy="{y - 4}" r="4"/>'
    text = f'<text x="{x + 8}" y="{y}">{label}</text>'
    if row.page:
        full = escape(row.label)
        text = f'<a href="{escape(root + row.page)}"><title>{full}</title>{text}</a>'
    elif row.depth == 1:
        text = f'<text class="graph-heading" x="{x - 4}" y="{y}">{label}</text>'
    parts += [dot, text]
    return "".join(parts)


def graph_svg(rows: list[Row], root: str, label: str = "この記録のつながり") -> Markup:
    if len(rows) <= 1:
        return Markup("")
    height = len(rows) * ROW + 8
    pairs = enumerate(zip(rows, parents(rows), strict=True))
    body = "".join(row_svg(n, row, parent, root) for n, (row, parent) in pairs)
    return Markup(f'<svg class="graph" role="group" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {height}" '
                  f'width="{WIDTH}" height="{height}" font-size="{FONT}">{body}</svg>')
