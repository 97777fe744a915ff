"""Whole folders beside the site: temporary names that carry the builder's process id, the
leftovers of killed builds, the atomic exchange of two folders (Linux renameat2
RENAME_EXCHANGE, else three renames) and removal, in the background for big folders, from
under a name git ignores. kb.write publishes with these."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from pathlib import Path

TMP_TAG = ".tmp-"
OLD_TAG = ".old-"
STANDBY_TAG = ".standby"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def standby_folder(out_dir: Path) -> Path:
    """`.site.standby/site` for `site/`: inside a holder folder and with the site's own name, so
    whatever ignores the site by name (a `site/` line in .gitignore) ignores the standby too."""
    return out_dir.parent / f".{out_dir.name}{STANDBY_TAG}" / out_dir.name


def temporary_name(out_dir: Path, tag: str) -> Path:
    """A new name beside out_dir for a build's temporary folder: `.site.tmp-<pid>-<random>`."""
    path = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{tag}{os.getpid()}-", dir=out_dir.parent))
    path.rmdir()
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(out_dir: Path, all_of_them: bool = False) -> list[Path]:
    """Temporary folders beside out_dir that no running build owns (with all_of_them, every one)."""
    found = []
    for tag in (TMP_TAG, OLD_TAG):
        prefix = f".{out_dir.name}{tag}"
        for path in out_dir.parent.glob(f"{prefix}*"):
            owner = path.name[len(prefix):].split("-", 1)[0]
            if all_of_them or not owner.isdigit() or (int(owner) != os.getpid() and not alive(int(owner))):
                found.append(path)
    return sorted(found)


def remove_leftovers(out_dir: Path, all_of_them: bool = False) -> None:
    """Remove what killed builds left beside out_dir (every build does this first)."""
    out_dir = out_dir.resolve()
    if out_dir.parent.is_dir():
        for path in leftovers(out_dir, all_of_them):
            shutil.rmtree(path, ignore_errors=True)


def remove_later(path: Path) -> None:
    """Remove a replaced folder in a detached process at the lowest priority: the build need not
    wait for 10,000 unlinks, and the next build is not slowed by them.

    The removing process first renames the folder to carry its own process id (`claim`): a later
    build sees a removal under way, not the leftover of a build that is gone (a one-shot `kb build`
    exits long before 80,000 files are unlinked, and the next build removed them itself: 29 s).
    Where fork is missing or fails, the folder is removed here and now. A removal cut short
    leaves a `.<site>.old-*` folder, which the next build removes.
    """
    try:
        ready, told = os.pipe()
        pid = os.fork()
    except (AttributeError, OSError):
        shutil.rmtree(path, ignore_errors=True)
        return
    if pid == 0:  # child: fork again so the grandchild is reparented and never a zombie
        try:
            if os.fork() == 0:
                os.close(ready)
                mine = claim(path)
                os.close(told)  # the build goes on once the folder carries this process's id
                os.closerange(3, 1 << 16)  # the build's locks (kb.lock) are not held by the removal
                os.setsid()
                os.nice(19)  # after the build: the next one (or a timed run) goes first
                shutil.rmtree(mine, ignore_errors=True)
        finally:
            os._exit(0)
    os.close(told)
    os.read(ready, 1)  # end of file once the grandchild claimed the folder (or died)
    os.close(ready)
    os.waitpid(pid, 0)


def claim(path: Path) -> Path:
    """The folder renamed `.<site>.old-<this process id>-...` (as it was where that fails)."""
    head, tag, rest = path.name.rpartition(OLD_TAG)
    if not tag:
        return path
    mine = path.with_name(f"{head}{OLD_TAG}{os.getpid()}-{rest.partition('-')[2]}")
    try:
        path.rename(mine)
    except OSError:
        return path
    return mine


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    from kb.writers import LIBC  # here: kb.replay reads leftovers() before the write stage is loaded

    renameat2 = getattr(LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system or kernel without the exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def remove_folders(*paths: Path, later: bool = False) -> None:
    for path in paths:
        if later:
            remove_later(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def discard_folder(folder: Path, out_dir: Path, later: bool = False) -> None:
    """Remove a folder, `later` in the background. It first moves to `.<site>.old-*/<site>`: a name
    git ignores wherever it ignores the site, so a removal still under way after kb exits never
    shows in `git status` (nor goes into a `git add -A`). A leftover if kb dies before it is gone."""
    holder = temporary_name(out_dir, OLD_TAG)
    holder.mkdir()
    folder.rename(holder / out_dir.name)
    remove_folders(holder, later=later)


def put_aside(folder: Path, out_dir: Path) -> Path:
    """Rename a folder to be removed to an `.old-` name (a leftover if kb dies before it is gone)."""
    old = temporary_name(out_dir, OLD_TAG)
    folder.rename(old)
    return old


def swap(new: Path, out_dir: Path) -> None:
    """new and out_dir trade places: one exchange where possible, else three renames."""
    if exchange(new, out_dir):
        return
    old = put_aside(out_dir, out_dir)
    try:
        new.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    old.rename(new)
