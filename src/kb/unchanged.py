"""Whether a build can return at once: everything it reads is the last build's.

    quick_stamp(...)  every input by file name, size and time (nothing read)
    build_id(...)     every input by content (the notes as discovered)
    unchanged(last, stamp, build)  the last build read the same and its site is intact
"""

from __future__ import annotations

import json
from pathlib import Path

from kb.cache import SiteState
from kb.config import Settings
from kb.digests import code_digest, settings_digest, sha, theme_digest
from kb.discover import files_stamp, relative_name
from kb.render.theme import Theme
from kb.stamps import build_stamp


def notes_prefix(notes_dir: Path, root: Path) -> str:
    return relative_name(notes_dir, root).rstrip("/") + "/"


def build_id(settings: Settings, theme: Theme, prefix: str, found, search: str | None) -> str:
    """Everything a build reads: when it equals the last build's, the site would come out the same."""
    sources, problems = found
    notes = [(s.path, s.digest) for s in sources] + [d.model_dump_json() for d in problems]
    return sha(code_digest(), settings_digest(settings), theme_digest(theme.dirs), prefix,
               json.dumps(notes, ensure_ascii=False), str(search or ""))


def quick_stamp(settings: Settings, theme: Theme, notes_dir: Path, root: Path, exe: str | None) -> str | None:
    """Everything a build reads, by file size and time instead of content: when it equals the
    last build's, nothing changed and no note need be read (a no-change rebuild of 10,000
    notes then costs a directory walk). None whenever a stamp could be fooled."""
    return build_stamp(settings_digest(settings), theme.dirs, notes_prefix(notes_dir, root), notes_dir, exe,
                       files_stamp(notes_dir))


def unchanged(last: SiteState | None, stamp: str | None = None, build: str | None = None) -> bool:
    """The last build read the same inputs (by stamp or by content) and its site is intact."""
    if last is None or last.result is None:
        return False
    return (build is not None and last.build_id == build) or (stamp is not None and last.stamp == stamp)
