"""Every output file of the site: a Site in, {site path: bytes} out. Pure: reads only templates.

    render_site(site, theme) -> dict[str, bytes]
    plan_site(site, theme, ...) -> list[Output]   (path, input key, a function making the bytes)
    plan_outputs(site, theme, ..., before) -> (list[Output], PlanMemo)   (kb serve: unchanged keys kept)

Every output declares what it reads (kb.render.inputs names: `record:<id>`, `item:<id>`,
`group:tags:<key>`...), and its key is the hash of kb's code, the settings, its templates (the
template and every template it extends, includes or imports) and the digests of those inputs.
An output whose key equals the previous build's is not made again. Its bytes are made from a
Scope holding only the declared inputs, so an output cannot read what it did not declare.

Pages come from kb.render.pages (what exists, with what inputs and context), the Jinja
templates from kb.render.templates (the project's templates/ over the built-in theme), and the
feeds, sitemap, records.json and BibTeX from kb.render.feeds / kb.render.bibtex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from jinja2 import Environment, TemplateError
from markupsafe import Markup

from kb.digests import code_digest, settings_digest, sha
from kb.i18n import _
from kb.index.links import LinkMemo
from kb.plan_state import PlanBasis, Reuse, reuse
from kb.render.bibtex import bibtex_file
from kb.render.citations import csl_json, ris_file
from kb.render.digest import added_feed, latest_added
from kb.render.feeds import SCHEMA_PATH, Feed, absolute_url, atom_feed, records_json, sitemap
from kb.render.inputs import Digests, Linking, Scope
from kb.render.markdown import is_safe_url, pygments_css, render_markdown
from kb.render.pages import Page, html_pages
from kb.render.previews import preview_outputs
from kb.render.site import NoteFile, Site, make_notes, root_prefix
from kb.render.templates import RenderError, TemplateDigests, Theme
from kb.render.views import Item
from kb.urls import group_url, url_for
from kb.view_state import StoredViews

__all__ = ["NoteFile", "Output", "PlanMemo", "RenderError", "Site", "Theme", "make_notes", "plan_outputs", "plan_site",
           "render_site"]

KIND_LABELS = {"paper": "論文", "blog": "ブログ", "article": "記事", "talk": "発表", "repository": "リポジトリ",
               "other": "その他"}


FORMAT_LABELS = {"minutes": "議事録", "summaries": "8問要約", "blog": "ブログ紹介", "listing": "タグページ",
                 "native": "ノート"}


def template_globals(site: Site) -> dict:
    return {
        "site": site.settings, "kind_labels": KIND_LABELS, "format_labels": FORMAT_LABELS, "base_url": site.base_url,
        "url_for": url_for,
        "group_url": group_url, "is_safe_url": is_safe_url, "feeds": wants_feeds(site),
        "absolute_url": lambda path: absolute_url(site.base_url or "", path),
        "linked_tags": linked_tags,
    }


def linked_tags(tags, omit: str = "") -> list:
    """The tags that have a page, but the page the list is on (a list entry's tag chips): what
    `selectattr("page") | rejectattr("page", "equalto", omit) | list` gives, 17 us sooner per
    entry (a one-note rebuild at 10,000 notes renders 8,500 entries)."""
    return [tag for tag in tags if tag.page and tag.page != omit]


ITEM_TEMPLATE = "partials/record_item.html"


@dataclass
class ItemMemo:
    """List entries rendered by a long-running process (kb serve), for its next builds: by
    (record id, page depth, omitted tag page), the Item and its HTML. `context` is what else an
    entry is made of (kb's code, the settings, the entry's templates): when it changes, the memo
    starts empty. An entry whose Item differs is rendered again. `entries` are the records'
    texts in records.json, by id, each with the values it shows (kb.render.feeds.entry_text)."""

    context: tuple = ()
    html: dict[tuple[str, str, str], tuple[Item, Markup]] = field(default_factory=dict)
    entries: dict[str, tuple[dict, str]] = field(default_factory=dict)

    def valid_for(self, context: tuple) -> ItemMemo:
        if context != self.context:
            self.context, self.html, self.entries = context, {}, {}
        return self


def record_item(env: Environment, memo: ItemMemo) -> Callable[..., Markup]:
    """A record's list entry, rendered once per page depth: a tag, author, venue and the archive
    list the same record, and at 10,000 notes re-rendering it for each list was a fifth of a build;
    kb serve keeps them across builds (ItemMemo). `omit` is the page the list is on: a tag page
    leaves out its own tag (the entry made once per tag)."""

    def item(record: Item, root: str, omit: str = "") -> Markup:
        key = (record.id, root, omit)
        known = memo.html.get(key)
        if known is None or known[0] != record:
            html = Markup(env.get_template(ITEM_TEMPLATE).render(r=record, root=root, omit=omit))
            known = memo.html[key] = (record, html)
        return known[1]
    return item


def environment(site: Site, theme: Theme, items: ItemMemo | None = None) -> Environment:
    env = theme.environment()
    env.globals.update(template_globals(site))
    env.globals["record_item"] = record_item(env, items if items is not None else ItemMemo())
    env.filters["md"] = lambda text, level=3, prefix="md": Markup(render_markdown(text, level, prefix))
    return env


def render_page(env: Environment, site: Site, page: Page) -> bytes:
    context = page.context(Scope(site, page.inputs, page.path))
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
    return _("{where}: {problem} (rendering {page})").format(where=f"{where}:{line}" if line else where,
                                                           problem=exc.message or type(exc).__name__, page=page.path)


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


NO_READS: Mapping[str, str] = MappingProxyType({})


class Output(NamedTuple):
    """One file of the site: where it goes, the hash of its inputs, how to make its bytes, and
    (for pages and data files) the digest of each input it declared, by name. A tuple: a build
    makes one per file (77,000 at 10,000 notes with search), 4x faster than a frozen dataclass."""

    path: str
    key: str
    make: Callable[[], bytes]
    reads: Mapping[str, str] = NO_READS


def tag_outputs(site: Site, reads_of) -> list[Output]:
    """Each tag's BibTeX file, and its Atom feed when the site has an address."""
    outputs: list[Output] = []
    for group in site.kb.tags:
        folder = url_for("tag", group.slug).rsplit("/", 1)[0]
        own = f"group:tags:{group.key}"
        if wants_feeds(site):
            feed = Feed(f"{folder}/feed.xml", f"{folder}/index.html", f"{site.settings.title}: {group.name}",
                        f"urn:kb:tag:{group.slug}")
            inputs = [own, "latest", *(f"entry:{i}" for i in group.record_ids)]
            outputs.append(output(site, feed.path, reads_of(feed.path, inputs), tag_feed, feed=feed, group=group.key))
        inputs = [own, *(f"cite:{i}" for i in group.record_ids)]
        for suffix, write in CITATION_FILES.items():
            path = f"{folder}/references.{suffix}"
            outputs.append(output(site, path, reads_of(path, inputs), tag_citations, group=group.key, write=write))
    return outputs


def key_of(reads: Mapping[str, str]) -> str:
    """An output's key: the hash of everything it reads, by name (kb.digests.sha of the
    `name=digest` parts, hashed as one string: 31,000 outputs of 23 reads each at 10,000 notes)."""
    text = "\x00".join([f"{name}={digest}" for name, digest in reads.items()]) + "\x00"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Reads:
    """What one output reads: its declared inputs, its key, and (when made) each read's digest."""

    inputs: frozenset[str]
    key: str
    digests: Mapping[str, str]


@dataclass(frozen=True)
class PlanMemo:
    """What planning keeps for the next build of the same process (kb serve, kb build --watch):
    each input's source and digest (kb.render.inputs.Digests), and each output's declared inputs,
    template digest and key. An output whose inputs, template and every input's digest are the
    previous build's keeps its key without its reads being hashed again."""

    base: Mapping[str, str] = field(default_factory=dict)
    digests: Mapping[str, tuple[object, str]] = field(default_factory=dict)
    outputs: Mapping[str, tuple[frozenset[str], str, str]] = field(default_factory=dict)
    views: StoredViews | None = None  # a one-shot build's view digests, for the build state (kb.view_state)
    context: tuple = ()  # the site's view context (kb.render.site.Site.view_context)
    left: PlanLeft | None = None  # what the build state keeps of this plan (kb.plan_state)


@dataclass(frozen=True)
class PlanLeft:
    """What a plan leaves for the stored plan (kb.plan_state.next_plan): its base, every
    template's digest, every input digest worked out, the inputs of each output planned anew, the
    outputs whose key it took over, and from what (`reuse`)."""

    base: Mapping[str, str]
    templates: Mapping[str, str]
    digests: Mapping[str, str]
    outputs: Mapping[str, frozenset[str]]
    kept: frozenset[str]
    reuse: Reuse | None


class Planner:
    """Every output's Reads, the previous build's key kept where nothing it reads changed: known
    from the previous build of this process (`before`: every output's inputs listed and compared),
    or from the stored plan's reverse map (`reuse`, kb.plan_state: the outputs no changed input
    reaches keep their key unlisted, in `kept`)."""

    def __init__(self, base: dict[str, str], templates: TemplateDigests, digests: Digests,
                 before: PlanMemo | None, keep: bool = True, reuse: Reuse | None = None,
                 shown: Mapping[str, str] | None = None) -> None:
        self.base, self.templates, self.digests, self.keep, self.reuse = base, templates, digests, keep, reuse
        self.shown = shown or {}  # the pages' templates' digests (kb.plan_state.StoredPlan.templates)
        self.before = before.outputs if before is not None and before.base == base else {}
        self.now: dict[str, tuple[frozenset[str], str, str]] = {}
        self.kept: set[str] = set()
        self.verified: set[str] = set()  # input names whose digest is the previous build's
        self.changed: set[str] = set()  # and those whose digest is not

    def __call__(self, path: str, inputs: Iterable[str] | Callable[[], Iterable[str]],
                 template: str | None = None) -> Reads:
        """`inputs` may be a function listing them: called only if the output is planned anew."""
        stored = self.reuse.key(path) if self.reuse is not None else None
        if stored is not None:
            self.kept.add(path)
            return Reads(frozenset(inputs) if not callable(inputs) else frozenset(), stored, {})
        inputs = frozenset(inputs() if callable(inputs) else inputs)
        template_digest = self.templates[template] if template else ""
        earlier = self.before.get(path)
        if earlier is not None and earlier[0] == inputs and earlier[1] == template_digest and self.same(inputs):
            reads = Reads(inputs, earlier[2], {})
        else:
            own = {"path": path, **self.base, "template": template_digest}
            known, digest_of = self.digests.known, self.digests.__getitem__
            digests = own | {name: known.get(name) or digest_of(name) for name in sorted(inputs)}
            reads = Reads(inputs, key_of(digests), digests if self.keep else {})
        self.now[path] = (inputs, template_digest, reads.key)
        return reads

    def same(self, inputs: frozenset[str]) -> bool:
        """Every input's digest is the previous build's: each name is checked once per build, and
        the set operations do the rest (712,000 reads of 60,000 names at 10,000 notes)."""
        if not self.changed.isdisjoint(inputs):
            return False
        for name in inputs - self.verified:
            if not self.digests.unchanged(name):
                self.changed.add(name)
                return False
            self.verified.add(name)
        return True

    def memo(self, views: bool = False) -> PlanMemo:
        return PlanMemo(self.base, self.digests.now, self.now, self.digests.views() if views else None,
                        self.digests.site.view_context, self.stored_plan())

    def stored_plan(self) -> PlanLeft:
        """What this planning leaves for kb.plan_state.next_plan."""
        return PlanLeft(self.base, self.shown, self.digests.known,
                       {path: found[0] for path, found in self.now.items()}, frozenset(self.kept), self.reuse)


def output(site: Site, path: str, reads: Reads, make, **keys) -> Output:
    """An Output whose bytes are `make(scope, **keys)`, the scope holding only its declared inputs."""
    return Output(path, reads.key, partial(make_data, site, path, reads.inputs, partial(make, **keys)), reads.digests)


def make_data(site: Site, path: str, inputs: frozenset[str], make) -> bytes:
    return make(Scope(site, inputs, path))


def tag_feed(scope: Scope, feed: Feed, group: str) -> bytes:
    return atom_feed(scope, feed, scope.entries(scope.group("tags", group).record_ids), scope.latest())


def tag_citations(scope: Scope, group: str, write) -> bytes:
    return write(*scope.cited(scope.group("tags", group).record_ids))


def site_feed(scope: Scope, ids: tuple[str, ...]) -> bytes:
    feed = Feed("feed.xml", "index.html", scope.settings.title, "urn:kb:site")
    return atom_feed(scope, feed, scope.entries(ids), scope.latest())


def site_citations(scope: Scope, ids: tuple[str, ...], write) -> bytes:
    return write(*scope.cited(ids))


def bibtex_bytes(records, keys) -> bytes:
    return bibtex_file(records, keys).encode("utf-8")


CITATION_FILES = {"bib": bibtex_bytes, "csl.json": csl_json, "ris": ris_file}  # records.<suffix>, references.<suffix>


def site_records(scope: Scope, ids: tuple[str, ...], known: dict | None = None) -> bytes:
    return records_json(scope.entries(ids), scope.plain, known)


def site_map(scope: Scope, pages: tuple[str, ...]) -> bytes:
    return sitemap(scope.site(), scope.pages(pages))


def wants_feeds(site: Site) -> bool:
    """Feeds and the sitemap need absolute URLs: without the site's address they are not written."""
    return site.base_url is not None


def data_outputs(site: Site, pages: list[str], reads_of, items: ItemMemo | None = None) -> list[Output]:
    """records.json, records.bib/.csl.json/.ris, each tag's BibTeX, CSL-JSON and RIS (and with
    base_url the Atom feeds, sitemap.xml); `items` keeps records.json's texts across builds.
    The site-wide files read every record, but only as they show it: an edit to a record's
    body text rewrites neither the site's BibTeX nor records.json."""
    ids = tuple(r.id for r in site.kb.records)
    entries, cites = [f"entry:{i}" for i in ids], [f"cite:{i}" for i in ids]
    outputs = [
        output(site, "records.json", reads_of("records.json", ["ids", *entries]), site_records, ids=ids,
               known=items.entries if items is not None else None),
        Output(SCHEMA_PATH, sha("schema", records_schema()), records_schema),
        *(output(site, f"records.{suffix}", reads_of(f"records.{suffix}", ["ids", *cites]), site_citations, ids=ids,
                 write=write) for suffix, write in CITATION_FILES.items()),
        *tag_outputs(site, reads_of),
        *preview_outputs(site, reads_of, output),
    ]
    if wants_feeds(site):
        newest = tuple(latest_added(site.added))
        reads = reads_of("added.xml", ["latest_added", *(f"entry:{i}" for i in newest)])
        outputs.append(output(site, "added.xml", reads, added_feed, ids=newest))
        outputs += [output(site, "feed.xml", reads_of("feed.xml", ["ids", "latest", *entries]), site_feed, ids=ids),
                    output(site, "sitemap.xml", reads_of("sitemap.xml", ["records", "pages"]), site_map,
                           pages=tuple(sorted(pages)))]
    return outputs


def records_schema() -> bytes:
    """The JSON Schema of records.json, shipped in the package and copied beside it."""
    return resources.files("kb").joinpath("records.schema.json").read_bytes()


def static_files(theme: Theme) -> dict[str, bytes]:
    files = {f"static/{name}": data for name, data in theme.static_files().items()}
    files.setdefault("static/pygments.css", pygments_css().encode("utf-8"))
    return files


def plan_site(site: Site, theme: Theme, text_digests: dict[str, str] | None = None) -> list[Output]:
    """Every file of the site, sorted by path, each with its input key; nothing rendered yet.

    `text_digests` (note path -> digest of its bytes, from discovery) spares hashing note texts again.
    """
    return plan_outputs(site, theme, text_digests)[0]


def plan_outputs(site: Site, theme: Theme, text_digests: dict[str, str] | None = None,
                 before: PlanMemo | None = None, keep_reads: bool = True,
                 items: ItemMemo | None = None, stored: StoredViews | None = None,
                 basis: PlanBasis | None = None, links: LinkMemo | None = None) -> tuple[list[Output], PlanMemo]:
    """plan_site, given what the previous build of this process planned (`before`, kb serve), and
    returning what this one did for the next; `items` keeps rendered list entries across builds.
    Without `keep_reads` an Output's `reads` stay empty (at 10,000 notes they were 712,000
    name-digest pairs held until the site was written). With `stored` (a one-shot build: the
    view digests the build state kept, kb.view_state), the memo's `views` are this build's.
    With `basis` (a one-shot build: the stored plan of the last build, kb.plan_state), only the
    outputs a changed input reaches are listed and keyed anew. `links` (this build's linking,
    kb.index.links) tells which records may differ since the linking the plan or the views were
    made from (kb.render.inputs.Linking)."""
    base = {"code": code_digest(), "settings": settings_digest(site.settings)}
    env = environment(site, theme)
    templates = TemplateDigests(env)
    if items is not None:
        context = (base["code"], base["settings"], templates[ITEM_TEMPLATE])
        env.globals["record_item"] = record_item(env, items.valid_for(context))
    pages = html_pages(site)
    same_context = before is not None and before.context == site.view_context
    digests = Digests(site, text_digests, (p.path for p in pages), before.digests if before else None, stored,
                      same_context, linking_of(links, basis, stored))
    shown = {name: templates[name] for name in sorted({p.template for p in pages})}  # their closures hold the rest
    used = reuse(basis, digests.__getitem__) if basis is not None and basis.fits(base, shown) else None
    reads_of = Planner(base, templates, digests, before, keep_reads, used, shown)
    outputs = []
    for p in pages:
        reads = reads_of(p.path, lambda p=p: p.inputs, p.template)
        outputs.append(Output(p.path, reads.key, partial(render_page, env, site, p), reads.digests))
    outputs += data_outputs(site, [p.path for p in pages], reads_of, items)
    outputs += [Output(path, sha("static", data), partial(bytes, data)) for path, data in static_files(theme).items()]
    return sorted(outputs, key=lambda o: o.path), reads_of.memo(views=stored is not None)


def linking_of(links: LinkMemo | None, basis: PlanBasis | None, stored: StoredViews | None) -> Linking | None:
    """What this build's linking settles since the plan's and the stored views' linkings."""
    if links is None:
        return None
    return Linking(links.generation, links.settled(basis.links) if basis is not None else None,
                   basis.stored.digests if basis is not None else {},
                   links.settled(stored.links) if stored is not None else None)


def render_site(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every file of the site, by its path below the site root, sorted by path."""
    return {output.path: output.make() for output in plan_site(site, theme)}
