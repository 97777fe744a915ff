"""Wiki links as Obsidian and Foam users write them: `[[title]]`, `[[id]]`, `[[id|text]]`.

A markdown-it inline rule makes each a `wikilink` token; it renders as a link to the record the
page's `wikilinks` environment maps its target to, or as its text alone when nothing does
(`kb check` warns about those, with a did-you-mean). A target names a record by its id, its
title, or its short name (`LoRA` for "LoRA: Low-Rank Adaptation of ..."), case aside.
"""

from __future__ import annotations

import re
from html import escape

from markdown_it import MarkdownIt

from kb.i18n import N_
from kb.index.names import short_name
from kb.models import Diagnostic, Record
from kb.validation import closest

WIKILINK = re.compile(r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
TEXT_FIELDS = ("summary", "abstract", "problem", "approach", "results", "limitations", "technical", "costs",
               "references", "tweet", "comment")


def wikilink_rule(state, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    match = WIKILINK.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        target = match.group(1).strip()
        token.meta = {"target": target}
        token.content = (match.group(2) or target).strip()
    state.pos = match.end()
    return True


def render_wikilink(self, tokens, idx: int, options, env) -> str:
    token = tokens[idx]
    href = (env or {}).get("wikilinks", {}).get(token.meta["target"])
    text = escape(token.content)
    if href is None:
        return f'<span class="wikilink-missing">{text}</span>'
    return f'<a class="wikilink" href="{escape(href, quote=True)}">{text}</a>'


def wikilinks_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "wikilink", wikilink_rule)
    md.add_render_rule("wikilink", render_wikilink)


def record_texts(record: Record) -> list[str]:
    texts = [getattr(record, name) for name in TEXT_FIELDS]
    return [t for t in texts + [s.body for s in record.sections] if t]


def targets_in(record: Record) -> list[str]:
    """Every wiki-link target in the record's texts, in order, once."""
    found = (m.group(1).strip() for text in record_texts(record) if "[[" in text for m in WIKILINK.finditer(text))
    return list(dict.fromkeys(found))


def links_by_record(records: list[Record]) -> dict[str, dict[str, str]]:
    """{record id: {target: record id}} of the records with resolved wiki links; names are looked
    up only when some record has a [[link]] (a site without any pays one substring test a text)."""
    found = {record.id: record for record in records if targets_in(record)}
    if not found:
        return {}
    known = Targets(records)
    return {record_id: known.links(record) for record_id, record in found.items()}


class Targets:
    """Which record a wiki-link target names: its id, else its title, else its short name."""

    def __init__(self, records: list[Record]) -> None:
        self.ids = {record.id: record.id for record in records}
        self.names: dict[str, str] = {}
        for record in records:  # a title before any short name: "LoRA" the title wins over "LoRA: ..."
            self.names.setdefault(record.title.casefold(), record.id)
        self.shorts = {short: r.id for r in reversed(records) if (short := short_name(r.title))}  # first wins
        for short, record_id in self.shorts.items():
            self.names.setdefault(short.casefold(), record_id)

    def resolve(self, target: str) -> str | None:
        return self.ids.get(target) or self.names.get(target.casefold())

    def links(self, record: Record) -> dict[str, str]:
        """{target: record id} for the record's resolved wiki links."""
        return {t: i for t in targets_in(record) if (i := self.resolve(t)) and i != record.id}


def unresolved_warnings(records: list[Record], texts: dict[str, str]) -> list[Diagnostic]:
    """A warning per wiki link naming no record, at its line in the note, with a did-you-mean."""
    known = Targets(records)
    choices = [r.title for r in records] + list(known.shorts) + list(known.ids)
    warnings = []
    for record in records:
        for target in targets_in(record):
            if known.resolve(target):
                continue
            guess = closest(target, choices)
            hint = N_(" (did you mean [[{guess}]]?)", guess=guess) if guess else ""
            warnings.append(Diagnostic(path=record.source.path, line=line_of(texts.get(record.source.path, ""),
                                                                               f"[[{target}")
                                       or record.source.line_start,
                                       message=N_("wiki link [[{target}]] names no record: shown as text{hint}",
                                                  target=target, hint=hint)))
    return warnings


def line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None
