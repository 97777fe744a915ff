"""A page per paper (`papers/<id>/`): its facts once, then every note's view of it in full.

    paper_pages(site) -> list[Page]   the papers list (newest first) and a page per paper

A paper page reads its paper (`paper:<id>`: title, authors, venue, year, links, member ids) and
each member record whole (`record:<id>`), since it shows each note's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from markupsafe import Markup

from kb.index.papers import Paper
from kb.models import LinkedRecord
from kb.render.graph import Row, drawn_links, graph_inputs, graph_rows, graph_svg, readers
from kb.render.inputs import Scope
from kb.render.markdown import render_markdown
from kb.render.pages import Block, Page, citation, field_blocks, page, section_blocks
from kb.render.paper_links import paper_links, title_searches
from kb.render.site import Site, root_prefix
from kb.render.views import Facts
from kb.text import Taken
from kb.urls import url_for


@dataclass(frozen=True)
class NoteView:
    """One note's view of a paper: the record, its site facts, its text blocks (anchors prefixed)."""

    record: LinkedRecord
    facts: Facts
    page: str
    blocks: tuple[Block, ...]


def note_view(scope: Scope, record_id: str, n: int) -> NoteView:
    record = scope.record(record_id)
    prefix = f"n{n}-"
    fields = [Block(prefix + b.id, b.heading, b.html) for b in field_blocks(record)]
    sections = [Block(prefix + b.id, b.heading, b.html) for b in section_blocks(record, Taken())]
    summary = [Block(prefix + "summary", "要約", Markup(render_markdown(record.summary, 4, prefix + "summary")))] \
        if record.summary else []
    return NoteView(record, scope.facts(record), url_for("record", record.id), tuple(summary + fields + sections))


def as_record(paper: Paper, record: LinkedRecord) -> LinkedRecord:
    """The paper's facts on one of its records (to reuse the record page's link helpers)."""
    return record.model_copy(update={"title": paper.title, "kind": paper.kind, "url": paper.url,
                                     "arxiv_id": paper.arxiv_id})


def as_cited(paper: Paper, record: LinkedRecord) -> LinkedRecord:
    """The paper's fullest facts as one record, to cite (under its first note's citation key)."""
    return as_record(paper, record).model_copy(update={"authors": list(paper.authors), "venue": paper.venue,
                                                       "year": paper.year})


def paper_context(scope: Scope, paper_id: str) -> dict:
    paper = scope.paper(paper_id)
    views = [note_view(scope, record_id, n) for n, record_id in enumerate(paper.record_ids, 1)]
    shown = as_record(paper, views[0].record)
    return {"paper": paper, "notes": views, "paper_links": paper_links(shown), "title_searches": title_searches(shown),
            **citation(as_cited(paper, views[0].record), views[0].facts.bib_key),
            "description": f"{paper.title}: {len(views)} 件のノート", "og_type": "article", "nav": "papers",
            "code_css": any("<pre" in b.html for v in views for b in v.blocks),
            "graph": graph_svg(paper_graph(scope, paper), root_prefix(scope.path), "この論文のつながり")}


def paper_graph(scope: Scope, paper: Paper) -> list[Row]:
    """The paper, its notes, and under each note up to two of its own links (not its fellow notes)."""
    links_of, title_of = readers(scope, f"papergraph:{paper.id}")
    return graph_rows((None, paper.kind, paper.title), paper_groups(paper), links_of, title_of)


def paper_drawing(site: Site, paper_id: str) -> dict[str, list[str]]:
    """The drawn links of the paper's graph (its notes' own, without their fellow notes): the
    input papergraph:<id>."""
    found = site.drawings.get(f"papergraph:{paper_id}")
    if found is None:
        paper = site.papers_by_id[paper_id]
        found = site.drawings[f"papergraph:{paper_id}"] = drawn_links(None, paper_groups(paper),
                                                                       others(paper, site.graph_links.__getitem__))
    return found


def paper_groups(paper: Paper) -> list[tuple[str, str, list[str]]]:
    return [("notes", "この論文のノート", list(paper.record_ids))]


def others(paper: Paper, links_of):
    """A note's links without its fellow notes (drawn as the paper's)."""
    members = set(paper.record_ids)
    return lambda i: [j for j in links_of(i) if j not in members]


def papers_context(scope: Scope) -> dict:
    return {"papers": scope.papers(), "nav": "papers"}


def paper_inputs(site: Site, paper: Paper) -> list[str]:
    drawing = graph_inputs(paper_drawing(site, paper.id), f"papergraph:{paper.id}")
    return [f"paper:{paper.id}", *(f"record:{i}" for i in paper.record_ids), *drawing]


def paper_pages(site: Site) -> list[Page]:
    pages = [page(url_for("papers"), "papers.html", ["papers"], papers_context)]
    pages += [page(url_for("paper", p.id), "paper.html", partial(paper_inputs, site, p), paper_context, paper_id=p.id)
              for p in site.papers]
    return pages
