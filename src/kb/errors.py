"""kb's exceptions: one base, KbError, and the exit status of each kind (mapped in kb.exits).

    KbError                       something kb cannot do; the message says what and where
      BuildError                  the build could not finish; the previous site is untouched (exit 3)
        WriteError                the output folder cannot safely be (re)placed (kb.writers)
        RenderError               a template failed (kb.render.templates)
        BuildBusy                 another build holds the lock and kb was not to wait (kb.lock)
        UndeclaredInput           an output read an input it did not declare (a bug in kb)
        NoteChanged               a note changed during the build, after it was found unchanged (kb.discover)

A note's or kb.yaml's errors are not exceptions: they are diagnostics (exit 1).
"""

from __future__ import annotations


class KbError(Exception):
    """Something kb cannot do (the message says what and where)."""

    exit_code = 3


class BuildError(KbError):
    """The build could not finish; the previous site (if any) is untouched."""
