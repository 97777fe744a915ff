"""Where templates come from: the project's `templates/` over the built-in theme.

The built-in theme is the repository's top-level `templates/` folder, installed as the
package `kb.theme` (pyproject maps it; editable installs read it in place, wheels copy it).
A project's own `templates/` folder overrides any file by name; a user template can still
extend the built-in one through the `theme/` prefix: `{% extends "theme/base.html" %}`.
Static assets follow the same rule: `templates/static/<name>` replaces the theme's file.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, TemplateError, meta
from jinja2.bccache import Bucket, BytecodeCache

from kb.errors import BuildError
from kb.render.theme import THEME_PREFIX, Theme, builtin_theme_dir

__all__ = ["RenderError", "TemplateDigests", "Theme", "builtin_theme_dir", "environment_of"]


def environment_of(theme: Theme) -> Environment:
    loader = ChoiceLoader([
        FileSystemLoader([str(d) for d in theme.dirs]),
        PrefixLoader({THEME_PREFIX: FileSystemLoader(str(theme.builtin))}),
    ])
    # auto_reload off: each build makes its own environment, and no template changes during one
    # (Jinja otherwise checks the file's time at every include: thousands per list page)
    return Environment(loader=loader, autoescape=True, undefined=StrictUndefined, bytecode_cache=COMPILED,
                       auto_reload=False, **SYNTAX)


class RenderError(BuildError):
    """A template could not render a page (a user's edited template, usually); here,
    not with the page machinery, so a build that renders nothing never imports it."""


# Rendered from Python by a template global (kb.render.outputs.record_item), not by a tag a
# template's source shows: every page depends on it.
ALWAYS = ("partials/record_item.html",)


class TemplateDigests:
    """A digest per template of its own source and of every template it extends, includes or
    imports (found in its syntax tree), so editing one template re-renders only the pages that use it.
    A template naming another through a variable (which no tree can follow) depends on them all."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.known: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        found = self.known.get(name)
        if found is None:
            h = hashlib.sha256()
            for used in sorted(self.closure(name)):
                h.update(used.encode() + b"\x00" + self.source(used).encode() + b"\x00")
            found = self.known[name] = h.hexdigest()
        return found

    def source(self, name: str) -> str:
        return self.env.loader.get_source(self.env, name)[0]

    def references(self, name: str) -> frozenset[str] | None:
        """The templates `name` names, None when it cannot be told (a broken template is reported
        with its file and line when a page renders it, kb.render.outputs.render_page)."""
        return referenced(self.source(name))

    def closure(self, name: str) -> set[str]:
        seen, todo = set(), [name, *ALWAYS]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            refs = self.references(current)
            if refs is None:
                return set(self.env.list_templates(filter_func=lambda n: n.endswith((".html", ".xml"))))
            todo.extend(refs)
        return seen


SYNTAX = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}  # every theme's
PARSER = Environment(**SYNTAX)  # parses sources for their references only (never renders)


@lru_cache(maxsize=1000)
def referenced(source: str) -> frozenset[str] | None:
    """The template names in the source's syntax tree; None for a name made at run time or a broken source.
    Kept by source text: a build asks once per template and closure, and a long-running `kb serve`
    once per edit of a template (parsing them all was 0.5 s of every build). The syntax is the
    theme's (Theme.environment's options; a loader plays no part in parsing)."""
    try:
        found = list(meta.find_referenced_templates(PARSER.parse(source)))
    except TemplateError:
        return None
    return None if None in found else frozenset(found)


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
