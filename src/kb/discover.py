"""Find note files and decode them: UTF-8 (with or without BOM), Shift_JIS/CP932, CRLF."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kb import stamps
from kb.errors import BuildError
from kb.i18n import N_, Message, _
from kb.models import Diagnostic, Severity
from kb.stamps import NOTE_SUFFIXES, SETTLE_NS, is_note_name, note_files_with_stats  # noqa: F401 (kb.discover's names)
from kb.text import control_characters

ENCODINGS = ("utf-8-sig", "cp932")
CONTROL_REPORTS = 5  # control-character warnings per file, then a count


class SpilledTexts:
    """Note texts a build has parsed and let go of, in an unnamed temporary file (gone once
    closed), read back as they were read (from a forked writer too: it shares the file). A
    10,000-note build held ~100 MB of texts in memory from discovery to its last page."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="kb-texts-")
        self.size = 0

    def put(self, text: str) -> tuple[int, int]:
        data = text.encode("utf-8", "surrogatepass")
        os.pwrite(self.file.fileno(), data, self.size)
        self.size += len(data)
        return self.size - len(data), len(data)

    def get(self, at: int, length: int) -> str:
        return os.pread(self.file.fileno(), length, at).decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class SourceFile:
    """One decoded note file. `path` is relative to the project root, with '/'.

    `content` is None for a file known by its stamp from the last build (kb.seen_state): its text
    is read from `origin` when first asked for, and must still be the one of `digest`; or for a
    file whose text a build set aside (`spilled`: SpilledTexts, offset, length; `set_aside`)."""

    path: str
    content: str | None
    encoding: str
    digest: str
    origin: Path | None = None
    spilled: tuple[SpilledTexts, int, int] | None = None

    @property
    def text(self) -> str:
        if self.spilled is not None:
            return self.spilled[0].get(*self.spilled[1:])  # (not kept: a page reads it once or twice)
        if self.content is None:
            object.__setattr__(self, "content", self.read_again())  # a cache of a frozen value, never changed
        return self.content

    def set_aside(self, spill: SpilledTexts) -> None:
        """Move a text read into `spill` (the same text later, whatever happens to the file)."""
        if self.content is not None:
            object.__setattr__(self, "spilled", (spill, *spill.put(self.content)))
            object.__setattr__(self, "content", None)

    def read_again(self) -> str:
        found = read_source(self.origin, self.origin.parent, self.path) if self.origin is not None else None
        if not isinstance(found, SourceFile) or found.digest != self.digest:
            raise NoteChanged(_("{path} changed while kb was building: build again").format(path=self.path))
        return found.text

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


class NoteChanged(BuildError):
    """A note known by its stamp was changed during the build, before its text was read."""


# Control characters but tab/newline/carriage return/form feed, and private-use code points.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ue000-\uf8ff]")


def looks_like_text(text: str) -> bool:
    """No control characters but tab/newline/form feed, no private-use code points (cp932 junk)."""
    return _NOT_TEXT.search(text) is None


def decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding name, or None when the bytes are not text in a known encoding.

    UTF-8 is text even with stray control characters (`kb check` warns about them); the
    Shift_JIS/CP932 fallback must look like text, since it decodes almost any bytes."""
    if b"\x00" in data:
        return None
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig" and not looks_like_text(text):
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    return None


def where_not_text(data: bytes) -> tuple[int, Message]:
    """Line and byte offset of the first byte that stops the file being UTF-8 text."""
    nul = data.find(b"\x00")
    binary = N_("a NUL byte (a binary file?)")
    try:
        data.decode("utf-8")
        offset, what = nul, binary
    except UnicodeDecodeError as exc:
        offset, what = exc.start, N_("byte {byte}, which is not UTF-8", byte="0x" + format(data[exc.start], "02X"))
        if 0 <= nul < offset:
            offset, what = nul, binary
    return data.count(b"\n", 0, offset) + 1, N_("byte offset {offset}: {what}", offset=offset, what=what)


def list_note_files(notes_dir: Path) -> list[Path]:
    """Note files below notes_dir, sorted so every run sees the same order."""
    return [Path(path) for path, _ in note_files_with_stats(notes_dir)]


def files_stamp(notes_dir: Path) -> str | None:
    """kb.stamps.files_stamp with this module's SETTLE_NS (which tests set to 0)."""
    return stamps.files_stamp(notes_dir, SETTLE_NS)


def relative_name(path: Path, root: Path) -> str:
    """path relative to the project root; outside it, only its last part (never an absolute
    path of the build machine: names end up on pages)."""
    real = path.resolve()
    try:
        return real.relative_to(root.resolve()).as_posix()
    except ValueError:
        return real.name


def read_source(path: Path, root: Path, name: str | None = None) -> SourceFile | Diagnostic:
    """Decode one file, or say why it cannot be read as a note (`name`: its relative_name, if known)."""
    name = name or relative_name(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Diagnostic(path=name, severity=Severity.ERROR, message=N_("cannot read file: {reason}",
                                                                          reason=str(exc.strerror)))
    decoded = decode(data)
    if decoded is None:
        line, where = where_not_text(data)
        return Diagnostic(path=name, line=line, severity=Severity.ERROR,
                          message=N_("not a text note: expected UTF-8 or Shift_JIS text; line {line}, {where}",
                                     line=line, where=where))
    text, encoding = decoded
    return SourceFile(name, text, encoding, hashlib.sha256(data).hexdigest())


def control_warnings(source: SourceFile) -> list[Diagnostic]:
    """A warning per line holding a control character (at most CONTROL_REPORTS per file)."""
    found = control_characters(source.text)
    shown = found[:CONTROL_REPORTS]
    warnings = [Diagnostic(path=source.path, line=line, message=N_("control character {code} in the text "
                                                                   "(invisible, not allowed in XML feeds): remove it",
                                                                   code=code)) for line, code in shown]
    if len(found) > len(shown):
        warnings.append(Diagnostic(path=source.path, line=found[len(shown)][0],
                                   message=N_("{n} more lines with control characters",
                                              n=len(found) - len(shown))))
    return warnings


def outside_notes(name: str) -> Diagnostic:
    return Diagnostic(path=name, severity=Severity.ERROR, message=N_("refused: a symbolic link to a file outside "
                                                                     "the notes folder (notes are read only from "
                                                                     "inside it)"))


# name -> (stat, what was read, its control-character warnings)
Seen = dict[str, tuple[tuple[int, int, int, int], SourceFile | Diagnostic, list[Diagnostic]]]
# name -> (stat, digest, encoding, control-character warnings): what the last build's Seen held (kb.seen_state)
Stamped = dict[str, tuple[tuple[int, int, int, int], str, str, list[Diagnostic]]]


def known_by_stamp(name: str, path: Path, stamp: tuple[int, int, int, int], stored) -> tuple | None:
    if stored is None or tuple(stored[0]) != stamp:
        return None
    return stamp, SourceFile(name, None, stored[2], stored[1], path), stored[3]


def read_known(path: Path, root: Path, name: str, stamp: tuple[int, int, int, int]) -> tuple:
    result = read_source(path, root, name)
    return stamp, result, [] if isinstance(result, Diagnostic) else control_warnings(result)


def discover(notes_dir: Path, root: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every readable note below notes_dir, plus an error for each unreadable one (and for each
    link that leads outside notes_dir: such a file is never read) and control-character warnings."""
    return discover_since(notes_dir, root, {})[0]


def folder_prefix(folder: Path, real_root: Path, real_notes: Path) -> str:
    """The relative name of a (resolved) folder of notes, with a trailing '/' (relative_name)."""
    try:
        relative = folder.relative_to(real_root).as_posix()
    except ValueError:
        relative = f"{real_notes.name}/{folder.relative_to(real_notes).as_posix()}"
    return "" if relative == "." else relative.rstrip("/") + "/"


def discover_since(notes_dir: Path, root: Path, seen: Seen,
                   stamped: Stamped | None = None) -> tuple[tuple[list[SourceFile], list[Diagnostic]], Seen]:
    """discover(), reading again only the files whose size, times or inode differ from what `seen`
    (the previous call's second result, kept in memory by `kb serve`) recorded; a file is recorded
    only once it is older than SETTLE_NS, so a write in the same clock tick is never missed.
    `stamped` (the build state's, for a new process) gives the rest by stamp too: their text is
    read only if a later stage asks for it (SourceFile.text)."""
    stamped = stamped or {}
    sources: list[SourceFile] = []
    problems: list[Diagnostic] = []
    now: Seen = {}
    settled = time.time_ns() - SETTLE_NS
    real_root, real_notes = root.resolve(), notes_dir.resolve()
    prefixes: dict[str, str] = {}  # relative_name without resolving every file: each folder once
    for entry, st in note_files_with_stats(notes_dir):
        folder, base = os.path.split(entry)
        prefix = prefixes.get(folder)
        if prefix is None:
            prefix = prefixes[folder] = folder_prefix(Path(folder).resolve(), real_root, real_notes)
        name = prefix + base  # the link itself, not its target: a note is named where it is
        path = Path(entry)
        if os.path.islink(entry) and not path.resolve().is_relative_to(real_notes):
            problems.append(outside_notes(name))
            continue
        stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        known = seen.get(name)
        if known is None or known[0] != stamp:
            known = known_by_stamp(name, path, stamp, stamped.get(name)) or read_known(path, root, name, stamp)
        if st.st_mtime_ns < settled and st.st_ctime_ns < settled:
            now[name] = known
        if isinstance(known[1], Diagnostic):
            problems.append(known[1])
        else:
            sources.append(known[1])
            problems.extend(known[2])
    return (sources, problems), now
