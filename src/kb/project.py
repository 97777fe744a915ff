"""The project in a folder (its kb.yaml, notes and output folders) and one build of it.

`kb build`, `kb build --watch` and `kb serve` all build through `build_project`, so they
follow the same publish rule (kb.build): a note with an error keeps the previous site in
place unless `keep_going`; an error in kb.yaml always does (every page depends on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.config import CONFIG_NAME, Settings, load_settings
from kb.errors import BuildError
from kb.i18n import _
from kb.models import Diagnostic, Severity

if TYPE_CHECKING:
    from kb.build import BuildResult, Memory
    from kb.replay import Command


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings
    problems: tuple[Diagnostic, ...]  # kb.yaml's
    notes_dir: Path
    out_dir: Path

    @classmethod
    def load(cls, root: Path, notes: str | None = None, out: str | None = None) -> Project:
        settings, problems = load_settings(root)
        notes_dir = Path(notes) if notes else root / settings.notes_dir
        if not notes_dir.is_dir():
            raise click.UsageError(_("notes folder not found: {folder} (use --notes DIR)").format(folder=notes_dir))
        out_dir = Path(out) if out else root / settings.out_dir
        return cls(root, settings, tuple(problems), notes_dir, out_dir)

    @property
    def config_errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.problems if d.severity is Severity.ERROR)


def build_project(project: Project, search: bool = True, clean: bool = False, keep_going: bool = False,
                  progress: Callable[[str, int, int], None] | None = None, wait: bool = True,
                  waiting: Callable[[str], None] | None = None, memory: Memory | None = None,
                  command: Command | None = None) -> BuildResult:
    """One build; kb.yaml's diagnostics come first in the result. Raises kb.errors.BuildError
    (the build could not finish: a template error, a refused output folder, another build running)."""
    from kb.build import BuildResult, build_site

    if project.config_errors:
        return BuildResult(out_dir=project.out_dir, files=(), records=0, notes=0, diagnostics=project.problems,
                           published=False, held_back=(CONFIG_NAME,))
    try:
        result = build_site(project.root, project.settings, project.out_dir, project.notes_dir, search=search,
                            clean=clean, keep_going=keep_going, progress=progress, wait=wait, waiting=waiting,
                            memory=memory, command=with_problems(command, project.problems))
    except OSError as exc:  # any other filesystem error: the file and the reason, never a traceback
        raise BuildError(f"{exc.filename or project.out_dir}: {exc.strerror or exc}") from exc
    return replace(result, diagnostics=project.problems + result.diagnostics)


def with_problems(command: Command | None, problems: tuple[Diagnostic, ...]) -> Command | None:
    """The command printing a result as build_project returns it: kb.yaml's diagnostics first."""
    if command is None:
        return None
    said = command.said
    return replace(command, said=lambda result: said(replace(result, diagnostics=problems + result.diagnostics)))
