"""Find note files and decode them: UTF-8 (with or without BOM), Shift_JIS/CP932, CRLF."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from kb.models import Diagnostic, Severity

ENCODINGS = ("utf-8-sig", "cp932")
NOTE_SUFFIXES = {".txt", ".md", ".markdown", ""}


@dataclass(frozen=True)
class SourceFile:
    """One decoded note file. `path` is relative to the project root, with '/'."""

    path: str
    text: str
    encoding: str
    digest: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


# Control characters but tab/newline/carriage return/form feed, and private-use code points.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ue000-\uf8ff]")


def looks_like_text(text: str) -> bool:
    """No control characters but tab/newline/form feed, no private-use code points (cp932 junk)."""
    return _NOT_TEXT.search(text) is None


def decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding name, or None when the bytes are not text in a known encoding."""
    if b"\x00" in data:
        return None
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not looks_like_text(text):
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    return None


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


def list_note_files(notes_dir: Path) -> list[Path]:
    """Note files below notes_dir, sorted so every run sees the same order."""
    return [Path(path) for path, _ in note_files_with_stats(notes_dir)]


SETTLE_NS = 2_000_000_000  # files changed more recently than this are not trusted to a stamp


def files_stamp(notes_dir: Path) -> str | None:
    """A hash of the notes' names, sizes, change times and inodes, without reading them.

    None when a file changed in the last SETTLE_NS (a write in the same clock tick as this
    look would not change its time): a build then reads every file, as it does without a stamp.
    """
    h = hashlib.sha256()
    now = time.time_ns()
    for path, st in note_files_with_stats(notes_dir):
        if st.st_mtime_ns >= now - SETTLE_NS:
            return None
        h.update(f"{path}\x00{st.st_size}\x00{st.st_mtime_ns}\x00{st.st_ctime_ns}\x00{st.st_ino}\x01".encode())
    return h.hexdigest()


def relative_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_source(path: Path, root: Path, name: str | None = None) -> SourceFile | Diagnostic:
    """Decode one file, or say why it cannot be read as a note (`name`: its relative_name, if known)."""
    name = name or relative_name(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Diagnostic(path=name, severity=Severity.ERROR, message=f"cannot read file: {exc.strerror}")
    decoded = decode(data)
    if decoded is None:
        return Diagnostic(
            path=name,
            severity=Severity.ERROR,
            message="not a text note: expected UTF-8 or Shift_JIS text (binary or undecodable bytes)",
        )
    text, encoding = decoded
    return SourceFile(name, text, encoding, hashlib.sha256(data).hexdigest())


def discover(notes_dir: Path, root: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every readable note below notes_dir, plus an error for each unreadable one."""
    sources: list[SourceFile] = []
    problems: list[Diagnostic] = []
    real_root = root.resolve()
    real_dirs: dict[Path, Path] = {}  # relative_name without resolving every file: each folder once
    for path in list_note_files(notes_dir):
        folder = real_dirs.get(path.parent)
        if folder is None:
            folder = real_dirs[path.parent] = path.parent.resolve()
        real = path.resolve() if path.is_symlink() else folder / path.name
        try:
            name = real.relative_to(real_root).as_posix()
        except ValueError:
            name = path.as_posix()
        result = read_source(path, root, name)
        (problems if isinstance(result, Diagnostic) else sources).append(result)
    return sources, problems
