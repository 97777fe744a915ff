"""Making and writing a site's files, in this process or in forked worker processes.

A `Job` says where files go and how each is made: rendered by the plan (`Plan.make`), or
hard-linked from the current site when its key there is the same (copied across devices,
rendered after all when the file is gone). A file is never written in place: an existing name
is unlinked first, so a file shared (hard-linked) by the site and its standby folder never
changes under the live site (with `trash`, it is moved into that folder, which is removed in the
background). With `clone`, every file placed is also hard-linked into a second
folder (a fresh build makes the standby folder that way, see kb.write).

With two workers and many files to render, `place_all` shares them between worker processes
(`fork_pool`: concurrent.futures with the fork context). They inherit the job (it is never
pickled), die with kb (Linux parent-death signal), render and write their part, and send back
only how many files they rendered.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import itertools
import multiprocessing
import os
import shutil
import signal
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from kb.collector import unfrozen
from kb.errors import BuildError, KbError
from kb.i18n import _

PARALLEL_MIN = 8  # files to render: below this, forking workers (~50 ms at 10,000 notes) costs more than it saves
CHUNKS = 16  # parts a parallel write is cut into (the progress bar moves once per part)
Progress = Callable[[int, int], None]  # (files placed, files to place)


class WriteError(BuildError):
    """The output folder cannot safely be (re)placed."""


class Plan(Protocol):
    """What the build asks to publish: every file's key, in path order, and its bytes on demand."""

    keys: Mapping[str, str]

    def make(self, path: str) -> bytes: ...


def safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise WriteError(_("refusing to write outside the site: {name}").format(name=repr(name)))
    return path


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
    except OSError:
        return None


LIBC = _libc()
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a child process: be killed when the parent dies, even by SIGKILL (Linux; elsewhere a no-op)."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link, or a copy where links are not possible (another device, a file system
    without them); never a copy into an existing target (it may be shared with the live site).
    Only a regular file is taken: anything else (a link to /etc/passwd) counts as missing."""
    if not stat.S_ISREG(os.lstat(source).st_mode):
        raise FileNotFoundError(errno.ENOENT, "not a regular file", str(source))
    try:
        os.link(source, target, follow_symlinks=False)
    except (FileNotFoundError, FileExistsError):
        raise
    except OSError:
        shutil.copyfile(source, target)


def replace_by_link(source: Path, target: Path) -> bool:
    """target becomes a link to (or copy of) source; False when source is gone."""
    target.unlink(missing_ok=True)
    try:
        link_or_copy(source, target)
    except FileNotFoundError:
        return False
    return True


_DISCARDED = itertools.count()


def discard(target: Path, trash: Path | None) -> None:
    """Take a file away: moved into `trash` when given (a folder removed later, in the background:
    freeing a file's last link costs ~2 ms on a disk mounted with discard), else unlinked."""
    if trash is None:
        target.unlink(missing_ok=True)
        return
    try:
        os.rename(target, trash / f"{os.getpid()}-{next(_DISCARDED)}")
    except FileNotFoundError:
        pass


def replace_by_bytes(target: Path, data: bytes) -> None:
    """A new file at target: never written into an existing file (another folder may share it)
    nor through a link."""
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class Job:
    """Where the files go (`folder`) and how each is made (see the module docstring)."""

    folder: Path
    plan: Plan
    links: frozenset[str] = frozenset()  # names to take from `source` (same key there)
    source: Path | None = None
    clone: Path | None = None
    trash: Path | None = None  # where replaced files go (see `discard`)

    def place(self, name: str) -> bool:
        """Put one file in place; True when it was rendered (not linked)."""
        target = self.folder / safe_relative(name)
        try:
            discard(target, self.trash)
            rendered = not (name in self.links and replace_by_link(self.source / name, target))
            if rendered:
                replace_by_bytes(target, self.plan.make(name))
            if self.clone is not None:
                link_or_copy(target, self.clone / name)
        except OSError as exc:  # a name too long, a full disk: say which file, never a traceback
            raise WriteError(_("cannot write {name} in the site: {reason}").format(name=name,
                                                                                   reason=exc.strerror or exc)) from exc
        return rendered

    def make_folders(self, names: list[str]) -> None:
        parents = sorted({safe_relative(name).parent for name in names})
        for root in (self.folder, self.clone):
            for parent in parents if root is not None else ():
                (root / parent).mkdir(parents=True, exist_ok=True)

    def to_render(self, names: list[str]) -> int:
        return sum(name not in self.links for name in names)


@contextmanager
def fork_pool(workers: int, initializer: Callable[..., None] = die_with_parent,
              initargs: tuple = ()) -> Iterator[Executor]:
    """Worker processes forked from this one: they see its memory as it is now (initargs are
    inherited, never pickled) and die with it. `initializer(parent_pid, *initargs)` runs in each
    first (the default only arms the parent-death signal). Pending work is cancelled on error."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=(os.getpid(), *initargs))
    gc.freeze()  # the workers' garbage collector then leaves inherited objects (and their pages) alone
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        gc.unfreeze()
        unfrozen()
    pool.shutdown(wait=True)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


_JOB: Job | None = None  # in a worker process: the job it inherited


def start_worker(parent: int, job: Job) -> None:
    """A rendering worker: dies with kb, holds the job, and collects its own cyclic garbage (Jinja
    renders thousands of pages; the build that forked it paused the collector, kb.collector)."""
    global _JOB
    die_with_parent(parent)
    gc.enable()
    _JOB = job


def place_part(names: list[str]) -> int:
    """In a worker: place `names`; an error comes back as a WriteError with its message only
    (a template error names its template and line)."""
    try:
        return sum(_JOB.place(name) for name in names)
    except KbError as exc:  # its own kind, with its message only (sent to the parent, which raises it)
        raise type(exc)(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 (a bug: its kind and message, never an unpicklable object)
        raise BuildError(f"{type(exc).__name__}: {exc}") from None


def place_here(job: Job, names: list[str], progress: Progress | None) -> int:
    rendered = 0
    for done, name in enumerate(names, 1):
        rendered += job.place(name)
        if progress:
            progress(done, len(names))
    return rendered


def place_in_workers(job: Job, names: list[str], workers: int, progress: Progress | None) -> int:
    parts = [names[i::CHUNKS] for i in range(CHUNKS)]
    rendered = done = 0
    with fork_pool(workers, start_worker, (job,)) as pool:
        futures = {pool.submit(place_part, part): len(part) for part in parts}
        for future in as_completed(futures):
            rendered += future.result()
            done += futures[future]
            if progress:
                progress(done, len(names))
    return rendered


def place_all(job: Job, names: list[str], workers: int = 1, progress: Progress | None = None) -> int:
    """Place every name (folders first); how many files were rendered. The bytes of a file do
    not depend on which process makes it."""
    job.make_folders(names)
    if workers > 1 and can_fork() and job.to_render(names) >= PARALLEL_MIN:
        return place_in_workers(job, names, workers, progress)
    return place_here(job, names, progress)
