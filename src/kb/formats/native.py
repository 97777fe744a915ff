"""kb's own format: Markdown with YAML front matter that maps one-to-one onto Record.

    ---
    title: "LoRA: Low-Rank Adaptation of Large Language Models"
    kind: paper
    authors: [Edward J. Hu, Yelong Shen]
    venue: ICLR2022
    url: https://arxiv.org/abs/2106.09685
    issue_date: 2025-10-01
    tags: [PEFT, LoRA]
    ---
    ## summary
    One paragraph...
    ## 実験
    Any other heading becomes a section.

A `## ` heading named like a text field (summary, problem, approach, results,
limitations, technical, costs, references, tweet, comment) fills that field; every
other heading becomes a section. Text before the first heading is the summary when
the front matter has none.
"""

from __future__ import annotations

import re

import yaml
from pydantic import ValidationError

from kb.discover import SourceFile
from kb.models import Diagnostic, ParsedNote, Record, Section, Severity, SourceSpan
from kb.text import arxiv_id_from_url

NAME = "native"
DESCRIPTION = "Markdown with YAML front matter (kb's own format)"
TEXT_FIELDS = (
    "summary", "problem", "approach", "results", "limitations",
    "technical", "costs", "references", "tweet", "comment",
)
META_KEYS = set(Record.model_fields) - {"sections", "source", "id"} - set(TEXT_FIELDS)
class _TextDates(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's when PyYAML has it: ~10x faster on 10,000 notes) that leaves dates
    as text, so the record model validates them by field name."""


_TextDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(yaml text, body, line number where the body starts), or None without front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None


def detect(text: str) -> float:
    parts = split_front_matter(text.lstrip("\ufeff"))
    if parts is None:
        return 0.0
    try:
        meta = yaml.load(parts[0], Loader=_TextDates)  # noqa: S506 (safe loader)
    except yaml.YAMLError:
        return 0.5  # looks native, broken YAML: parse() reports where
    return 1.0 if isinstance(meta, dict) and "title" in meta else 0.4


def split_sections(body: str, first_line: int) -> tuple[str, list[Section]]:
    """Text before the first `## ` heading, and the sections (fences respected)."""
    intro: list[str] = []
    sections: list[Section] = []
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            sections.append(Section(heading=match.group(1), line=first_line + offset))
        elif sections:
            sections[-1].body += line + "\n"
        else:
            intro.append(line)
    for section in sections:
        section.body = section.body.strip("\n")
    return "\n".join(intro).strip(), sections


def _error(source: SourceFile, line: int, message: str) -> ParsedNote:
    diag = Diagnostic(path=source.path, line=line, severity=Severity.ERROR, message=message)
    return ParsedNote(path=source.path, format=NAME, diagnostics=[diag])


def _yaml_problem(source: SourceFile, exc: yaml.YAMLError) -> ParsedNote:
    """Point at where the broken construct starts (an unclosed quote), else where YAML gave up."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = mark.line + 2 if mark is not None else 1
    what = " ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
    return _error(source, line, f"front matter is not valid YAML: {what or exc}")


def parse(source: SourceFile) -> ParsedNote:
    parts = split_front_matter(source.text.lstrip("\ufeff"))
    if parts is None:
        return _error(source, 1, "expected YAML front matter between '---' lines at the top")
    yaml_text, body, body_line = parts
    try:
        meta = yaml.load(yaml_text, Loader=_TextDates) or {}  # noqa: S506
    except yaml.YAMLError as exc:
        return _yaml_problem(source, exc)
    if not isinstance(meta, dict):
        return _error(source, 2, "front matter must be a mapping of record fields (key: value)")
    return _build(source, meta, body, body_line)


def _build(source: SourceFile, meta: dict, body: str, body_line: int) -> ParsedNote:
    diagnostics = [
        Diagnostic(path=source.path, line=1, message=f"unknown front matter key {key!r} ignored", text=str(meta[key]))
        for key in sorted(set(meta) - META_KEYS - set(TEXT_FIELDS), key=str)
    ]
    fields = {k: v for k, v in meta.items() if k in META_KEYS or k in TEXT_FIELDS}
    intro, sections = split_sections(body, body_line)
    others = []
    for section in sections:
        key = section.heading.strip().lower()
        if key in TEXT_FIELDS and key not in fields:
            fields[key] = section.body
        else:
            others.append(section)
    if intro and "summary" not in fields:
        fields["summary"] = intro
    elif intro:
        others.insert(0, Section(heading="本文", body=intro, line=body_line))
    for key in ("authors", "tags"):
        if isinstance(fields.get(key), str):
            fields[key] = [part.strip() for part in fields[key].split(",") if part.strip()]
    if fields.get("url") and not fields.get("arxiv_id"):
        fields["arxiv_id"] = arxiv_id_from_url(str(fields["url"]))
    last = len(source.text.rstrip("\n").split("\n"))
    span = SourceSpan(path=source.path, format=NAME, line_start=1, line_end=last)
    try:
        record = Record(**fields, sections=others, source=span)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _error(source, 1, f"front matter does not fit the record: {problems}")
    return ParsedNote(path=source.path, format=NAME, records=[record], diagnostics=diagnostics)
