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

from pydantic import ValidationError

from kb.bounded_yaml import YamlProblem, load_mapping
from kb.discover import SourceFile
from kb.models import INDEX_FIELDS, Diagnostic, ParsedNote, Record, Section, Severity, SourceSpan
from kb.text import CONTROL, arxiv_id_from_url, excerpt
from kb.validation import closest, field_problems

NAME = "native"
DESCRIPTION = "Markdown with YAML front matter (kb's own format)"
TEXT_FIELDS = (
    "summary", "problem", "approach", "results", "limitations",
    "technical", "costs", "references", "tweet", "comment",
)
META_KEYS = set(Record.model_fields) - {"sections", "source", "id"} - set(TEXT_FIELDS) - set(INDEX_FIELDS)
KNOWN_KEYS = sorted(META_KEYS | set(TEXT_FIELDS))
LIST_KEYS = ("authors", "tags")
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
FIRST_LINE = 2  # the front matter's first line in the file (after the opening '---')


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
        meta = load_mapping(parts[0], FIRST_LINE).data
    except YamlProblem:
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
            sections[-1] = sections[-1].model_copy(update={"body": sections[-1].body + line + "\n"})
        else:
            intro.append(line)
    return "\n".join(intro).strip(), [s.model_copy(update={"body": s.body.strip("\n")}) for s in sections]


def _diagnostic(source: SourceFile, line: int, message: str, severity=Severity.ERROR, text="") -> Diagnostic:
    return Diagnostic(path=source.path, line=line, severity=severity, message=message, text=excerpt(text))


def _failed(source: SourceFile, problems: list[Diagnostic]) -> ParsedNote:
    return ParsedNote(path=source.path, format=NAME, diagnostics=problems)


def parse(source: SourceFile) -> ParsedNote:
    parts = split_front_matter(source.text.lstrip("\ufeff"))
    if parts is None:
        return _failed(source, [_diagnostic(source, 1, "expected YAML front matter between '---' lines at the top")])
    yaml_text, body, body_line = parts
    try:
        loaded = load_mapping(yaml_text, FIRST_LINE)
    except YamlProblem as exc:
        return _failed(source, [_diagnostic(source, exc.line, f"front matter {exc.message}")])
    meta = loaded.data if loaded.data is not None else {}
    if not isinstance(meta, dict):
        return _failed(source, [_diagnostic(source, FIRST_LINE, "front matter must be a mapping of record fields "
                                                                "(key: value)")])
    notes = [_diagnostic(source, again, f"front matter key {key!r} is written twice (lines {first} and {again}); "
                         f"the value on line {again} is used", Severity.WARNING)
             for key, first, again in loaded.duplicates]
    return _build(source, meta, loaded.lines, body, body_line, notes)


def unknown_key(source: SourceFile, key, value, line: int) -> Diagnostic:
    name = str(key)
    if name in INDEX_FIELDS:
        hint = " (kb fills it while linking; a note cannot set it)"
    else:
        guess = closest(name, KNOWN_KEYS)
        hint = f" (did you mean {guess!r}?)" if guess else ""
    return _diagnostic(source, line, f"unknown front matter key {name!r} ignored{hint}", Severity.WARNING, str(value))


def control_in_values(source: SourceFile, meta: dict, lines: dict[str, int]) -> list[Diagnostic]:
    """A warning for each front-matter value holding a control character (a YAML escape like "\\e")."""
    found = []
    for key, value in meta.items():
        texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
            if isinstance(value, list) else []
        match = next((m for m in map(CONTROL.search, texts) if m), None)
        if match:
            found.append(_diagnostic(source, lines.get(str(key), FIRST_LINE), f"control character "
                                     f"U+{ord(match.group()):04X} in {str(key)!r} (invisible, not allowed in XML "
                                     "feeds): remove it", Severity.WARNING))
    return found


def as_text_list(value):
    """`tags: [LLM, 2024]`: numbers and other scalars in a list are taken as their text."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(item) if isinstance(item, int | float | bool) else item for item in value]
    return value


def _build(source: SourceFile, meta: dict, lines: dict[str, int], body: str, body_line: int,
           diagnostics: list[Diagnostic]) -> ParsedNote:
    def line_of(key) -> int:
        return lines.get(str(key), 1)  # a missing key: the front matter's opening line

    diagnostics += [unknown_key(source, key, meta[key], line_of(key))
                    for key in sorted(set(meta) - META_KEYS - set(TEXT_FIELDS), key=str)]
    diagnostics += control_in_values(source, meta, lines)
    fields = {k: v for k, v in meta.items() if k in META_KEYS or k in TEXT_FIELDS}
    intro, sections = split_sections(body, body_line)
    others = []
    for section in sections:
        key = section.heading.strip().lower()
        if key in TEXT_FIELDS and key not in fields:
            fields[key] = section.body
            lines.setdefault(key, section.line)
        else:
            others.append(section)
    if intro and "summary" not in fields:
        fields["summary"] = intro
    elif intro:
        others.insert(0, Section(heading="本文", body=intro, line=body_line))
    for key in LIST_KEYS:
        if key in fields:
            fields[key] = as_text_list(fields[key])
    if fields.get("url") and not fields.get("arxiv_id"):
        fields["arxiv_id"] = arxiv_id_from_url(str(fields["url"]))
    last = len(source.text.rstrip("\n").split("\n"))
    span = SourceSpan(path=source.path, format=NAME, line_start=1, line_end=last)
    try:
        record = Record(**fields, sections=others, source=span)
    except ValidationError as exc:
        problems = [_diagnostic(source, line_of(key), message) for key, message in field_problems(exc)]
        return _failed(source, diagnostics + problems)
    return ParsedNote(path=source.path, format=NAME, records=[record], diagnostics=diagnostics)
