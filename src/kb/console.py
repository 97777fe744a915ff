"""What the CLI prints about a build: diagnostics grouped by file, a summary, a progress bar.

Colours come from click.style and are dropped by click.echo whenever the stream is not a
terminal (or NO_COLOR is set); the progress bar is drawn only on a terminal, never under CI.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from itertools import groupby

import click

from kb.i18n import N_, _, ngettext, shown
from kb.models import Diagnostic, Severity
from kb.text import printable_path, terminal_safe

SHOWN = 20  # diagnostics kb build prints before it only counts the rest
COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}
SEVERITIES = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning")}
STAGES = {"parsing notes": N_("parsing notes"), "search index": N_("search index"),
          "writing pages": N_("writing pages")}  # the build's progress(stage, ...) names


def colour() -> bool | None:
    """None lets click decide (colours on a terminal only); NO_COLOR turns them off everywhere."""
    return False if os.environ.get("NO_COLOR") else None


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err, color=colour())


def say(text: str, err: bool = False) -> None:
    """Print text that may hold note content: its control characters (escape sequences) are
    shown as `\\x1b`, never sent to the terminal."""
    echo(terminal_safe(text), err=err)


def is_error(diag: Diagnostic) -> bool:
    return diag.severity is Severity.ERROR


def format_diagnostic(diag: Diagnostic, styled: bool = False) -> str:
    """`path:line: severity: message`, the offending text (if any) indented below; note text
    with control characters neutralised (kb.text.terminal_safe)."""
    where = printable_path(diag.path) + (f":{diag.line}" if diag.line else "")
    severity = shown(SEVERITIES[diag.severity])
    if styled:
        severity = click.style(severity, fg=COLOURS.get(diag.severity), bold=is_error(diag))
    text = f"\n    {terminal_safe(diag.text[:200])}" if diag.text else ""
    return f"{where}: {severity}: {printable_path(diag.shown())}{text}"


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Files with errors first, then by path; within a file errors first, then by line."""
    items = list(diagnostics)
    with_errors = {d.path for d in items if is_error(d)}
    return sorted(items, key=lambda d: (d.path not in with_errors, d.path, not is_error(d), d.line or 0))


def file_heading(path: str, diagnostics: list[Diagnostic]) -> str:
    errors = sum(map(is_error, diagnostics))
    warnings = len(diagnostics) - errors
    parts = [ngettext("{n} error", "{n} errors", errors).format(n=errors)] if errors else []
    if warnings:
        parts.append(ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings))
    counts = _("{errors}, {warnings}").format(errors=parts[0], warnings=parts[1]) if len(parts) == 2 else parts[0]
    return click.style(printable_path(path), bold=True) + f" ({counts})"


def grouped_lines(diagnostics: Iterable[Diagnostic], limit: int | None = SHOWN) -> list[str]:
    """The first `limit` diagnostics under a heading per file, then a count of the rest."""
    items = ordered(diagnostics)
    shown = items if limit is None else items[:limit]
    lines: list[str] = []
    for path, group in groupby(shown, key=lambda d: d.path):
        lines.append(file_heading(path, [d for d in items if d.path == path]))
        lines.extend("  " + format_diagnostic(d, styled=True).replace("\n", "\n  ") for d in group)
    if len(items) > len(shown):
        lines.append(_("... and {n} more (kb check lists them all; so does kb build --verbose)")
                     .format(n=len(items) - len(shown)))
    return lines


def print_diagnostics(diagnostics: list[Diagnostic], quiet: bool, verbose: bool) -> None:
    """Grouped on stderr: errors only with --quiet, every one with --verbose, else the first 20."""
    shown = [d for d in diagnostics if is_error(d)] if quiet else diagnostics
    for line in grouped_lines(shown, None if verbose else SHOWN):
        echo(line, err=True)


def wants_progress(stream=None) -> bool:
    """A progress bar only on a terminal, and never in CI (where logs are read afterwards)."""
    stream = stream or sys.stderr
    return stream.isatty() and not os.environ.get("CI")


class Progress:
    """A progress bar on stderr for the build's stages, drawn only once the build has run a second.

    `kb.build.build_site` calls it as progress(stage, done, total).
    """

    DELAY = 1.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None and time.monotonic() - self.started < self.DELAY:
            return
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=f"{shown(STAGES.get(stage, stage)):<14}",
                                         file=sys.stderr, show_pos=True, width=30)
            self.bar.__enter__()
        if done - self.bar.pos >= max(1, total // 100) or done >= total:  # about 100 redraws a stage
            self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
