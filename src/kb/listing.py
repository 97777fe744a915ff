"""What a site folder holds, entry by entry: how kb.write knows a folder is exactly as kb left it.

A Listing has, for every folder below a site folder (by its path relative to it: "" for the
site itself, "records/x/" below), one line per entry: its name, kind (folder, regular file,
anything else), inode, size and modification time; links are never followed. Its `digest` is
what the build state records. A file planted in the folder, one replaced by a link (to
/etc/passwd) or a folder replaced by a link to a folder elsewhere changes the digest.

A build that scanned a folder and then changed a few files in it updates the lines of what it
touched (`updated`: the entries and the folders above them) instead of scanning it again: at
10,000 notes a scan is 80,000 lstat calls (0.7 s), and a one-note rebuild touches ~40 entries.

A build reads the listings it will check ahead (`ScanAhead`: the standby folder's, and the
site's when it is likely to be checked too), in a forked process while it parses and links: at
10,000 notes scanning 100,000 entries took 1.2-1.7 s of a 10 s one-note rebuild (twice after
adding a note), and the forked scan costs the build itself a fork and reading its result (0.08 s).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

RESCAN_SHARE = 4  # touching more than a quarter of the entries: scan the folder again instead
Lines = dict[str, dict[str, str]]  # folder prefix ("" or "a/b/") -> {entry name: line}


def entry_line(name: str, st: os.stat_result) -> tuple[str, bool]:
    """The entry's line, and whether it is a real folder."""
    kind = "d" if stat.S_ISDIR(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "x"
    return f"{name}\x00{kind}\x00{st.st_ino}\x00{st.st_size}\x00{st.st_mtime_ns}\n", kind == "d"


def real_folder(folder: Path) -> bool:
    """A real folder in a real folder (neither is a link)."""
    return stat.S_ISDIR(os.lstat(folder.parent).st_mode) and stat.S_ISDIR(os.lstat(folder).st_mode)


def scan_into(lines: Lines, folder: Path, prefix: str) -> None:
    """The lines of the folder at prefix and of every folder below it."""
    pending = [prefix]
    while pending:
        prefix = pending.pop()
        own: dict[str, str] = {}
        with os.scandir(os.path.join(folder, prefix)) as found:
            for entry in found:
                line, is_folder = entry_line(entry.name, entry.stat(follow_symlinks=False))
                own[entry.name] = line
                if is_folder:
                    pending.append(f"{prefix}{entry.name}/")
        lines[prefix] = own


@dataclass
class Listing:
    folder: Path
    lines: Lines

    @classmethod
    def scan(cls, folder: Path) -> Listing | None:
        """Every entry below folder; None unless it is a real folder in a real folder (or on any error)."""
        lines: Lines = {}
        try:
            if not real_folder(folder):
                return None
            scan_into(lines, folder, "")
        except OSError:
            return None
        return cls(folder, lines)

    def digest(self) -> str:
        h = sha256()
        for prefix in sorted(self.lines):
            own = self.lines[prefix]
            h.update(f"{prefix}\x01{''.join(own[name] for name in sorted(own))}".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def file_bytes(self) -> int:
        """The bytes of every regular file listed (what kb.site_size.folder_bytes would count by
        walking the folder: a listing already has every file's size)."""
        fields = (line.split("\x00") for own in self.lines.values() for line in own.values())
        return sum(int(found[3]) for found in fields if found[1] == "f")

    def updated(self, touched: Iterable[str]) -> Listing | None:
        """The listing after the files named (relative paths) were written, linked or removed,
        and folders made or removed for them: each named entry and every folder above it is
        read again (a folder's time moves when an entry in it comes or goes). None on any error."""
        touched = list(touched)
        if len(touched) * RESCAN_SHARE > sum(map(len, self.lines.values())):
            return Listing.scan(self.folder)  # most of it changed: reading it whole is quicker
        entries = {(parent, name) for path in touched for parent, name in ancestry(path)}
        try:
            if not real_folder(self.folder):
                return None
            for parent, name in sorted(entries, key=lambda e: e[0].count("/")):  # shallow first
                self.refresh(parent, name)
        except OSError:
            return None
        return self

    def refresh(self, parent: str, name: str) -> None:
        own = self.lines.get(parent)
        if own is None:  # inside a folder that is gone (or was read whole just now)
            return
        below = f"{parent}{name}/"
        try:
            st = os.lstat(self.folder / parent / name)
        except FileNotFoundError:
            own.pop(name, None)
            self.forget(below)
            return
        own[name], is_folder = entry_line(name, st)
        if not is_folder:
            self.forget(below)
        elif below not in self.lines:
            scan_into(self.lines, self.folder, below)

    def forget(self, prefix: str) -> None:
        """Drop the lines of the folder at prefix and of every folder below it (if listed)."""
        pending = [prefix]
        while pending:
            folder = pending.pop()
            own = self.lines.pop(folder, None) or {}
            pending.extend(f"{folder}{name}/" for name, line in own.items() if line.split("\x00", 2)[1] == "d")


def ancestry(path: str) -> list[tuple[str, str]]:
    """(parent prefix, name) of the entry at path and of each folder above it: "a/b/c" gives
    ("a/b/", "c"), ("a/", "b"), ("", "a")."""
    parts = path.split("/")
    return [("".join(f"{p}/" for p in parts[:n]), parts[n]) for n in range(len(parts) - 1, -1, -1)]


class ScanAhead:
    """The listings of `folders` and their digests, read by a forked process from now on, one
    folder after the other (its result, as JSON, comes through a pipe that a thread of this
    process reads, so the scanning process never waits on this one and is never left a zombie).
    `take(folder)` gives a folder's once; None where forking fails, the scan failed or the folder
    was not asked for."""

    def __init__(self, folders: list[Path]) -> None:
        from kb.writers import die_with_parent  # here: the forked process imports nothing

        self.folders, self.found = list(folders), bytearray()
        self.reader: threading.Thread | None = None
        self.results: list | None = None
        parent = os.getpid()
        try:
            readable, writable = os.pipe()
            pid = os.fork()
        except (AttributeError, OSError):
            return
        if pid == 0:
            scan_for(self.folders, die_with_parent, parent, readable, writable)
        os.close(writable)
        self.reader = threading.Thread(target=self.read, args=(readable, pid), daemon=True)
        self.reader.start()

    def read(self, readable: int, pid: int) -> None:
        with os.fdopen(readable, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                self.found += chunk
        os.waitpid(pid, 0)

    def take(self, folder: Path) -> tuple[Listing, str] | None:
        if folder not in self.folders or self.reader is None and self.results is None:
            return None
        if self.results is None:
            self.reader.join()
            self.reader = None
            try:  # [[lines, digest] for each folder], or less if the scanning process failed
                self.results = json.loads(self.found) if self.found else []
            except ValueError:
                self.results = []
            self.found = bytearray()
        place = self.folders.index(folder)
        self.folders[place] = None  # taken
        lines, digest = self.results[place] if place < len(self.results) else (None, None)
        return (Listing(folder, lines), digest) if lines is not None else None


def scan_for(folders: list[Path], die_with_parent, parent: int, readable: int, writable: int) -> None:
    """In the forked process: scan each folder, write their lines and digests (null: no listing)
    as JSON, exit. It holds none of the build's files (its locks, kb.lock, go when the build lets
    them go)."""
    try:
        os.close(readable)
        os.closerange(3, writable)
        os.closerange(writable + 1, 1 << 16)
        die_with_parent(parent)
        found = []
        for folder in folders:
            listing = Listing.scan(folder)
            found.append([listing.lines, listing.digest()] if listing is not None else [None, None])
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(json.dumps(found).encode("ascii"))
    finally:
        os._exit(0)


def listing_digest(folder: Path) -> str | None:
    """The digest of every entry below folder (None: not a real folder, or unreadable)."""
    listing = Listing.scan(folder)
    return listing.digest() if listing is not None else None
