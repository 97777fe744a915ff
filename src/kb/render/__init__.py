"""The render stage: a Site in, {site path: bytes} out. Pure: reads only templates, writes nothing.

    render_site(site, theme) -> dict[str, bytes]
    plan_site(site, theme, ...) -> list[Output]   (path, input key, a function making the bytes)

The work is in kb.render.outputs (files and their input keys), kb.render.pages (which pages
exist, with what context), kb.render.templates (the theme), kb.render.site (the site model),
and the feeds, BibTeX, chart and Markdown modules. Names are imported on first use, so a
no-change rebuild, which needs only the theme's folders, never loads Jinja's page machinery,
Markdown or Pygments.
"""

from __future__ import annotations

from importlib import import_module

_HOMES = {
    "NoteFile": "kb.render.site", "Site": "kb.render.site", "make_notes": "kb.render.site",
    "Theme": "kb.render.theme",
    "Output": "kb.render.outputs", "RenderError": "kb.render.templates", "plan_site": "kb.render.outputs",
    "plan_outputs": "kb.render.outputs", "PlanMemo": "kb.render.outputs", "render_site": "kb.render.outputs",
    "ItemMemo": "kb.render.outputs",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'kb.render' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
