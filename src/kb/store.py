"""The build state on disk: one SQLite file, `.kb-cache/state.sqlite3`, opened defensively.

One table of entries `(kind, name) -> value`, each value authenticated by an HMAC-SHA256 over
its kind, name and bytes with a key kept outside the project (`$XDG_CACHE_HOME/kb/state-key`,
else `~/.cache/kb/state-key`, made on first use, mode 0600). A state file copied, committed or
restored from elsewhere, or edited by hand, fails that check and is rebuilt, never trusted.

Opening checks, before anything is read: a regular file (not a link) of at most MAX_BYTES that
starts as SQLite files do; `trusted_schema` off; kb's application id and schema version; a
schema of exactly kb's one table and its key's index (no trigger, view or other index planted); and `PRAGMA quick_check`
before the state is read in full (`verify`).
Any surprise, there or later while reading (`sqlite3.Error`, a bad HMAC), raises
StateProblem: the caller (kb.cache) discards the whole state with one warning.

A build writes its changes in one transaction at its end (`write`): a killed build leaves the
previous state whole (SQLite's rollback journal). A state that was discarded, or never there, is
written afresh into a temporary file renamed over the old one.
"""

from __future__ import annotations

import hmac
import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from kb.i18n import Message

CACHE_DIR = ".kb-cache"  # at the project root
STATE_FILE = "state.sqlite3"  # in CACHE_DIR
SCHEMA_VERSION = 2  # 2: a rowid table (1 was WITHOUT ROWID, whose large rows made every write of it slow)
APPLICATION_ID = 0x6B620A01  # "kb", this file's kind
MAX_BYTES = 4 << 30
MAGIC = b"SQLite format 3\x00"
KEY_BYTES = 32
BATCH = 500  # names per query of get_many (SQLite takes at least 999 parameters)
TABLE = ("CREATE TABLE entry (kind TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, "
         "mac BLOB NOT NULL, PRIMARY KEY (kind, name))")
SCHEMA = [("table", "entry", "entry", TABLE), ("index", "sqlite_autoindex_entry_1", "entry", None)]  # by name

Changes = Mapping[tuple[str, str], bytes | None]  # (kind, name) -> new value; None: remove the entry


def N_(message: str, **args):  # noqa: N802 (kb.i18n.N_, imported once a problem is found)
    """kb.i18n.N_: this module is read by kb.replay before pydantic (kb.i18n's) is loaded."""
    from kb.i18n import N_ as untranslated

    return untranslated(message, **args)


class StateProblem(Exception):
    """The state file is not exactly what this kb wrote (the reason is its text; `said` keeps it
    untranslated, kb.i18n)."""

    def __init__(self, message: Message | str) -> None:
        super().__init__(str(message))
        self.said = message


def key_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kb"


def read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(KEY_BYTES + 1)
    return data if len(data) == KEY_BYTES else None


@lru_cache(maxsize=4)
def state_key(folder: Path) -> bytes:
    """This user's key (made once; a concurrent first use agrees on one). Where it cannot be kept,
    a key for this process only: the state it writes is then never trusted by another process."""
    path = folder / "state-key"
    key = read_key(path)
    if key is not None:
        return key
    fresh = os.urandom(KEY_BYTES)
    tmp = folder / f".state-key-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(fresh)
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        return read_key(path) or fresh
    except OSError:
        return fresh
    finally:
        tmp.unlink(missing_ok=True)


def mac(key: bytes, kind: str, name: str, value: bytes) -> bytes:
    head = f"{SCHEMA_VERSION}\x00{kind}\x00{name}\x00".encode("utf-8", "surrogatepass")
    return hmac.digest(key, head + value, "sha256")  # the one-shot form: 20% less than hmac.new per entry


def check_file(path: Path) -> None:
    """A regular file, not too large, that starts as an SQLite database does."""
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise StateProblem(N_("not a regular file"))
    if st.st_size > MAX_BYTES:
        raise StateProblem(N_("larger than {size} GB", size=MAX_BYTES >> 30))
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise StateProblem(N_("not an SQLite database"))


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA cell_size_check = ON")
    return conn


def check_schema(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        raise StateProblem(N_("not kb's build state"))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise StateProblem(N_("schema version {version}, this kb reads {readable}", version=version,
                              readable=SCHEMA_VERSION))
    found = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name").fetchall()
    if found != SCHEMA:
        raise StateProblem(N_("unexpected schema ({n} objects: {names})", n=len(found),
                              names=", ".join(sorted(r[1] for r in found))))


class Store:
    """One opened state file (or none yet); every read is checked, every write is one transaction."""

    def __init__(self, path: Path, key: bytes, conn: sqlite3.Connection | None = None) -> None:
        self.path, self.key, self.conn = path, key, conn

    @classmethod
    def open(cls, path: Path, key: bytes) -> Store:
        """The state at path (an empty one when there is no file). Raises StateProblem."""
        try:
            check_file(path)
        except FileNotFoundError:
            return cls(path, key)
        except OSError as exc:
            raise StateProblem(N_("cannot read it: {reason}", reason=str(exc.strerror))) from exc
        conn = None
        try:
            conn = connect(path)
            check_schema(conn)
        except (sqlite3.Error, StateProblem) as exc:
            if conn is not None:
                conn.close()
            raise (exc if isinstance(exc, StateProblem) else StateProblem(str(exc))) from None
        return cls(path, key, conn)

    def verify(self) -> None:
        """`PRAGMA quick_check` over the whole file (before it is read in full; a no-change build,
        which reads one small entry, skips it: SQLite reports a damaged page it reads anyway)."""
        if self.conn is None:
            return
        try:
            damaged = self.conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]
        except sqlite3.Error as exc:
            raise StateProblem(str(exc)) from None
        if damaged:
            raise StateProblem(N_("damaged (quick_check failed)"))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def checked(self, kind: str, name: str, value, tag) -> bytes:
        if not isinstance(name, str) or not isinstance(value, bytes) or not isinstance(tag, bytes):
            raise StateProblem(N_("an entry of kind {kind} is not of the stored types", kind=kind))
        if not hmac.compare_digest(tag, mac(self.key, kind, name, value)):
            raise StateProblem(N_("an entry was not written by this user's kb (a copied or edited state)"))
        return value

    def get(self, kind: str, name: str) -> bytes | None:
        if self.conn is None:
            return None
        try:
            row = self.conn.execute("SELECT value, mac FROM entry WHERE kind = ? AND name = ?", (kind, name)).fetchone()
        except sqlite3.Error as exc:
            raise StateProblem(str(exc)) from None
        return None if row is None else self.checked(kind, name, *row)

    def get_many(self, kind: str, names: list[str]) -> dict[str, bytes]:
        """The entries of a kind with these names (those there are), BATCH names a query: one
        query per name took 3 times as long (6,000 reverse-map rows read after adding a note)."""
        found: dict[str, bytes] = {}
        if self.conn is None:
            return found
        try:
            for start in range(0, len(names), BATCH):
                part = names[start:start + BATCH]
                query = f"SELECT name, value, mac FROM entry WHERE kind = ? AND name IN ({','.join('?' * len(part))})"
                for name, value, tag in self.conn.execute(query, (kind, *part)):
                    found[name] = self.checked(kind, name, value, tag)
        except sqlite3.Error as exc:
            raise StateProblem(str(exc)) from None
        return found

    def items(self, kind: str) -> Iterator[tuple[str, bytes]]:
        """Every entry of a kind, by name order."""
        if self.conn is None:
            return
        try:
            for name, value, tag in self.conn.execute(
                    "SELECT name, value, mac FROM entry WHERE kind = ? ORDER BY name", (kind,)):
                yield name, self.checked(kind, name, value, tag)
        except sqlite3.Error as exc:
            raise StateProblem(str(exc)) from None

    def rows(self, changes: Changes):
        return [(kind, name, value, mac(self.key, kind, name, value))
                for (kind, name), value in changes.items() if value is not None]

    def write(self, changes: Changes, cleared: tuple[str, ...] = ()) -> None:
        """Apply the changes in one transaction (into a fresh file when there is no state yet),
        after removing every entry of the `cleared` kinds."""
        if self.conn is None:
            return self.write_fresh(changes)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("DELETE FROM entry WHERE kind = ?", [(kind,) for kind in cleared])
            conn.executemany("DELETE FROM entry WHERE kind = ? AND name = ?",
                             [key for key, value in changes.items() if value is None])
            conn.executemany("INSERT OR REPLACE INTO entry VALUES (?, ?, ?, ?)", self.rows(changes))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def write_fresh(self, changes: Changes) -> None:
        tmp = self.path.with_name(f".tmp-{os.getpid()}-{self.path.name}")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("BEGIN")
            conn.execute(TABLE)
            conn.executemany("INSERT INTO entry VALUES (?, ?, ?, ?)", self.rows(changes))
            conn.execute("COMMIT")
            conn.close()
            for suffix in ("-journal", "-wal", "-shm"):  # never applied to the new file
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            os.replace(tmp, self.path)
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        self.conn = connect(self.path)
