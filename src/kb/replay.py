"""A one-shot `kb build` that changes nothing, answered before kb loads its stages.

At 10,000 notes such a rebuild spent 0.2 s importing pydantic, click and kb's stages and 0.2 s
more before it found nothing to do. So every build made by `kb build` leaves in the build state
one entry, `replay/`, saying what a rebuild with nothing changed would print, and what must hold
for that:

- the same command: its options (never --clean), the working folder, the environment kb reads,
  whether its output goes to a terminal, kb.yaml's bytes and kb's code (`command_context`);
- the same inputs by stamp: kb.stamps.build_stamp of the settings, templates, notes and search
  indexer equals the stamp of the build the record was made by, and the site folder is the one
  it wrote (its marker file), with no leftover of a killed build beside it and no other build
  running. The entry is written with the site entry, in the same transaction, or removed then
  (kb.cache), so it always speaks of the last build.

What it says is the result kb.build.reused gives, printed by kb.cli as it prints any result,
with its exit status. `kb` looks here first (kb.exits.console_entry calls `replayed`): when all
of it holds, it prints what was recorded and exits, having read one state entry and the notes'
stamps; on any doubt (an option it does not know, a state it cannot read, anything else) the
build goes the usual way, which says the same when nothing changed. Standard library only, with
kb.store, kb.stamps, kb.folders and kb.lock, which are too.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb import CONFIG_NAME
from kb.digests import code_digest, sha
from kb.folders import leftovers
from kb.lock import BuildBusy, build_locks, lock_paths
from kb.render.theme import Theme
from kb.stamps import build_stamp, files_stamp, marker_stamp
from kb.store import CACHE_DIR, STATE_FILE, Store, key_folder, state_key

ENTRY = ("replay", "")  # the build state's entry (kb.cache)
ENV = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "NO_COLOR", "CI", "GITHUB_ACTIONS", "GITHUB_REPOSITORY",
       "XDG_CACHE_HOME", "HOME")  # what kb build reads of the environment
FLAGS = {"--no-search": ("search", False), "--keep-going": ("keep_going", True), "--no-wait": ("wait", False),
         "-q": ("quiet", True), "--quiet": ("quiet", True), "-v": ("verbose", True), "--verbose": ("verbose", True)}
VALUED = {"--out": "out", "--notes": "notes"}
Said = list[tuple[int, str]]  # what was printed, in order: (1 stdout or 2 stderr, text)


def default_options() -> dict:
    """kb build's options as kb.cli.BuildOptions has them, unset."""
    return {"out": None, "notes": None, "search": True, "keep_going": False, "quiet": False, "verbose": False,
            "wait": True}


def command_options(argv: list[str]) -> dict | None:
    """`kb build`'s options in argv; None for any other command, --clean or --watch, or a form of
    an option this module does not read as click does (the usual way then reads it)."""
    if not argv or argv[0] != "build":
        return None
    options, rest = default_options(), list(argv[1:])
    while rest:
        token = rest.pop(0)
        name, eq, value = token.partition("=")
        if name in VALUED:
            if not eq:
                if not rest or rest[0].startswith("-"):
                    return None
                value = rest.pop(0)
            options[VALUED[name]] = value
        elif token in FLAGS:
            field, flag = FLAGS[token]
            options[field] = flag
        else:
            return None
    return options


def command_context(root: Path, options: dict, config: bytes | None) -> str:
    """Everything about a `kb build` command its output depends on besides its inputs: kb's code,
    the options, the working folder, the environment kb reads, which of stdout and stderr is a
    terminal, and kb.yaml's bytes (`config`, read before the settings are: None when absent)."""
    said = {"options": options, "root": str(root), "env": {name: os.environ.get(name) for name in ENV},
            "terminals": [stream_is_terminal(sys.stdout), stream_is_terminal(sys.stderr)],
            "config": sha(config) if config is not None else None}
    return sha(code_digest(), json.dumps(said, sort_keys=True))


def stream_is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def read_config(root: Path) -> bytes | None:
    try:
        return (root / CONFIG_NAME).read_bytes()
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Command:
    """What kb.cli gives a build: its command_context and how it prints a result (-> what it
    printed, the exit status)."""

    context: str
    said: Callable[[object], tuple[Said, int]]


@dataclass(frozen=True)
class Inputs:
    """A build's stamp, by its parts (kb.stamps.build_stamp's arguments but the notes' stamp)."""

    settings: str
    theme: tuple[Path, ...]
    prefix: str
    notes: Path
    exe: str | None
    site: str  # the site folder, resolved

    def stamp(self) -> str | None:
        return build_stamp(self.settings, self.theme, self.prefix, self.notes, self.exe, files_stamp(self.notes))


class Recorder:
    """A text stream that keeps what is written to it, as the stream it stands for would get it
    (click.echo asks whether it is a terminal to keep colours, and its encoding)."""

    def __init__(self, real, number: int, said: Said) -> None:
        self.real, self.number, self.said = real, number, said
        self.encoding, self.errors = getattr(real, "encoding", "utf-8"), getattr(real, "errors", "strict")

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream")
        self.said.append((self.number, text))
        return len(text)

    def isatty(self) -> bool:
        return stream_is_terminal(self.real)

    def flush(self) -> None:
        pass


def printed(show: Callable[[], int]) -> tuple[Said, int]:
    """What `show()` prints, kept instead of printed, and what it returns."""
    said: Said = []
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Recorder(real[0], 1, said), Recorder(real[1], 2, said)
    try:
        status = show()
    finally:
        sys.stdout, sys.stderr = real
    return said, status


def record(context: str, inputs: Inputs, stamp: str, marker: tuple[int, int, int], said: Said, status: int) -> bytes:
    """The replay entry: what a build with nothing changed says (`said`, `status`) when the command
    and its inputs are these, the inputs' stamp is `stamp` and the site's marker is `marker` (the
    site entry's, written in the same transaction: kb.cache.BuildCache.replay_change)."""
    return json.dumps({"context": context, "settings": inputs.settings, "theme": [str(d) for d in inputs.theme],
                       "prefix": inputs.prefix, "notes": str(inputs.notes), "exe": inputs.exe, "site": inputs.site,
                       "stamp": stamp, "marker": list(marker), "said": said, "status": status},
                      ensure_ascii=False).encode()


def replayed(argv: list[str]) -> int | None:
    """`kb <argv>` when it is a build with nothing to do: the recorded output printed, the exit
    status returned; None when the build must go the usual way."""
    try:
        options = command_options(argv)
        found = recorded(Path.cwd(), options) if options is not None else None
    except Exception:  # noqa: BLE001 (any doubt at all: the usual way, which reports what it finds)
        return None
    if found is None:
        return None
    try:
        for stream, text in found["said"]:
            (sys.stdout if stream == 1 else sys.stderr).write(text)
    except (OSError, ValueError):  # a closed pipe (as kb.exits.flush_and_exit): nothing more can be said
        return found["status"] or 1
    return found["status"]


def recorded(root: Path, options: dict) -> dict | None:
    """The replay entry of the project at root, if it holds for this command now."""
    context = command_context(root, options, read_config(root))
    store = Store.open(root / CACHE_DIR / STATE_FILE, state_key(key_folder()))
    try:
        entry = store.get(*ENTRY)
        found = json.loads(entry) if entry is not None else None
        if found is None or found.get("context") != context:
            return None
        out = Path(found["site"])
        with build_locks(lock_paths(out, root / CACHE_DIR), wait=False):
            return found if store.get(*ENTRY) == entry and holds(found, root, out) else None
    except BuildBusy:
        return None
    finally:
        store.close()


def holds(found: dict, root: Path, out: Path) -> bool:
    """Nothing the recorded build read changed, and its site is there as it wrote it."""
    theme = Theme.for_project(root).dirs
    if [str(d) for d in theme] != found["theme"] or list(marker_stamp(out) or ()) != found["marker"]:
        return False
    inputs = Inputs(found["settings"], theme, found["prefix"], Path(found["notes"]), found["exe"], found["site"])
    return inputs.stamp() == found["stamp"] and not leftovers(out)
