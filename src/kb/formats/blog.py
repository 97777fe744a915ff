"""A blog-style introduction of one paper, copied out of a browser.

    爆速&流暢!拡散モデル新解釈:Conv & R2FT          <- optional headline
    論文要約                                       <- optional category
    2025.09.21                                     <- optional date
    紹介論文                                       <- marker
    今回紹介する論文はFast and Fluent ... and       <- title, wrapped over lines
    Rejective Fine-tuning という論文です。
    https://arxiv.org/pdf/2509.15188v1.pdf          <- optional link
    この論文を一言でまとめると                      <- marker
    one-line summary
    Plain heading                                  <- body: plain or `###` headings
    body paragraphs, one per line ...
    コメント                                       <- page furniture, dropped

One record (kind "paper"). Wrapped title lines are joined with a space between two
Latin characters and with nothing when either side is Japanese. Headings are `#`
lines, or plain lines that are short, not a sentence, and stand alone between body
text (two short lines in a row, or a `term :text` line, are a flattened list). The
category goes to note.meta, not to the record's tags: it is the blog's filing, not a
topic. Fields gather the sections whose headings clearly name them: 課題 / 限界 before
the first results section are the problem the paper takes on, after it (and 注意点
anywhere) the paper's limitations; 既存 / 従来 headings describe prior work.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kb.discover import SourceFile
from kb.i18n import N_, Message
from kb.models import Diagnostic, ParsedNote, Record, Residue, Section, Severity, SourceSpan
from kb.text import arxiv_id_from_url

NAME = "blog"
KEEPS_LINES = True  # a copied page: each line of a field was a line (a block) of the page
DESCRIPTION = "blog-style introduction of one paper (紹介論文, この論文を一言でまとめると, plain headings)"
INTRO_MARK = "紹介論文"
SUMMARY_MARK = "この論文を一言でまとめると"
FURNITURE = "コメント"
COVERAGE_MARKERS = re.compile(r"^紹介論文$|今回紹介する論文は|という論文です。?")
_TITLE = re.compile(r"^(?:今回)?紹介する論文は\s*(.+?)\s*(?:という論文.*)?$")
_DATE = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?$")
_URL = re.compile(r"https?://\S+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+・]|\d+[.)])\s")
_BULLET = re.compile(r"^\s*[-*+・]\s")
_CAPTION = re.compile(r"^(?:図|表|Figure|Fig\.|Table)\s*\d*\s*[:：.]", re.IGNORECASE)
_NOT_HEADING = re.compile(r"[。=]|https?://|\.$|\.\s|\s[:：]")  # `term :text` is a flattened list item
_NUMBER = re.compile(r"^\d+[.)]\s+")
HEADING_MAX = 45
TITLE_LINES = 4
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
PROBLEM_WORDS = ("背景", "課題", "問題", "限界", "ボトルネック")
CAVEAT_WORDS = ("注意点", "課題", "限界")
# How Japanese posts name the sections on the method: the proposal, its parts, stages and steps.
APPROACH_WORDS = ("提案", "手法", "仕組み", "アプローチ", "方法", "メカニズム", "アルゴリズム", "アーキテクチャ",
                  "パイプライン", "考え方", "アイデア", "アイディア", "ステージ", "ステップ", "段階", "フェーズ",
                  "プロセス", "数式", "定式化", "設計", "構成", "原理", "核心", "フレームワーク", "モジュール",
                  "method", "approach", "architecture", "algorithm", "pipeline", "framework", "stage")
_METHOD_NAME = re.compile(r"[(（「『【]\s*([A-Za-z][A-Za-z0-9+\-]{2,30})\s*[)）」』】]")
_TOPIC = re.compile(r"^(?:\d+[.)]\s*)?([^:：]+)[:：]")
RESULT_WORDS = ("結果",)
PRIOR_WORDS = ("既存", "従来")
SOLVED_WORDS = ("克服", "解決")


def detect(text: str) -> float:
    lines = [line.strip() for line in text.lstrip("\ufeff").split("\n")]
    top = lines[:40]
    score = 0.45 * (INTRO_MARK in top) + 0.35 * (SUMMARY_MARK in lines)
    score += 0.2 * any(_TITLE.match(line) for line in top)
    return min(1.0, score)


def join_wrapped(lines: list[str]) -> str:
    """Lines of one wrapped sentence: a space between two Latin characters, none next to Japanese."""
    text = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        glue = "" if not text or text.endswith("-") or _CJK.match(text[-1]) or _CJK.match(line[0]) else " "
        text += glue + line
    return text


def find_line(lines: list[str], wanted: str, start: int = 0) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip() == wanted), None)


def last_content(lines: list[str]) -> tuple[int, bool]:
    """Index after the post's last line, and whether a lone trailing コメント label was dropped."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if end and lines[end - 1].strip() == FURNITURE:
        return end - 1, True
    return end, False


@dataclass
class Post:
    """What parse() has found so far: record fields, note metadata, lines left over (0-based)."""

    fields: dict = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    residue: list[int] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    try:
        return dt.date(*(int(g) for g in match.groups())) if match else None
    except ValueError:
        return None


def read_header(lines: list[str], stop: int, post: Post) -> None:
    """Lines above the title: a date line, then the headline and the category, in that order."""
    names = ["headline", "category"]
    for index in range(stop):
        text = lines[index].strip()
        date = parse_date(text) if text else None
        if date is not None and "issue_date" not in post.fields:
            post.fields["issue_date"], post.meta["date"] = date, text
        elif text and names:
            name = names.pop(0)
            (post.fields if name == "headline" else post.meta)[name] = text
        elif text:
            post.residue.append(index)


def title_start(lines: list[str], end: int) -> tuple[int, int] | None:
    """(first line of the title block, first line after the header), or None without either marker."""
    intro = find_line(lines[:end], INTRO_MARK)
    if intro is not None:
        first = next((i for i in range(intro + 1, end) if lines[i].strip()), None)
        return (first, intro) if first is not None else None
    first = next((i for i in range(min(end, 40)) if _TITLE.match(lines[i].strip())), None)
    return (first, first) if first is not None else None


def title_block(lines: list[str], start: int, end: int) -> int:
    """Index after the title's last line: it ends at 'という論文', a blank, a link or the summary marker."""
    index = start
    while index < min(end, start + TITLE_LINES):
        text = lines[index].strip()
        if not text or _URL.search(text) or text == SUMMARY_MARK:
            break
        index += 1
        if "という論文" in text:
            break
    return index


def read_title(lines: list[str], start: int, stop: int) -> str | None:
    joined = join_wrapped(lines[start:stop])
    match = _TITLE.match(joined)
    title = match.group(1) if match else joined
    return title.strip() or None


def read_front(lines: list[str], start: int, end: int, post: Post) -> int:
    """Link and one-line summary after the title; returns where the body starts."""
    marker = find_line(lines[:end], SUMMARY_MARK, start)
    stop = marker if marker is not None else start
    if marker is None:
        while stop < end and (not lines[stop].strip() or _URL.fullmatch(lines[stop].strip())):
            stop += 1
    for index in range(start, stop):
        found = _URL.search(lines[index])
        if found and "url" not in post.fields:
            post.fields["url"] = found.group(0)
        elif lines[index].strip():
            post.residue.append(index)
    if marker is None:
        return stop
    summary = next((i for i in range(marker + 1, end) if lines[i].strip()), None)
    if summary is None:
        return end
    post.fields["summary"] = lines[summary].strip()
    return summary + 1


def hash_heading(line: str) -> str | None:
    """The text of a `## heading ##` line, as `^#{1,6}\\s+(.+?)\\s*#*\\s*$` captures it, in linear time
    (that pattern was cubic in a run of spaces): the text less closing hashes and spaces."""
    level = len(line) - len(line.lstrip("#"))
    rest = line[level:]
    if not 1 <= level <= 6 or not rest[:1].isspace():
        return None
    text = rest.lstrip()
    if not text:  # only spaces: the pattern's last space
        return rest[-1] if len(rest) > 1 else None
    end = len(text)
    for closing in (str.isspace, "#".__eq__, str.isspace):
        while end > 0 and closing(text[end - 1]):
            end -= 1
    return text[: max(1, end)]


def is_candidate(text: str) -> bool:
    """Could be a plain heading: short, not a list item, caption, formula or sentence."""
    text = text.strip()
    bare = _NUMBER.sub("", text)  # `1. 導入手順` may be a numbered heading
    return (bool(bare) and len(text) <= HEADING_MAX and not _BULLET.match(text)
            and not _CAPTION.match(bare) and not _NOT_HEADING.search(bare) and hash_heading(text) is None)


def neighbour(body: list[tuple[int, str]], index: int, step: int) -> str | None:
    index += step
    while 0 <= index < len(body):
        if body[index][1].strip():
            return body[index][1]
        index += step
    return None


def heading_of(body: list[tuple[int, str]], index: int) -> str | None:
    """The heading text of body line `index`, or None when it is body text."""
    text = body[index][1].strip()
    marked = hash_heading(text)
    if marked is not None:
        return marked
    before, after = neighbour(body, index, -1), neighbour(body, index, 1)
    if not is_candidate(text) or (before is not None and is_candidate(before)):
        return None
    return text if after is not None and not is_candidate(after) and hash_heading(after.strip()) is None else None


def markdown(lines: list[str]) -> str:
    """One paragraph per line (the blog's layout); consecutive list items stay one list."""
    blocks: list[str] = []
    for line in (text.rstrip() for text in lines if text.strip()):
        if blocks and _LIST_ITEM.match(line) and _LIST_ITEM.match(blocks[-1].rsplit("\n", 1)[-1]):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return "\n\n".join(blocks)


def split_sections(body: list[tuple[int, str]]) -> list[Section]:
    """Sections at each heading, in order; text before the first heading is a 本文 section."""
    sections: list[tuple[Section, list[str]]] = []
    for index, (number, text) in enumerate(body):
        heading = heading_of(body, index)
        if heading is not None:
            sections.append((Section(heading=heading, line=number), []))
        elif text.strip():
            if not sections:
                sections.append((Section(heading="本文", line=number), []))
            sections[-1][1].append(text)
    return [section.model_copy(update={"body": markdown(lines)}) for section, lines in sections]


def names_any(heading: str, words: tuple[str, ...]) -> bool:
    return any(word in heading for word in words)


def results_start(sections: list[Section]) -> int:
    """Index of the first results section (the middle of the post without one)."""
    found = (i for i, s in enumerate(sections) if names_any(s.heading, RESULT_WORDS)
             and not names_any(s.heading, PRIOR_WORDS))
    return next(found, len(sections) // 2)


def method_names(text: str) -> tuple[str, ...]:
    """The names a post gives the paper's method in its one-line summary or headline, written
    in brackets: `畳み込みデコード(Conv)`, `(R2FT)`, `「TOLERATOR」`."""
    return tuple(dict.fromkeys(_METHOD_NAME.findall(text)))


def names_method(heading: str, methods: tuple[str, ...]) -> bool:
    """`Convデコード:柔軟な窓で…`, `R2FT:拒否ルールで…`: a `topic: …` heading on a method by name."""
    topic = _TOPIC.match(heading)
    return bool(topic) and topic.group(1).strip().startswith(methods)


def field_of(section: Section, index: int, boundary: int, methods: tuple[str, ...] = ()) -> str | None:
    """The text field a section's heading clearly names, if any.

    課題 / 限界 before the results describe the problem the paper takes on; after them
    (and 注意点 anywhere) they are the paper's own limitations. A heading on the method
    (its vocabulary, or the method's name as the topic of a `topic: …` heading) is approach.
    """
    heading = section.heading
    if heading == FURNITURE:
        return "comment"
    if names_any(heading, SOLVED_WORDS):
        return None
    if "注意点" in heading or (index >= boundary and names_any(heading, CAVEAT_WORDS)
                                and not names_any(heading, PRIOR_WORDS)):
        return "limitations"
    if index < boundary and names_any(heading, PROBLEM_WORDS):
        return "problem"
    if names_any(heading, PRIOR_WORDS):
        return None
    if names_any(heading, RESULT_WORDS):
        return "results"
    if names_any(heading, APPROACH_WORDS) or (methods and names_method(heading, methods)):
        return "approach"
    return None


def fields_from_sections(sections: list[Section], methods: tuple[str, ...] = ()) -> dict[str, str]:
    """The sections each field gathers, joined by a blank line; when a field gathers several,
    each keeps its heading (`### heading`), so the page shows them once, inside the field."""
    boundary = results_start(sections)
    parts: dict[str, list[Section]] = {}
    for index, section in enumerate(sections):
        name = field_of(section, index, boundary, methods)
        if name and section.body:
            parts.setdefault(name, []).append(section)
    return {name: "\n\n".join(gathered[0].body if len(gathered) == 1 else f"### {s.heading}\n\n{s.body}"
                                for s in gathered) for name, gathered in parts.items()}


def error(source: SourceFile, end: int, message: Message) -> ParsedNote:
    """No record: one error, every non-blank line kept as residue."""
    residue = [Residue(line=i, text=t) for i, t in enumerate(source.lines[:end], 1) if t.strip()]
    diag = Diagnostic(path=source.path, line=1, severity=Severity.ERROR, message=message)
    return ParsedNote(path=source.path, format=NAME, residue=residue, diagnostics=[diag])


def parse(source: SourceFile) -> ParsedNote:
    lines = source.lines
    end, _ = last_content(lines)
    located = title_start(lines, end)
    if located is None:
        return error(source, end, N_("no paper title: expected a '{mark}' line followed by "
                                     "'今回紹介する論文は…という論文です。'", mark=INTRO_MARK))
    start, header_end = located
    post = Post()
    read_header(lines, header_end, post)
    stop = title_block(lines, start, end)
    title = read_title(lines, start, stop)
    if title is None:
        return error(source, end, N_("no paper title after '{mark}' (line {line})", mark=INTRO_MARK,
                                     line=header_end + 1))
    body_start = read_front(lines, stop, end, post)
    if "summary" not in post.fields:
        post.diagnostics.append(Diagnostic(path=source.path, line=stop + 1,
                                           message=N_("no one-line summary: expected '{mark}' and a line",
                                                      mark=SUMMARY_MARK)))
    return build(source, post, title, body_start, end)


def build(source: SourceFile, post: Post, title: str, body_start: int, end: int) -> ParsedNote:
    lines = source.lines
    body = [(i + 1, lines[i]) for i in range(body_start, end)]
    sections = split_sections(body)
    methods = method_names(f"{post.fields.get('headline', '')}\n{post.fields.get('summary', '')}")
    fields = {**fields_from_sections(sections, methods), **post.fields}
    if fields.get("url"):
        fields["arxiv_id"] = arxiv_id_from_url(fields["url"])
    first = next((i for i in range(end) if lines[i].strip()), 0)
    span = SourceSpan(path=source.path, format=NAME, line_start=first + 1, line_end=max(end, first + 1))
    record = Record(title=title, kind="paper", sections=sections, source=span, **fields)
    residue = [Residue(line=i + 1, text=lines[i]) for i in sorted(post.residue)]
    meta = {**post.meta, "title": post.fields.get("headline") or title}  # the post's own title names the note
    return ParsedNote(path=source.path, format=NAME, meta=meta, records=[record],
                      diagnostics=post.diagnostics, residue=residue)
