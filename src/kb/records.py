"""The parse stage for a whole notes folder: discover, parse each note, give ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from kb.cache import BuildCache, NoteEntry, record_digests
from kb.config import Settings
from kb.digests import code_digest, sha
from kb.discover import SourceFile, discover
from kb.formats import parse_source
from kb.i18n import N_
from kb.models import Diagnostic, ParsedNote, Record, Residue
from kb.text import Taken, excerpt, first_free, slugify


@dataclass(frozen=True)
class Parsed:
    """Every note's parse result, the records with unique ids, and all diagnostics."""

    notes: list[ParsedNote]
    sources: list[SourceFile]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: int = 0  # notes parsed in this run (the others came from the build cache)
    reused: int = 0
    digests: dict[str, list[str]] = field(default_factory=dict)  # note path -> its records' digests, as parsed

    @property
    def records(self) -> list[Record]:
        return [record for note in self.notes for record in note.records]


def forced_format(path: str, settings: Settings) -> str | None:
    for pattern, name in sorted(settings.formats.items()):
        if fnmatch(path, pattern):
            return name
    return None


def base_id(record: Record) -> str:
    return record.arxiv_id or slugify(record.title)


def assign_ids(records: list[Record]) -> list[Record]:
    """The records, each with a unique id: the arXiv id or title slug, `-2`, `-3`... on collisions.

    Colliding records are ordered by (source path, first line), so adding an unrelated
    note never renames an existing record.
    """
    taken = Taken()
    ids: dict[int, str] = {}
    for n, record in sorted(enumerate(records), key=lambda p: (p[1].source.path, p[1].source.line_start, p[1].title)):
        ids[n] = first_free(record.id or base_id(record), taken)
    return [record.model_copy(update={"id": ids[n]}) for n, record in enumerate(records)]


def with_ids(notes: list[ParsedNote]) -> list[ParsedNote]:
    """The notes with their records' unique ids (a copy of each note: cached notes stay as stored)."""
    records = iter(assign_ids([record for note in notes for record in note.records]))
    return [note.model_copy(update={"records": [next(records) for _ in note.records]}) for note in notes]


def residue_diagnostics(note: ParsedNote) -> list[Diagnostic]:
    """A warning per residue line, unless the parser already reported that very text (or the
    whole note: one kb cannot read has one error, not a warning per line)."""
    if note.format == "unknown":
        return []
    explained = {(d.line, d.text) for d in note.diagnostics}  # d.text is at most an excerpt
    return [residue_warning(note.path, item) for item in note.residue
            if (item.line, excerpt(item.text)) not in explained]


def residue_warning(path: str, item: Residue) -> Diagnostic:
    return Diagnostic(path=path, line=item.line, message=N_("text not assigned to any record field"), text=item.text)


def parse_notes(notes_dir: Path, root: Path, settings: Settings, cache: BuildCache | None = None,
                found: tuple[list[SourceFile], list[Diagnostic]] | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> Parsed:
    """Parse every note below notes_dir; unreadable notes become errors, not crashes.

    With a build cache, a note whose bytes, path, forced format and kb code are unchanged is
    not parsed again: its stored parse result is used (and the cache is updated in place).
    """
    sources, diagnostics = found or discover(notes_dir, root)
    diagnostics = list(diagnostics)
    notes, parsed, digests = parse_sources(sources, settings, cache, progress)
    notes = with_ids(notes)
    for note in notes:
        diagnostics.extend(note.diagnostics)
        diagnostics.extend(residue_diagnostics(note))
    return Parsed(notes=notes, sources=sources, diagnostics=diagnostics, parsed=parsed, reused=len(notes) - parsed,
                  digests=digests)


def note_key(source: SourceFile, forced: str | None) -> str:
    return sha(code_digest(), forced or "", source.path, source.digest)


def parse_sources(sources: list[SourceFile], settings: Settings, cache: BuildCache | None,
                  progress: Callable[[str, int, int], None] | None = None,
                  ) -> tuple[list[ParsedNote], int, dict[str, list[str]]]:
    """Each source's ParsedNote (fresh objects every time), how many were parsed anew, and the
    digests of each note's records as parsed (kept with the note in the build state)."""
    if cache is None:
        notes = [parse_source(source, forced_format(source.path, settings)) for source in sources]
        return notes, len(sources), {note.path: record_digests(note) for note in notes}
    notes: list[ParsedNote] = []
    kept: dict[str, NoteEntry] = {}
    parsed = 0
    for done, source in enumerate(sources):
        if progress:
            progress("parsing notes", done, len(sources))
        forced = forced_format(source.path, settings)
        key = note_key(source, forced)
        entry = cache.notes.get(source.path)
        if entry is None or entry.key != key:
            note = parse_source(source, forced)
            entry = NoteEntry.of(key, note)
            parsed += 1
        else:
            note = entry.note
        kept[source.path] = entry
        notes.append(note)
    cache.notes = kept
    return notes, parsed, {path: entry.digests for path, entry in kept.items()}
