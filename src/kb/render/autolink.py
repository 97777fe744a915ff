"""Bare URLs in note text become links (markdown-it-py's linkify with linkify-it-py).

linkify-it takes every non-space character after `https://` as part of the URL, so in
Japanese text, where the next word follows without a space, a link would run on:
`元ポスト:https://x.com/a/status/1著者ポスト:https://...` was one link. linkify-it has no
option for this (markdown-it/linkify-it#15 is open), so `CjkAwareLinkify` ends a URL at
its first Japanese, full-width or typographic character; the text after it is scanned
again, so each URL of such a run becomes its own link and the labels stay text.

Only schemed links are recognised (no `example.com` guesses); the Markdown parser's
`validateLink` keeps only http(s) and mailto targets, as for written links.
"""

from __future__ import annotations

import re

from linkify_it import LinkifyIt

# Kana, CJK ideographs and punctuation, full-width forms, general punctuation (“ ” — …), arrows.
URL_STOP = re.compile(r"[\u2000-\u206f\u2190-\u21ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
OPTIONS = {"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False}


class CjkAwareLinkify(LinkifyIt):
    """linkify-it whose URLs end before the first Japanese or full-width character."""

    def __init__(self) -> None:
        super().__init__(options=OPTIONS)

    def test_schema_at(self, text: str, name: str, position: int) -> int:
        length = super().test_schema_at(text, name, position)
        stop = URL_STOP.search(text, position, position + length) if length else None
        return stop.start() - position if stop else length


def enable_linkify(md) -> None:
    """Turn on linkify (core and inline rules) with the CJK-aware linkifier."""
    md.linkify = CjkAwareLinkify()
    md.options["linkify"] = True
    md.enable("linkify")
