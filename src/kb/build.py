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

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kb.cache import CACHE_DIR, BuildCache, MentionMemo, SavedResult, SiteState, prepare_folder
from kb.collector import hold_until_idle, resume, without_collector
from kb.config import Settings
from kb.digests import code_digest, settings_digest, sha
from kb.discover import Seen, SpilledTexts, discover_since
from kb.folders import remove_leftovers
from kb.listing import ScanAhead
from kb.lock import build_locks
from kb.lock import lock_paths as held_locks
from kb.models import Diagnostic, Record, Severity
from kb.render.theme import Theme
from kb.search_stage import save_search_state, search_index
from kb.store import StateProblem
from kb.unchanged import build_id, notes_prefix, quick_stamp, unchanged
from kb.view_state import StoredViews
from kb.write import check_target, marker_stamp, to_check, write_site

if TYPE_CHECKING:  # the parse, index and render stages are imported when a build needs them:
    from kb.index import LinkMemo
    from kb.plan_state import HeldPlan
    from kb.records import Parsed  # a no-change rebuild never does
    from kb.render import ItemMemo, Output, PlanMemo, Site
    from kb.render.site import ViewMemo
    from kb.replay import Command

Progress = Callable[[str, int, int], None]  # (stage, done, total), e.g. kb.console.Progress
WORKERS = min(2, os.cpu_count() or 1)  # processes that render and write (kb.writers.place_all)
INLINE_MAX = 64  # a build renders up to this many files in its own process (forked workers cost more)
INLINE_KEPT = 512  # kb serve (Memory.keep): up to this many, its memos warm


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
    keyed: tuple[str, ...] = ()  # outputs whose inputs this build listed and keyed (others: the stored plan's key)
    site_bytes: int | None = None  # of every file of the site written, from the write stage's listing (None: unknown)

    @property
    def pages(self) -> int:
        return sum(name.endswith(".html") for name in self.files)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def make_site(parsed: Parsed, root: Path, notes_dir: Path, settings: Settings, memo: MentionMemo | None = None,
              plain: dict | None = None, cache_folder: Path | None = None) -> Site:
    return link_site(parsed, root, notes_dir, settings, memo, plain, cache_folder)[0]


def link_site(parsed: Parsed, root: Path, notes_dir: Path, settings: Settings, memo: MentionMemo | None = None,
              plain: dict | None = None, cache_folder: Path | None = None,
              before: LinkMemo | None = None, views: ViewMemo | None = None) -> tuple[Site, LinkMemo]:
    """make_site, given what linking kept from the previous build of this process (kb.index.links)."""
    from kb.index import index_records
    from kb.index.added import added_dates
    from kb.render import Site, make_notes

    found = origins(parsed)
    kb, links = index_records(parsed.records, settings, memo, before, found)
    notes = make_notes(parsed.sources, parsed.notes, notes_prefix(notes_dir, root))
    added = added_dates(root, kb.records, parsed.sources, cache_folder)  # git blame (kb.index.added)
    notices = (Diagnostic(path=notes_prefix(notes_dir, root), message=added.notice),) if added.notice else ()
    return Site(kb=kb, notes=notes, settings=settings, plain=plain, added=added.dates, notices=notices,
                origins=found, views=views), links


def origins(parsed: Parsed) -> dict[str, tuple[str, Record]]:
    """Each record as parsed (with its id) and the digest of it (kb.render.inputs.record_digest)."""
    return {record.id: (digests[n], record) for note in parsed.notes
            if len(digests := parsed.digests.get(note.path, ())) == len(note.records)
            for n, record in enumerate(note.records)}


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


def reused(last: SiteState, req: Request, problems: list[Diagnostic]) -> BuildResult:
    """The last build's result, for a build that changed nothing (plus the state discarded, if it was)."""
    files, saved = tuple(last.keys), last.result
    return BuildResult(out_dir=req.out_dir, files=files, records=saved.records, notes=saved.notes,
                       diagnostics=saved.diagnostics + tuple(problems), reused=len(files),
                       search="reused" if req.exe else "off")


def write_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    return None if progress is None else lambda done, total: progress("writing pages", done, total)


def lock_paths(root: Path, out_dir: Path, cache: bool) -> list[Path]:
    """kb.lock.lock_paths, the state's folder made first."""
    if cache:
        try:
            prepare_folder(root / CACHE_DIR)
        except OSError:
            pass  # a read-only project: no state is kept, and the lock is not taken (kb.lock)
    return held_locks(out_dir, root / CACHE_DIR if cache else None)


@dataclass(frozen=True)
class Request:
    """One build: the project, where its site goes, and how to build it (see build_site)."""

    root: Path
    settings: Settings
    out_dir: Path
    notes_dir: Path
    search: bool = True
    clean: bool = False
    cache: bool = True
    keep_going: bool = False
    progress: Progress | None = None
    trace: bool = False
    command: Command | None = None  # the `kb build` command this build answers (kb.replay)

    @property
    def exe(self) -> str | None:
        """The search indexer, remembered with the site: a build with search differs."""
        return "kb.search_index" if self.search else None


@dataclass
class Memory:
    """What a long-running process (`kb serve`) keeps between its builds: the build state as the
    last build left it (never read from disk again), what discovery read, by file stat, what
    linking worked out (kb.index.links.LinkMemo, with the features and LinkedRecords the build
    state does not keep) and what planning computed (each input's digest
    and each output's key, kb.render.outputs.PlanMemo)."""

    state: BuildCache | None = None
    seen: Seen = field(default_factory=dict)
    link: LinkMemo | None = None
    plan: PlanMemo | None = None
    held: HeldPlan | None = None  # the plan's reverse map (kb.plan_state), for keying only what a change reaches
    items: ItemMemo | None = None  # rendered list entries (kb.render.outputs.ItemMemo)
    views: ViewMemo | None = None  # each record's Facts and Item (kb.render.site.ViewMemo)
    spent: list = field(default_factory=list)  # what the last build made and no longer needs (let_go)
    idle: bool = False  # a build's end frees nothing: kb serve calls let_go once idle; a one-shot kb never (kb.exits)
    keep: bool = True  # False: a one-shot build, whose memos go as soon as they are used

    def used(self) -> None:
        """Linking and planning are done: a one-shot build lets go of their memos before writing."""
        if not self.keep:
            self.link = self.plan = None

    def item_memo(self, clean: bool) -> ItemMemo | None:
        """The list entries kb serve rendered before (anew for a clean build); None for a one-shot build."""
        from kb.render import ItemMemo

        if self.keep and (clean or self.items is None):
            self.items = ItemMemo()
        return self.items if self.keep else None

    def let_go(self) -> None:
        """Free what the last build made and give the collector back (kb.collector.resume): kb
        serve calls this once idle, after the browser had its page (0.4 s at 10,000 notes)."""
        self.spent.clear()
        resume()

    def view_memo(self, clean: bool) -> ViewMemo | None:
        """The records' views kb serve made before (anew for a clean build); None for a one-shot build."""
        from kb.render.site import ViewMemo

        if self.keep and (clean or self.views is None):
            self.views = ViewMemo()
        return self.views if self.keep else None

    def workers(self, changed: int) -> int:
        """Processes to render `changed` files in: a small change in the build's own (each forked
        worker compiles the templates again: 1.3 s for 37 files at 10,000 notes), a large one in
        WORKERS forked processes. kb serve renders more in its own, where what it rendered before
        is kept (list entries, references, graph labels: 423 pages in 1.3 s, against 2.3 s forked)."""
        return 1 if changed <= (INLINE_KEPT if self.keep else INLINE_MAX) else WORKERS


def build_site(root: Path, settings: Settings, out_dir: Path, notes_dir: Path | None = None,
               search: bool = True, clean: bool = False, cache: bool = True,
               keep_going: bool = False, progress: Progress | None = None, trace: bool = False,
               wait: bool = True, waiting: Callable[[str], None] | None = None,
               memory: Memory | None = None, command: Command | None = None) -> BuildResult:
    """Build the site of the project at `root` into `out_dir` (replaced as a whole, atomically).

    A note with an error keeps the build from publishing, or with `keep_going` is left out
    (the rule in this module's docstring). `progress(stage, done, total)` hears how far it got.
    One build at a time: it holds the project's and the output folder's locks (kb.lock;
    `wait=False` raises BuildBusy instead of waiting, `waiting` hears that it waits).

    With `cache` (the default), the build state in `.kb-cache/` makes a rebuild re-parse only
    changed notes and re-render only files whose inputs changed; `clean` ignores and rewrites it;
    `memory` keeps it in memory for the next build of the same process instead.
    `trace` keeps each output's declared inputs in the result (tests of the dependency graph).
    `command` (kb.cli's) has the build state say what the same command would print were nothing
    to change (kb.replay).
    """
    request = Request(root, settings, out_dir, notes_dir or root / settings.notes_dir, search, clean, cache,
                      keep_going, progress, trace, command)
    check_target(out_dir, request.notes_dir, root, clean)
    with build_locks(lock_paths(root, out_dir, cache), wait, waiting):
        remove_leftovers(out_dir, all_of_them=clean)  # what killed builds left (--clean: every temporary folder)
        return pipeline(request, memory if memory is not None else Memory(keep=False))


@without_collector
def pipeline(req: Request, memory: Memory) -> BuildResult:
    """load, (nothing changed?), discover, (nothing changed?), parse, link, plan, search, publish, save."""
    memory.let_go()  # if kb serve was never idle since its last build
    state = load_state(req, memory)
    theme = Theme.for_project(req.root)
    stamp = quick_stamp(req.settings, theme, req.notes_dir, req.root, req.exe) if req.cache else None
    last = state.previous_site(req.out_dir.resolve())
    if unchanged(last, stamp=stamp):
        return reused_again(req, state, theme, None)
    found = discover_stage(req, state, memory)
    this_build = build_id(req.settings, theme, notes_prefix(req.notes_dir, req.root), found, req.exe)
    if unchanged(last, build=this_build):  # same content, touched files: remember the new stamp
        return reused_again(req, state, theme, stamp)
    ahead = scan_ahead(state)
    parsed = parse_stage(req, state, found, memory)
    held = held_back(parsed)
    if held and not req.keep_going:
        state.save()  # the notes parsed so far are kept: the next try re-parses only the fixed one
        return unpublished(parsed, req.out_dir, held, state.problems)
    site, memory.link = link_stage(req, state, without(parsed, held), memory)
    if memory.idle and memory.plan is not None:
        memory.spent.append(memory.plan)  # the memo it replaces (freed once idle: let_go)
    outputs, memory.plan = plan_stage(req, state, memory, site, theme, parsed)
    state.keep_views(memory.plan.views)
    keep_plan(req, state, memory, this_build)
    hold_plan(req, memory, outputs)
    keyed = tuple(sorted(memory.plan.left.outputs))
    linking = memory.link.mark() if memory.link is not None else None
    memory.used()
    previous = state.previous_site()
    index = search_index(site, state, previous, req.progress, linking) if req.search else None
    files = Planned(sorted(outputs + (index.outputs if index else []), key=lambda o: o.path))
    made = files.changed_since(previous)
    published = write_site(files, req.out_dir, *state.versions(), workers=memory.workers(len(made)),
                           progress=write_progress(req.progress), ahead=ahead)
    result = replace(built(req, parsed, site, files, published, index, made, state.problems, held), keyed=keyed)
    if req.cache:
        save_stage(req, state, result, parsed, files, published, index, this_build, stamp, theme)
    if memory.idle:  # freed once idle (Memory.let_go), or never: the process ends (kb.exits.keep_until_exit)
        memory.spent.append((parsed, site, outputs, files, index))
        hold_until_idle()
    return result


def load_state(req: Request, memory: Memory) -> BuildCache:
    """The build state: the one in memory when there is one, else the store's (kb.cache)."""
    if not req.cache:
        return BuildCache.disabled()
    if memory.state is None or req.clean:
        memory.state = BuildCache.load(req.root, fresh=req.clean)
    else:
        memory.state.problems = []
    return memory.state


def discover_stage(req: Request, state: BuildCache, memory: Memory):
    """The notes, read again only where their stamp changed: since the last build of this process
    (Memory.seen), else since the last one-shot build (the build state's, kb.seen_state)."""
    one_shot = req.cache and not memory.keep
    stamped = state.stamped() if one_shot and not memory.seen else None
    found, memory.seen = discover_since(req.notes_dir, req.root, memory.seen, stamped)
    if one_shot:
        state.keep_seen(memory.seen)
    return found


def scan_ahead(state: BuildCache) -> ScanAhead | None:
    """The listings the write stage will check, read while this build parses and links
    (kb.listing.ScanAhead, kb.write.to_check)."""
    folders = to_check(*state.versions())
    return ScanAhead(folders) if folders else None


def parse_stage(req: Request, state: BuildCache, found, memory: Memory) -> Parsed:
    """The notes parsed (or taken from the build state). A one-shot build then sets their texts
    aside in a temporary file, for the pages that show a note (kb.discover.SpilledTexts: ~100 MB
    fewer held at 10,000 notes); kb serve keeps them, as it keeps the notes from build to build."""
    from kb.records import parse_notes

    state.load_data()
    parsed = parse_notes(req.notes_dir, req.root, req.settings, state if req.cache else None, found=found,
                         progress=req.progress)
    if not memory.keep:
        spill = SpilledTexts()
        for source in parsed.sources:
            source.set_aside(spill)
    return parsed


def link_stage(req: Request, state: BuildCache, parsed: Parsed, memory: Memory) -> tuple[Site, LinkMemo]:
    """The linked site, and what linking keeps for the next build: taken over from the last build
    of this process, else read from the build state (kb.link_state). The memo is dropped first, so
    a build that fails here leaves nothing half updated; a stored memo that fails to read discards
    the state (one warning) and every record is linked anew."""
    before, memory.link = (None if req.clean else memory.link), None
    context = sha(code_digest(), settings_digest(req.settings))
    if before is None and not req.clean:
        before = state.linked(context)
    views = memory.view_memo(req.clean)
    try:
        site, links = linked_site(req, state, parsed, before, views)
    except StateProblem as exc:
        state.discard(exc.said)
        site, links = linked_site(req, state, parsed, None, views)
    state.keep_links(links, context)
    return site, links


def linked_site(req: Request, state: BuildCache, parsed: Parsed, before: LinkMemo | None,
                views: ViewMemo | None) -> tuple[Site, LinkMemo]:
    return link_site(parsed, req.root, req.notes_dir, req.settings, state.mentions if req.cache else None,
                     state.plain if req.cache else None, state.folder if req.cache else None, before, views)


def plan_stage(req: Request, state: BuildCache, memory: Memory, site: Site, theme: Theme,
               parsed: Parsed) -> tuple[list[Output], PlanMemo]:
    """Every output with its key: from what this process planned before (kb serve), else from the
    stored plan of the last build (kb.plan_state); a stored plan that fails to read discards the
    state (one warning) and every output is planned anew."""
    from kb.render import plan_outputs

    before = None if req.trace or req.clean else memory.plan
    texts = {s.path: s.digest for s in parsed.sources}
    items, views = memory.item_memo(req.clean), stored_views(req, state, memory)
    basis = state.plan_basis() if req.cache and not (memory.keep or req.clean or req.trace) else None
    if memory.keep and memory.held is not None and not (req.clean or req.trace):
        basis = memory.held.basis()  # kb serve's own, in memory (kb.plan_state.HeldPlan)
    try:
        return plan_outputs(site, theme, texts, before, req.trace, items, views, basis, memory.link)
    except StateProblem as exc:
        state.discard(exc.said)
        return plan_outputs(site, theme, texts, before, req.trace, items, stored_views(req, state, memory),
                            links=memory.link)


def keep_plan(req: Request, state: BuildCache, memory: Memory, this_build: str) -> None:
    """A one-shot build's plan, for the build state (kb.plan_state; kb serve keeps its own, Memory.plan)."""
    from kb.plan_state import next_plan

    left = memory.plan.left
    if not req.cache or memory.keep or left is None:
        return
    readers = state.readers if left.reuse is not None else None
    before = state.plan if left.reuse is not None else None
    state.guard(lambda: state.keep_plan(next_plan(this_build, left.base, left.templates, left.digests,
                                                  left.outputs, left.kept, left.reuse, before, readers,
                                                  generation(memory))))


def hold_plan(req: Request, memory: Memory, outputs: list[Output]) -> None:
    """kb serve's plan for its next build (kb.plan_state.HeldPlan; a trace build holds none)."""
    from kb.plan_state import held_plan

    left = memory.plan.left
    if not memory.keep or left is None or req.trace:
        memory.held = None
        return
    memory.held = held_plan(None if req.clean else memory.held, left.base, left.templates, left.digests,
                            left.outputs, {o.path: o.key for o in outputs}, left.reuse, generation(memory))


def generation(memory: Memory) -> str:
    """The generation of this build's linking (kb.index.links.LinkMemo), which its plan was made from."""
    return memory.link.generation if memory.link is not None else ""


def stored_views(req: Request, state: BuildCache, memory: Memory) -> StoredViews | None:
    """The view digests the build state kept, for a one-shot build with the state (kb.view_state);
    a long-running process (kb serve) has its own memo of them (Memory.plan) and neither reads nor
    writes them."""
    if memory.keep or not req.cache:
        return None
    return state.views if state.views is not None and not req.clean else StoredViews(context="", rows={})


def built(req: Request, parsed: Parsed, site: Site, files: Planned, published, index, made: tuple[str, ...],
          problems: list[Diagnostic], held: tuple[str, ...]) -> BuildResult:
    searched = "off" if index is None else "updated" if index.old else "ran"
    return BuildResult(out_dir=req.out_dir, files=tuple(files.keys), records=len(site.kb.records),
                       notes=len(site.notes), diagnostics=tuple(parsed.diagnostics) + tuple(problems) + site.notices,
                       parsed=parsed.parsed, rendered=published.rendered, reused=len(files.keys) - published.rendered,
                       search=searched, held_back=held, made=made, site_bytes=published.site_bytes,
                       reads={p: dict(o.reads) for p, o in files.outputs.items()} if req.trace else None)


def save_stage(req: Request, state: BuildCache, result: BuildResult, parsed: Parsed, files: Planned, published,
               index, this_build: str, stamp: str | None, theme: Theme) -> None:
    """What this build leaves for the next: the site it wrote, the search state, in one transaction."""
    site_dir = req.out_dir.resolve()
    state.last = SiteState(site=str(site_dir), marker=marker_stamp(site_dir), build_id=this_build, stamp=stamp,
                           keys=files.keys, search=req.exe, **published.standby_fields(files.keys),
                           result=SavedResult(records=result.records, notes=result.notes,
                                              diagnostics=tuple(parsed.diagnostics)))
    state.prune_plain(result.records)
    if index is not None:
        save_search_state(index, state)
    state.replay = replay_entry(req, state, theme)
    state.save()


def reused_again(req: Request, state: BuildCache, theme: Theme, stamp: str | None) -> BuildResult:
    """The last build's result (reused), with the quick stamp (when the notes were only touched)
    and the replay entry kept in the build state."""
    state.last.stamp = stamp or state.last.stamp
    state.replay = replay_entry(req, state, theme)
    state.remember()
    return reused(state.last, req, state.problems)


def replay_entry(req: Request, state: BuildCache, theme: Theme) -> bytes | None:
    """What the same `kb build` would print were nothing to change, for kb.replay; None without a
    command, or when the next build could not know by stamp that nothing changed."""
    from kb.replay import Inputs, record

    last = state.last
    if req.command is None or last is None or last.stamp is None or last.result is None:
        return None
    said, status = req.command.said(reused(last, req, []))
    inputs = Inputs(settings_digest(req.settings), theme.dirs, notes_prefix(req.notes_dir, req.root), req.notes_dir,
                    req.exe, last.site)
    return record(req.command.context, inputs, last.stamp, last.marker, said, status)
