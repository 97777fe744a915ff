"""Where the `kb` command ends: every exit status is decided here.

    failure(exc)               a kb exception as click shows it, with its kind's status (kb.errors)
    exit_status(diagnostics)   1 when a note or kb.yaml has an error (--strict: any diagnostic)
    console_entry()            the `kb` command: kb.cli.main, then os._exit with its status
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: console_entry answers a build with nothing to do (kb.replay) without them
    import click

    from kb.errors import KbError
    from kb.models import Diagnostic


def exit_codes_help() -> str:
    """The exit codes, for `kb --help`."""
    from kb.i18n import _

    return "\b\n" + _("""Exit codes:
  0  done
  1  a note or kb.yaml has an error: kb build left the previous site as it was (with
     --keep-going it published the site without those notes); kb check --strict also
     exits 1 on warnings; kb new and kb init exit 1 rather than overwrite a file
  2  wrong usage: an unknown option, a notes folder that is not there
  3  the build could not finish (a template error, an output folder kb must not replace,
     the search index failed, another build running under --no-wait): the previous site
     is untouched""")


def failure(exc: KbError) -> click.ClickException:
    """kb's exceptions as click shows them: the message, and the exit status of their kind
    (kb.errors); the one place where an exception becomes an exit status."""
    from kb.help_text import Failure

    shown = Failure(str(exc))
    shown.exit_code = exc.exit_code
    return shown


def exit_status(diagnostics: list[Diagnostic], strict: bool) -> int:
    from kb.models import Severity

    if any(d.severity is Severity.ERROR for d in diagnostics):
        return 1
    return 1 if strict and diagnostics else 0


HARD_EXIT = False  # this process ends with os._exit (console_entry)
KEPT: list = []  # what it keeps to that end, never freed object by object


def keep_until_exit(memory):
    """A one-shot build's kb.build.Memory (its builds leave what they made in it), kept to the
    os._exit of console_entry; None (a default Memory, freed as usual) in any other process."""
    if not HARD_EXIT:
        return None
    KEPT.append(memory)
    return memory


def console_entry() -> None:
    """The `kb` command (and `python -m kb`): main(), its output flushed, then the process ends
    without freeing what it made object by object (a one-shot `kb build` keeps even the objects its
    build would free on returning: keep_until_exit): at 10,000 notes that took 0.6 s of every
    build. mypy's console entry does the same. Tests call main() and keep their process."""
    from kb.replay import replayed

    code = replayed(sys.argv[1:])
    if code is not None:  # a build with nothing to do, answered from the build state (kb.replay)
        flush_and_exit(code)
    from kb.cli import main

    global HARD_EXIT
    HARD_EXIT = True
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    flush_and_exit(code)


def flush_and_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            code = code or 1
    os._exit(code)


def exit_code(code) -> int:
    """What sys.exit(code) would have exited with (a message is printed, as it prints it)."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1
