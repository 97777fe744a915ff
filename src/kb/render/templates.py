"""Where templates come from: the project's `templates/` over the built-in theme.

The built-in theme is the repository's top-level `templates/` folder, installed as the
package `kb.theme` (pyproject maps it; editable installs read it in place, wheels copy it).
A project's own `templates/` folder overrides any file by name; a user template can still
extend the built-in one through the `theme/` prefix: `{% extends "theme/base.html" %}`.
Static assets follow the same rule: `templates/static/<name>` replaces the theme's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from jinja2.bccache import Bucket, BytecodeCache

THEME_PREFIX = "theme"
STATIC_DIR = "static"


def builtin_theme_dir() -> Path:
    """The installed built-in theme folder (a real folder both editable and from a wheel)."""
    return Path(str(files("kb.theme")))


@dataclass(frozen=True)
class Theme:
    """The template folders in lookup order: the project's own (if any) first, then the built-in."""

    dirs: tuple[Path, ...]

    @classmethod
    def for_project(cls, root: Path) -> Theme:
        builtin = builtin_theme_dir().resolve()
        own = (root / "templates").resolve()
        if own.is_dir() and own != builtin:
            return cls((own, builtin))
        return cls((builtin,))

    @property
    def builtin(self) -> Path:
        return self.dirs[-1]

    def static_files(self) -> dict[str, bytes]:
        """Every static asset by its path below static/, overrides winning by name."""
        found: dict[str, bytes] = {}
        for folder in reversed(self.dirs):
            base = folder / STATIC_DIR
            for path in sorted(base.rglob("*")) if base.is_dir() else []:
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(base).as_posix()] = path.read_bytes()
        return dict(sorted(found.items()))

    def environment(self) -> Environment:
        loader = ChoiceLoader([
            FileSystemLoader([str(d) for d in self.dirs]),
            PrefixLoader({THEME_PREFIX: FileSystemLoader(str(self.builtin))}),
        ])
        return Environment(loader=loader, autoescape=True, undefined=StrictUndefined, bytecode_cache=COMPILED,
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the process, by template file and source checksum: a
    long-running `kb serve` compiles each template once, and again only when its file changed."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # a changed source's checksum differs: recompiled

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()
