"""Minutes of a weekly study-group session.

    2025-09-24 機械学習勉強会                     <- meeting date and name
    今週のTOPIC[blog] ...[論文] ...メインTOPIC...  <- run-together table of contents
    今週のTOPIC
    @Presenter                                   <- a talk starts
    [blog] Title  |  [論文] Title                 <- kind and title
    ICLR2024                                     <- optional venue line
    body...                                      <- until the next @ or メインTOPIC
    メインTOPIC
    Title
    | Title | ... |  | Authors | a, b |  | Venue | EMNLP2025 |
    背景 / 提案 / 実験 ...                         <- its sections

Every talk and the main topic is a record dated with the meeting, and carries the meeting
(`meeting`: date and group name, as the first line says it); a talk's summary is the
opening lines of its memo. Headings are plain
lines: a top-level heading is one of the usual section names (背景, 提案, 実験, 結果 ...;
for the main topic, the names its table-of-contents entry lists); other short,
unpunctuated lines followed by a list become `###` sub-headings inside the body.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from kb.discover import SourceFile
from kb.i18n import N_
from kb.models import Diagnostic, ParsedNote, Record, Residue, Section, Severity, SourceSpan

NAME = "minutes"
KEEPS_LINES = True  # a copied page: each line of a field was a line (a block) of the page
DESCRIPTION = "study-group minutes (date line, @presenter talks, メインTOPIC)"
_DATE_LINE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*(.*)$")
_PRESENTER = re.compile(r"^@\s*(\S.*)$")
_TALK_TITLE = re.compile(r"^\[(blog|論文|paper|article|記事)\]\s*(.+)$", re.IGNORECASE)
_VENUE_LINE = re.compile(r"^([A-Za-z][A-Za-z&-]*)\s?'?(\d{2}|\d{4})$")
_LIST_ITEM = re.compile(r"^\s*[-*・]\s")
# A link card is `lead site title - description`, matched in two steps so that it takes linear time:
# the site (followed by a title's first character), then from there the title and description. In one
# pattern, every shorter site (`a.org1.org1.org1…`) and every space of a long run retried the title.
_CARD_HEAD = re.compile(r"(?P<lead>\s*(?:[-*・]\s+)?)"
                        r"(?P<site>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:org|com|io|dev|net|jp|ai))(?=[A-Z0-9])")
_CARD_TAIL = re.compile(r"(?P<title>[A-Z0-9][^\n]*?)(?<!\s)\s+-\s+(?P<description>\S.*)$")
ARXIV_TITLE_SEARCH = "https://arxiv.org/search/?searchtype=title&query="
_SENTENCE = re.compile(r"[。、,.!?！？:：=→“”\"()（）]|https?://")
TOC_MARK, THIS_WEEK, MAIN_TOPIC = "今週のTOPIC", "今週のTOPIC", "メインTOPIC"
MEMO = "メモ"  # the heading of a talk's text before its first heading
SUMMARY_LINES = 3
SUMMARY_HEADINGS = ("目的", "概要")
KINDS = {"blog": "blog", "記事": "article", "article": "article", "論文": "paper", "paper": "paper"}
TOP_HEADINGS = ("背景", "目的", "提案", "手法", "実験", "実験方法", "結果", "結論", "考察", "まとめ",
                "感想", "感想と結論", "モチベーション", "概要", "課題", "関連研究")
FIELD_OF_HEADING = {"背景": "problem", "提案": "approach", "手法": "approach", "実験方法": "approach",
                    "結果": "results", "実験": "results", "課題": "limitations"}


@dataclass
class Block:
    """The lines of one talk or the main topic (1-based line numbers)."""

    start: int
    lines: list[tuple[int, str]] = field(default_factory=list)


def detect(text: str) -> float:
    lines = [line.strip() for line in text.split("\n")[:400]]
    if not lines or not _DATE_LINE.match(lines[0].lstrip("\ufeff")):
        return 0.0
    talks = sum(1 for a, b in zip(lines, lines[1:], strict=False) if _PRESENTER.match(a) and _TALK_TITLE.match(b))
    markers = any(line in (THIS_WEEK, MAIN_TOPIC) for line in lines)
    return min(1.0, 0.5 * markers + 0.3 * talks)


def is_heading_like(line: str) -> bool:
    text = line.strip()
    return bool(text) and len(text) <= 30 and not _LIST_ITEM.match(line) and not _SENTENCE.search(text)


def next_text(lines: list[tuple[int, str]], index: int) -> str:
    for _, text in lines[index + 1 :]:
        if text.strip():
            return text
    return ""


def heading_level(lines: list[tuple[int, str]], index: int, top: tuple[str, ...]) -> int:
    """2 for a section heading, 3 for a sub-heading, 0 for body text."""
    text = lines[index][1].strip()
    if not is_heading_like(text):
        return 0
    if text in top or (top is TOP_HEADINGS and text.endswith(("結果", "結論"))):
        return 2
    ends_like_sentence = "\u3041" <= text[-1] <= "\u309f"  # a hiragana ending: 〜している
    return 3 if _LIST_ITEM.match(next_text(lines, index)) and not ends_like_sentence else 0


def link_card(line: str) -> str:
    """A link card copied out of a page (`arXiv.orgLoRA+: Efficient ... - アダプター行列…`: site,
    title and description run together, the URL lost) as a link and its description. The
    link searches the title on arXiv (on another site: a web search limited to it)."""
    card = card_parts(line)
    if card is None:
        return line
    title = card["title"].strip()
    query = quote_plus(title.rstrip(".…"))
    site = card["site"]
    href = (ARXIV_TITLE_SEARCH + query if site.lower() == "arxiv.org"
            else f"https://www.google.com/search?q=site%3A{site}+{query}")
    label = title.replace("[", "\\[").replace("]", "\\]")
    return f"{card['lead']}[{label}]({href})（{site}）: {card['description']}"


def card_parts(line: str) -> dict[str, str] | None:
    """The lead, site, title and description of a link card line, or None."""
    head = _CARD_HEAD.match(line)
    tail = _CARD_TAIL.match(line, head.end()) if head else None
    return {**head.groupdict(), **tail.groupdict()} if tail else None


def split_sections(lines: list[tuple[int, str]], top: tuple[str, ...]) -> list[Section]:
    sections: list[Section] = []
    for index, (number, text) in enumerate(lines):
        level = heading_level(lines, index, top)
        if level == 2:
            sections.append(Section(heading=text.strip(), line=number))
            continue
        if not sections:
            sections.append(Section(heading=MEMO, line=number))
        line = (f"### {text.strip()}" if level == 3 else link_card(text.rstrip())) + "\n"
        sections[-1] = sections[-1].model_copy(update={"body": sections[-1].body + line})
    sections = [s.model_copy(update={"body": re.sub(r"\n{3,}", "\n\n", s.body).strip("\n")}) for s in sections]
    return [s for s in sections if s.body or s.heading != MEMO]


def fields_from_sections(sections: list[Section]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for section in sections:
        name = FIELD_OF_HEADING.get(section.heading)
        if name and name not in fields and section.body:
            fields[name] = section.body
    return fields


def split_blocks(lines: list[str]) -> tuple[list[Block], Block | None, list[int]]:
    """Talk blocks (from each @ line), the main-topic block, and marker line numbers."""
    talks: list[Block] = []
    main: Block | None = None
    markers: list[int] = []
    for number, text in enumerate(lines[2:], 3):
        stripped = text.strip()
        if stripped in (THIS_WEEK, MAIN_TOPIC):
            markers.append(number)
            if stripped == MAIN_TOPIC:
                main = Block(number + 1)
            continue
        if main is None and _PRESENTER.match(stripped):
            talks.append(Block(number))
        current = main or (talks[-1] if talks else None)
        if current is not None:
            current.lines.append((number, text))
    return talks, main, markers


def span(source: SourceFile, block: Block) -> SourceSpan:
    numbers = [n for n, text in block.lines if text.strip()] or [block.start]
    return SourceSpan(path=source.path, format=NAME, line_start=min(numbers), line_end=max(numbers))


def venue_fields(venue: str) -> dict:
    match = _VENUE_LINE.match(venue.strip())
    if not match:
        return {"venue": venue.strip()}
    year = int(match.group(2))
    return {"venue": venue.strip(), "year": year if year > 1900 else 2000 + year}


def opening_lines(section: Section) -> tuple[str, str]:
    """(the memo's opening lines, the rest of it): up to SUMMARY_LINES lines before the first
    blank line or sub-heading; a list's first item alone when the memo starts with a list."""
    lines = section.body.split("\n")
    taken: list[str] = []
    for line in lines:
        if not line.strip() or line.startswith("#") or len(taken) == SUMMARY_LINES:
            break
        if _LIST_ITEM.match(line):
            if not taken:
                taken.append(line)
            break
        taken.append(line)
    rest = "\n".join(lines[len(taken):]).strip("\n")
    return "\n".join(_LIST_ITEM.sub("", line, count=1) for line in taken), rest


def talk_summary(sections: list[Section]) -> str | None:
    """A talk's summary: the opening lines of its memo (the untitled text before any heading),
    taken out of the memo so the page shows them once; without a memo, its 目的 / 概要 section."""
    if not sections or sections[0].heading != MEMO:
        return next((s.body for s in sections if s.heading in SUMMARY_HEADINGS and s.body), None)
    summary, rest = opening_lines(sections[0])
    if rest:
        sections[0] = sections[0].model_copy(update={"body": rest})
    else:
        del sections[0]
    return summary or None


def talk_record(source: SourceFile, block: Block, date: dt.date | None) -> Record | Diagnostic:
    presenter = _PRESENTER.match(block.lines[0][1].strip()).group(1)
    body = [(n, t) for n, t in block.lines[1:]]
    title_at = next((i for i, (_, t) in enumerate(body) if t.strip()), None)
    title = _TALK_TITLE.match(body[title_at][1].strip()) if title_at is not None else None
    if title is None:
        line = body[title_at][0] if title_at is not None else block.start
        return Diagnostic(path=source.path, line=line, severity=Severity.ERROR,
                          message=N_("talk by {presenter}: expected a '[blog] Title' or '[論文] Title' line",
                                     presenter=presenter))
    rest = body[title_at + 1 :]
    extra = {}
    first = next(((i, t.strip()) for i, (_, t) in enumerate(rest) if t.strip()), None)
    if first and _VENUE_LINE.match(first[1]):
        extra = venue_fields(first[1])
        rest = rest[first[0] + 1 :]
    sections = split_sections(rest, TOP_HEADINGS)
    summary = talk_summary(sections)
    return Record(title=title.group(2).strip(), kind=KINDS[title.group(1).lower()], presenter=presenter,
                  issue_date=date, sections=sections, source=span(source, block), summary=summary,
                  **extra, **fields_from_sections(sections))


def table_row(line: str) -> tuple[str, str] | None:
    """The key and value of a `| key | value |` line (stripped), as `^\\|\\s*([^|]+?)\\s*\\|\\s*(.*?)\\s*\\|$`
    captured them, in linear time (that pattern was cubic in a run of spaces: 2,000 took 29 s)."""
    second = line.find("|", 1)
    if line[:1] != "|" or line[-1:] != "|" or second < 2 or second == len(line) - 1:
        return None
    key = line[1:second]
    return key.strip() or key[-1], line[second + 1 : -1].strip()


def table_fields(rows: list[tuple[int, str]]) -> dict:
    fields: dict = {}
    for _, text in rows:
        cells = table_row(text.strip())
        if cells is None:
            continue
        key, value = cells[0].lower(), cells[1]
        if key == "title":
            fields["title"] = value
        elif key == "authors":
            fields["authors"] = [a.strip() for a in value.split(",") if a.strip()]
        elif key == "venue":
            fields.update(venue_fields(value))
    return fields


def toc_headings(toc: str, title: str) -> tuple[str, ...]:
    """Top-level headings of the main topic: what follows its title in the TOC line."""
    tail = toc.split(MAIN_TOPIC, 1)[-1]
    tail = tail.split(title, 1)[-1] if title in tail else ""
    return tuple(h for h in TOP_HEADINGS if h in tail) or TOP_HEADINGS


def main_record(source: SourceFile, block: Block, date: dt.date | None, toc: str) -> Record:
    filled = [(n, t) for n, t in block.lines if t.strip()]
    title_line = filled[0][1].strip() if filled else "メインTOPIC"
    table = [(n, t) for n, t in block.lines if t.strip().startswith("|")]
    fields = {"title": title_line, **table_fields(table)}
    rest = [(n, t) for n, t in block.lines if not t.strip().startswith("|") and (n, t) != filled[0]]
    sections = split_sections(rest, toc_headings(toc, fields["title"]))
    return Record(kind="paper", issue_date=date, sections=sections, source=span(source, block),
                  **fields, **fields_from_sections(sections))


def meeting_label(date: dt.date | None, name: str) -> str:
    """The meeting as people name it: `2025-09-24 機械学習勉強会`."""
    return " ".join(part for part in (date.isoformat() if date else "", name.strip()) if part)


def meeting(lines: list[str]) -> tuple[dt.date | None, str]:
    match = _DATE_LINE.match(lines[0].lstrip("\ufeff").strip())
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), match.group(4)
    except (AttributeError, ValueError):
        return None, lines[0]


def parse(source: SourceFile) -> ParsedNote:
    lines = source.lines
    date, name = meeting(lines)
    toc = lines[1].strip() if len(lines) > 1 else ""
    note = ParsedNote(path=source.path, format=NAME, meta={"meeting": name, "toc": toc})
    if date is None:
        note.diagnostics.append(Diagnostic(path=source.path, line=1, severity=Severity.ERROR,
                                           message=N_("expected the meeting date (YYYY-MM-DD) on the first line")))
    else:
        note.meta["date"] = date.isoformat()
    talks, main, _ = split_blocks(lines)
    for block in talks:
        made = talk_record(source, block, date)
        (note.records if isinstance(made, Record) else note.diagnostics).append(made)
        if not isinstance(made, Record):  # a talk that cannot be a record: its lines are kept as residue
            note.residue.extend(Residue(line=n, text=t) for n, t in block.lines if t.strip())
    if main is not None and any(t.strip() for _, t in main.lines):
        note.records.append(main_record(source, main, date, toc))
    label = meeting_label(date, name)
    note.meta["title"] = label
    note.records = [record.model_copy(update={"meeting": label}) for record in note.records]
    note.residue.extend(unclaimed(lines, talks, main))
    return note


def unclaimed(lines: list[str], talks: list[Block], main: Block | None) -> list[Residue]:
    """Non-blank lines before the first talk that are not the date, TOC or a marker."""
    first = min([b.start for b in talks] + ([main.start] if main else []) + [len(lines) + 1])
    return [Residue(line=n, text=t) for n, t in enumerate(lines[2 : first - 1], 3)
            if t.strip() and t.strip() not in (THIS_WEEK, MAIN_TOPIC)]
