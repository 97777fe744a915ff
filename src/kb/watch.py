"""`kb build --watch`: rebuild (incrementally) whenever a note, a template or kb.yaml changes.

watchfiles reports changes (inotify on Linux, debounced); the build cache makes each rebuild
re-parse only what changed. The output folder and the cache are never watched, so a build
does not trigger itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from watchfiles import watch

from kb.config import CONFIG_NAME


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
                      stop_event=None, debounce_ms: int = 300) -> None:
    """Call `rebuild(changed files)` after every batch of changes, until stopped (Ctrl-C)."""
    for changes in watch(*watched_paths(root, notes_dir), stop_event=stop_event, debounce=debounce_ms,
                         raise_interrupt=False):
        rebuild(changed_names(changes, root))
