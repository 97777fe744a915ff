"""Markdown to safe HTML: CommonMark + tables, raw HTML shown as text, only http(s)/mailto links.

Code blocks are highlighted with Pygments at build time (CSS classes, see `pygments_css`).
Headings inside a body are shifted so they nest under the heading the page puts above it,
and get ids (prefixed, so two bodies on one page never clash).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from kb.render.autolink import enable_linkify
from kb.render.cjk_breaks import is_cjk
from kb.render.wikilinks import wikilinks_plugin
from kb.search import is_safe_url, markdown_parser, tokens_text
from kb.text import URL, slugify

LIGHT_STYLE, DARK_STYLE = "default", "monokai"
SENTENCE_END = frozenset("。．.！？!?」』）)…:：")
LABEL_ONLY = re.compile(r"[:：]$")


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Pygments spans for a known language; '' lets markdown-it escape the code itself."""
    return _highlight(code, lang or "")


@lru_cache(maxsize=4096)
def _highlight(code: str, lang: str) -> str:
    name = (lang or "").split()[0] if lang else ""
    try:
        lexer = get_lexer_by_name(name) if name else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    return highlight(code, lexer, HtmlFormatter(nowrap=True))


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = markdown_parser(highlight=highlight_code)
    enable_linkify(md)  # bare URLs become links (kb.render.autolink); the words stay the same
    md.use(wikilinks_plugin)  # [[title]], [[id|text]] (kb.render.wikilinks)
    md.add_render_rule("fence", focusable_code)
    md.add_render_rule("code_block", focusable_code)
    return md


def focusable_code(self, tokens: list[Token], idx: int, options, env) -> str:
    """A code block scrolls sideways: keyboard users reach it by Tab (axe scrollable-region-focusable)."""
    token = tokens[idx]
    lang = token.info.split()[0] if token.info.strip() else ""
    label = f"コード（{lang}）" if lang else "コード"
    html = getattr(self, token.type)(tokens, idx, options, env)
    return html.replace("<pre>", f'<pre tabindex="0" role="group" aria-label="{escape(label, quote=True)}">', 1)


def unsafe_links_to_text(children: list[Token]) -> list[Token]:
    """Drop link tokens whose target is not http(s)/mailto (their text stays); images become links."""
    out: list[Token] = []
    dropping: list[bool] = []
    for token in children:
        if token.type == "link_open":
            dropping.append(not is_safe_url(token.attrGet("href")))
            if not dropping[-1]:
                token.attrSet("rel", "noopener")
                out.append(token)
        elif token.type == "link_close":
            if not dropping.pop():
                out.append(token)
        elif token.type == "image":
            out.extend(image_as_link(token))
        else:
            out.append(token)
    return out


def image_as_link(token: Token) -> list[Token]:
    """No external requests: an image becomes a link to it (or just its alt text)."""
    alt = Token("text", "", 0, content=token.content or "画像")
    src = token.attrGet("src")
    if not is_safe_url(src):
        return [alt]
    return [Token("link_open", "a", 1, attrs={"href": src, "rel": "noopener"}), alt, Token("link_close", "a", -1)]


def shift_headings(tokens: list[Token], top_level: int, id_prefix: str) -> None:
    """Make the body's highest heading `top_level` (h3 under an h2...) and give every heading an id."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return
    shift = top_level - min(levels)
    for i, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
        if token.type == "heading_open":
            token.attrSet("id", f"{id_prefix}-{i}-{slugify(tokens[i + 1].content)}")


def keeps_lines(format_name: str) -> bool:
    """True for a format whose fields are copied page text, each line a line of the page
    (the format module's KEEPS_LINES): rendered with a line break for every newline."""
    from kb.formats import FORMATS

    return bool(getattr(FORMATS.get(format_name), "KEEPS_LINES", False))


# Rendered bodies by (text, level, prefix, lines kept): the same text (a section shared by several
# records, a summary shown on two pages) is parsed once per process. Memos of pure functions,
# bounded; they never change an output.
_RENDERED: dict[tuple, str] = {}
_PLAIN: dict[tuple[str, int, bool], str] = {}
MEMO_LIMIT = 50_000


def render_markdown(text: str | None, top_level: int = 3, id_prefix: str = "h", keep_lines: bool = False,
                    wikilinks: tuple[tuple[str, str], ...] = ()) -> str:
    """Safe HTML for a Markdown body; `keep_lines`: every newline a line break (copied page text);
    `wikilinks`: (target, href) of its [[...]] links that name a record (kb.render.wikilinks)."""
    if not text:
        return ""
    key = (text, top_level, id_prefix, keep_lines, wikilinks)
    html = _RENDERED.get(key)
    if html is None:
        html = _render_markdown(text, top_level, id_prefix, keep_lines, dict(wikilinks))
        if len(_RENDERED) >= MEMO_LIMIT:
            _RENDERED.clear()
        _RENDERED[key] = html
    return html


def _render_markdown(text: str, top_level: int, id_prefix: str, keep_lines: bool, wikilinks: dict[str, str]) -> str:
    md = parser()
    tokens = md.parse(text, {"keep_lines": keep_lines})
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = unsafe_links_to_text(token.children)
    shift_headings(tokens, top_level, id_prefix)
    return md.renderer.render(tokens, md.options, {"wikilinks": wikilinks})


def plain_text(text: str | None, limit: int = 200, store: dict[str, str] | None = None,
               keep_lines: bool = False) -> str:
    """The words of a Markdown body on one line, cut to `limit` characters (for meta descriptions),
    addresses left out; its lines (blocks, line breaks) joined by `join_lines`.

    `store` (text hash -> words; the build cache persists it) spares a rebuild parsing again."""
    if not text:
        return ""
    key = (text, limit, keep_lines)
    words = _PLAIN.get(key)
    if words is None:
        stored = hashlib.sha1(f"{limit}\x00{keep_lines:d}\x00{text}".encode()).hexdigest() if store is not None else ""
        words = store.get(stored) if store is not None else None
        if words is None:
            words = _plain_text(text, limit, keep_lines)
            if store is not None:
                store[stored] = words
        if len(_PLAIN) >= MEMO_LIMIT:
            _PLAIN.clear()
        _PLAIN[key] = words
    return words


def _plain_text(text: str, limit: int, keep_lines: bool) -> str:
    lines = [" ".join(URL.sub(" ", line).split()) for line in text_lines(text, keep_lines).split("\n")]
    words = join_lines([line for line in lines if line.strip(" :：、。・-")])
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def text_lines(text: str, keep_lines: bool) -> str:
    """The words of a body, a newline after each block and line break; a soft break left in
    prose (between two English words) is a space: it never ends a line."""
    tokens = parser().parse(text, {"keep_lines": keep_lines})
    for token in tokens:
        for child in token.children or []:
            if child.type == "softbreak":
                child.type, child.content = "text", " "
    return tokens_text(tokens)


def join_lines(lines: list[str]) -> str:
    """Lines on one line: a line that ends a sentence is followed by a space (or nothing in
    Japanese); a line that does not (a heading, a label, an item) ends with 「。」 first, so two
    headings never read as one (「…公式ブログ。データが…」, not 「…公式ブログ 論文の…」).
    A label whose value was an address (「論文のプロジェクトリンク:」) says nothing: left out."""
    out = ""
    for line in (line for line in lines if not LABEL_ONLY.search(line)):
        if out:
            out += separator(out[-1], line[0])
        out += line
    return out


def separator(last: str, first: str) -> str:
    if last in SENTENCE_END:
        return "" if is_cjk(last) and is_cjk(first) else " "
    return "。" if is_cjk(last) else ". " if last.isalnum() else " "



def pygments_css() -> str:
    """Highlight classes for light and dark colour schemes (dark under prefers-color-scheme)."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(["pre code"])
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(["pre code"])
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
