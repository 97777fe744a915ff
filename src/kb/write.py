"""The write stage: put a rendered site on disk atomically.

The files go to a fresh temporary folder beside the output folder (unchanged files are
hard-linked from the previous site, see `Link`); an optional step
(Pagefind) runs on that folder; then one atomic rename-exchange (Linux renameat2
RENAME_EXCHANGE) swaps it with the old site, so `site/` is a complete real folder at every
instant; where the exchange is not available, two renames do it (with a moment without the
folder). Anything failing before the swap removes the temporary folder and leaves the previous
site exactly as it was. Temporary folders carry the builder's process id: any later build
removes those whose process is gone (a build that was killed), and child processes (the second
writer, Pagefind) die with kb (Linux parent-death signal).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MARKER = ".kb-site"
TMP_TAG = ".tmp-"
OLD_TAG = ".old-"
DEFER_CLEANUP = 1000  # files: above this, the replaced site is removed in the background
PARALLEL_MIN = 2000  # files: below this, a second writer process costs more than it saves


class WriteError(Exception):
    """The output folder cannot safely be (re)placed."""


def is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(out_dir: Path, notes_dir: Path, root: Path, clean: bool) -> None:
    """Refuse to replace a folder holding notes or the project, or a folder kb did not write."""
    out_dir, notes_dir, root = out_dir.resolve(), notes_dir.resolve(), root.resolve()
    if is_inside(out_dir, notes_dir) or is_inside(notes_dir, out_dir) or is_inside(root, out_dir):
        raise WriteError(f"refusing to write the site to {out_dir}: it would overlap the notes or the project")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists() and not clean:
        raise WriteError(f"{out_dir} exists and was not written by kb build; "
                         "choose another --out or pass --clean to replace it")


def safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise WriteError(f"refusing to write outside the site: {name!r}")
    return path


@dataclass(frozen=True)
class Link:
    """A file to take from the previous site unchanged: hard-linked (copied across devices).

    `make` gives its bytes when the old file is gone after all.
    """

    source: Path
    make: Callable[[], bytes]


def link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def put_file(target: Path, data: bytes | Link) -> None:
    if isinstance(data, Link):
        try:
            link_or_copy(data.source, target)
            return
        except FileNotFoundError:
            data = data.make()
    target.write_bytes(data)


def write_names(folder: Path, files: Mapping[str, bytes | Link], names: list[str]) -> None:
    for name in names:
        try:
            put_file(folder / safe_relative(name), files[name])
        except OSError as exc:  # a name too long, a full disk: say which file, never a traceback
            raise WriteError(f"cannot write {name} in the site: {exc.strerror or exc}") from exc


def os_problem(exc: OSError) -> WriteError:
    where = f" {exc.filename}" if exc.filename else ""
    return WriteError(f"cannot write{where}: {exc.strerror or exc}")


def make_folders(folder: Path, names: list[str]) -> None:
    for parent in sorted({(folder / safe_relative(name)).parent for name in names}):
        parent.mkdir(parents=True, exist_ok=True)


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
    except OSError:
        return None


LIBC = _libc()
PR_SET_PDEATHSIG = 1
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def die_with_parent(parent: int) -> None:
    """In a child process: be killed when the parent dies, even by SIGKILL (Linux; elsewhere a no-op)."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def write_in_child(folder: Path, files: Mapping[str, bytes | Link], names: list[str]) -> tuple[int, int]:
    """Fork a process that writes `names` (rendering them there); (pid, read end for its error)."""
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: write, report an error as text, never return into the caller
        os.close(read)
        code = 0
        try:
            die_with_parent(parent)
            write_names(folder, files, names)
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which raises it)
            os.write(write, (str(exc) or type(exc).__name__).encode("utf-8", "replace")[:65536])
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def wait_child(pid: int, read: int) -> None:
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise WriteError(message or f"a writer process failed (status {status})")


def forks(count: int, workers: int) -> bool:
    """Whether write_files hands every other file of `count` to a child process."""
    return workers > 1 and hasattr(os, "fork") and count >= PARALLEL_MIN


def own_share(count: int, workers: int) -> int:
    """How many of `count` files write_files makes in the calling process itself."""
    return (count + 1) // 2 if forks(count, workers) else count


def write_files(folder: Path, files: Mapping[str, bytes | Link], workers: int = 1) -> None:
    """Every file (bytes, or a Link to an unchanged one), then the marker.

    With `workers` > 1 (and fork), a child process makes and writes every other file: rendering
    is pure Python, so two processes use both cores of a small CI machine. The bytes of a file
    do not depend on who makes it.
    """
    names = list(files)
    make_folders(folder, names)
    child = None
    if forks(len(names), workers):
        child = write_in_child(folder, files, names[1::2])
        names = names[0::2]
    try:
        write_names(folder, files, names)
    finally:
        if child is not None:
            wait_child(*child)
    (folder / MARKER).write_text("written by kb build; this whole folder is replaced on every build\n")


def link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy) every file below source to the same place below target."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(path, dest)


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
    """Remove a replaced site in a detached process: the build need not wait for 10,000 unlinks.

    Where fork is missing or fails, the folder is removed here and now. A removal cut short
    leaves a `.<site>.old-*` folder, which the next `kb build --clean` removes.
    """
    try:
        pid = os.fork()
    except (AttributeError, OSError):
        shutil.rmtree(path, ignore_errors=True)
        return
    if pid == 0:  # child: fork again so the grandchild is reparented and never a zombie
        try:
            if os.fork() == 0:
                os.setsid()
                shutil.rmtree(path, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system or kernel without the exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def swap_in(new: Path, out_dir: Path, defer_cleanup: bool = False) -> None:
    """Put `new` at `out_dir`: one exchange where possible (out_dir never missing), else two
    renames (the old folder aside first); the old folder is removed last."""
    if not out_dir.exists():
        new.rename(out_dir)
        return
    old = temporary_name(out_dir, OLD_TAG)
    if exchange(new, out_dir):
        new.rename(old)  # `new` now holds the old site
    else:
        out_dir.rename(old)
        try:
            new.rename(out_dir)
        except OSError:
            old.rename(out_dir)
            raise
    if defer_cleanup:
        remove_later(old)
    else:
        shutil.rmtree(old, ignore_errors=True)


def write_site(files: Mapping[str, bytes | Link], out_dir: Path,
               before_swap: Callable[[Path], None] | None = None, workers: int = 1) -> None:
    """Write `files` (site path -> bytes or Link) as the whole content of out_dir, atomically."""
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out_dir)
        tmp = temporary_name(out_dir, TMP_TAG)
        tmp.mkdir()
    except OSError as exc:
        raise os_problem(exc) from exc
    try:
        os.chmod(tmp, 0o755)
        write_files(tmp, files, workers)
        if before_swap is not None:
            before_swap(tmp)
        swap_in(tmp, out_dir, defer_cleanup=len(files) > DEFER_CLEANUP)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_problem(exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
