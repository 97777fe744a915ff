"""The incremental build cache: `.kb-cache/` at the project root (safe to delete at any time).

It holds data only, never code: JSON files validated by pydantic models on load (no pickle).
Each file starts with the cache format (`FORMAT`); a file that is missing, of another format,
truncated, too large or not exactly the expected shape is discarded with a warning (it never
changes the output, only makes that build slower) and written afresh. The first build writes
`.kb-cache/.gitignore` (`*`) so a notes repository never commits, or ships, a cache.

Other modules keep their own data here with `read_data(path, Model)` / `write_data(path, model)`
(`BuildCache.folder` is the folder). It holds, each keyed by content hashes, never by times:

- **parsed notes** (`notes.jsonl`): per note path, the parse result, keyed by
  sha256(cache format + kb code digest + the note's forced format + path + file bytes). A
  rebuild re-parses only notes whose key changed. Entries are stored as JSON right after
  parsing (before ids are assigned), so every build starts from the same objects.
- **the last site** (`site.json`): where it was written, a key per output file (a hash of
  everything that page was rendered from: kb code, settings, templates and the page's own
  data, serialised deterministically), the build's result, and the standby folder beside
  the site with the keys of the version it holds (as differences from the site's). A rebuild
  brings the standby folder up to date by rendering only files whose key changed (kb.write);
  with nothing changed at all it returns at once.
- **mentions found** (`mentions.json`): the names each record's text matched, by a hash of
  the text, and the names they were matched against, so a rebuild re-reads only changed texts
  and the texts that contain the first word of a new name (kb.index.mentions.MentionMemo).
- **plain-text summaries** (`plain.json`): the one-line texts feeds show, by text hash, so
  a site-wide feed is rewritten without re-parsing every record's Markdown.

The kb code digest covers the package version and its source files, so a new kb never
reads an old cache. Anything unreadable is treated as empty. `kb build --clean` starts
from an empty cache and writes a fresh one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from kb import DISTRIBUTION
from kb.models import Diagnostic, ParsedNote
from kb.write import Version, marker_stamp

CACHE_DIR = ".kb-cache"
FORMAT = "kb-cache-4"  # bump whenever a stored model changes shape
MAX_BYTES = 4 << 30  # a cache file larger than this is not read (treated as foreign)
TMP_PREFIX = ".tmp-"  # a file being written; a killed build leaves these, the next one removes them
GITIGNORE = "*\n"
M = TypeVar("M", bound=BaseModel)


def sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The kb version and every source file of the package (so a changed kb never reuses a cache)."""
    package = Path(__file__).resolve().parent
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = "unknown"
    h = hashlib.sha256(f"{FORMAT}\x00{version}\x00".encode())
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


def theme_digest(dirs: tuple[Path, ...]) -> str:
    """Every file of the template folders, in lookup order (any template edit changes it)."""
    h = hashlib.sha256()
    for folder in dirs:
        h.update(str(folder).encode() + b"\x01")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(folder).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


def settings_digest(settings: BaseModel) -> str:
    return sha(settings.model_dump_json())


# --- the cache on disk: versioned JSON, validated on load ----------------------------------------

class Stored(BaseModel):
    """The envelope of every cache file: the format, then the data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[FORMAT]


class CacheProblem(Exception):
    """A cache file that is not exactly what this kb writes (the reason is its text)."""


def read_data(path: Path, model: type[M]) -> M | None:
    """The model stored at path; None when the file is missing. Raises CacheProblem for any
    other surprise (too large, not JSON, another format, fields missing or extra)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CacheProblem(f"larger than {MAX_BYTES >> 30} GB")
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CacheProblem(f"cannot read it: {exc.strerror}") from exc
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise CacheProblem(f"not a {FORMAT} file ({exc.error_count()} problems, first: "
                           f"{exc.errors()[0]['msg']})") from None


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name beside path, then rename over it (readers see old or new)."""
    tmp = path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_data(path: Path, value: BaseModel) -> None:
    write_bytes_atomically(path, value.model_dump_json().encode("utf-8"))


def prepare_folder(folder: Path) -> None:
    """Create the cache folder with its README and a .gitignore that ignores everything in it."""
    folder.mkdir(exist_ok=True)
    for name, text in ((".gitignore", GITIGNORE), ("README", "kb build's incremental cache (JSON data); "
                                                                "safe to delete (kb build --clean ignores it)\n")):
        if not (folder / name).exists():
            write_bytes_atomically(folder / name, text.encode())


def remove_temporary(folder: Path | None) -> None:
    """Files a killed build was writing (they are never read)."""
    if folder is None or not folder.is_dir():
        return
    for path in folder.glob(f"{TMP_PREFIX}*"):
        path.unlink(missing_ok=True)


class SavedResult(BaseModel):
    """The outcome of the last build (kb.build.BuildResult without the output folder)."""

    model_config = ConfigDict(extra="forbid")

    files: tuple[str, ...]
    records: int
    notes: int
    diagnostics: tuple[Diagnostic, ...]


class SiteState(BaseModel):
    """What the last build wrote, and where."""

    model_config = ConfigDict(extra="forbid")

    site: str
    marker: tuple[int, int, int]  # (st_dev, st_ino, st_mtime_ns) of the site's marker file
    build_id: str
    keys: dict[str, str]  # site path -> input key
    search: str | None  # the search indexer that indexed the site ("kb.search_index"), None without search
    result: SavedResult | None = None  # for a build that changes nothing
    stamp: str | None = None  # build inputs by file name, size and time (kb.build.quick_stamp)
    standby: str | None = None  # the standby folder beside the site, holding another version (kb.write)
    standby_marker: tuple[int, int, int] | None = None  # its marker file's stamp when that version was complete
    standby_differs: dict[str, str | None] = {}  # its keys where they differ from `keys` (None: no such file)


class SiteFile(Stored):
    site: SiteState


class PlainFile(Stored):
    plain: dict[str, str]


@dataclass
class MentionMemo:
    """What each record text named, kept by the build cache between builds: per text digest the
    entries it matched, and the entries (names) they were matched against. A rebuild reads a
    record's text again only when the text changed, or when a name was added whose first word
    the text contains; names that went away are dropped from the stored matches."""

    matches: dict[str, frozenset[str]] = field(default_factory=dict)
    names: frozenset[str] = frozenset()


class MentionsFile(Stored):
    matches: dict[str, frozenset[str]]  # record text digest -> name entries it matched (kb.index.mentions)
    names: frozenset[str]  # the name entries those were matched against


class NoteLine(BaseModel):
    """One line of notes.jsonl: a note's path, its parse key and its parse result (before ids)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    key: str
    note: ParsedNote


@dataclass
class NoteEntry:
    """A stored parse result: its key, its JSON line, and (once loaded) a fresh ParsedNote."""

    key: str
    line: bytes
    note: ParsedNote | None = None

    @classmethod
    def of(cls, path: str, key: str, note: ParsedNote) -> NoteEntry:
        return cls(key, NoteLine(path=path, key=key, note=note).model_dump_json().encode("utf-8"))

    def take(self) -> ParsedNote:
        """The stored ParsedNote; a fresh object every call (callers mutate records)."""
        note, self.note = self.note, None
        return note if note is not None else NoteLine.model_validate_json(self.line).note


NOTES_HEADER = Stored(format=FORMAT).model_dump_json().encode()


def read_notes(path: Path) -> dict[str, NoteEntry]:
    """notes.jsonl: a header line with the format, then one NoteLine per note."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CacheProblem(f"larger than {MAX_BYTES >> 30} GB")
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CacheProblem(f"cannot read it: {exc.strerror}") from exc
    if lines[0] != NOTES_HEADER:
        raise CacheProblem(f"not a {FORMAT} file (first line {lines[0][:40]!r})")
    entries: dict[str, NoteEntry] = {}
    for number, line in enumerate(lines[1:], 2):
        if line:
            try:
                item = NoteLine.model_validate_json(line)
            except ValidationError as exc:
                raise CacheProblem(f"line {number} is not a stored note ({exc.errors()[0]['msg']})") from None
            entries[item.path] = NoteEntry(item.key, line, item.note)
    return entries


def write_notes(path: Path, entries: dict[str, NoteEntry]) -> None:
    write_bytes_atomically(path, b"\n".join([NOTES_HEADER, *(e.line for e in entries.values())]) + b"\n")


LEGACY = ("notes.pickle", "site.pickle", "mentions.pickle", "plain.pickle")


@dataclass
class BuildCache:
    folder: Path | None
    notes: dict[str, NoteEntry] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    mentions: MentionMemo = field(default_factory=MentionMemo)
    last: SiteState | None = None
    fresh: bool = False
    problems: list[Diagnostic] = field(default_factory=list)  # cache files discarded, and why

    @classmethod
    def load(cls, root: Path, fresh: bool = False) -> BuildCache:
        """Only the small last-site record; `load_data` reads the rest once a build needs it."""
        cache = cls(root / CACHE_DIR)
        cache.fresh = fresh
        remove_temporary(cache.folder)
        if not fresh:
            site = cache.read("site.json", lambda path: read_data(path, SiteFile))
            cache.last = site.site if site else None
        return cache

    def read(self, name: str, reader):
        """What reader finds in the named file; a file it refuses is reported and treated as empty."""
        try:
            return reader(self.folder / name)
        except CacheProblem as exc:
            self.problems.append(Diagnostic(path=f"{CACHE_DIR}/{name}", message=f"cache file discarded and "
                                            f"rebuilt: {exc}"))
            return None

    def load_data(self) -> None:
        if self.folder is None or self.fresh:
            return
        self.notes = self.read("notes.jsonl", read_notes) or {}
        plain = self.read("plain.json", lambda path: read_data(path, PlainFile))
        self.plain = dict(plain.plain) if plain else {}
        mentions = self.read("mentions.json", lambda path: read_data(path, MentionsFile))
        self.mentions = MentionMemo(dict(mentions.matches), mentions.names) if mentions else MentionMemo()
        for name in LEGACY:
            if (self.folder / name).exists():
                self.problems.append(Diagnostic(path=f"{CACHE_DIR}/{name}", message="cache file ignored and "
                                                "removed: kb's cache holds JSON data, never pickles"))

    @classmethod
    def disabled(cls) -> BuildCache:
        return cls(None)

    def save(self) -> None:
        if self.folder is None:
            return
        try:
            prepare_folder(self.folder)
            for name in LEGACY:
                (self.folder / name).unlink(missing_ok=True)
            write_notes(self.folder / "notes.jsonl", self.notes)
            write_data(self.folder / "plain.json", PlainFile(format=FORMAT, plain=self.plain))
            write_data(self.folder / "mentions.json", MentionsFile(format=FORMAT, matches=self.mentions.matches,
                                                                   names=self.mentions.names))
            if self.last is not None:
                write_data(self.folder / "site.json", SiteFile(format=FORMAT, site=self.last))
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower

    def remember_stamp(self, stamp: str | None) -> None:
        """Keep a new quick stamp for an unchanged site (only the small site record is rewritten)."""
        if self.folder is None or self.last is None or stamp is None or self.last.stamp == stamp:
            return
        self.last.stamp = stamp
        try:
            write_data(self.folder / "site.json", SiteFile(format=FORMAT, site=self.last))
        except OSError:
            pass

    def prune_plain(self, records: int) -> None:
        """Forget one-line texts once the store is much larger than the site needs."""
        if len(self.plain) > 4 * records + 1000:
            self.plain.clear()

    def previous_site(self, out_dir: Path | None = None) -> SiteState | None:
        """The last site, if it is still there exactly as written (and, when given, at out_dir)."""
        last = self.last
        if last is None:
            return None
        if out_dir is not None and last.site != str(out_dir):
            return None
        return last if marker_stamp(Path(last.site)) == last.marker else None

    def versions(self) -> tuple[Version | None, Version | None]:
        """The last site and its standby folder, each with its keys, if still exactly as written."""
        last = self.previous_site()
        if last is None:
            return None, None
        site = Version.recorded(Path(last.site), last.keys)
        stamp = marker_stamp(Path(last.standby)) if last.standby else None
        if site is None or stamp is None or stamp != last.standby_marker:
            return site, None
        keys = {**last.keys, **last.standby_differs}
        return site, Version.recorded(Path(last.standby), {name: key for name, key in keys.items() if key is not None})
