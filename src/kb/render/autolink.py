"""Bare URLs in note text become links (markdown-it-py's linkify with linkify-it-py).

linkify-it takes every non-space character after `https://` as part of the URL, so in
Japanese text, where the next word follows without a space, a link would run on:
`元ポスト:https://x.com/a/status/1著者ポスト:https://...` was one link. linkify-it has no
option for this (markdown-it/linkify-it#15 is open), so `CjkAwareLinkify` ends a URL at
its first Japanese, full-width or typographic character; the text after it is scanned
again, so each URL of such a run becomes its own link and the labels stay text.

A URL glued to the next one's label (`...&t=TDHYK31QiXKxggPzhZbcAQOpenReview:https://openreview.net/...`)
ends before the label (`GLUED_LABEL`: a capitalised word or a lowercase word after a non-letter,
then a colon and a scheme), so the label is text and the second URL a link of its own.

Only schemed links are recognised (no `example.com` guesses); the Markdown parser's
`validateLink` keeps only http(s) and mailto targets, as for written links.
"""

from __future__ import annotations

import re

from linkify_it import LinkifyIt

# Kana, CJK ideographs and punctuation, full-width forms, general punctuation (“ ” — …), arrows.
URL_STOP = re.compile(r"[\u2000-\u206f\u2190-\u21ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
GLUED_LABEL = re.compile(r"(?:[A-Z][a-z]+)+(?=[:：]https?://)|(?<![A-Za-z])[a-z]+(?=[:：]https?://)")
OPTIONS = {"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False}


class CjkAwareLinkify(LinkifyIt):
    """linkify-it whose URLs end before the first Japanese or full-width character, or before
    the label of a URL glued to it."""

    def __init__(self) -> None:
        super().__init__(options=OPTIONS)

    def test_schema_at(self, text: str, name: str, position: int) -> int:
        length = super().test_schema_at(text, name, position)
        if not length:
            return length
        stops = [m.start() for m in (URL_STOP.search(text, position, position + length),
                                     GLUED_LABEL.search(text, position + 1, position + length)) if m]
        return min(stops) - position if stops else length


def enable_linkify(md) -> None:
    """Turn on linkify (core and inline rules) with the CJK-aware linkifier."""
    md.linkify = CjkAwareLinkify()
    md.options["linkify"] = True
    md.enable("linkify")
