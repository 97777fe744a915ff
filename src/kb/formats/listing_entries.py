"""Scanning a copied tag page into entry occurrences (the listing parser's first stage).

An entry occurrence is `#tag #tag Issue Date: YYYY-MM-DD <link text> Summary... Comment...`
plus the lines that continue its comment. The page text mixes layouts:

    #Pocket                      <- block layout: one tag per line,
    Issue Date: 2025-08-23       <- the date alone,
    [Paper Note] Title, A+, V    <- the link text on its own line,
    Summary... / Comment...      <- then Summary and Comment lines
    more comment lines #NLP #LM Issue Date: ... Title ... Summary... Comment...   <- run together

Tags may end the previous line (glued `#NLP#LanguageModel` in older pages). A line that
repeats an earlier line (the page's second copy of its entries) adds nothing new, so its
continuation text is skipped: the first copy already gave it to the right entry, however
out of order the second copy prints it. `</div>` closes the entry before it; a `more`
button line belongs to no entry. Other markup the copy caught (a stray `</span>`, an empty
code span "``" whose code the page had eaten) is taken out of the text and reported as an
orphan of its line, so nothing is lost and the page shows no markup.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

HEADER = re.compile(r"Issue Date:\s*(\d{4}-\d{2}-\d{2})")
_TAG = r"#[A-Za-z0-9][A-Za-z0-9_\-/()'.&+]*(?: [A-Z(][A-Za-z0-9_\-/()'.&+]*){0,2}"
TAG = re.compile(_TAG)
LONE_DATE = re.compile(r"\s*Issue Date:\s*\S+\s*")
_TAG_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-/()'.&+")
_TAG_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_TAG_MORE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ(")
TAG_LINE = re.compile(rf"\s*{_TAG}(?:\s*{_TAG})*\s*")
LABEL = re.compile(r"(?:(?<=\s)|^)(Summary|Comment)(?!(?:ary|aries|ator|ators|s|ed|ing)\b)(?=\S|\s*\.\.\.|\s*$)")
CLOSE_TAG = re.compile(r"(?<!\s)\s*+</div>\s*")  # a run of spaces is tried once, from its start
# Stray markup: scraped tags, and a line's last lone ``; the pattern was one alternation ending in
# `(?<!`)``(?!`)(?!.*(?<!`)``(?!`))`, which read to the end of the line from each lone `` (quadratic).
STRAY_TAG = re.compile(
    r"</?(?:span|p|a|br|li|ul|ol|em|strong|b|i|h[1-6]|section|article|button)(?:\s[^<>]*)?/?>", re.IGNORECASE)
LONE_TICKS = re.compile(r"(?<!`)``(?!`)")
MORE_BUTTON = "more"
MIN_REPEAT_CHARS = 12
MIN_PREFIX_REPEAT = 30


@dataclass
class Occurrence:
    """One printing of one entry: its header line, tags, link text, Summary, Comment."""

    date: str
    line: int
    start: int
    end: int
    tags: list[str] = field(default_factory=list)
    link: str = ""
    summary: str | None = None
    comment: str | None = None
    awaiting_link: bool = True
    closed: bool = False
    more: list[str] = field(default_factory=list)  # the comment's later lines, joined once by `Scanner.run`


@dataclass
class Scan:
    """What scanning found: occurrences in page order, unclaimed lines, the page heading."""

    occurrences: list[Occurrence] = field(default_factory=list)
    orphans: list[tuple[int, str]] = field(default_factory=list)
    heading: str | None = None
    heading_line: int | None = None


def tag_names(run: str) -> list[str]:
    return [m.group(0)[1:].strip() for m in TAG.finditer(run)]


def is_tag_line(text: str) -> bool:
    return bool(text.strip()) and TAG_LINE.fullmatch(text) is not None


def normalise(text: str) -> str:
    return " ".join(text.split())


def repeat_candidates(lines: list[str]) -> list[bool]:
    """Lines equal to an earlier line (or a long truncated copy of one: at least MIN_PREFIX_REPEAT
    characters that begin an earlier line)."""
    keys = [normalise(text) for text in lines]
    first_with_prefix = earliest_extension(keys)
    seen: set[str] = set()
    found = []
    for index, key in enumerate(keys):
        found.append(bool(key) and (key in seen or (len(key) >= MIN_PREFIX_REPEAT
                                                    and first_with_prefix[index] < index)))
        seen.add(key)
    return found


def earliest_extension(keys: list[str]) -> list[int]:
    """For each key, the smallest index of another key that begins with it (len(keys) if none).

    In sorted order the keys beginning with a key follow it as one block, and these blocks nest
    like a trie's subtrees: walking the sorted keys backwards with a stack of blocks, each block
    takes in the blocks after it that begin with its key. Sorting plus one pass, where comparing
    each line with every earlier one took 33 s for 20,000 repeated entries."""
    order = sorted(range(len(keys)), key=lambda i: (keys[i], i))
    earliest = [len(keys)] * len(keys)
    stack: list[tuple[str, int]] = []  # (key, smallest index in its block)
    for i in reversed(order):
        inside = len(keys)
        while stack and stack[-1][0].startswith(keys[i]):
            inside = min(inside, stack.pop()[1])
        earliest[i] = inside
        stack.append((keys[i], min(i, inside)))
    return earliest


def repeated_lines(lines: list[str]) -> list[bool]:
    """Repeats: runs of candidate lines (tag lines aside) holding at least one long line.

    A short line such as `・1746` equal to an earlier one is new text unless it sits in
    a run of repeated lines: the page's second copy.
    """
    candidates = repeat_candidates(lines)
    result = [False] * len(lines)
    run: list[int] = []
    for i, text in enumerate(lines + [""]):
        if i < len(lines) and (not text.strip() or is_tag_line(text) or LONE_DATE.fullmatch(text)):
            continue
        if i < len(lines) and candidates[i]:
            run.append(i)
            continue
        if any(len(normalise(lines[j])) >= MIN_REPEAT_CHARS for j in run):
            for j in run:
                result[j] = True
        run = []
    return result


def tag_start(lines: list[str], index: int, col: int) -> tuple[int, int]:
    """Where the tags of the header at (index, col) begin: same line, lines above, or previous line's end."""
    text = lines[index]
    start = tag_run_start(text, col)
    if start is not None:
        return index, start
    blank = col
    while blank > 0 and text[blank - 1].isspace():
        blank -= 1
    if blank:  # text before the header that is not a tag run
        return index, col
    row = index
    while row > 0 and is_tag_line(lines[row - 1]):
        row -= 1
    if row < index:
        return row, 0
    start = tag_run_start(lines[index - 1], len(lines[index - 1])) if index > 0 else None
    return (index - 1, start) if start is not None else (index, col)


def tag_run_start(text: str, end: int) -> int | None:
    """Where the run of tags ending text[:end] (whitespace may follow it) starts, as the search of
    `TAG(\\s*TAG)*\\s*$` would find it, in time linear in the run.

    That search tried every `#` and, when the text before `end` is no run (`#a #a … #a x`), each
    try read to the end: 17.7 s for 20,000 tags. A tag is read one way only (its words stop at
    the first character that cannot continue them), so from the right each `#` starts a run
    exactly when its tag is followed by whitespace and then the end or a `#` that starts one."""
    low = end
    while low > 0 and (text[low - 1] in _TAG_WORD or text[low - 1] == "#" or text[low - 1].isspace()):
        low -= 1
    found = None
    runs: set[int] = set()  # positions of `#` that start a run
    for at in range(end - 1, low - 1, -1):
        if text[at] != "#":
            continue
        after = tag_end(text, at, end)
        while after is not None and after < end and text[after].isspace():
            after += 1
        if after is not None and (after == end or after in runs):
            runs.add(at)
            found = at
    return found


def tag_end(text: str, at: int, end: int) -> int | None:
    """The end of the tag `#word( Word){0,2}` at text[at] (before `end`), or None when none is there."""
    if at + 1 >= end or text[at + 1] not in _TAG_FIRST:
        return None
    after = word_end(text, at + 2, end)
    for _ in range(2):
        if after + 1 < end and text[after] == " " and text[after + 1] in _TAG_MORE:
            after = word_end(text, after + 2, end)
    return after


def word_end(text: str, at: int, end: int) -> int:
    while at < end and text[at] in _TAG_WORD:
        at += 1
    return at


def cut_points(lines: list[str]) -> dict[int, list[tuple[int, str, int, int]]]:
    """Per line: (column, kind, header line, header column) for every tag run start and header."""
    cuts: dict[int, list[tuple[int, str, int, int]]] = {}
    for index, text in enumerate(lines):
        for match in HEADER.finditer(text):
            row, col = tag_start(lines, index, match.start())
            for tag_row in range(row, max(row, index - 1) + 1):
                cuts.setdefault(tag_row, []).append((col if tag_row == row else 0, "tags", index, match.start()))
            cuts.setdefault(index, []).append((match.start(), "header", index, match.start()))
    for row in cuts:
        cuts[row].sort(key=lambda cut: (cut[0], cut[1] != "tags"))
    return cuts


def split_rest(rest: str) -> tuple[str, str | None, str | None]:
    """Link text, Summary text and Comment text of what follows a date (labels at word starts)."""
    labels = list(LABEL.finditer(rest))
    summary_at = next((m for m in labels if m.group(1) == "Summary"), None)
    after = summary_at.end() if summary_at else 0
    comment_at = next((m for m in labels if m.group(1) == "Comment" and m.start() >= after), None)
    first = summary_at or comment_at
    link = rest[: first.start()] if first else rest
    summary = None
    if summary_at:
        summary = rest[summary_at.end() : comment_at.start() if comment_at else len(rest)].strip()
    comment = rest[comment_at.end() :].strip() if comment_at else None
    return link.strip(), summary, comment


class Scanner:
    """Walks the lines once, cutting each at tag runs and headers, and fills occurrences."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.repeats = repeated_lines(lines)
        self.cuts = cut_points(lines)
        self.tag_cols = {row: [c for c, kind, _, _ in cuts if kind == "tags"] for row, cuts in self.cuts.items()}
        self.scan = Scan()
        self.current: Occurrence | None = None
        self.pending_tags: list[str] = []
        self.pending_start: int | None = None

    def run(self) -> Scan:
        for index, text in enumerate(self.lines):
            self.line(index, text)
        for occurrence in self.scan.occurrences:
            if occurrence.more:
                occurrence.comment, occurrence.more = "\n".join([occurrence.comment, *occurrence.more]), []
        return self.scan

    def line(self, index: int, text: str) -> None:
        position = 0
        for col, kind, header_row, header_col in self.cuts.get(index, []):
            if col > position:
                self.fragment(index, text[position:col], first=position == 0)
            if kind == "tags":
                end = header_col if header_row == index else len(text)
                self.pending_tags += tag_names(text[col:end])
                self.pending_start = index + 1 if self.pending_start is None else self.pending_start
                position = end
            else:
                position = self.header(index, text, col)
        if position < len(text):
            self.fragment(index, text[position:], first=position == 0)

    def header(self, index: int, text: str, col: int) -> int:
        match = HEADER.match(text, col)
        tag_cols = self.tag_cols.get(index, [])
        later = bisect.bisect_right(tag_cols, col)  # the cuts are sorted: the first tag run after col
        stop = tag_cols[later] if later < len(tag_cols) else len(text)
        start = self.pending_start or index + 1
        occurrence = Occurrence(date=match.group(1), line=index + 1, start=start, end=index + 1,
                                tags=self.pending_tags)
        self.pending_tags, self.pending_start = [], None
        self.current = occurrence
        self.scan.occurrences.append(occurrence)
        self.fill(occurrence, text[match.end() : stop], index)
        return stop

    def fragment(self, index: int, piece: str, first: bool) -> None:
        """Text outside tags and headers: the heading, a button, or an entry's continuation."""
        if not piece.strip():
            return
        occurrence = self.current
        if occurrence is None:
            self.preamble(index, piece)
        elif piece.strip() == MORE_BUTTON and self.next_starts_entry(index):
            return
        elif occurrence.awaiting_link:
            self.fill(occurrence, piece, index)
        elif first and self.repeats[index]:
            return
        elif occurrence.closed:
            self.scan.orphans.append((index + 1, piece.strip()))
        else:
            self.continue_entry(occurrence, piece, index)

    def preamble(self, index: int, piece: str) -> None:
        text = re.sub(r"</?h2>", "", piece).strip()
        if self.scan.heading is None and len(text) <= 80 and not is_tag_line(text) and text != MORE_BUTTON:
            self.scan.heading, self.scan.heading_line = text, index + 1
        elif text != MORE_BUTTON:
            self.scan.orphans.append((index + 1, piece.strip()))

    def next_starts_entry(self, index: int) -> bool:
        lines = self.lines  # not sliced: one `more` line after another took a copy of the rest each
        following = next((lines[i] for i in range(index + 1, len(lines)) if lines[i].strip()), "")
        return is_tag_line(following) or following.lstrip().startswith("Issue Date:")

    def without_markup(self, piece: str, index: int) -> str:
        """The piece less stray markup (`stray_markup`), each one an orphan of its line."""
        spans = stray_markup(piece)
        if not spans:
            return piece
        self.scan.orphans.extend((index + 1, piece[start:end]) for start, end in spans)
        kept, position = [], 0
        for start, end in spans:
            kept.append(piece[position:start])
            position = end
        return "".join(kept) + piece[position:]

    def fill(self, occurrence: Occurrence, rest: str, index: int) -> None:
        """The text after a date (or the line after a lone date): link, Summary, Comment."""
        rest, closed = close_tag(self.without_markup(rest, index))
        if not rest.strip():
            occurrence.closed = occurrence.closed or closed
            return
        link, summary, comment = split_rest(rest)
        occurrence.link, occurrence.summary, occurrence.comment, occurrence.more = link, summary, comment, []
        occurrence.awaiting_link = False
        occurrence.closed = closed
        occurrence.end = index + 1

    def continue_entry(self, occurrence: Occurrence, piece: str, index: int) -> None:
        """A later line of an entry: its Summary or Comment line, or more of its comment."""
        piece, closed = close_tag(self.without_markup(piece, index))
        text = piece.strip()
        label = LABEL.match(text)
        if label and label.group(1) == "Summary" and occurrence.summary is None and occurrence.comment is None:
            _, occurrence.summary, occurrence.comment = split_rest(text)
        elif label and label.group(1) == "Comment" and occurrence.comment is None:
            occurrence.comment = text[label.end() :].strip()
        elif text:
            if occurrence.comment:
                occurrence.more.append(text)  # joined once at the end: each line added to the string copied it all
            else:
                occurrence.comment = text
        occurrence.closed = closed
        occurrence.end = index + 1


def stray_markup(piece: str) -> list[tuple[int, int]]:
    """Where the stray markup is, in order: each STRAY_TAG, and each line's last lone `` outside them."""
    tags = [match.span() for match in STRAY_TAG.finditer(piece)]
    starts = [start for start, _ in tags]
    ticks, offset = [], 0
    for line in piece.split("\n"):
        lone = [match.start() for match in LONE_TICKS.finditer(line)]
        if lone:
            at = offset + lone[-1]
            inside = bisect.bisect_right(starts, at) - 1
            if inside < 0 or tags[inside][1] <= at:
                ticks.append((at, at + 2))
        offset += len(line) + 1
    return sorted(tags + ticks)


def close_tag(text: str) -> tuple[str, bool]:
    """Text without a stray `</div>`, and whether one closed the entry."""
    parts = CLOSE_TAG.split(text, maxsplit=1)
    return (parts[0] + " " + parts[1] if len(parts) > 1 else text), len(parts) > 1


def scan(lines: list[str]) -> Scan:
    return Scanner(lines).run()
