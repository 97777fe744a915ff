"""The size of a published site, against what a static host takes (GitHub Pages: 1 GB)."""

from __future__ import annotations

import os
from pathlib import Path

from kb.i18n import _

PAGES_LIMIT = 1_000_000_000  # bytes: GitHub Pages' published-site limit


def folder_bytes(folder: Path) -> int:
    """The bytes of every file below folder (links not followed)."""
    total, pending = 0, [str(folder)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def size_warning(site: Path, size: int | None = None) -> str | None:
    """A line to print when the site (of `size` bytes, if the build knows: else they are counted
    here) is over PAGES_LIMIT, else None. (Counting walks every file: 0.6 s after every rebuild at
    10,000 notes; the write stage's listing of the site gives it at once.)"""
    size = folder_bytes(site) if size is None else size
    if size <= PAGES_LIMIT:
        return None
    return _("warning: the site is {size} GB, over GitHub Pages' limit of {limit} GB ({site}); `kb build "
             "--verbose` lists the notes with warnings (a record with very many tags?)").format(
        size=format(size / 1e9, ".2f"), limit=format(PAGES_LIMIT / 1e9, ".0f"), site=site)
