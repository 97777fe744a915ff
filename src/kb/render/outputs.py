"""Every output file of the site: a Site in, {site path: bytes} out. Pure: reads only templates.

    render_site(site, theme) -> dict[str, bytes]
    plan_site(site, theme, ...) -> list[Output]   (path, input key, a function making the bytes)

`plan_site` is what the incremental build uses: every output file comes with a key, a hash
of everything it is made from (kb code, settings, templates, the page's own data with
records and notes by digest), so an unchanged file need not be made again.

Pages come from kb.render.pages (what exists, with what context), the Jinja templates from
kb.render.templates (the project's templates/ over the built-in theme), and the feeds,
sitemap, records.json and BibTeX from kb.render.feeds / kb.render.bibtex.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, TemplateError
from markupsafe import Markup

from kb.cache import Fingerprint, code_digest, settings_digest, sha, theme_digest
from kb.models import Record
from kb.render import markdown
from kb.render.bibtex import bibtex_file, citation_keys
from kb.render.feeds import SCHEMA_PATH, absolute_url, atom_feed, records_json, sitemap
from kb.render.markdown import is_safe_url, pygments_css, render_markdown
from kb.render.pages import LazyContext, Page, html_pages
from kb.render.site import NoteFile, Site, make_notes, root_prefix, tag_page
from kb.render.summary import noted_line, one_line
from kb.render.templates import Theme

__all__ = ["NoteFile", "Output", "RenderError", "Site", "Theme", "make_notes", "plan_site", "render_site"]

KIND_LABELS = {"paper": "論文", "blog": "ブログ", "article": "記事", "talk": "発表", "repository": "リポジトリ",
               "other": "その他"}


def template_globals(site: Site) -> dict:
    return {
        "site": site.settings, "kind_labels": KIND_LABELS, "base_url": site.base_url,
        "record_url": lambda r: site.record_page(r), "tag_slug": site.tag_slug,
        "author_slug": site.author_slug, "venue_slug": site.venue_slug, "is_safe_url": is_safe_url,
        "note_of": site.note_of, "one_line": one_line, "noted_line": noted_line, "topic_tags": site.topic_tags,
        "feeds": wants_feeds(site),
        "absolute_url": lambda path: absolute_url(site.base_url or "", path),
    }


def record_item(env: Environment) -> Callable[[Record, str], Markup]:
    """A record's list entry, rendered once per page depth: a tag, author, venue and the archive
    list the same record, and at 10,000 notes re-rendering it for each list was a fifth of a build."""
    items: dict[tuple[str, str], Markup] = {}

    def item(record: Record, root: str) -> Markup:
        key = (record.id, root)
        if key not in items:
            items[key] = Markup(env.get_template("partials/record_item.html").render(r=record, root=root))
        return items[key]
    return item


def environment(site: Site, theme: Theme) -> Environment:
    env = theme.environment()
    env.globals.update(template_globals(site))
    env.globals["record_item"] = record_item(env)
    env.filters["md"] = lambda text, level=3, prefix="md": Markup(render_markdown(text, level, prefix))
    return env


class RenderError(Exception):
    """A template could not render a page (a user's edited template, usually)."""


def render_page(env: Environment, page: Page) -> bytes:
    context = page.context.build() if isinstance(page.context, LazyContext) else page.context
    try:
        html = env.get_template(page.template).render(root=root_prefix(page.path), page_path=page.path, **context)
    except TemplateError as exc:
        raise RenderError(template_problem(exc, page)) from exc
    return html.encode("utf-8")


def template_problem(exc: TemplateError, page: Page) -> str:
    """`templates/x.html:12: message (rendering page)`: where to look, what went wrong."""
    where, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not line:  # a runtime error: Jinja's traceback frames carry the template's file and line
        where, line = template_frame(exc.__traceback__) or (None, None)
    where = shown_path(where or getattr(exc, "name", None) or page.template)
    return f"{where}{f':{line}' if line else ''}: {exc.message or type(exc).__name__} (rendering {page.path})"


def template_frame(tb) -> tuple[str, int] | None:
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml")):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def shown_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


@dataclass(frozen=True)
class Output:
    """One file of the site: where it goes, the hash of its inputs, and how to make its bytes."""

    path: str
    key: str
    make: Callable[[], bytes]


def record_digest(site: Site, keys: dict[str, str], note_digest) -> Callable[[Record], str]:
    """A record as a page sees it: its fields, plus the site-wide names its links use."""
    def digest(record: Record) -> str:
        note = site.note_of(record)
        extras = {"tags": [site.tag_slug(t) for t in record.tags],
                  "authors": [site.author_slug(a) for a in record.authors],
                  "venue": site.venue_slug(record.venue), "note": note_digest(note) if note else None,
                  "bib": keys.get(record.id)}
        return sha(record.model_dump_json(), json.dumps(extras, sort_keys=True, ensure_ascii=False))
    return digest


def note_digest(text_digests: dict[str, str]) -> Callable[[NoteFile], str]:
    def digest(note: NoteFile) -> str:
        text = text_digests.get(note.path) or sha(note.text)
        return sha(json.dumps([note.path, note.slug, note.format, text, note.date and note.date.isoformat(),
                               list(note.record_ids)], sort_keys=True, ensure_ascii=False))
    return digest


def fingerprint(site: Site, keys: dict[str, str], text_digests: dict[str, str] | None = None) -> Fingerprint:
    notes = note_digest(text_digests or {})
    return Fingerprint(record_digest(site, keys, notes), notes)


def tag_outputs(site: Site, keys: dict[str, str], key) -> list[Output]:
    outputs: list[Output] = []
    for group in site.kb.tags:
        folder = tag_page(group.slug).rsplit("/", 1)[0]
        records = site.records_of(group.record_ids)
        title = f"{site.settings.title}: {group.name}"
        if wants_feeds(site):
            outputs.append(Output(f"{folder}/feed.xml", key(f"{folder}/feed.xml", [group, records, site.kb.records]),
                                  lambda f=folder, t=title, r=records, g=group: atom_feed(
                                      site, f"{f}/feed.xml", f"{f}/index.html", t, r, f"urn:kb:tag:{g.slug}")))
        outputs.append(Output(f"{folder}/references.bib", key(f"{folder}/references.bib", records),
                              lambda r=records: bibtex_file(r, keys).encode("utf-8")))
    return outputs


def wants_feeds(site: Site) -> bool:
    """Feeds and the sitemap need absolute URLs: without the site's address they are not written."""
    return site.base_url is not None


def data_outputs(site: Site, keys: dict[str, str], pages: list[str], key) -> list[Output]:
    records: list[Record] = site.kb.records
    outputs = [
        Output("records.json", key("records.json", records), lambda: records_json(records)),
        Output(SCHEMA_PATH, sha("schema", records_schema()), records_schema),
        Output("records.bib", key("records.bib", records), lambda: bibtex_file(records, keys).encode("utf-8")),
        *tag_outputs(site, keys, key),
    ]
    if wants_feeds(site):
        outputs += [
            Output("feed.xml", key("feed.xml", records),
                   lambda: atom_feed(site, "feed.xml", "index.html", site.settings.title, records, "urn:kb:site")),
            Output("sitemap.xml", key("sitemap.xml", [sorted(pages), records]), lambda: sitemap(site, pages)),
        ]
    return outputs


def records_schema() -> bytes:
    """The JSON Schema of records.json, shipped in the package and copied beside it."""
    return resources.files("kb").joinpath("records.schema.json").read_bytes()


def static_files(theme: Theme) -> dict[str, bytes]:
    files = {f"static/{name}": data for name, data in theme.static_files().items()}
    files.setdefault("static/pygments.css", pygments_css().encode("utf-8"))
    return files


def plan_site(site: Site, theme: Theme, text_digests: dict[str, str] | None = None,
              plain: dict[str, str] | None = None) -> list[Output]:
    """Every file of the site, sorted by path, each with its input key; nothing rendered yet.

    `plain` (text hash -> one-line text) lets feeds skip re-parsing Markdown they saw before.
    """
    markdown.use_plain_store(plain)
    env = environment(site, theme)
    keys = citation_keys(site.kb.records)
    base = sha(code_digest(), settings_digest(site.settings), theme_digest(theme.dirs))
    prints = fingerprint(site, keys, text_digests)

    def key(path: str, data) -> str:
        return sha(base, path, prints.of(data))

    pages = html_pages(site, keys)
    outputs = [Output(page.path, key(page.path, [page.template, page.context]),
                      lambda p=page: render_page(env, p)) for page in pages]
    outputs += data_outputs(site, keys, [p.path for p in pages], key)
    outputs += [Output(path, sha("static", data), lambda d=data: d) for path, data in static_files(theme).items()]
    return sorted(outputs, key=lambda o: o.path)


def render_site(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every file of the site, by its path below the site root, sorted by path."""
    return {output.path: output.make() for output in plan_site(site, theme)}
