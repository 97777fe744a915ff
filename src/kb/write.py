"""The write stage: put a rendered site on disk atomically, in proportion to the change.

Two folders take turns: `site/` (the published site) and its standby folder beside it,
`.site.standby/site`, which holds the previous version. A build brings the standby folder up to
the new version (writes the files whose key differs from the standby's, hard-links those
unchanged since the current site, moves files no longer produced or replaced into a trash
folder removed in the background; kb.writers), then swaps the two in one atomic rename-exchange
(Linux renameat2 RENAME_EXCHANGE): `site/` is a complete real folder at every instant, and the
old site becomes the standby. Editing one note touches the few files that depend on it, not
every file of the site. Where the exchange is not available, renames do it (with a moment
without the folder).

The standby folder is trusted only while its marker file is the one recorded with its keys
(kb.cache.SiteState): a build removes that marker before it changes anything in the folder, so
a killed build never leaves a standby whose recorded keys lie. Both folders are also trusted only
while every entry in them is the one recorded (`listing_digest`: names, regular files and real
folders only, each file's inode, size and time): a file planted there, one replaced by a link
(to /etc/passwd) or a folder replaced by a link to a folder elsewhere makes kb build that folder
afresh, so nothing kb did not write is published. Files are written without following links
(O_NOFOLLOW | O_EXCL), and linked from the current site only when they are regular files.
Without a trusted current site
(a first or `--clean` build, a site changed by hand) every file is rendered into a fresh
temporary folder, which is also hard-linked into a fresh standby; a current site without a
trusted standby gives a standby made afresh as hard links of the site. Disk: up to twice the
site (unchanged files are hard links shared by both folders).

Anything failing before the swap leaves the previous site exactly as it was. Temporary folders
carry the builder's process id: any later build removes those whose process is gone (a build
that was killed), and worker processes die with kb (Linux parent-death signal).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from kb.folders import (
    TMP_TAG,
    discard_folder,
    remove_folders,
    remove_leftovers,
    swap,
    temporary_name,
)
from kb.i18n import _
from kb.writers import (
    Job,
    Plan,
    Progress,
    WriteError,
    die_with_parent,
    discard,
    place_all,
    replace_by_link,
    safe_relative,
)

__all__ = ["MARKER", "Published", "Version", "WriteError", "check_target", "die_with_parent", "swap_in",
           "write_site"]

MARKER = ".kb-site"
MARKER_TEXT = "written by kb build; this whole folder is replaced on every build\n"
STANDBY_TAG = ".standby"
DEFER_CLEANUP = 1000  # files: above this, a replaced folder is removed in the background


def is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(out_dir: Path, notes_dir: Path, root: Path, clean: bool) -> None:
    """Refuse to replace a folder holding notes or the project, or a folder kb did not write."""
    out_dir, notes_dir, root = out_dir.resolve(), notes_dir.resolve(), root.resolve()
    if is_inside(out_dir, notes_dir) or is_inside(notes_dir, out_dir) or is_inside(root, out_dir):
        raise WriteError(_("refusing to write the site to {folder}: it would overlap the notes or the project")
                         .format(folder=out_dir))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists() and not clean:
        raise WriteError(_("{folder} exists and was not written by kb build; choose another --out or pass --clean "
                           "to replace it").format(folder=out_dir))


def is_inside_name(name: str) -> bool:
    """A relative path that stays inside its folder (what safe_relative accepts, checked as text)."""
    return bool(name) and not name.startswith("/") and ".." not in name.split("/") and "\x00" not in name


def os_problem(exc: OSError) -> WriteError:
    where = f" {exc.filename}" if exc.filename else ""
    return WriteError(_("cannot write{where}: {reason}").format(where=where, reason=exc.strerror or exc))


def standby_folder(out_dir: Path) -> Path:
    """`.site.standby/site` for `site/`: inside a holder folder and with the site's own name, so
    whatever ignores the site by name (a `site/` line in .gitignore) ignores the standby too."""
    return out_dir.parent / f".{out_dir.name}{STANDBY_TAG}" / out_dir.name


def marker_stamp(site: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, st_mtime_ns) of a site folder's marker file: which writing of it this is."""
    try:
        st = (site / MARKER).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


def write_marker(folder: Path) -> None:
    (folder / MARKER).write_text(MARKER_TEXT)


@dataclass(frozen=True)
class Version:
    """A site folder kb wrote, with the key of every file in it."""

    folder: Path
    keys: Mapping[str, str]
    listing: str | None = None  # the folder's listing_digest when it was written (None: unknown)

    @classmethod
    def recorded(cls, folder: Path, keys: Mapping[str, str], listing: str | None = None) -> Version | None:
        """A version read from the build state: None if a name would lead outside the folder."""
        return cls(folder, keys, listing) if all(map(is_inside_name, keys)) else None

    def intact(self) -> bool:
        """Every entry of the folder is the one recorded (nothing planted, linked or changed)."""
        return self.listing is not None and listing_digest(self.folder) == self.listing


def listing_digest(folder: Path) -> str | None:
    """A digest of every entry below folder: its name, kind (folder, regular file, anything else),
    inode, size and modification time; links are never followed. None unless folder is a real
    folder in a real folder (an entry kb never writes, such as a link, changes the digest)."""
    h = sha256()
    try:
        if not (stat.S_ISDIR(os.lstat(folder.parent).st_mode) and stat.S_ISDIR(os.lstat(folder).st_mode)):
            return None
        pending = [""]
        while pending:
            prefix = pending.pop()
            lines = []
            with os.scandir(os.path.join(folder, prefix)) as found:
                entries = sorted(found, key=lambda e: e.name)
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                kind = "d" if stat.S_ISDIR(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "x"
                lines.append(f"{prefix}{entry.name}\x00{kind}\x00{st.st_ino}\x00{st.st_size}\x00{st.st_mtime_ns}\n")
                if kind == "d":
                    pending.append(f"{prefix}{entry.name}/")
            h.update("".join(lines).encode("utf-8", "surrogateescape"))  # one update per folder, same bytes
    except OSError:
        return None
    return h.hexdigest()


def differs(keys: Mapping[str, str], other: Mapping[str, str]) -> dict[str, str | None]:
    """other as changes to keys: other's key where it differs (None: not in other)."""
    changed: dict[str, str | None] = {name: key for name, key in other.items() if keys.get(name) != key}
    changed.update({name: None for name in keys if name not in other})
    return changed


@dataclass(frozen=True)
class Published:
    """What write_site did: files rendered, and what the standby folder now holds."""

    rendered: int
    standby: Path
    standby_keys: Mapping[str, str]
    listing: str | None  # the site's listing_digest
    standby_listing: str | None

    def standby_fields(self, keys: Mapping[str, str]) -> dict:
        """kb.cache.SiteState's listing and standby fields, for a site whose files have `keys`."""
        return {"listing": self.listing, "standby": str(self.standby), "standby_marker": marker_stamp(self.standby),
                "standby_differs": differs(keys, self.standby_keys), "standby_listing": self.standby_listing}


def swap_in(new: Path, out_dir: Path, defer_cleanup: bool = False) -> None:
    """Put `new` at `out_dir` (out_dir never missing where the exchange works); the old folder is removed."""
    if not out_dir.exists():
        new.rename(out_dir)
        return
    swap(new, out_dir)
    discard_folder(new, out_dir, later=defer_cleanup)


def real_holder(spare: Path) -> None:
    """The standby's holder folder `.site.standby` as a real folder (a link planted there is removed)."""
    holder = spare.parent
    if holder.is_symlink() or (holder.exists() and not holder.is_dir()):
        holder.unlink()
    holder.mkdir(exist_ok=True)


def replace_standby(twin: Path, out_dir: Path, defer_cleanup: bool) -> None:
    spare = standby_folder(out_dir)
    real_holder(spare)
    if spare.is_symlink():
        spare.unlink()
    if spare.exists():
        discard_folder(spare, out_dir, later=defer_cleanup)
    spare.parent.mkdir(exist_ok=True)
    twin.rename(spare)


def new_folder(out_dir: Path) -> Path:
    folder = temporary_name(out_dir, TMP_TAG)
    folder.mkdir()
    os.chmod(folder, 0o755)
    return folder


def same_keys(plan: Plan, version: Version | None, names) -> frozenset[str]:
    if version is None:
        return frozenset()
    return frozenset(name for name in names if version.keys.get(name) == plan.keys[name])


def fresh_site(plan: Plan, out_dir: Path, current: Version | None, workers: int,
               progress: Progress | None) -> Published:
    """Every file into a new folder and, as hard links, into a new standby folder; then swap."""
    made: list[Path] = []
    try:
        made.append(new_folder(out_dir))
        made.append(new_folder(out_dir))
        new, twin = made
        job = Job(new, plan, same_keys(plan, current, plan.keys), current.folder if current else None, twin)
        rendered = place_all(job, list(plan.keys), workers, progress)
        write_marker(new)
        write_marker(twin)
        defer = len(plan.keys) > DEFER_CLEANUP
        swap_in(new, out_dir, defer_cleanup=defer)
        replace_standby(twin, out_dir, defer)
    except OSError as exc:
        remove_folders(*made)
        raise os_problem(exc) from exc
    except BaseException:
        remove_folders(*made)
        raise
    spare = standby_folder(out_dir)
    return Published(rendered, spare, plan.keys, listing_digest(out_dir), listing_digest(spare))


def clone_site(current: Version, spare: Path) -> dict[str, str]:
    """The standby folder made afresh as hard links of the current site; the keys it holds."""
    real_holder(spare)
    if spare.is_symlink():
        spare.unlink()
    if spare.exists():
        discard_folder(spare, current.folder, later=len(current.keys) > DEFER_CLEANUP)
    spare.mkdir(parents=True)
    os.chmod(spare, 0o755)
    Job(spare, None).make_folders(list(current.keys))
    return {name: key for name, key in current.keys.items() if replace_by_link(current.folder / name, spare / name)}


def remove_files(folder: Path, names: list[str], trash: Path) -> None:
    """Files no longer produced (into the trash), and the folders they leave empty."""
    for name in names:
        discard(folder / safe_relative(name), trash)
    for parent in sorted({(folder / name).parent for name in names}, key=lambda p: -len(p.parts)):
        while parent != folder and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def sync_site(plan: Plan, current: Version, standby: Version | None, workers: int,
              progress: Progress | None) -> Published:
    """Bring the standby folder up to the plan (only files whose key differs), then swap it in.
    Replaced files go to a trash folder removed in the background once the swap is done."""
    out_dir, spare = current.folder, standby_folder(current.folder)
    trash = None
    try:
        trusted = standby is not None and standby.folder == spare and standby.intact()
        held = standby.keys if trusted else clone_site(current, spare)
        (spare / MARKER).unlink(missing_ok=True)  # from here on, the standby's recorded keys are void
        trash = new_folder(out_dir)
        remove_files(spare, [name for name in held if name not in plan.keys], trash)
        todo = [name for name, key in plan.keys.items() if held.get(name) != key]
        job = Job(spare, plan, same_keys(plan, current, todo), out_dir, trash=trash)
        rendered = place_all(job, todo, workers, progress)
        write_marker(spare)
        swap(spare, out_dir)
    except OSError as exc:
        raise os_problem(exc) from exc
    finally:
        if trash is not None:
            empty_trash(trash, out_dir)
    return Published(rendered, spare, current.keys, listing_digest(out_dir), current.listing)


def empty_trash(trash: Path, out_dir: Path) -> None:
    if any(trash.iterdir()):
        discard_folder(trash, out_dir, later=True)
    else:
        trash.rmdir()


def write_site(plan: Plan, out_dir: Path, current: Version | None = None, standby: Version | None = None,
               workers: int = 1, progress: Progress | None = None) -> Published:
    """Publish `plan` (every file's key, and its bytes on demand) as the whole content of out_dir.

    `current` is the site kb last wrote (wherever it is) with its keys, `standby` the recorded
    standby folder; either is None when unknown or untrusted (see the module docstring).
    """
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out_dir)
    except OSError as exc:
        raise os_problem(exc) from exc
    if current is not None and not current.intact():
        current = None  # changed since kb wrote it: nothing is taken from it
    if current is not None and current.folder == out_dir:
        return sync_site(plan, current, standby, workers, progress)
    return fresh_site(plan, out_dir, current, workers, progress)
