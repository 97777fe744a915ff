"""`kb build --watch` and `kb serve`: rebuild whenever a note, a template or kb.yaml changes.

watchfiles reports changes (inotify on Linux, debounced); the build cache makes each rebuild
re-parse only what changed. The output folder and the cache are never watched, so a build
does not trigger itself. Only the watched paths that exist can be watched: every half second
the watcher looks whether a `templates/` folder or a `kb.yaml` appeared (or went) since it
started, and if so rebuilds and watches the new set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import watch

from kb.config import CONFIG_NAME

logging.getLogger("watchfiles").setLevel(logging.ERROR)  # not "KeyboardInterrupt caught, stopping watch"
LOOK_MS = 500  # how often the watcher looks for a watched path created (or removed) meanwhile


def watched_paths(root: Path, notes_dir: Path) -> list[Path]:
    """The notes folder, the project's templates folder and kb.yaml (those that exist)."""
    paths = [notes_dir, root / "templates", root / CONFIG_NAME]
    return [p for p in paths if p.exists()]


def changed_names(changes: set, root: Path) -> list[str]:
    names = set()
    for _, path in changes:
        try:
            names.add(Path(path).resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            names.add(path)
    return sorted(names)


def watch_and_rebuild(root: Path, notes_dir: Path, rebuild: Callable[[list[str]], None],
                      stop_event=None, debounce_ms: int = 300, idle: Callable[[], None] | None = None) -> None:
    """Call `rebuild(changed files)` after every batch of changes, until stopped (Ctrl-C), and
    `idle()` whenever LOOK_MS passed without one."""
    paths = watched_paths(root, notes_dir)
    while True:
        came = watch_paths(paths, root, notes_dir, rebuild, stop_event, debounce_ms, idle)
        if came is None:
            return
        rebuild(changed_names({(0, str(p)) for p in set(came) ^ set(paths)}, root))
        paths = came


def watch_paths(paths: list[Path], root: Path, notes_dir: Path, rebuild: Callable[[list[str]], None],
                stop_event, debounce_ms: int, idle: Callable[[], None] | None = None) -> list[Path] | None:
    """Watch `paths` until stopped (None) or until the set of watched paths changes (the new set)."""
    for changes in watch(*paths, stop_event=stop_event, debounce=debounce_ms, raise_interrupt=False,
                         rust_timeout=LOOK_MS, yield_on_timeout=True):
        if changes:
            rebuild(changed_names(changes, root))
        elif idle is not None:
            idle()
        now = watched_paths(root, notes_dir)
        if now != paths:
            return now
    return None
