"""kb's messages in the reader's language: Japanese under a Japanese locale (`LANG=ja_JP.UTF-8`),
English otherwise, from gettext catalogs.

The English text is the message id. A message printed at once is written `_("...")` or
`ngettext(...)` where it is printed. A message that is kept before it is printed (a
diagnostic about a note, cached in the build state and shown again by a later build or
`kb serve`) is written `N_("... {name} ...", name=value)`: a `Message` holding the English id
and its named parameters, language-neutral, translated only where it is shown (kb.console,
the `kb serve` panel), so a cached diagnostic follows the locale of the command that prints it.
src/kb/locale/kb.pot lists every message (made by Babel: see README "Language") and
locale/ja/LC_MESSAGES/kb.po holds the Japanese, compiled to the kb.mo shipped beside it.
tests/test_i18n.py checks every message of the source is in each catalog, translated. The
locale is read on every call (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext does), so a
test or a long-running `kb serve` sees the environment as it is.
"""

from __future__ import annotations

import gettext
from importlib import resources

from pydantic import BaseModel, ConfigDict

DOMAIN = "kb"
LANGUAGES = ("ja",)  # catalogs besides English, the source language


def locale_dir() -> str:
    return str(resources.files("kb").joinpath("locale"))


def translations() -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=locale_dir(), fallback=True)


def english() -> bool:
    """No catalog for the locale: messages are shown in English, the source language."""
    return type(translations()) is gettext.NullTranslations


def _(message: str) -> str:
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


Argument = str | int | float


class Message(BaseModel):
    """A message as its English id (with `{name}` placeholders) and the values of its parameters;
    a parameter may be a message itself (a did-you-mean inside an error)."""

    model_config = ConfigDict(frozen=True)

    id: str
    args: dict[str, Message | Argument] = {}

    def english(self) -> str:
        return self.id.format(**{k: v.english() if isinstance(v, Message) else v for k, v in self.args.items()})

    def translated(self, catalog: gettext.NullTranslations | None = None) -> str:
        """The message in the locale's language (English without a catalog for it)."""
        catalog = catalog or translations()
        args = {k: v.translated(catalog) if isinstance(v, Message) else v for k, v in self.args.items()}
        try:
            return catalog.gettext(self.id).format(**args)
        except (KeyError, IndexError, ValueError):  # a translation with a wrong placeholder: say it in English
            return self.id.format(**args)

    def __str__(self) -> str:
        return self.english()


LONGEST_ARGUMENT = 800  # characters of a text parameter kept (a diagnostic never holds a huge value)


def N_(message: str, **args: Message | Argument) -> Message:  # noqa: N802 (gettext's name for "translate later")
    """A message to translate where it is shown; Babel extracts `message` like `_()`'s."""
    return Message(id=message, args={k: short(v) for k, v in args.items()})


def joined(messages: list[Message | str], separator: str = "; ") -> Message:
    """Messages shown one after the other, each in the reader's language."""
    return Message(id=separator.join(f"{{m{i}}}" for i in range(len(messages))),
                   args={f"m{i}": message for i, message in enumerate(messages)})


class Problem(ValueError):
    """A ValueError whose message is kept untranslated (a model validator's, shown as a diagnostic)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.english())
        self.said = message


def short(value: Message | Argument) -> Message | Argument:
    if isinstance(value, str) and len(value) > LONGEST_ARGUMENT:
        return value[: LONGEST_ARGUMENT - 1] + "…"
    return value


def shown(message: str | Message) -> str:
    """A message as printed now: a Message translated, plain text as it is."""
    return message.translated() if isinstance(message, Message) else message
