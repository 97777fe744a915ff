"""Preview cards: one small JSON file beside each record and paper page (`preview.json`).

Hovering or focusing a link to a record or a paper shows a card (static/preview.js) with what
that file holds: title, date, kind, topic tags, one-line summary (a paper: its number of notes
and authors). One file per target page, fetched once, so a page costs no request per hover and
no page carries its links' cards. A record's file reads its list entry (`item:<id>`), a paper's
its paper (`paper:<id>`): an edit that leaves the list entry as it was rewrites no preview.
"""

from __future__ import annotations

import json

from kb.render.inputs import Scope
from kb.render.views import Item
from kb.urls import url_for


def kind_label(kind: str) -> str:
    from kb.render.outputs import KIND_LABELS  # the templates' labels (that module imports this one)

    return KIND_LABELS[kind]


def preview_path(page: str) -> str:
    """`records/<id>/index.html` -> `records/<id>/preview.json`."""
    return page.rsplit("/", 1)[0] + "/preview.json"


def as_json(card: dict) -> bytes:
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def record_card(item: Item) -> dict:
    date = (item.issue_date.isoformat() if item.issue_date else "日付なし") + (" (推定)" if item.date_inferred else "")
    return {"title": item.title, "kind": kind_label(item.kind), "date": date,
            "tags": [t.name for t in item.tags], "line": item.line}


def record_preview(scope: Scope, record_id: str) -> bytes:
    return as_json(record_card(scope.items([record_id])[0]))


def paper_preview(scope: Scope, paper_id: str) -> bytes:
    paper = scope.paper(paper_id)
    authors = ", ".join(paper.authors[:3]) + (" ほか" if len(paper.authors) > 3 else "")
    return as_json({"title": paper.title, "kind": f"{kind_label(paper.kind)}・ノート {len(paper.record_ids)} 件",
                    "date": paper.latest.isoformat() if paper.latest else "日付なし", "tags": [], "line": authors})


def preview_outputs(site, reads_of, output) -> list:
    """A preview.json beside every record page and paper page."""
    outputs = []
    for record in site.kb.records:
        path = preview_path(url_for("record", record.id))
        outputs.append(output(site, path, reads_of(path, [f"item:{record.id}"]), record_preview, record_id=record.id))
    for paper in site.papers:
        path = preview_path(url_for("paper", paper.id))
        outputs.append(output(site, path, reads_of(path, [f"paper:{paper.id}"]), paper_preview, paper_id=paper.id))
    return outputs
