"""One build at a time: a lock per project and per output folder, held for the whole build.

`kb build`, `kb build --watch` and `kb serve`'s rebuilds all take them (kb.build.build_site):
the project's `.kb-cache/lock` file (its build state) and the output folder's holder of its
standby, the folder `.<site>.standby` itself (so nothing is added that git would not ignore
with the site), always in the order of their paths, so two builds never wait on each other in
a circle. A second build waits and says so, or (`wait=False`, `kb build
--no-wait`) stops with BuildBusy (exit status 3). The locks are `flock` locks on files opened
without following links: the kernel drops them when kb dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kb.errors import BuildError
from kb.folders import standby_folder

LOCK_NAME = "lock"


class BuildBusy(BuildError):
    """Another kb build of the same project or output folder is running (and we were not to wait)."""


def holder(fd: int) -> str:
    """" (pid N)" of the build holding a lock file (nothing for a folder)."""
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def real_folder(folder: Path) -> None:
    """folder as a real folder (a link or file planted in its place is removed, never followed)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def open_lock(path: Path) -> int:
    """A lock file named LOCK_NAME in a real folder, or else a real folder locked itself."""
    if path.name != LOCK_NAME:
        real_folder(path)
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    real_folder(path.parent)
    if path.is_symlink():
        path.unlink()
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)


@contextmanager
def locked(path: Path, wait: bool, waiting: Callable[[str], None] | None) -> Iterator[None]:
    """Hold the lock at path; where no file can be made there (a read-only folder), no build can
    write there either, and the build goes on without it."""
    try:
        fd = open_lock(path)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            from kb.i18n import _  # here only: kb.replay takes these locks before pydantic is loaded

            folder, pid = path.parent if path.name == LOCK_NAME else path, holder(fd)
            if not wait:
                raise BuildBusy(_("another kb build is using {folder}{pid}; not waiting (--no-wait)").format(
                    folder=folder, pid=pid)) from None
            if waiting is not None:
                waiting(_("another kb build is using {folder}{pid}; waiting for it to finish").format(
                    folder=folder, pid=pid))
            fcntl.flock(fd, fcntl.LOCK_EX)
        if path.name == LOCK_NAME:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def build_locks(paths: list[Path], wait: bool = True,
                waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold every lock at `paths` (taken in path order) for the duration of the block."""
    with ExitStack() as stack:
        for path in sorted(set(paths), key=str):
            stack.enter_context(locked(path, wait, waiting))
        yield


def lock_paths(out_dir: Path, cache_folder: Path | None) -> list[Path]:
    """The output folder's lock (the holder of its standby folder, kb.folders.standby_folder) and,
    with a build state in `cache_folder`, the project's."""
    paths = [standby_folder(out_dir.resolve()).parent]
    return paths + [cache_folder / LOCK_NAME] if cache_folder is not None else paths


def closed_lock_files() -> None:
    """In a process forked to outlive the build (a background removal): let go of the locks."""
    os.closerange(3, 1 << 16)
