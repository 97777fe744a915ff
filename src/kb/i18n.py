"""The CLI's own messages in the reader's language: Japanese under a Japanese locale
(`LANG=ja_JP.UTF-8`), English otherwise, from gettext catalogs.

The English text is the message id, written `_("...")` or `ngettext(...)` where it is printed;
src/kb/locale/kb.pot lists them (made by Babel: see README "Translating kb's messages") and
locale/ja/LC_MESSAGES/kb.po holds the Japanese, compiled to the kb.mo shipped beside it.
tests/test_i18n.py checks every message of the source is in each catalog, translated. The
locale is read on every call (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext does), so a
test or a long-running `kb serve` sees the environment as it is.
"""

from __future__ import annotations

import gettext
from importlib import resources

DOMAIN = "kb"
LANGUAGES = ("ja",)  # catalogs besides English, the source language


def locale_dir() -> str:
    return str(resources.files("kb").joinpath("locale"))


def translations() -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=locale_dir(), fallback=True)


def _(message: str) -> str:
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)
