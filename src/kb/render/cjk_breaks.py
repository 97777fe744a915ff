"""Line breaks in Japanese text: a markdown-it core rule (like markdown-it's cjk-breaks plugin).

A paragraph written over several lines (Markdown) has soft breaks, which HTML shows as a space: between
two Japanese characters (「変えずに\\n収束が」) that space is wrong, and browsers do not drop it,
so the rule drops the break. A line that is a 「・」 item (a copied page's list, one item per
line) keeps its break, as a real line break, before and after it: the items stay on their lines.
Every other soft break is left as it is.

Text copied from a page (minutes, a blog, a tag page) is not Markdown prose: each of its lines
was a line of the page. Parsed with `env={"keep_lines": True}`, every soft break becomes a line
break, so two lines never run together (「…公式ブログ」「論文のプロジェクトリンク: …」).
"""

from __future__ import annotations

import unicodedata

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ITEM_MARK = "・"
_HANGUL = ("HANGUL",)  # Korean is written with spaces between words: its breaks stay spaces


def is_cjk(char: str) -> bool:
    """A wide (or half-width) East Asian character: kana, kanji, full-width punctuation."""
    if not char or unicodedata.east_asian_width(char) not in ("W", "F", "H"):
        return False
    return not unicodedata.name(char, "").startswith(_HANGUL)


def is_empty_text(token: Token) -> bool:
    return token.type == "text" and not token.content


def nearest_text(children: list[Token], index: int, step: int) -> str:
    """The text next to children[index] (step -1: before, +1: after), looking past emphasis and
    link marks; '' when a break, code or an image is next."""
    index += step
    while 0 <= index < len(children) and (children[index].nesting != 0 or is_empty_text(children[index])):
        index += step
    token = children[index] if 0 <= index < len(children) else None
    return token.content if token is not None and token.type == "text" else ""


def line_starts(children: list[Token]) -> list[str]:
    """For each child, the text its line starts with (lines separated by soft or hard breaks)."""
    starts, current, at_start = [], "", True
    for token in children:
        if token.type in ("softbreak", "hardbreak"):
            at_start = True
        elif at_start:
            current, at_start = (token.content if token.type == "text" else ""), False
        starts.append(current)
    return starts


def hard_breaks(children: list[Token]) -> None:
    for token in children:
        if token.type == "softbreak":
            token.type, token.tag = "hardbreak", "br"


def join_breaks(children: list[Token]) -> None:
    """Each soft break: a line break around a 「・」 item, nothing between two CJK characters."""
    starts = line_starts(children)
    for index, token in enumerate(children):
        if token.type != "softbreak":
            continue
        after = nearest_text(children, index, 1)
        if after.startswith(ITEM_MARK) or starts[index].startswith(ITEM_MARK):
            token.type, token.tag = "hardbreak", "br"
        elif is_cjk(nearest_text(children, index, -1)[-1:]) and is_cjk(after[:1]):
            token.type, token.content = "text", ""


def cjk_breaks_rule(state: StateCore) -> None:
    breaks = hard_breaks if isinstance(state.env, dict) and state.env.get("keep_lines") else join_breaks
    for token in state.tokens:
        if token.type == "inline" and token.children:
            breaks(token.children)


def cjk_breaks(md: MarkdownIt) -> None:
    """Plugin: `md.use(cjk_breaks)`."""
    md.core.ruler.push("cjk_breaks", cjk_breaks_rule)
