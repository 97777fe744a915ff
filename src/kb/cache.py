"""The build state: everything a build remembers, in one store (kb.store), read in slices.

`.kb-cache/state.sqlite3` at the project root (safe to delete at any time; `kb build --clean`
ignores it and writes it afresh). It holds data only, never code, each entry authenticated
(kb.store) and validated by a pydantic model on load. Anything unexpected (a tampered, truncated,
planted, copied or older state, a value of the wrong type) discards the whole state with one
warning: that build is as slow as a clean one, and its output the same, byte for byte.

Its entries, each keyed by content hashes, never by times:

- `note/<path>`: the note's parse result (before ids are assigned), keyed by
  sha256(kb code digest + the note's forced format + path + file bytes). A rebuild re-parses
  only notes whose key changed.
- `site/`: the last site (kb.cache.SiteState): where it was written, its marker, a key per output
  file, the build's result, and the standby folder with the keys of the version it holds.
- `mentions/`: the names each record text matched, by text hash (kb.index.mentions).
- `plain/`: the one-line texts feeds show, by text hash.
- `link/<id>`, `linkfeat/<id>`, `link/`: what linking worked out (kb.link_state), so that a
  rebuild relinks only what a change can reach.
- `seen/`: each note file's stamp (size, times, inode), digest, encoding and warnings (kb.seen_state),
  so that a one-shot rebuild reads only the notes whose stamp changed.
- `views/`: the digests of each record's views, by a fingerprint of the record (kb.view_state),
  so that a one-shot rebuild does not make them all again to find them unchanged.
- `replay/`: what a `kb build` with nothing changed would print, and what must hold for it
  (kb.replay: read before pydantic is loaded, as JSON).
- `search/state`: the search index's state (kb.search_index.SearchState.dumps), so a rebuild
  re-indexes only the batches of records that changed.

A build reads the small site entry first (a no-change rebuild reads nothing else), the rest
once it must parse, and writes only the entries that changed, in one transaction at its end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from kb.digests import model_json, model_text, sha
from kb.i18n import N_, Message
from kb.models import Diagnostic, ParsedNote
from kb.plan_state import NextPlan, PlanBasis, StoredPlan, paths_of
from kb.store import CACHE_DIR, STATE_FILE, StateProblem, Store, key_folder, state_key
from kb.view_state import StoredViews
from kb.write import Version, marker_stamp

if TYPE_CHECKING:  # the link stage's, imported when a build reads or writes its rows
    from kb.discover import Seen, Stamped
    from kb.index.links import LinkMemo

__all__ = ["CACHE_DIR", "BuildCache", "MentionMemo", "SavedResult", "SiteState"]

STATE_PATH = f"{CACHE_DIR}/{STATE_FILE}"  # as diagnostics name it
TMP_PREFIX = ".tmp-"  # a file being written; a killed build leaves these, the next one removes them
LEGACY = ("notes.jsonl", "site.json", "plain.json", "mentions.json", "notes.pickle", "site.pickle",
          "mentions.pickle", "plain.pickle", "search-index.json", "search-index-tables.npz",
          "search-state.bin")  # older kb's cache files: never read, removed
SITE = ("site", "")  # the last site (SiteState)
REPLAY = ("replay", "")  # kb.replay's entry, always written with SITE
UNHELD = ("note", "link", "linkfeat", "plan", "reads")  # kinds whose written values are not kept in memory
PLAN = ("plan", "")  # kb.plan_state's entry (its rows are `reads/<input name>`)
LINK_META = ("link", "")  # kb.link_state's entry of the context and the title blocks' pairs
README = "kb build's incremental state (SQLite, data only); safe to delete (kb build --clean ignores it)\n"


def prepare_folder(folder: Path) -> None:
    """Create the cache folder with its README and a .gitignore that ignores everything in it."""
    folder.mkdir(exist_ok=True)
    for name, text in ((".gitignore", "*\n"), ("README", README)):
        if not (folder / name).exists():
            (folder / name).write_text(text, encoding="utf-8")


def remove_temporary(folder: Path | None) -> None:
    """Files a killed build was writing (they are never read)."""
    if folder is None or not folder.is_dir():
        return
    for path in folder.glob(f"{TMP_PREFIX}*"):
        path.unlink(missing_ok=True)


class SavedResult(BaseModel):
    """The outcome of the last build (kb.build.BuildResult without the output folder; its files
    are the site's, SiteState.keys: 2.8 MB of the 11 MB entry at 10,000 notes when kept twice)."""

    model_config = ConfigDict(extra="forbid")

    records: int
    notes: int
    diagnostics: tuple[Diagnostic, ...]


class SiteState(BaseModel):
    """What the last build wrote, and where."""

    model_config = ConfigDict(extra="forbid")

    site: str
    marker: tuple[int, int, int]  # (st_dev, st_ino, st_mtime_ns) of the site's marker file
    build_id: str
    keys: dict[str, str]  # site path -> input key
    listing: str | None = None  # digest of every entry of the site folder (kb.write.listing_digest)
    search: str | None  # the search indexer that indexed the site ("kb.search_index"), None without search
    result: SavedResult | None = None  # for a build that changes nothing
    stamp: str | None = None  # build inputs by file name, size and time (kb.build.quick_stamp)
    standby: str | None = None  # the standby folder beside the site, holding another version (kb.write)
    standby_marker: tuple[int, int, int] | None = None  # its marker file's stamp when that version was complete
    standby_differs: dict[str, str | None] = {}  # its keys where they differ from `keys` (None: no such file)
    standby_listing: str | None = None  # digest of every entry of the standby (kb.write.listing_digest)
    written: dict[str, tuple[int, int, int, int]] = {}  # the files this build wrote, as written (kb.write.file_stamp)


class PlainData(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when first read: a no-change build never does

    plain: dict[str, str]


class MentionsData(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when first read: a no-change build never does

    matches: dict[str, frozenset[str]]  # record text digest -> name entries it matched (kb.index.mentions)
    names: frozenset[str]  # the name entries those were matched against


@dataclass
class MentionMemo:
    """What each record text named, kept by the build state between builds: per text digest the
    entries it matched, and the entries (names) they were matched against. A rebuild reads a
    record's text again only when the text changed, or when a name was added whose first word
    the text contains; names that went away are dropped from the stored matches."""

    matches: dict[str, frozenset[str]] = field(default_factory=dict)
    names: frozenset[str] = frozenset()


class NoteLine(BaseModel):
    """A stored note: its path, its parse key, its parse result (before ids) and a digest of each
    of its records as parsed (record_digests)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when first read: a no-change build never does

    path: str
    key: str
    note: ParsedNote
    records: list[str] = []


def record_digests(note: ParsedNote) -> list[str]:
    """A digest of each record of the note, every field as parsed (kb.render.inputs.record_digest
    starts from it: made once per parse, not at every build)."""
    return [sha(model_text(record)) for record in note.records]


@dataclass
class NoteEntry:
    """A parse result: its key and its ParsedNote, as parsed or as the build state held it
    (validated once, when the state was read: a long-running kb serve validates no stored note
    again; records are frozen, and the parse stage copies a note before giving its records ids).
    Its JSON is made only to be written (`to_store`): held beside the objects, 10,000 notes' JSON
    took ~100 MB of a build."""

    key: str
    note: ParsedNote
    stored: bool = False  # exactly as the state holds it (not written again)
    digests: list[str] = field(default_factory=list)  # of its records, as parsed (record_digests)

    @classmethod
    def of(cls, key: str, note: ParsedNote) -> NoteEntry:
        return cls(key, note, digests=record_digests(note))

    def to_store(self, path: str) -> bytes:
        return model_json(NoteLine(path=path, key=self.key, note=self.note, records=self.digests))


def stored_note(path: str, value: bytes) -> NoteEntry:
    line = NoteLine.model_validate_json(value)
    if line.path != path:
        raise ValueError(f"the entry of {path} holds {line.path}")
    digests = line.records if len(line.records) == len(line.note.records) else record_digests(line.note)
    return NoteEntry(line.key, line.note, stored=True, digests=digests)


@dataclass
class BuildCache:
    """The state of the last build, as this build reads and changes it (see the module docstring)."""

    folder: Path | None
    notes: dict[str, NoteEntry] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    mentions: MentionMemo = field(default_factory=MentionMemo)
    last: SiteState | None = None
    search: bytes | None = None  # the search index's state (kb.search_index.SearchState.dumps)
    search_read: tuple | None = None  # (those bytes, the SearchState read from them), for the next build of a process
    links: tuple[str, LinkMemo] | None = None  # what the last build's linking left (context, memo: kb.link_state)
    link_ids: frozenset[str] = frozenset()  # the record ids the state holds link rows of
    link_changes: dict[tuple[str, str], bytes | None] = field(default_factory=dict)  # this build's (kb.link_state.rows)
    views: StoredViews | None = None  # the view digests as stored (kb.view_state)
    new_views: StoredViews | None = None  # this build's, when they differ
    new_seen: bytes | None = None  # this build's note stamps (kb.seen_state), when they differ
    plan: StoredPlan | None = None  # the last one-shot build's plan (kb.plan_state)
    new_plan: NextPlan | None = None  # this build's, to be written at save
    fresh: bool = False
    problems: list[Diagnostic] = field(default_factory=list)  # the state discarded, and why
    store: Store | None = None
    held: dict[tuple[str, str], bytes] = field(default_factory=dict)  # single entries as stored
    stored_notes: frozenset[str] = frozenset()
    loaded: bool = False  # load_data has run: a state kept in memory (kb serve) is not read again
    replay: bytes | None = None  # what a rebuild with nothing changed says (kb.replay), None: no entry
    held_site: tuple[SiteState, str | None] | None = None  # `last` and its stamp as the store holds them

    @classmethod
    def load(cls, root: Path, fresh: bool = False) -> BuildCache:
        """Only the small last-site entry; `load_data` reads the rest once a build needs it."""
        cache = cls(root / CACHE_DIR, fresh=fresh)
        remove_temporary(cache.folder)
        path = cache.folder / STATE_FILE
        key = state_key(key_folder())
        cache.store = Store(path, key)
        if not fresh:
            cache.guard(lambda: cache.open(path, key))
        return cache

    @classmethod
    def disabled(cls) -> BuildCache:
        return cls(None)

    def open(self, path: Path, key: bytes) -> None:
        self.store = Store.open(path, key)
        site = self.entry("site", "")
        self.last = SiteState.model_validate_json(site) if site is not None else None
        self.mark_site_held()

    def mark_site_held(self) -> None:
        self.held_site = (self.last, self.last.stamp) if self.last is not None else None

    def site_held(self) -> bool:
        """Whether the store already holds `last` as it is (without serialising 7 MB to compare)."""
        return self.held_site is not None and self.held_site[0] is self.last and self.held_site[1] == self.last.stamp

    def entry(self, kind: str, name: str) -> bytes | None:
        value = self.store.get(kind, name)
        if value is not None:
            self.held[(kind, name)] = value
        return value

    def guard(self, read):
        """Run a read of the state and give its result; any failure discards the whole state with
        one warning (and gives None)."""
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 (any surprise in stored data: never a traceback)
            said = getattr(exc, "said", None)
            problem = said if isinstance(said, Message) else str(exc).splitlines()[0] if str(exc) else ""
            self.discard(Message(id="{kind}: {problem}", args={"kind": type(exc).__name__, "problem": problem}))

    def discard(self, reason: Message | str) -> None:
        if self.store is not None:
            self.store.close()
            self.store = Store(self.store.path, self.store.key)
        self.notes, self.plain, self.mentions, self.last, self.search = {}, {}, MentionMemo(), None, None
        self.search_read = self.links = self.views = self.new_views = self.new_seen = self.plan = self.new_plan = None
        self.held, self.stored_notes, self.link_ids, self.link_changes = {}, frozenset(), frozenset(), {}
        self.held_site = None
        self.problems.append(Diagnostic(path=STATE_PATH, message=N_("build state discarded and rebuilt: {reason}",
                                                                    reason=reason)))

    def load_data(self) -> None:
        if self.folder is None or self.fresh or self.store is None or self.loaded:
            return
        self.loaded = True
        self.guard(self.read_data)

    def read_data(self) -> None:
        self.store.verify()
        self.notes = {path: stored_note(path, value) for path, value in self.store.items("note")}
        self.stored_notes = frozenset(self.notes)
        plain = self.entry("plain", "")
        self.plain = dict(PlainData.model_validate_json(plain).plain) if plain is not None else {}
        mentions = self.entry("mentions", "")
        data = MentionsData.model_validate_json(mentions) if mentions is not None else None
        self.mentions = MentionMemo(dict(data.matches), data.names) if data else MentionMemo()
        self.search = self.entry("search", "state")
        views = self.store.get("views", "")
        self.views = StoredViews.model_validate_json(views) if views is not None else None
        plan = self.store.get(*PLAN)
        self.plan = StoredPlan.model_validate_json(plan) if plan is not None else None
        self.read_links()

    def read_links(self) -> None:
        from kb.link_state import restored

        entries = dict(self.store.items("link"))
        held = entries.pop("", None)
        self.held[LINK_META] = held
        self.link_ids = frozenset(entries)
        self.links = restored(entries, held, self.stored_features, self.all_features)

    def stored_features(self, record_id: str) -> frozenset[str]:
        """A record's stored related-record features (kb.link_state): StateProblem on any surprise."""
        from kb.link_state import stored_features

        try:
            return stored_features(self.store.get("linkfeat", record_id) if self.store is not None else None)
        except Exception as exc:  # noqa: BLE001 (as in guard: the caller discards the state)
            raise StateProblem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None

    def all_features(self) -> dict[str, frozenset[str]]:
        """Every record's stored related-record features, in one read (a new process's linking takes
        them for the records that did not change): StateProblem on any surprise."""
        from kb.link_state import stored_features

        try:
            return {record_id: stored_features(value) for record_id, value in self.store.items("linkfeat")}
        except Exception as exc:  # noqa: BLE001 (as in guard: the caller discards the state)
            raise StateProblem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None

    def linked(self, context: str) -> LinkMemo | None:
        """What the last build's linking left, if it was worked out in this context (code, settings)."""
        return self.links[1] if self.links is not None and self.links[0] == context else None

    def keep_links(self, memo: LinkMemo, context: str) -> None:
        """This build's linking, to be written at save (only the rows that changed)."""
        from kb.link_state import rows

        if self.folder is None:
            return
        self.link_changes = {**self.link_changes, **rows(memo, context, self.link_ids, self.held.get(LINK_META))}
        self.links = None  # a process that keeps its state (kb serve) passes its own memo on (kb.build.Memory)

    def stamped(self) -> Stamped:
        """The note files the last one-shot build knew by stamp (kb.seen_state); {} if none or
        unreadable (the state is then discarded, with one warning)."""
        from kb.seen_state import restored

        if self.folder is None or self.store is None or self.fresh:
            return {}
        return self.guard(lambda: restored(self.entry("seen", ""))) or {}

    def keep_seen(self, seen: Seen) -> None:
        from kb.seen_state import rows

        if self.folder is not None and (value := rows(seen)) != self.held.get(("seen", "")):
            self.new_seen = value

    def plan_basis(self) -> PlanBasis | None:
        """The stored plan, while it is the last site's (kb.plan_state), with the keys that site
        was written with and its reverse map's rows."""
        plan, last = self.plan, self.last
        if plan is None or last is None or last.build_id != plan.build:
            return None
        return PlanBasis(plan, last.keys, self.readers)

    def readers(self, names) -> dict[str, list[str]]:
        """The stored rows of the plan's reverse map for these input names (StateProblem on any surprise)."""
        names = list(names)
        rows = self.store.get_many("reads", names) if self.store is not None else {}
        found = {}
        for name in names:
            try:
                found[name] = paths_of(rows[name]) if name in rows else []
            except ValueError as exc:
                raise StateProblem(f"reads/{name}: {exc}") from None
        return found

    def keep_plan(self, plan: NextPlan) -> None:
        """This build's plan, to be written at save (kb.plan_state.next_plan)."""
        if self.folder is not None:
            self.new_plan = plan

    def keep_views(self, views: StoredViews | None) -> None:
        """This build's view digests (a one-shot build's), to be written at save if they changed."""
        if self.folder is not None and views is not None and views != self.views:
            self.new_views = views

    def changes(self) -> dict[tuple[str, str], bytes | None]:
        """The entries that differ from what the state holds (None: an entry to remove)."""
        changes: dict[tuple[str, str], bytes | None] = {
            ("note", path): entry.to_store(path) for path, entry in self.notes.items() if not entry.stored}
        changes.update({("note", path): None for path in self.stored_notes - self.notes.keys()})
        single = {("plain", ""): model_json(PlainData(plain=self.plain)),
                  ("mentions", ""): model_json(MentionsData(matches=self.mentions.matches, names=self.mentions.names)),
                  SITE: self.site_entry(), ("search", "state"): self.search}
        changes.update({key: value for key, value in single.items() if self.held.get(key) != value})
        changes.update(self.replay_change(SITE in changes))
        changes.update(self.link_changes)
        if self.new_views is not None:
            changes[("views", "")] = model_json(self.new_views)
        if self.new_seen is not None:
            changes[("seen", "")] = self.new_seen
        if self.new_plan is not None:
            changes[PLAN] = model_json(self.new_plan.stored)
            changes.update({("reads", name): row for name, row in self.new_plan.rows.items()})
        return changes

    def save(self) -> None:
        """Write what changed in one transaction; a state that cannot be written only makes the next
        build slower."""
        if self.folder is None or self.store is None:
            return
        try:
            prepare_folder(self.folder)
            for name in LEGACY:
                (self.folder / name).unlink(missing_ok=True)
            changes = self.changes()
            self.store.write(changes, cleared=("reads",) if self.new_plan is not None and self.new_plan.fresh else ())
        except Exception:  # noqa: BLE001 (a full disk, a folder made read-only: never a traceback)
            return
        self.held.update({key: value for key, value in changes.items()
                          if key == LINK_META or (key[0] not in UNHELD and value is not None)})
        self.link_ids = (self.link_ids | {n for k, n in self.link_changes if k == "link" and n}) \
            - {n for (k, n), v in self.link_changes.items() if v is None}  # ("link", "") is LINK_META
        self.link_changes = {}
        self.views, self.new_views = self.new_views or self.views, None
        self.plan, self.new_plan = self.new_plan.stored if self.new_plan is not None else self.plan, None
        if self.new_seen is not None:
            self.held[("seen", "")], self.new_seen = self.new_seen, None
        for path in self.notes:
            self.notes[path].stored = True
        self.stored_notes = frozenset(self.notes)
        self.mark_site_held()

    def site_entry(self) -> bytes | None:
        """The last site's entry as stored."""
        return model_json(self.last) if self.last else None

    def replay_change(self, site_changed: bool) -> dict[tuple[str, str], bytes | None]:
        """The replay entry, written (or removed) whenever the site entry is: kb.replay trusts it
        without reading the site entry (7 MB at 10,000 notes)."""
        return {REPLAY: self.replay} if site_changed or self.held.get(REPLAY) != self.replay else {}

    def remember(self) -> None:
        """For a build that changed nothing: write the site entry (with a new quick stamp) and the
        replay entry, where they changed (nothing else is read or written)."""
        if self.folder is None or self.last is None or self.store is None:
            return
        site = None if self.site_held() else self.site_entry()
        changes = {SITE: site} if site is not None and self.held.get(SITE) != site else {}
        changes.update(self.replay_change(bool(changes)))
        if not changes:
            return
        try:
            self.store.write(changes)
        except Exception:  # noqa: BLE001 (as in save)
            return
        self.held.update({key: value for key, value in changes.items() if value is not None})
        self.mark_site_held()

    def prune_plain(self, records: int) -> None:
        """Forget one-line texts once the store is much larger than the site needs."""
        if len(self.plain) > 4 * records + 1000:
            self.plain.clear()

    def previous_site(self, out_dir: Path | None = None) -> SiteState | None:
        """The last site, if it is still there exactly as written (and, when given, at out_dir)."""
        last = self.last
        if last is None:
            return None
        if out_dir is not None and last.site != str(out_dir):
            return None
        return last if marker_stamp(Path(last.site)) == last.marker else None

    def versions(self) -> tuple[Version | None, Version | None]:
        """The last site and its standby folder, each with its keys, if still exactly as written."""
        last = self.previous_site()
        if last is None:
            return None, None
        site = Version.recorded(Path(last.site), last.keys, last.listing, last.written)
        stamp = marker_stamp(Path(last.standby)) if last.standby else None
        if site is None or stamp is None or stamp != last.standby_marker:
            return site, None
        keys = {**last.keys, **last.standby_differs}
        return site, Version.recorded(Path(last.standby), {name: key for name, key in keys.items() if key is not None},
                                      last.standby_listing)
