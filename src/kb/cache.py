"""The incremental build cache: `.kb-cache/` at the project root (safe to delete at any time).

It holds three things, each keyed by content hashes, never by times:

- **parsed notes** (`notes.pickle`): per note path, the parse result, keyed by
  sha256(cache format + kb code digest + the note's forced format + path + file bytes). A
  rebuild re-parses only notes whose key changed. Entries are stored pickled right after
  parsing (before ids are assigned), so every build starts from the same objects.
- **the last site** (`site.pickle`): where it was written, a key per output file (a hash of
  everything that page was rendered from: kb code, settings, templates and the page's own
  data, serialised deterministically), whether it has a Pagefind index, and the build's
  result. A rebuild hard-links files whose key did not change from that site and renders
  only the others; with nothing changed at all it returns at once.
- **mentions found** (`mentions.pickle`): what each record's text names, by hashes of the
  text and of every record name, so a rebuild that changed no title re-reads only the
  changed records (kb.index.mentions).
- **plain-text summaries** (`plain.pickle`): the one-line texts feeds show, by text hash, so
  a site-wide feed is rewritten without re-parsing every record's Markdown.

The kb code digest covers the package version and its source files, so a new kb never
reads an old cache. Anything unreadable is treated as empty. `kb build --clean` starts
from an empty cache and writes a fresh one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

CACHE_DIR = ".kb-cache"
FORMAT = "kb-cache-1"


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
        version = metadata.version("kb")
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


# --- deterministic fingerprints of page inputs ---------------------------------------------------

class Fingerprint:
    """Stable text for a page's context: records and notes by digest, everything else by value.

    `record_digest` and `note_digest` are supplied by the renderer (they know which
    site-wide lookups a record's rendering depends on); they are memoised per object.
    """

    def __init__(self, record_digest, note_digest) -> None:
        self._record_digest = record_digest
        self._note_digest = note_digest
        self._memo: dict[int, str] = {}
        self._keep: list = []  # keeps memoised objects alive so their ids stay unique

    def of(self, value) -> str:
        return sha(json.dumps(value, default=self.encode, sort_keys=True, ensure_ascii=False,
                              separators=(",", ":")))

    def memo(self, obj, make) -> str:
        found = self._memo.get(id(obj))
        if found is None:
            found = self._memo[id(obj)] = make(obj)
            self._keep.append(obj)
        return found

    def encode(self, obj):
        from kb.models import Record
        from kb.render.site import NoteFile

        if isinstance(obj, Record):
            return "record:" + self.memo(obj, self._record_digest)
        if isinstance(obj, NoteFile):
            return "note:" + self.memo(obj, self._note_digest)
        inputs = getattr(obj, "fingerprint_inputs", None)
        if inputs is not None:
            return {"lazy": inputs}
        if isinstance(obj, BaseModel):
            return {type(obj).__name__: obj.model_dump(mode="json")}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {type(obj).__name__: {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}}
        if isinstance(obj, dt.date):
            return obj.isoformat()
        if isinstance(obj, (set, frozenset)):
            return sorted(obj, key=repr)
        raise TypeError(f"cannot fingerprint {type(obj).__name__} in a page context")


# --- the cache on disk -----------------------------------------------------------------------------

@dataclass
class NoteEntry:
    key: str
    blob: bytes  # pickle of the ParsedNote, before ids were assigned


@dataclass
class SiteState:
    """What the last build wrote, and where."""

    site: str
    marker: tuple[int, int, int]  # (st_dev, st_ino, st_mtime_ns) of the site's marker file
    build_id: str
    keys: dict[str, str]  # site path -> input key
    pagefind: str | None  # the Pagefind executable that indexed the site, if any
    result: object = None  # the BuildResult, for a build that changes nothing
    stamp: str | None = None  # build inputs by file name, size and time (kb.build.quick_stamp)


@dataclass
class BuildCache:
    folder: Path | None
    notes: dict[str, NoteEntry] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    mentions: dict[str, frozenset[str]] = field(default_factory=dict)
    last: SiteState | None = None
    fresh: bool = False

    @classmethod
    def load(cls, root: Path, fresh: bool = False) -> BuildCache:
        """Only the small last-site record; `load_data` reads the rest once a build needs it."""
        cache = cls(root / CACHE_DIR)
        cache.fresh = fresh
        if not fresh:
            cache.last = read_pickle(cache.folder / "site.pickle", SiteState)
        return cache

    def load_data(self) -> None:
        if self.folder is None or self.fresh:
            return
        self.notes = read_pickle(self.folder / "notes.pickle", dict)
        self.plain = read_pickle(self.folder / "plain.pickle", dict)
        self.mentions = read_pickle(self.folder / "mentions.pickle", dict)

    @classmethod
    def disabled(cls) -> BuildCache:
        return cls(None)

    def save(self) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            readme = self.folder / "README"
            if not readme.exists():
                readme.write_text("kb build's incremental cache; safe to delete (kb build --clean ignores it)\n")
            write_pickle(self.folder / "notes.pickle", self.notes)
            write_pickle(self.folder / "plain.pickle", self.plain)
            write_pickle(self.folder / "mentions.pickle", self.mentions)
            write_pickle(self.folder / "site.pickle", self.last)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower

    def remember_stamp(self, stamp: str | None) -> None:
        """Keep a new quick stamp for an unchanged site (only the small site record is rewritten)."""
        if self.folder is None or self.last is None or stamp is None or self.last.stamp == stamp:
            return
        self.last.stamp = stamp
        try:
            write_pickle(self.folder / "site.pickle", self.last)
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


def marker_stamp(site: Path) -> tuple[int, int, int] | None:
    from kb.write import MARKER

    try:
        st = (site / MARKER).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


def read_pickle(path: Path, kind):
    try:
        value = pickle.loads(path.read_bytes())
    except Exception:  # missing, truncated, from another Python: start afresh
        return kind() if kind is dict else None
    return value if isinstance(value, kind) else (kind() if kind is dict else None)


def write_pickle(path: Path, value) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
