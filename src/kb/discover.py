"""Find note files and decode them: UTF-8 (with or without BOM), Shift_JIS/CP932, CRLF."""

from __future__ import annotations

import hashlib
import re
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


def is_note_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in NOTE_SUFFIXES


def list_note_files(notes_dir: Path) -> list[Path]:
    """Note files below notes_dir, sorted so every run sees the same order."""
    return sorted(p for p in notes_dir.rglob("*") if is_note_file(p) and p.name != "README.md")


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
