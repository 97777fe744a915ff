"""When each record was added: the earliest commit date of its own lines (`git blame`).

    added_dates(root, records, sources, folder) -> Added   (dates by record id, a notice or None)

When the notes folder is in a git repository, a record's added date is the earliest committer
date (in the committer's time zone) among the lines of its source span, so one record added to
a 142-entry note in a later commit gets that commit's date. Lines not committed yet, or a note
outside git, leave the record's own issue date (else its note's earliest issue date, else
nothing): the date the note gives is the best guess of when it was written down.

Blame results are kept in `.kb-cache/added-dates.json` by the note's digest (one JSON object:
digest -> one day number per line, 0 for an uncommitted line; validated on load, never run), and
only for notes whose every line is committed: those dates cannot change without rewriting the
history. A shallow clone (CI's default) has no history before its one commit, so every date
would be that commit's: kb says so once, with the fix (`fetch-depth: 0` on actions/checkout).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kb.discover import SourceFile
from kb.i18n import N_, Message
from kb.models import Record

CACHE = "added-dates.json"
_HEADER = re.compile(r"^[0-9a-f]{40} \d+ \d+")
SHALLOW = N_("the notes are in a shallow git clone: added dates are those of the commits fetched, not when each "
             "record was added. In GitHub Actions fetch the whole history: actions/checkout with `fetch-depth: 0`")


@dataclass(frozen=True)
class Added:
    dates: dict[str, dt.date] = field(default_factory=dict)
    notice: Message | None = None  # said once per build (a shallow clone)


def git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def blame_days(root: Path, path: str) -> list[int] | None:
    """A day number (date.toordinal) per line of the file, 0 for a line not committed."""
    out = git(root, "blame", "--porcelain", "--", path)
    if out is None:
        return None
    seconds: dict[str, int] = {}
    days: dict[str, int] = {}
    found: list[int] = []
    commit = ""
    for line in out.split("\n"):
        if line.startswith("\t"):
            found.append(days.get(commit, 0))
        elif _HEADER.match(line):
            commit = line[:40]
        elif line.startswith("committer-time "):
            seconds[commit] = int(line.split()[1])
        elif line.startswith("committer-tz ") and commit in seconds and commit.strip("0"):
            days[commit] = local_day(seconds[commit], line.split()[1])
    return found


def local_day(seconds: int, tz: str) -> int:
    """The day number of a commit time in its committer's time zone (`+0900`)."""
    sign = -1 if tz.startswith("-") else 1
    offset = sign * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5]))
    return (dt.datetime.fromtimestamp(seconds, dt.UTC) + offset).date().toordinal()


def load_cache(folder: Path | None) -> dict[str, list[int]]:
    """The kept blame results: {note digest: [day per line]}; anything malformed is ignored."""
    try:
        data = json.loads((folder / CACHE).read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, list)
            and all(type(d) is int and d > 0 for d in v)}


def save_cache(folder: Path | None, kept: dict[str, list[int]]) -> None:
    if folder is None:
        return
    try:
        (folder / CACHE).write_text(json.dumps(kept, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    except OSError:
        pass  # a cache that cannot be written only makes the next build slower


def tracked(root: Path) -> set[str] | None:
    """The notes git tracks, in one `git ls-files` (None: git could not tell). A note it does not
    track has no committed line: blaming each of them, one process a note, cost 11 s a build at
    10,000 untracked notes."""
    out = git(root, "ls-files", "-z")  # the files below root, named as sources name them
    return None if out is None else set(out.split("\0"))


def line_days(root: Path, sources: list[SourceFile], folder: Path | None) -> dict[str, list[int]]:
    """Each note's day per line (0: uncommitted), from the cache or git blame (of tracked notes only)."""
    kept, days, known = load_cache(folder), {}, tracked(root)
    used: dict[str, list[int]] = {}
    for source in sources:
        found = kept.get(source.digest)
        if found is None:
            found = (blame_days(root, source.path) if known is None or source.path in known else None) or []
        if found and all(found):
            used[source.digest] = found
        days[source.path] = found
    if used != kept:
        save_cache(folder, used)
    return days


def fallback(record: Record, note_dates: dict[str, dt.date]) -> dt.date | None:
    return record.issue_date or note_dates.get(record.source.path)


def added_dates(root: Path, records: list[Record], sources: list[SourceFile], folder: Path | None) -> Added:
    note_dates: dict[str, dt.date] = {}
    for record in records:
        if record.issue_date:
            old = note_dates.get(record.source.path)
            note_dates[record.source.path] = min(old, record.issue_date) if old else record.issue_date
    top = git(root, "rev-parse", "--is-shallow-repository")
    if top is None:  # not in a git repository (or no git): the dates the notes give
        return Added({r.id: d for r in records if (d := fallback(r, note_dates))})
    days = line_days(root, sources, folder)
    dates = {}
    for record in records:
        lines = days.get(record.source.path, [])[record.source.line_start - 1:record.source.line_end]
        committed = [d for d in lines if d]
        date = dt.date.fromordinal(min(committed)) if committed else fallback(record, note_dates)
        if date:
            dates[record.id] = date
    return Added(dates, SHALLOW if top.strip() == "true" else None)
