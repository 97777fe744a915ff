"""`kb --help` and kb's errors in the reader's language: commands and options whose help text is
looked up in the catalogs (kb.i18n) each time it is shown, so the locale of the moment decides, as
for every other message, and an error's "Error:" said in that language too. The text is written
`help=_("...")` where the command or option is declared (so Babel extracts it); Click's other
words (Usage, Options, --help's line) stay Click's."""

from __future__ import annotations

import sys
from functools import partial

import click

from kb.i18n import _

NO_REWRAP = "\b\n"  # Click's mark for a paragraph kept as written


def translated(text: str | None) -> str | None:
    """Each paragraph of a help text translated (one message per paragraph, Click's mark kept)."""
    if not text:
        return text
    return "\n\n".join(NO_REWRAP + _(part.removeprefix(NO_REWRAP)) if part.startswith(NO_REWRAP) else _(part)
                       for part in text.split("\n\n"))


class Translated:
    """A Click object whose `help` (and `epilog`) are English ids translated when read."""

    @property
    def help(self) -> str | None:
        return translated(self._help)

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    @property
    def epilog(self) -> str | None:
        return translated(getattr(self, "_epilog", None))

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        self._epilog = value


class KbOption(Translated, click.Option):
    pass


class KbCommand(Translated, click.Command):
    pass


option = partial(click.option, cls=KbOption)


class Failure(click.ClickException):
    """An error that stops a command, shown as `Error: message` in the reader's language."""

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()), file=file or sys.stderr,
                   color=self.show_color)
