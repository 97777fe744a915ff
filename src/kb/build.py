"""The whole build, top to bottom: parse -> index -> render (+ search index) -> write.

    build_site(root, settings, out_dir) -> BuildResult

Incremental by default (see kb.cache): unchanged notes are not parsed again, only files
whose inputs changed are rendered and written (kb.write keeps a standby copy of the previous
version beside the site and brings it up to date), the search index
(kb.search_index) rewrites only the shard files a change touches, and a build whose inputs
all equal the last one's returns at once. The output is byte-identical to a clean build
(`clean=True`) either way.

Each step is a function with typed input and output; nothing is shared or mutated between
them.

The publish rule for a note with an error (a bad front matter, an unreadable file, a
format kb cannot recognise): nothing is published by halves. By default such a build
writes nothing and leaves the previous site exactly as it was (`BuildResult.published` is
False; the CLI exits 1). With `keep_going`, the site is published without the notes that
have errors, each left out whole (no record, no note page); the others are published as
usual. Errors never appear on the site itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kb.cache import (
    BuildCache,
    MentionMemo,
    SavedResult,
    SiteState,
    code_digest,
    marker_stamp,
    settings_digest,
    sha,
    theme_digest,
)
from kb.config import Settings
from kb.discover import discover, files_stamp, relative_name
from kb.models import Diagnostic, Severity
from kb.render.templates import Theme
from kb.write import check_target, remove_leftovers, write_site

if TYPE_CHECKING:  # the parse, index and render stages are imported when a build needs them:
    from kb.records import Parsed  # a no-change rebuild never does
    from kb.render import Output, Site

Progress = Callable[[str, int, int], None]  # (stage, done, total), e.g. kb.console.Progress
WORKERS = min(2, os.cpu_count() or 1)  # processes that render and write (kb.writers.place_all)
SEARCH_STATE = "search-index.json"  # in .kb-cache: the previous index, as data (kb.search_index.update)


class BuildError(Exception):
    """The build could not finish; the previous site (if any) is untouched."""


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    files: tuple[str, ...]
    records: int
    notes: int
    diagnostics: tuple[Diagnostic, ...]
    parsed: int = 0  # notes parsed in this build (the rest came from .kb-cache)
    rendered: int = 0  # files made in this build (the rest were linked from the previous site)
    reused: int = 0
    search: str = "off"  # "ran" (every batch indexed), "updated" (only changed batches) or "off"
    published: bool = True  # False: a note had an error, nothing was written (see the module's rule)
    held_back: tuple[str, ...] = ()  # notes with an error, left out of the site (or keeping it from publishing)
    made: tuple[str, ...] = ()  # files whose inputs changed since the last build (the others are as they were)
    reads: dict[str, dict[str, str]] | None = None  # with trace: each output's declared inputs and their digests

    @property
    def pages(self) -> int:
        return sum(name.endswith(".html") for name in self.files)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def make_site(parsed: Parsed, root: Path, notes_dir: Path, settings: Settings, memo: MentionMemo | None = None,
              plain: dict | None = None) -> Site:
    from kb.index import build_index
    from kb.render import Site, make_notes

    kb = build_index(parsed.records, settings, memo)
    notes = make_notes(parsed.sources, parsed.notes, notes_prefix(notes_dir, root))
    return Site(kb=kb, notes=notes, settings=settings, plain=plain)


def held_back(parsed: Parsed) -> tuple[str, ...]:
    """Files with an error: a note is published whole or not at all."""
    return tuple(sorted({d.path for d in parsed.diagnostics if d.severity is Severity.ERROR}))


def without(parsed: Parsed, paths: tuple[str, ...]) -> Parsed:
    """The parse result as if the notes at `paths` were not there (their diagnostics stay)."""
    gone = set(paths)
    return replace(parsed, notes=[n for n in parsed.notes if n.path not in gone],
                   sources=[s for s in parsed.sources if s.path not in gone])


def unpublished(parsed: Parsed, out_dir: Path, held: tuple[str, ...], problems: list[Diagnostic]) -> BuildResult:
    return BuildResult(out_dir=out_dir, files=(), records=len(parsed.records), notes=len(parsed.notes),
                       diagnostics=tuple(parsed.diagnostics) + tuple(problems), parsed=parsed.parsed, published=False,
                       held_back=held)


def notes_prefix(notes_dir: Path, root: Path) -> str:
    return relative_name(notes_dir, root).rstrip("/") + "/"


class Planned:
    """The site's files for kb.write: every file's key in path order, its bytes made on demand
    (only for files whose key differs from the folder being brought up to date)."""

    def __init__(self, outputs: list[Output]) -> None:
        self.outputs = {o.path: o for o in outputs}
        self.keys = {o.path: o.key for o in outputs}

    def make(self, path: str) -> bytes:
        return self.outputs[path].make()

    def changed_since(self, previous: SiteState | None) -> tuple[str, ...]:
        """The paths whose key differs from the previous build's: what this build makes anew."""
        old = previous.keys if previous else {}
        return tuple(path for path, key in self.keys.items() if old.get(path) != key)


def build_id(settings: Settings, theme: Theme, prefix: str, found, search: str | None) -> str:
    """Everything a build reads: when it equals the last build's, the site would come out the same."""
    sources, problems = found
    notes = [(s.path, s.digest) for s in sources] + [d.model_dump_json() for d in problems]
    return sha(code_digest(), settings_digest(settings), theme_digest(theme.dirs), prefix,
               json.dumps(notes, ensure_ascii=False), str(search or ""))


def quick_stamp(settings: Settings, theme: Theme, notes_dir: Path, root: Path, exe: str | None) -> str | None:
    """Everything a build reads, by file size and time instead of content: when it equals the
    last build's, nothing changed and no note need be read (a no-change rebuild of 10,000
    notes then costs a directory walk). None whenever a stamp could be fooled."""
    notes = files_stamp(notes_dir)
    if notes is None:
        return None
    return sha(code_digest(), settings_digest(settings), theme_digest(theme.dirs), notes_prefix(notes_dir, root),
               str(notes_dir.resolve()), notes, str(exe or ""))


def unchanged(last: SiteState | None, stamp: str | None = None, build: str | None = None) -> bool:
    """The last build read the same inputs (by stamp or by content) and its site is intact."""
    if last is None or last.result is None:
        return False
    return (build is not None and last.build_id == build) or (stamp is not None and last.stamp == stamp)


def reused(saved: SavedResult, out_dir: Path, exe: str | None, problems: list[Diagnostic]) -> BuildResult:
    """The last build's result, for a build that changed nothing (plus any cache file discarded)."""
    return BuildResult(out_dir=out_dir, files=saved.files, records=saved.records, notes=saved.notes,
                       diagnostics=saved.diagnostics + tuple(problems), reused=len(saved.files),
                       search="reused" if exe else "off")


def search_index(site: Site, store: BuildCache, previous: SiteState | None, progress: Progress | None = None):
    """The search index files of this build, updating the previous build's index when it can."""
    from kb.search_index import search_outputs

    if progress:
        progress("search index", 0, 1)
    state = store.folder / SEARCH_STATE if store.folder else None
    index = search_outputs(site.kb.records, state if previous else None,
                           Path(previous.site) if previous else None, previous.keys if previous else None)
    if progress:
        progress("search index", 1, 1)
    return index


def save_search_state(index, store: BuildCache) -> None:
    if store.folder is not None:
        try:
            index.state.save(store.folder / SEARCH_STATE)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower


def write_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    return None if progress is None else lambda done, total: progress("writing pages", done, total)


def build_site(root: Path, settings: Settings, out_dir: Path, notes_dir: Path | None = None,
               search: bool = True, clean: bool = False, cache: bool = True,
               keep_going: bool = False, progress: Progress | None = None, trace: bool = False) -> BuildResult:
    """Build the site of the project at `root` into `out_dir` (replaced as a whole, atomically).

    A note with an error keeps the build from publishing, or with `keep_going` is left out
    (the rule in this module's docstring). `progress(stage, done, total)` hears how far it got.

    With `cache` (the default), `.kb-cache/` at the root makes a rebuild re-parse only changed
    notes and re-render only files whose inputs changed; `clean` ignores and rewrites it.
    `trace` keeps each output's declared inputs in the result (tests of the dependency graph).
    """
    notes_dir = notes_dir or root / settings.notes_dir
    check_target(out_dir, notes_dir, root, clean)
    exe = "kb.search_index" if search else None  # remembered with the site: a build with search differs
    remove_leftovers(out_dir, all_of_them=clean)  # what killed builds left (--clean: every temporary folder)
    store = BuildCache.load(root, fresh=clean) if cache else BuildCache.disabled()
    theme = Theme.for_project(root)
    stamp = quick_stamp(settings, theme, notes_dir, root, exe) if cache else None
    last = store.previous_site(out_dir.resolve())
    if unchanged(last, stamp=stamp):
        return reused(last.result, out_dir, exe, store.problems)
    found = discover(notes_dir, root)
    this_build = build_id(settings, theme, notes_prefix(notes_dir, root), found, exe)
    if unchanged(last, build=this_build):  # same content, touched files: remember the new stamp
        store.remember_stamp(stamp)
        return reused(last.result, out_dir, exe, store.problems)
    from kb.records import parse_notes
    from kb.render import plan_site

    store.load_data()
    parsed = parse_notes(notes_dir, root, settings, store if cache else None, found=found,
                         progress=progress)
    held = held_back(parsed)
    if held and not keep_going:
        store.save()  # the notes parsed so far are kept: the next try re-parses only the fixed one
        return unpublished(parsed, out_dir, held, store.problems)
    parsed = without(parsed, held)
    site = make_site(parsed, root, notes_dir, settings, store.mentions if cache else None,
                     store.plain if cache else None)
    outputs = plan_site(site, theme, {s.path: s.digest for s in parsed.sources})
    previous = store.previous_site()
    index = search_index(site, store, previous, progress) if search else None
    if index is not None:
        outputs = sorted(outputs + index.outputs, key=lambda o: o.path)
    files = Planned(outputs)
    published = write_site(files, out_dir, *store.versions(), workers=WORKERS, progress=write_progress(progress))
    searched = "off" if index is None else "updated" if index.old else "ran"
    result = BuildResult(out_dir=out_dir, files=tuple(files.keys), records=len(site.kb.records), notes=len(site.notes),
                         diagnostics=tuple(parsed.diagnostics) + tuple(store.problems), parsed=parsed.parsed,
                         rendered=published.rendered, reused=len(files.keys) - published.rendered, search=searched,
                         held_back=held, made=files.changed_since(previous),
                         reads={o.path: dict(o.reads) for o in outputs} if trace else None)
    if cache:
        site_dir = out_dir.resolve()
        store.last = SiteState(site=str(site_dir), marker=marker_stamp(site_dir), build_id=this_build, stamp=stamp,
                               keys=files.keys, search=exe, **published.standby_fields(files.keys),
                               result=SavedResult(files=result.files, records=result.records, notes=result.notes,
                                                  diagnostics=tuple(parsed.diagnostics)))
        store.prune_plain(len(site.kb.records))
        store.save()
        if index is not None:
            save_search_state(index, store)
    return result
