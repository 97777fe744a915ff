"""LLM-written paper summaries: one Markdown document per paper, joined by `---`.

    # AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM   <- title
    [View Paper](http://arxiv.org/abs/2503.04504v1)                         <- url, arXiv id
    ## 1. 既存研究では何ができなかったのか                                    <- problem
    ## 2. どのようなアプローチでそれを解決しようとしたか                      <- approach
    ## 3. 結果、何が達成できたのか                                            <- results
    ## 4. Limitationや問題点は何か(。本文で言及されているものの他…)           <- limitations
    ## 5. 技術的な詳細について(。技術者が読むことを想定したトーンで)          <- technical
    ## 6. コストや物理的な詳細について(。例えば…)                             <- costs
    ## 7. 参考文献のうち、特に参照すべきもの                                  <- references
    ## 8. この論文を140字以内のツイートで要約すると？                          <- tweet; #hashtags -> tags
    ---

A section goes to the field of its number, cross-checked by the heading's keywords (the
wording varies from one summary to the next); every section is also kept, in order, in
`sections`. `#` lines inside fenced code blocks are code, never headings. Text outside any
summary (an LLM's "はい、承知いたしました…" preamble) and stray punctuation after the last
section are residue, not record text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from kb.discover import SourceFile
from kb.i18n import N_, Message, joined
from kb.models import Diagnostic, ParsedNote, Record, Residue, Section, Severity, SourceSpan
from kb.text import arxiv_id_from_url
from kb.validation import field_problems

NAME = "summaries"
DESCRIPTION = "LLM paper summaries (# title, [View Paper](arXiv), ## 1.-## 8. questions, joined by ---)"
FIELDS = ("problem", "approach", "results", "limitations", "technical", "costs", "references", "tweet")
KEYWORDS = {
    "problem": ("既存研究", "できなかった", "problem", "背景"),
    "approach": ("アプローチ", "解決", "approach", "手法"),
    "results": ("結果", "達成", "result"),
    "limitations": ("limitation", "問題点", "限界", "制限"),
    "technical": ("技術", "technical"),
    "costs": ("コスト", "物理的", "gpu", "cost"),
    "references": ("参考文献", "reference", "文献"),
    "tweet": ("ツイート", "tweet", "140字"),
}
_NUMBER = re.compile(r"^(\d+)\s*[.．:：)]")
_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_VIEW_PAPER = re.compile(r"\[View Paper\]\(\s*(\S+?)\s*\)")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w[\w\-]*)")
# The link's parentheses around the URL (`[View Paper]` itself is a coverage marker already).
COVERAGE_MARKERS = re.compile(
    r"^\u0000\((?=\S+\)\s*$)|(?<=\.\d{4})\)\s*$|(?<=\.\d{5})\)\s*$|(?<=\dv\d)\)\s*$|(?<=\dv\d\d)\)\s*$"
)


@dataclass
class Line:
    """One line of the note, 1-based, with its role: title, heading, separator or text."""

    number: int
    text: str
    kind: str = "text"


@dataclass
class Block:
    """The lines of one summary, from its `# ` title to the next separator or title."""

    lines: list[Line] = field(default_factory=list)


class _Fence:
    """Tracks fenced code blocks: a fence closes with the same character, at least as long."""

    def __init__(self) -> None:
        self.marker = ""

    def step(self, text: str) -> bool:
        """True when the line is code or a fence line (so never a heading)."""
        match = _FENCE.match(text)
        if self.marker:
            if match and match.group(1).startswith(self.marker) and not text.strip().strip(self.marker[0]):
                self.marker = ""
            return True
        if match:
            self.marker = match.group(1)
        return bool(match)


def classify(lines: list[str]) -> list[Line]:
    fence = _Fence()
    out = []
    for number, text in enumerate(lines, 1):
        kind = "code" if fence.step(text) else "text"
        if kind == "text":
            if title_text(text) is not None:
                kind = "title"
            elif heading_text(text) is not None:
                kind = "heading"
            elif _SEPARATOR.match(text):
                kind = "separator"
        out.append(Line(number, text, kind))
    return out


def detect(text: str) -> float:
    """`# ` titles, each with `## 1.`-`## 8.` questions worded like ours, and View Paper links."""
    lines = classify(text.lstrip("\ufeff").split("\n"))
    titles = sum(1 for line in lines if line.kind == "title")
    numbered = [line for line in lines if line.kind == "heading" and question_number(line.text) in range(1, 9)]
    if not numbered or not titles:
        return 0.0
    worded = sum(1 for line in numbered if field_for(question_number(line.text), line.text)[0]
                 in fields_named(line.text))
    if _VIEW_PAPER.search(text):
        link = 1.0
    else:
        link = 0.5 if "arxiv.org/" in text else 0.0
    density = min(1.0, len(numbered) / (8 * titles))
    return round(density * (0.25 + 0.4 * worded / len(numbered) + 0.35 * link), 3)


def fields_named(heading: str) -> list[str]:
    """The fields whose keywords the heading contains."""
    folded = heading.casefold()
    return [name for name in FIELDS if any(word in folded for word in KEYWORDS[name])]


def marked_text(line: str, mark: str) -> str | None:
    """The text after `mark` and a space, as `^<mark>\\s+(.*?)\\s*$` captures it, in linear time (that
    pattern retried its trailing `\\s*` at every character of a long run of spaces)."""
    rest = line[len(mark):]
    return rest.strip() if line.startswith(mark) and rest[:1].isspace() else None


def title_text(line: str) -> str | None:
    """The title of a `# ` line (`^#\\s+(.*?)\\s*$`), else None."""
    return marked_text(line, "#")


def heading_text(line: str) -> str | None:
    """The text of a `## ` heading line (`^##\\s+(.*?)\\s*$`), else None."""
    return marked_text(line, "##")


def question_number(heading_line: str) -> int | None:
    """The question number of a `## N. ...` heading line, else None."""
    heading = heading_text(heading_line)
    match = _NUMBER.match(heading) if heading is not None else None
    return int(match.group(1)) if match else None


def split_blocks(lines: list[Line]) -> tuple[list[Block], list[list[Line]]]:
    """Summaries (each from a title) and the stretches of lines outside any summary."""
    blocks: list[Block] = []
    loose: list[list[Line]] = [[]]
    current: Block | None = None
    for line in lines:
        if line.kind == "separator":
            current = None
            loose.append([])
        elif line.kind == "title":
            current = Block([line])
            blocks.append(current)
        elif current is not None:
            current.lines.append(line)
        else:
            loose[-1].append(line)
    return blocks, [stretch for stretch in loose if any(line.text.strip() for line in stretch)]


def field_for(number: int | None, heading: str) -> tuple[str | None, Message | None]:
    """The field a section fills, and a warning when number and keywords disagree."""
    candidates = fields_named(heading)
    by_number = FIELDS[number - 1] if number is not None and 1 <= number <= len(FIELDS) else None
    if by_number and (by_number in candidates or not candidates):
        return by_number, None
    if len(candidates) == 1:
        if by_number is None:
            return candidates[0], None
        return candidates[0], N_("section {number} reads like {field}, not {by_number}: taken as {field}",
                                 number=number, field=candidates[0], by_number=by_number)
    return by_number, None


def trim(lines: list[Line]) -> list[Line]:
    """Without leading and trailing blank lines."""
    start = next((i for i, line in enumerate(lines) if line.text.strip()), len(lines))
    end = max((i + 1 for i, line in enumerate(lines) if line.text.strip()), default=start)
    return lines[start:end]


def body_text(lines: list[Line]) -> str:
    return "\n".join(line.text.rstrip() for line in trim(lines))


def stray_tail(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Split off trailing lines with no letter or digit outside code (e.g. a lone `'''`)."""
    kept = trim(lines)
    tail: list[Line] = []
    while kept and kept[-1].kind == "text" and not re.search(r"\w", kept[-1].text):
        tail.insert(0, kept.pop())
        kept = trim(kept)
    return kept, [line for line in tail if line.text.strip()]


def hashtags(text: str) -> list[str]:
    tags: list[str] = []
    for tag in _HASHTAG.findall(text):
        if tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    return tags


@dataclass
class Summary:
    """What one block yields before it becomes a record."""

    title: str
    sections: list[Section] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    intro: list[Line] = field(default_factory=list)
    url: str | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)


def split_sections(lines: list[Line]) -> tuple[list[Line], list[tuple[Line, list[Line]]]]:
    """Lines before the first `## ` heading, and each heading with its lines."""
    intro: list[Line] = []
    sections: list[tuple[Line, list[Line]]] = []
    for line in lines:
        if line.kind == "heading":
            sections.append((line, []))
        elif sections:
            sections[-1][1].append(line)
        else:
            intro.append(line)
    return intro, sections


def read_summary(block: Block) -> tuple[Summary, list[Line]]:
    """The summary of one block and its residue lines (stray text after the last section)."""
    summary = Summary(title=title_text(block.lines[0].text))
    body, stray = stray_tail(block.lines[1:])
    intro, parts = split_sections(body)
    summary.intro = take_link(summary, intro)
    for heading, lines in parts:
        add_section(summary, heading, lines)
    missing = [f"{number} ({name})" for number, name in enumerate(FIELDS, 1) if name not in summary.fields]
    if missing:
        summary.problems.append((block.lines[0].number, N_("summary {title} is missing section(s) {missing}",
                                                           title=repr(summary.title), missing=", ".join(missing))))
    return summary, stray


def take_link(summary: Summary, intro: list[Line]) -> list[Line]:
    """Take the first `[View Paper](url)` link; the other intro lines are returned."""
    rest = []
    for line in intro:
        match = _VIEW_PAPER.search(line.text)
        if match and summary.url is None and not _VIEW_PAPER.sub("", line.text).strip():
            summary.url = match.group(1)
        else:
            rest.append(line)
    return trim(rest)


def add_section(summary: Summary, heading: Line, lines: list[Line]) -> None:
    text = heading_text(heading.text)
    body = body_text(lines)
    summary.sections.append(Section(heading=text, body=body, line=heading.number))
    name, warning = field_for(question_number(heading.text), text)
    if warning:
        summary.problems.append((heading.number, warning))
    if name is None:
        return
    if name in summary.fields:
        summary.problems.append((heading.number, N_("a second {name} section ({heading}) is kept in sections only",
                                                    name=name, heading=repr(text))))
    else:
        summary.fields[name] = body


def to_record(source: SourceFile, block: Block, summary: Summary) -> Record:
    numbers = [line.number for line in block.lines if line.text.strip()]
    span = SourceSpan(path=source.path, format=NAME, line_start=block.lines[0].number, line_end=max(numbers))
    extra = {"summary": body_text(summary.intro)} if summary.intro else {}
    tags = hashtags(summary.fields.get("tweet", ""))
    return Record(title=summary.title, kind="paper", url=summary.url, arxiv_id=arxiv_id_from_url(summary.url),
                  tags=tags, sections=summary.sections, source=span, **summary.fields, **extra)


def warn(source: SourceFile, line: int, message: Message, severity: Severity = Severity.WARNING) -> Diagnostic:
    return Diagnostic(path=source.path, line=line, severity=severity, message=message)


def residue(lines: list[Line]) -> list[Residue]:
    return [Residue(line=line.number, text=line.text) for line in lines if line.text.strip()]


def parse_block(source: SourceFile, block: Block, note: ParsedNote) -> None:
    """Add the block's record (or, when it cannot be one, its lines as residue) to the note."""
    if not title_text(block.lines[0].text):
        note.diagnostics.append(warn(source, block.lines[0].number, N_("a summary with an empty '# ' title: its "
                                                                       "lines are kept as residue"), Severity.ERROR))
        note.residue.extend(residue(block.lines))
        return
    summary, stray = read_summary(block)
    note.diagnostics.extend(warn(source, line, message) for line, message in summary.problems)
    if stray:
        note.residue.extend(residue(stray))
        stray_warning = warn(source, stray[0].number, N_("stray text after the last section kept as residue"))
        note.diagnostics.append(stray_warning.model_copy(update={"text": stray[0].text}))
    kept = [line for line in block.lines if line not in stray]
    if summary.url is None:
        note.diagnostics.append(warn(source, block.lines[0].number, N_("summary {title} has no [View Paper](url) "
                                                                       "link", title=repr(summary.title))))
    try:
        note.records.append(to_record(source, Block(kept), summary))
    except ValidationError as exc:
        problems = joined([message for _, message in field_problems(exc)])
        note.diagnostics.append(warn(source, block.lines[0].number, N_("summary cannot be a record: {problems}",
                                                                       problems=problems), Severity.ERROR))
        note.residue.extend(residue(kept))


def parse_loose(source: SourceFile, stretch: list[Line], note: ParsedNote) -> None:
    """Lines outside any summary: residue; an error when they look like a summary without a title."""
    note.residue.extend(residue(stretch))
    if any(line.kind == "heading" or _VIEW_PAPER.search(line.text) for line in stretch):
        first = next(line for line in stretch if line.text.strip())
        note.diagnostics.append(warn(source, first.number, N_("a summary without a '# title' line: its lines are "
                                                              "kept as residue"), Severity.ERROR))


def parse(source: SourceFile) -> ParsedNote:
    note = ParsedNote(path=source.path, format=NAME)
    lines = classify(source.text.lstrip("\ufeff").split("\n"))
    blocks, loose = split_blocks(lines)
    for block in blocks:
        parse_block(source, block, note)
    for stretch in loose:
        parse_loose(source, stretch, note)
    note.residue.sort(key=lambda item: item.line)
    if not blocks:
        note.diagnostics.append(warn(source, 1, N_("no summary found: expected '# title' lines"), Severity.ERROR))
    return note
