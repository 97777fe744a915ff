"""Addresses that do not move: aliases (old paths that redirect), the pages the last build
published, and where a page went when a rebuild moved it.

    alias_path("old-title")           -> "records/old-title/index.html"
    alias_path("/posts/lora/")        -> "posts/lora/index.html"
    removed_pages(previous, records)  -> warnings for record pages a build would remove
    moved_pages(before, after)        -> {"records/a/index.html": "records/b/index.html"}
"""

from __future__ import annotations

import re
from pathlib import Path

from kb.i18n import N_, Message
from kb.models import Diagnostic, Record
from kb.urls import url_for
from kb.validation import closest

_SEGMENT = re.compile(r"[^\W_][\w.\-]*", re.UNICODE)
RECORD_PAGE = re.compile(r"records/([^/]+)/index\.html")


def alias_path(alias: str) -> str | None:
    """The site file an alias names (a bare id is a record page), or None when it cannot be one:
    only letters, digits, '-', '_' and '.' between slashes, no '..', no scheme."""
    text = alias.strip().lstrip("/")
    parts = text.rstrip("/").split("/")
    if not text or not all(_SEGMENT.fullmatch(part) and ".." not in part for part in parts):
        return None
    if "/" not in text:
        return url_for("record", text)
    if text.endswith(".html"):
        return text
    return text.rstrip("/") + "/index.html"


def alias_problems(aliases: list) -> list[Message]:
    """A message for each alias that cannot be a page address of the site."""
    return [N_("alias {alias} cannot be a page address: write an old record id (old-title) or an old path "
               "(/records/old-title/)", alias=repr(str(a)))
            for a in aliases if not isinstance(a, str) or alias_path(a) is None]


def redirects(records: list[Record]) -> dict[str, str]:
    """{alias page: record id} for every alias, but never over a record's own page (the first
    record naming an alias keeps it)."""
    own = {url_for("record", r.id) for r in records}
    found: dict[str, str] = {}
    for record in records:
        for alias in record.aliases:
            path = alias_path(alias)
            if path and path not in own:
                found.setdefault(path, record.id)
    return found


def published_pages(root: Path) -> set[str] | None:
    """The site paths the last build published, from the build state (None: no build yet, or a
    state this kb does not trust). The one place that reads them; opened without BuildCache.load,
    which tidies a folder a build may be writing in."""
    from kb.cache import CACHE_DIR, STATE_FILE, BuildCache
    from kb.store import key_folder, state_key

    cache = BuildCache(root / CACHE_DIR)
    path = cache.folder / STATE_FILE
    if not path.is_file():
        return None
    cache.guard(lambda: cache.open(path, state_key(key_folder())))
    try:
        last = cache.previous_site()
    finally:
        if cache.store is not None:
            cache.store.close()
    return set(last.keys) if last else None


def removed_pages(previous: set[str], records: list[Record], notes_dir: str) -> list[Diagnostic]:
    """A warning for each record page the last build published that a build now would remove,
    at the note of the record most like it (its alias would keep the address)."""
    now = {url_for("record", r.id) for r in records} | set(redirects(records))
    gone = sorted(p for p in previous if RECORD_PAGE.fullmatch(p) and p not in now)
    new = {r.id: r for r in records if url_for("record", r.id) not in previous}
    warnings = []
    for page in gone:
        old = RECORD_PAGE.fullmatch(page).group(1)
        near = new[next(iter(new))] if len(new) == 1 else new.get(closest(old, new) or "")
        where = near.source.path if near else notes_dir
        hint = (N_("if it moved to records/{id}/, add `aliases: [{old}]` to this note's front matter", id=near.id,
                   old=old) if near
                else N_("if its record moved, add `aliases: [{old}]` to the front matter of the note it is in now",
                        old=old))
        warnings.append(Diagnostic(path=where, line=1 if near else None, message=N_(
            "records/{old}/ was published by the last build and the next build would remove it: {hint}",
            old=old, hint=hint)))
    return warnings


def link_warnings(root: Path, parsed, notes_dir: str) -> list[Diagnostic]:
    """kb check's look at links: record pages the next build would remove, [[links]] naming no record."""
    from kb.render.wikilinks import unresolved_warnings

    previous = published_pages(root)
    removed = removed_pages(previous, parsed.records, notes_dir) if previous else []
    return removed + unresolved_warnings(parsed.records, {source.path: source.text for source in parsed.sources})


def moved_pages(before: tuple[str, ...], after: tuple[str, ...]) -> dict[str, str]:
    """{old record page: new record page} when a rebuild removed exactly one record page and
    added one (a note renamed, or its `id:` changed): an open page follows it."""
    old = {p for p in set(before) - set(after) if RECORD_PAGE.fullmatch(p)}
    new = {p for p in set(after) - set(before) if RECORD_PAGE.fullmatch(p)}
    return {old.pop(): new.pop()} if len(old) == len(new) == 1 else {}
