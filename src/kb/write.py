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
a killed build never leaves a standby whose recorded keys lie. A folder is also trusted only
while every entry in it is the one recorded (kb.listing: names, regular files and real folders
only, each file's inode, size and time): a file planted there, one replaced by a link (to
/etc/passwd) or a folder replaced by a link to a folder elsewhere makes kb build that folder
afresh, so nothing kb did not write is published. The standby is checked at every build, read
ahead by a forked process while the build parses and links (kb.listing.ScanAhead: an entry
planted there later in the same build is published by it, and left out by the next); the
current site as a whole only when many files are to be linked from it. Else the few files it
holds that the standby lacks (those the last build wrote) are each linked from it when still the
very file that build wrote (same inode, size, time and change time, recorded as written:
`Version.as_written`), and rendered again otherwise; a current site changed by hand becomes the
standby and is checked, and replaced, at the next build (at once when one of those files
changed). Files are written without following links (O_NOFOLLOW | O_EXCL), and linked from the
current site only when they are regular files.
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
from dataclasses import dataclass, field
from pathlib import Path

from kb.folders import (
    TMP_TAG,
    discard_folder,
    remove_folders,
    remove_leftovers,
    standby_folder,
    swap,
    temporary_name,
)
from kb.i18n import _
from kb.listing import Listing, ScanAhead, listing_digest
from kb.stamps import MARKER, marker_stamp
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

MARKER_TEXT = "written by kb build; this whole folder is replaced on every build\n"
DEFER_CLEANUP = 1000  # files: above this, a replaced folder is removed in the background
SCAN_PER_FILE = 500  # entries checked (kb.listing) for the cost of rendering one file


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


def all_inside(names) -> bool:
    """Every name is_inside_name, checked over all the names joined by newlines (80,000 names at
    10,000 notes, twice a build: 30-50 ms name by name, 17 ms so); a name with ".." in it is checked
    alone. A name holding a newline may be refused (a site's never does)."""
    names = list(names)
    text = "\n".join(names)
    if not all(names) or "\x00" in text or text.startswith("/") or "\n/" in text:
        return False
    return ".." not in text or all(is_inside_name(name) for name in names if ".." in name)


def os_problem(exc: OSError) -> WriteError:
    where = f" {exc.filename}" if exc.filename else ""
    return WriteError(_("cannot write{where}: {reason}").format(where=where, reason=exc.strerror or exc))


def write_marker(folder: Path) -> None:
    (folder / MARKER).write_text(MARKER_TEXT)


@dataclass(frozen=True)
class Version:
    """A site folder kb wrote, with the key of every file in it."""

    folder: Path
    keys: Mapping[str, str]
    listing: str | None = None  # the folder's listing_digest when it was written (None: unknown)
    written: Mapping[str, Stamp] = field(default_factory=dict)  # the files its build wrote, as written (file_stamp)

    @classmethod
    def recorded(cls, folder: Path, keys: Mapping[str, str], listing: str | None = None,
                 written: Mapping[str, Stamp] | None = None) -> Version | None:
        """A version read from the build state: None if a name would lead outside the folder."""
        return cls(folder, keys, listing, written or {}) if all_inside(keys) else None

    def as_written(self, name: str) -> bool:
        """The file is still the very one the build that wrote the folder wrote (same inode, size,
        time and change time: nothing wrote, replaced or linked it since)."""
        stamp = self.written.get(name)
        return stamp is not None and file_stamp(self.folder / name) == tuple(stamp)

    def intact(self, ahead: ScanAhead | None = None) -> bool:
        """Every entry of the folder is the one recorded (nothing planted, linked or changed)."""
        return self.scanned(ahead) is not None

    def scanned(self, ahead: ScanAhead | None = None) -> Listing | None:
        """The folder's listing (kb.listing; read `ahead` if it was), if every entry is the one
        recorded; else None."""
        if self.listing is None:
            return None
        found = ahead.take(self.folder) if ahead is not None else None
        if found is None:
            listing = Listing.scan(self.folder)
            found = (listing, listing.digest() if listing is not None else None)
        listing, digest = found
        return listing if listing is not None and digest == self.listing else None


Stamp = tuple[int, int, int, int]  # a regular file's (inode, size, modification time, change time), in ns


def file_stamp(path: Path) -> Stamp | None:
    """The stamp of the regular file at path (never through a link); None for anything else."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) if stat.S_ISREG(st.st_mode) else None


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
    written: Mapping[str, Stamp] = field(default_factory=dict)  # the files written into the site, as written
    site_bytes: int | None = None  # of every file of the site, from its listing (None: not listed)

    def standby_fields(self, keys: Mapping[str, str]) -> dict:
        """kb.cache.SiteState's listing, standby and written fields, for a site whose files have `keys`."""
        return {"listing": self.listing, "standby": str(self.standby), "standby_marker": marker_stamp(self.standby),
                "standby_differs": differs(keys, self.standby_keys), "standby_listing": self.standby_listing,
                "written": dict(self.written)}


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
    spare, listing = standby_folder(out_dir), Listing.scan(out_dir)
    return Published(rendered, spare, plan.keys, listing.digest() if listing else None, listing_digest(spare),
                     site_bytes=listing.file_bytes() if listing else None)


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


def sync_site(plan: Plan, current: Version, standby: Version | None, listing: Listing | None, take: bool,
              workers: int, progress: Progress | None) -> Published:
    """Bring the standby folder up to the plan (only files whose key differs), then swap it in.
    `listing` is the standby's, when it is intact (else it is made afresh from the current site);
    with `take`, files the current site holds under the same key are linked from it (it was
    checked), else they are rendered. Replaced files go to a trash folder removed in the
    background once the swap is done."""
    out_dir, spare = current.folder, standby_folder(current.folder)
    trash = None
    try:
        held = standby.keys if listing is not None else clone_site(current, spare)
        (spare / MARKER).unlink(missing_ok=True)  # from here on, the standby's recorded keys are void
        trash = new_folder(out_dir)
        gone = [name for name in held if name not in plan.keys]
        remove_files(spare, gone, trash)
        todo = [name for name, key in plan.keys.items() if held.get(name) != key]
        same = same_keys(plan, current, todo)
        # unchecked site: only the files its build wrote, each still as written (else rendered again,
        # and the site, the next standby, is not trusted when one of those changed)
        links = same if take else frozenset(filter(current.as_written, same))
        changed = not take and any(name in current.written for name in same - links)
        job = Job(spare, plan, links, out_dir, trash=trash)
        rendered = place_all(job, todo, workers, progress)
        write_marker(spare)
        written = {name: stamp for name in todo if (stamp := file_stamp(spare / name)) is not None}
        after = listing.updated([*gone, *todo, MARKER]) if listing is not None else Listing.scan(spare)
        swap(spare, out_dir)
    except OSError as exc:
        raise os_problem(exc) from exc
    finally:
        if trash is not None:
            empty_trash(trash, out_dir)
    # a file of the current site changed since its build wrote it: that folder, the next standby, is not trusted
    standby_listing = None if changed else current.listing
    return Published(rendered, spare, current.keys, after.digest() if after else None, standby_listing, written,
                     after.file_bytes() if after else None)


def worth_checking(plan: Plan, current: Version, standby: Version) -> bool:
    """Whether to check every entry of the current site so as to link files from it, rather than
    render the files it holds that the standby lacks: rendering a file costs about as much as
    checking SCAN_PER_FILE entries (a one-note rebuild renders those few files; the rebuild after
    a template edit links thousands)."""
    linkable = sum(standby.keys.get(name) != key == current.keys.get(name) for name, key in plan.keys.items())
    return linkable * SCAN_PER_FILE > len(plan.keys)


def to_check(current: Version | None, standby: Version | None) -> list[Path]:
    """The folders update_site will scan if this build's plan is the last one's (what kb.listing
    ScanAhead reads ahead): the standby, and the current site when the standby is not usable or
    worth_checking says yes for a plan of the current site's keys (after adding a note)."""
    if current is None or current.listing is None:
        return []
    usable = standby is not None and standby.listing is not None and standby.folder == standby_folder(current.folder)
    return ([standby.folder] if usable else []) + (
        [current.folder] if not usable or worth_checking(current, current, standby) else [])


def empty_trash(trash: Path, out_dir: Path) -> None:
    if any(trash.iterdir()):
        discard_folder(trash, out_dir, later=True)
    else:
        trash.rmdir()


def write_site(plan: Plan, out_dir: Path, current: Version | None = None, standby: Version | None = None,
               workers: int = 1, progress: Progress | None = None, ahead: ScanAhead | None = None) -> Published:
    """Publish `plan` (every file's key, and its bytes on demand) as the whole content of out_dir.

    `current` is the site kb last wrote (wherever it is) with its keys, `standby` the recorded
    standby folder; either is None when unknown or untrusted (see the module docstring). `ahead`:
    the standby's listing, being read since early in the build (kb.listing.ScanAhead).
    """
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out_dir)
    except OSError as exc:
        raise os_problem(exc) from exc
    if current is not None and current.folder == out_dir:
        return update_site(plan, current, standby, workers, progress, ahead)
    if current is not None and not current.intact():
        current = None  # changed since kb wrote it: nothing is taken from it
    return fresh_site(plan, out_dir, current, workers, progress)


def update_site(plan: Plan, current: Version, standby: Version | None, workers: int,
                progress: Progress | None, ahead: ScanAhead | None = None) -> Published:
    """The site brought up to the plan through its standby folder, each checked only as needed:
    an intact standby (its listing) spares checking the current site unless many files are to be
    linked from it; a current site changed since kb wrote it means a fresh site."""
    is_standby = standby is not None and standby.folder == standby_folder(current.folder)
    listing = standby.scanned(ahead) if is_standby else None
    if listing is not None and not worth_checking(plan, current, standby):
        return sync_site(plan, current, standby, listing, False, workers, progress)
    if current.intact(ahead):
        return sync_site(plan, current, standby, listing, True, workers, progress)
    return fresh_site(plan, current.folder, None, workers, progress)
