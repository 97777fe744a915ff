"""The template folders of a project: its own `templates/` over the built-in theme (the
repository's top-level `templates/`, installed as the package `kb.theme`). Apart from
kb.render.templates so that a build that changes nothing (it digests the folders) never imports Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

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
        from kb.render.templates import environment_of

        return environment_of(self)
