"""Redirect pages at a record's old addresses (`aliases:` in its note, as in Hugo)."""

from __future__ import annotations

from kb.addresses import redirects
from kb.render.inputs import Scope
from kb.render.pages import Page, page
from kb.render.site import Site
from kb.urls import url_for


def redirect_context(scope: Scope, record_id: str) -> dict:
    """The record's folder (its index.html is served there) and its title."""
    target = url_for("record", record_id).removesuffix("index.html")
    return {"target": target, "title": scope.record(record_id).title}


def redirect_pages(site: Site) -> list[Page]:
    return [page(path, "redirect.html", [f"record:{record_id}"], redirect_context, record_id=record_id)
            for path, record_id in sorted(redirects(site.kb.records).items())]
