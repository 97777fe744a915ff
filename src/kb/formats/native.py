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
limitations, technical, costs, references, tweet, comment) or by its Japanese name
(HEADING_FIELDS: 要約, 課題, 手法, 結果, ...) fills that field; every other heading
becomes a section. Text before the first heading is the summary when the front matter
has none.

Plain Markdown is a native note too: no front matter, a first line `# title`; its links
give `url` and `arxiv_id`. A native note's record id (its URL) never comes from its title:
`id:` if given, else the arXiv id, else the file name.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from kb.addresses import alias_problems
from kb.bounded_yaml import YamlProblem, load_mapping
from kb.discover import SourceFile
from kb.formats.blog import hash_heading
from kb.i18n import N_, Message
from kb.models import INDEX_FIELDS, Diagnostic, ParsedNote, Record, Section, Severity, SourceSpan
from kb.text import ARXIV_ID, CONTROL, URL, arxiv_id_from_url, excerpt, slugify
from kb.validation import closest, field_problems

NAME = "native"
DESCRIPTION = "Markdown with YAML front matter (kb's own format)"
TEXT_FIELDS = (
    "summary", "abstract", "problem", "approach", "results", "limitations",
    "technical", "costs", "references", "tweet", "comment",
)
HEADING_FIELDS = {name: name for name in TEXT_FIELDS} | {
    "要約": "summary", "概要": "summary", "課題": "limitations", "限界": "limitations", "制約": "limitations",
    "手法": "approach", "提案手法": "approach", "結果": "results", "実験": "results", "コスト": "costs",
    "計算資源": "costs", "ツイート": "tweet", "コメント": "comment", "所感": "comment", "アブストラクト": "abstract",
}
META_KEYS = set(Record.model_fields) - {"sections", "source", "id"} - set(TEXT_FIELDS) - set(INDEX_FIELDS)
KNOWN_KEYS = sorted(META_KEYS | set(TEXT_FIELDS) | {"id"})
LIST_KEYS = ("authors", "tags", "aliases")
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


PLAIN_SCORE = 0.35  # above MIN_SCORE, below any other format's own marks


def plain_title(text: str) -> tuple[str, int] | None:
    """(title, its line number) when the first non-blank line is a `# title` heading."""
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            title = hash_heading(line) if line[:1] == "#" and line[1:2].isspace() else None
            return (title, number) if title is not None else None
    return None


def detect(text: str) -> float:
    parts = split_front_matter(text.lstrip("\ufeff"))
    if parts is None:
        return PLAIN_SCORE if plain_title(text.lstrip("\ufeff")) else 0.0
    try:
        meta = load_mapping(parts[0], FIRST_LINE).data
    except YamlProblem:
        return 0.5  # looks native, broken YAML: parse() reports where
    return 1.0 if isinstance(meta, dict) and "title" in meta else 0.4


def heading_text(line: str) -> str | None:
    """The text of a `## ` heading line, as `^##\\s+(.+?)\\s*$` would capture it, in linear time (that
    pattern retried its trailing `\\s*` at every character of a long run of spaces)."""
    rest = line[2:]
    if not line.startswith("##") or not rest[:1].isspace():
        return None
    return rest.strip() or (rest[-1] if len(rest) > 1 else None)


def split_sections(body: str, first_line: int) -> tuple[str, list[Section]]:
    """Text before the first `## ` heading, and the sections (fences respected).

    Each section's lines are gathered in a list and joined once: linear in the note."""
    intro: list[str] = []
    heads: list[tuple[str, int, list[str]]] = []
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else heading_text(line)
        if heading is not None:
            heads.append((heading, first_line + offset, []))
        else:
            (heads[-1][2] if heads else intro).append(line)
    sections = [Section(heading=heading, line=line, body="\n".join(lines).strip("\n"))
                for heading, line, lines in heads]
    return "\n".join(intro).strip(), sections


def _diagnostic(source: SourceFile, line: int, message: Message | str, severity=Severity.ERROR, text="") -> Diagnostic:
    return Diagnostic(path=source.path, line=line, severity=severity, message=message, text=excerpt(text))


def _failed(source: SourceFile, problems: list[Diagnostic]) -> ParsedNote:
    return ParsedNote(path=source.path, format=NAME, diagnostics=problems)


def parse(source: SourceFile) -> ParsedNote:
    parts = split_front_matter(source.text.lstrip("\ufeff"))
    if parts is None:
        return parse_plain(source)
    yaml_text, body, body_line = parts
    try:
        loaded = load_mapping(yaml_text, FIRST_LINE)
    except YamlProblem as exc:
        return _failed(source, [_diagnostic(source, exc.line, N_("front matter {problem}", problem=exc.message))])
    meta = loaded.data if loaded.data is not None else {}
    if not isinstance(meta, dict):
        return _failed(source, [_diagnostic(source, FIRST_LINE, N_("front matter must be a mapping of record "
                                                                   "fields (key: value)"))])
    notes = [_diagnostic(source, again, N_("front matter key {key} is written twice (lines {first} and {again}); "
                                           "the value on line {again} is used", key=repr(key), first=first,
                                           again=again), Severity.WARNING)
             for key, first, again in loaded.duplicates]
    return _build(source, meta, loaded.lines, body, body_line, notes)


def parse_plain(source: SourceFile) -> ParsedNote:
    """A note without front matter: the title from its `# ` first line, url/arxiv_id from its links."""
    found = plain_title(source.text.lstrip("\ufeff"))
    if found is None:
        return _failed(source, [_diagnostic(source, 1, N_("expected YAML front matter between '---' lines at the "
                                                          "top, or a first line '# title'"))])
    title, line = found
    body = "\n".join(source.text.lstrip("\ufeff").split("\n")[line:])
    return _build(source, {"title": title, **links_of(body)}, {"title": line}, body, line + 1, [])


def links_of(body: str) -> dict[str, str]:
    """url (the first arXiv link, else the first link) and arxiv_id of a plain note's text."""
    urls = [url.rstrip(".,;:!?)]>'\"") for url in URL.findall(body)]
    arxiv = next((url for url in urls if arxiv_id_from_url(url)), None)
    url = arxiv or next(iter(urls), None)
    return {"url": url} if url else {}


def unknown_key(source: SourceFile, key, value, line: int) -> Diagnostic:
    name = str(key)
    if name in INDEX_FIELDS:
        hint = N_(" (kb fills it while linking; a note cannot set it)")
    else:
        guess = closest(name, KNOWN_KEYS)
        hint = N_(" (did you mean {guess}?)", guess=repr(guess)) if guess else ""
    return _diagnostic(source, line, N_("unknown front matter key {key} kept as a section of its own{hint}",
                                        key=repr(name), hint=hint), Severity.WARNING, str(value))


def as_section(key, value, line: int) -> Section:
    """An unknown key's value, kept on the record page as a section headed by the key (a typo like
    `auther:` must not make the authors vanish)."""
    if isinstance(value, list):
        body = "\n".join(f"- {item}" for item in value)
    elif isinstance(value, dict):
        body = "\n".join(f"- {k}: {v}" for k, v in value.items())
    else:
        body = "" if value is None else str(value)
    return Section(heading=str(key), body=body, line=line)


def control_in_values(source: SourceFile, meta: dict, lines: dict[str, int]) -> list[Diagnostic]:
    """A warning for each front-matter value holding a control character (a YAML escape like "\\e")."""
    found = []
    for key, value in meta.items():
        texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
            if isinstance(value, list) else []
        match = next((m for m in map(CONTROL.search, texts) if m), None)
        if match:
            found.append(_diagnostic(source, lines.get(str(key), FIRST_LINE), N_(
                "control character {code} in {key} (invisible, not allowed in XML feeds): remove it",
                code="U+" + format(ord(match.group()), "04X"), key=repr(str(key))), Severity.WARNING))
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

    unknown = [key for key in meta if key not in META_KEYS and key not in TEXT_FIELDS and key != "id"]
    diagnostics += [unknown_key(source, key, meta[key], line_of(key)) for key in sorted(unknown, key=str)]
    diagnostics += control_in_values(source, meta, lines)
    fields = {k: v for k, v in meta.items() if k in META_KEYS or k in TEXT_FIELDS}
    intro, sections = split_sections(body, body_line)
    others = [as_section(key, meta[key], line_of(key)) for key in unknown]
    for section in sections:
        key = HEADING_FIELDS.get(section.heading.strip().lower())
        if key and key not in fields:
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
    fields["id"], problem = record_id(source, meta.get("id"), fields.get("arxiv_id"))
    problems = [("id", problem)] if problem else []
    problems += [("aliases", message) for message in alias_problems(fields.get("aliases") or [])]
    if problems:
        return _failed(source, diagnostics + [_diagnostic(source, line_of(key), text) for key, text in problems])
    last = len(source.text.rstrip("\n").split("\n"))
    span = SourceSpan(path=source.path, format=NAME, line_start=1, line_end=last)
    try:
        record = Record(**fields, sections=others, source=span)
    except ValidationError as exc:
        problems = [_diagnostic(source, line_of(key), message) for key, message in field_problems(exc)]
        return _failed(source, diagnostics + problems)
    return ParsedNote(path=source.path, format=NAME, records=[record], diagnostics=diagnostics)


def record_id(source: SourceFile, given, arxiv_id) -> tuple[str, Message | None]:
    """The record's stable id, never from the title (editing a title must not move its page):
    `id:`, else the arXiv id, else the file name; and a problem with `id:` if it has one."""
    if given is None:
        if isinstance(arxiv_id, str) and ARXIV_ID.fullmatch(arxiv_id):
            return arxiv_id, None
        return slugify(source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]), None
    text = str(given).strip()
    if not isinstance(given, str) or not (text == slugify(text) or ARXIV_ID.fullmatch(text)):
        suggestion = slugify(text)
        return "", N_("id {value} cannot be a page address: write it as text of letters, digits and '-' "
                      "(id: \"{suggestion}\")", value=repr(text), suggestion=suggestion)
    return text, None
