"""What a build can tell from file names, sizes and times alone, without reading a file: the
notes' stamp, a site folder's marker, and the quick stamp of a whole build.

Standard library only (and kb.digests' hashes), so that kb.replay, the no-change path of a
one-shot `kb build`, answers before pydantic, Jinja or click are imported.

    files_stamp(notes_dir)     every note file by name, size, times and inode (None: too fresh)
    marker_stamp(site)         which writing of a site folder this is (its marker file)
    build_stamp(...)           everything a build reads, by stamp (kb.unchanged.quick_stamp)
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from kb.digests import code_digest, sha, theme_digest

NOTE_SUFFIXES = {".txt", ".md", ".markdown", ""}
SETTLE_NS = 2_000_000_000  # files changed more recently than this are not trusted to a stamp
MARKER = ".kb-site"  # the marker file of a site folder kb wrote (kb.write)


def is_note_name(name: str) -> bool:
    return not name.startswith(".") and name != "README.md" and os.path.splitext(name)[1].lower() in NOTE_SUFFIXES


def note_files_with_stats(notes_dir: Path) -> list[tuple[str, os.stat_result]]:
    """Note files below notes_dir (as path strings) with their stat, sorted like Paths so every
    run sees the same order; one scandir pass, symlinked folders not entered (as Path.rglob)."""
    found: list[tuple[str, os.stat_result]] = []
    folders = [str(notes_dir)]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif is_note_name(entry.name):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append((entry.path, st))
    return sorted(found, key=lambda item: item[0].split(os.sep))


def files_stamp(notes_dir: Path, settle_ns: int = SETTLE_NS) -> str | None:
    """A hash of the notes' names, sizes, change times and inodes, without reading them.

    None when a file changed in the last `settle_ns` (a write in the same clock tick as this
    look would not change its time): a build then reads every file, as it does without a stamp.
    """
    h = hashlib.sha256()
    now = time.time_ns()
    for path, st in note_files_with_stats(notes_dir):
        if st.st_mtime_ns >= now - settle_ns:
            return None
        h.update(f"{path}\x00{st.st_size}\x00{st.st_mtime_ns}\x00{st.st_ctime_ns}\x00{st.st_ino}\x01".encode())
    return h.hexdigest()


def marker_stamp(site: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, st_mtime_ns) of a site folder's marker file: which writing of it this is."""
    try:
        st = (site / MARKER).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


def build_stamp(settings: str, theme_dirs: tuple[Path, ...], prefix: str, notes_dir: Path, exe: str | None,
                notes: str | None) -> str | None:
    """Everything a build reads by stamp: kb's code, the settings (their digest), the templates,
    the notes (`notes`: their files_stamp) and the search indexer; None without a notes stamp."""
    if notes is None:
        return None
    return sha(code_digest(), settings, theme_digest(theme_dirs), prefix, str(notes_dir.resolve()), notes,
               str(exe or ""))
