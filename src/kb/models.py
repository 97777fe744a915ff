"""The shared vocabulary of every stage: records, their sources, diagnostics.

Two record types mark the stage contract. A format parser yields `Record`s (frozen): the
fields it found, the others empty; it never invents a value. The index stage yields
`LinkedRecord`s (frozen too): the same fields as normalised for the whole site (canonical
tags, an inferred month) plus what only the whole collection knows (INDEX_FIELDS: links,
compute). Only the index stage makes a LinkedRecord, so nothing downstream can see a record
that skipped it, and front matter can never set an index field. Text stays Markdown until
rendering.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kb.i18n import N_, Message, Problem

RECORD_KINDS = ("paper", "blog", "article", "talk", "repository", "other")
INDEX_FIELDS = ("date_inferred", "year_inferred", "mentions", "mentioned_by", "same_as", "related", "related_reasons",
                "compute")  # filled when linking


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(BaseModel):
    """Something a person should look at: where, how bad, what was expected."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    line: int | None = None
    severity: Severity = Severity.WARNING
    message: str  # in English; `said` keeps it untranslated for kb.console to show in the reader's language
    text: str = ""
    said: Message | None = None

    @model_validator(mode="before")
    @classmethod
    def _message(cls, data):
        """`message=N_(...)` (kb.i18n): the English text in `message`, the id and parameters in `said`."""
        if isinstance(data, dict) and isinstance(data.get("message"), Message):
            data = {**data, "said": data["message"], "message": data["message"].english()}
        return data

    @field_validator("message", "text")
    @classmethod
    def _short(cls, value: str, info) -> str:
        """At most a short excerpt of the offending text (a diagnostic never holds a huge value)."""
        from kb.text import EXCERPT, excerpt

        return excerpt(value, EXCERPT if info.field_name == "text" else 4 * EXCERPT)

    def shown(self) -> str:
        """The message in the reader's language (kb.i18n), as short as `message`."""
        from kb.i18n import english
        from kb.text import EXCERPT, excerpt

        return self.message if self.said is None or english() else excerpt(self.said.translated(), 4 * EXCERPT)


class Section(BaseModel):
    """One heading and its body (Markdown), in note order."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    heading: str
    body: str = ""
    line: int | None = None


class SourceSpan(BaseModel):
    """Where a record came from: path relative to the project root, format, lines (1-based)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    path: str
    format: str
    line_start: int
    line_end: int


class Compute(BaseModel):
    """Hardware a paper reports: GPU model, count, time (filled by the index stage)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    gpu: str
    count: int | None = None
    hours: float | None = None
    gpu_hours: float | None = None
    text: str = ""


class Record(BaseModel):
    """One paper, blog post, article or talk, as noted in one note file (what a parser found)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    id: str = ""
    title: str
    kind: str = "paper"
    authors: list[str] = Field(default_factory=list)
    et_al: bool = False  # the note cuts the author list short (`Chenwei Lou+`): pages say ほか, BibTeX "and others"
    venue: str | None = None
    year: int | None = None
    url: str | None = None
    arxiv_id: str | None = None
    issue_date: dt.date | None = None
    tags: list[str] = Field(default_factory=list)
    headline: str | None = None
    summary: str | None = None
    abstract: str | None = None  # the paper's own abstract (kb new from arXiv), shown folded
    problem: str | None = None
    approach: str | None = None
    results: str | None = None
    limitations: str | None = None
    technical: str | None = None
    costs: str | None = None
    references: str | None = None
    tweet: str | None = None
    comment: str | None = None
    presenter: str | None = None
    meeting: str | None = None  # the study-group meeting a talk was given at: "2025-09-24 機械学習勉強会"
    aliases: list[str] = Field(default_factory=list)  # old addresses that redirect here (kb.addresses)
    sections: list[Section] = Field(default_factory=list)
    source: SourceSpan

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise Problem(N_("title is empty"))
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in RECORD_KINDS:
            from kb.validation import closest

            guess = closest(value, RECORD_KINDS)
            hint = N_(" (did you mean {guess}?)", guess=repr(guess)) if guess else ""
            raise Problem(N_("kind {value} is not one of {kinds}{hint}", value=repr(value),
                             kinds=", ".join(RECORD_KINDS), hint=hint))
        return value

    @field_validator("issue_date", mode="before")
    @classmethod
    def _a_real_date(cls, value):
        from kb.validation import parse_date

        return parse_date("issue_date", value)

    @field_validator("arxiv_id")
    @classmethod
    def _arxiv_shape(cls, value: str | None) -> str | None:
        from kb.text import ARXIV_ID

        if value is not None and not ARXIV_ID.fullmatch(value):
            raise Problem(N_("arxiv_id {value} is not like 2503.04504", value=repr(value)))
        return value


class LinkedRecord(Record):
    """A record as the index stage leaves it: normalised for the site, with its links (by id)."""

    date_inferred: bool = False  # issue_date is the month of the arXiv id
    year_inferred: bool = False  # year is the arXiv id's or the issue date's (the note gave none)
    mentions: list[str] = Field(default_factory=list)
    mentioned_by: list[str] = Field(default_factory=list)
    same_as: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    related_reasons: list[str] = Field(default_factory=list)  # why each related one is: 共通: タグ 量子化
    compute: list[Compute] = Field(default_factory=list)

    @classmethod
    def of(cls, record: Record, links: dict) -> LinkedRecord:
        """The record with the index's values (already validated: nothing is parsed again): a
        copy of a blank LinkedRecord with every field given (pydantic's model_copy with `update`).
        model_construct looks at each field in Python (0.24 s for 10,000 records against 0.12 s),
        and inspects each default factory it has to call, which made it 100 times slower still."""
        empty = {"date_inferred": False, "year_inferred": False, "mentions": [], "mentioned_by": [], "same_as": [],
                 "related": [], "related_reasons": [], "compute": []}
        return blank_linked().model_copy(update={**empty, **record.__dict__, **links})


@lru_cache(maxsize=1)
def blank_linked() -> LinkedRecord:
    """A LinkedRecord with every field set (to be copied with all of them given: LinkedRecord.of)."""
    return LinkedRecord.model_construct(**{name: None for name in LinkedRecord.model_fields})


class Residue(BaseModel):
    """A line of a note that no record field took: reported, never dropped."""

    model_config = ConfigDict(defer_build=True)

    line: int
    text: str


class ParsedNote(BaseModel):
    """What one parser made of one note file."""

    model_config = ConfigDict(defer_build=True)

    path: str
    format: str
    meta: dict[str, str] = Field(default_factory=dict)
    records: list[Record] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    residue: list[Residue] = Field(default_factory=list)
