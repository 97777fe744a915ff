"""Papers: the records judged to be the same work (kb.index.same_paper), gathered as one.

    papers_of(records) -> list[Paper]   every paper noted in two or more records, newest first

A paper is a connected group of `same_as` links, except that two groups whose records carry
different arXiv ids are never joined (a note without an id that looks like both must not make
two papers one). Its facts come from the fullest of its notes: the title of the record with an
arXiv id (else the longest author list), the longest author list any note gives, the first venue,
year, address and arXiv id found. Its id is the arXiv id when known, else the title's slug
(`-2`, `-3` when two papers share a slug, in id order), so a paper keeps its address while
its notes come and go. A paper noted once has no page: its record page is the paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kb.models import LinkedRecord
from kb.text import Taken, first_free, slugify


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    kind: str
    authors: tuple[str, ...]
    venue: str | None
    year: int | None
    url: str | None
    arxiv_id: str | None
    latest: dt.date | None  # the date of its newest note: the papers list is newest first by it
    record_ids: tuple[str, ...]  # its notes, oldest first (undated last)


class Components:
    """Union-find over record ids that refuses to join groups with different arXiv ids."""

    def __init__(self, records: list[LinkedRecord]) -> None:
        self.parent = {r.id: r.id for r in records}
        self.arxiv = {r.id: ({r.arxiv_id} if r.arxiv_id else set()) for r in records}

    def root(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = sorted((self.root(a), self.root(b)))
        if ra == rb or (self.arxiv[ra] and self.arxiv[rb] and self.arxiv[ra] != self.arxiv[rb]):
            return
        self.parent[rb] = ra
        self.arxiv[ra] |= self.arxiv.pop(rb)


def groups_of(records: list[LinkedRecord]) -> list[list[LinkedRecord]]:
    """The records in groups of two or more judged to be one paper, each group in record order."""
    found = Components(records)
    known = set(found.parent)
    for record in sorted(records, key=lambda r: r.id):
        for other in sorted(record.same_as):
            if other in known:
                found.join(record.id, other)
    members: dict[str, list[LinkedRecord]] = {}
    for record in records:
        members.setdefault(found.root(record.id), []).append(record)
    return [group for group in members.values() if len(group) > 1]


def fullness(record: LinkedRecord) -> tuple:
    """The record whose facts a paper shows first: one with an arXiv id, then a paper, then the
    longest author list, the oldest, then by id."""
    date = record.issue_date or dt.date.max
    return (not record.arxiv_id, record.kind != "paper", -len(record.authors), date, record.id)


def first(values) -> object:
    return next((v for v in values if v), None)


def in_note_order(records: list[LinkedRecord]) -> list[LinkedRecord]:
    return sorted(records, key=lambda r: (r.issue_date is None, r.issue_date or dt.date.min, r.id))


def make_paper(paper_id: str, members: list[LinkedRecord]) -> Paper:
    ranked = sorted(members, key=fullness)
    best = ranked[0]
    authors = max((r.authors for r in ranked), key=len)
    dates = [r.issue_date for r in members if r.issue_date]
    return Paper(id=paper_id, title=best.title, kind=best.kind, authors=tuple(authors),
                 venue=first(r.venue for r in ranked), year=first(r.year for r in ranked),
                 url=first(r.url for r in ranked), arxiv_id=first(r.arxiv_id for r in ranked),
                 latest=max(dates) if dates else None,
                 record_ids=tuple(r.id for r in in_note_order(members)))


def paper_key(paper: Paper) -> tuple:
    """Newest first by its newest note, undated last, then by id."""
    date = paper.latest or dt.date.min
    return (paper.latest is None, -date.toordinal(), paper.id)


def papers_of(records: list[LinkedRecord]) -> list[Paper]:
    """Every paper noted in two or more records, newest first."""
    groups = groups_of(records)
    wanted = []
    for members in groups:
        best = sorted(members, key=fullness)[0]
        arxiv = first(r.arxiv_id for r in sorted(members, key=fullness))
        wanted.append((arxiv or slugify(best.title), min(r.id for r in members), members))
    taken = Taken()
    papers = [make_paper(first_free(base, taken), members) for base, _, members in sorted(wanted, key=lambda w: w[:2])]
    return sorted(papers, key=paper_key)
