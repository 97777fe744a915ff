"""The build state holds data, never code, and cannot lie (issues: hostile input rows 1-3, one build state).

Whatever is found in `.kb-cache/state.sqlite3` (random bytes, a truncated file, an unrelated
SQLite file, a newer schema, planted triggers and views, values of the wrong type, a forged title
in a stored parse result, a state copied from another user) is discarded with exactly one
warning, and the site comes out byte-identical to a clean build. Pickles planted under the old
cache's names are never read.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

import kb.store
from conftest import NOTES, SEEDS, tree
from kb.build import build_site
from kb.cache import CACHE_DIR, STATE_FILE, BuildCache
from kb.config import Settings
from kb.store import SCHEMA_VERSION, key_folder, mac, state_key

NOTE = SEEDS["minutes"]
WHERE = f"{CACHE_DIR}/{STATE_FILE}"


class Planted:
    """Unpickling this runs os.system: the attack of a crafted .kb-cache/site.pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def build(root: Path, out: str, clean: bool = False, search: bool = False):
    return build_site(root, Settings(), root.parent / out, search=search, clean=clean)


def state_warnings(result) -> list[str]:
    return [d.message for d in result.diagnostics if d.path == WHERE]


def edit_note(root: Path) -> None:
    with (root / "notes" / NOTE).open("a", encoding="utf-8") as handle:
        handle.write("\n追記\n")  # a change, so the build reads the stored notes


CLEAN_TREES: dict[tuple[frozenset, bool], dict[str, str]] = {}  # clean builds, by their notes (see same_as_clean)


def same_as_clean(root: Path, search: bool = False) -> bool:
    """The site equals a clean build of the same notes. Most tests here end with the same edited
    seeds: the clean build of given notes (each file's path and SHA-256) is made once per module."""
    notes = (frozenset(tree(root / "notes").items()), search)
    if notes not in CLEAN_TREES:
        build(root, "clean", clean=True, search=search)
        CLEAN_TREES[notes] = tree(root.parent / "clean")
    return tree(root.parent / "site") == CLEAN_TREES[notes]


def sql(root: Path, *statements: str, params=()) -> None:
    conn = sqlite3.connect(root / CACHE_DIR / STATE_FILE, isolation_level=None)
    for statement in statements:
        conn.execute(statement, params)
    conn.close()


def test_first_build_makes_the_state_ignored_by_git(project):
    build(project, "site")
    assert (project / CACHE_DIR / ".gitignore").read_text() == "*\n"
    assert sorted(p.name for p in (project / CACHE_DIR).iterdir()) == [".gitignore", "README", "lock", STATE_FILE]
    assert (key_folder() / "state-key").stat().st_mode & 0o777 == 0o600


def unrelated(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (path TEXT, title TEXT)")
    conn.commit()
    conn.close()


def newer_schema(path: Path) -> None:
    sql(path.parents[1], f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def older_schema(path: Path) -> None:
    """The same entries, valid MACs and all, in the table of schema version 1 (WITHOUT ROWID)."""
    sql(path.parents[1], "ALTER TABLE entry RENAME TO old",
        "CREATE TABLE entry (kind TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, mac BLOB NOT NULL, "
        "PRIMARY KEY (kind, name)) WITHOUT ROWID", "INSERT INTO entry SELECT * FROM old", "DROP TABLE old",
        "PRAGMA user_version = 1")


def planted_trigger(path: Path) -> None:
    sql(path.parents[1], "CREATE TABLE log (x)",
        "CREATE TRIGGER spy AFTER INSERT ON entry BEGIN INSERT INTO log VALUES (new.name); END")


def planted_view(path: Path) -> None:
    sql(path.parents[1], "CREATE VIEW shown AS SELECT name FROM entry")


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def wrong_type_with_a_valid_mac(path: Path) -> None:
    """A value kb's key authenticates but of the wrong shape (records as a number)."""
    conn = sqlite3.connect(path)
    [(name, value)] = conn.execute("SELECT name, value FROM entry WHERE kind = 'note' AND name LIKE ?",
                                   (f"%{NOTE}",)).fetchall()
    value = value.replace(b'"records":[', b'"records":7,"x":[', 1)
    conn.execute("UPDATE entry SET value = ?, mac = ? WHERE kind = 'note' AND name = ?",
                 (value, mac(state_key(key_folder()), "note", name, value), name))
    conn.commit()
    conn.close()


def resigned(path: Path, kind: str, change) -> None:
    """Every entry of a kind changed by `change(value)`, each with a valid MAC (kb's own key)."""
    conn = sqlite3.connect(path)
    for name, value in conn.execute("SELECT name, value FROM entry WHERE kind = ?", (kind,)).fetchall():
        new = change(value)
        conn.execute("UPDATE entry SET value = ?, mac = ? WHERE kind = ? AND name = ?",
                     (new, mac(state_key(key_folder()), kind, name, new), kind, name))
    conn.commit()
    conn.close()


def link_rows_of_the_wrong_shape(path: Path) -> None:
    """Stored links (kb.link_state) with a number for a record's related ids."""
    resigned(path, "link", lambda value: value.replace(b'"related":[', b'"related":7,"x":[', 1))


def view_rows_of_the_wrong_shape(path: Path) -> None:
    """Stored view digests (kb.view_state) with a number for the rows."""
    resigned(path, "views", lambda value: value.replace(b'"rows":{', b'"rows":7,"x":{', 1))


def a_view_row_of_the_wrong_length(path: Path) -> None:
    """A stored record's view digests one too many (a row is a fingerprint and six digests)."""
    resigned(path, "views", lambda value: value.replace(b'":["', b'":["0","', 1))


def note_stamps_of_the_wrong_shape(path: Path) -> None:
    """Stored note stamps (kb.seen_state) of the wrong shape: a number for the files."""
    resigned(path, "seen", lambda value: b'{"files":7}')


def plan_of_the_wrong_shape(path: Path) -> None:
    """The stored plan (kb.plan_state) with a number for its input digests."""
    resigned(path, "plan", lambda value: value.replace(b'"digests":{', b'"digests":7,"x":{', 1))


def text_instead_of_bytes(path: Path) -> None:
    sql(path.parents[1], "UPDATE entry SET value = CAST(value AS TEXT) WHERE kind = 'site'")


TAMPERINGS = [random_bytes, truncated, unrelated, newer_schema, older_schema, planted_trigger, planted_view,
              wrong_type_with_a_valid_mac, link_rows_of_the_wrong_shape, view_rows_of_the_wrong_shape,
              a_view_row_of_the_wrong_length, note_stamps_of_the_wrong_shape, text_instead_of_bytes,
              plan_of_the_wrong_shape]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=[t.__name__ for t in TAMPERINGS])
def test_a_tampered_state_gives_one_warning_and_a_clean_site(project, tamper):
    build(project, "site")
    edit_note(project)
    tamper(project / CACHE_DIR / STATE_FILE)
    result = build(project, "site")
    [warning] = state_warnings(result)
    assert warning.startswith("build state discarded and rebuilt: ")
    assert result.published and result.parsed == result.notes == 5  # nothing taken from the state
    assert same_as_clean(project)
    again = build(project, "site")  # the rewritten state serves the next build, without a warning
    assert state_warnings(again) == [] and again.rendered == 0


LATE_ENTRIES = {  # kind -> (how its rows are spoilt, with valid MACs; the warning's start)
    "linkfeat": (lambda value: b'{"features":7}', "build state discarded and rebuilt: "),
    "reads": (lambda value: b"\xff\xfe" + value,
              "build state discarded and rebuilt: reads/note:notes/000_7ec92ae646da1197.txt"),
}


@pytest.mark.parametrize("kind", sorted(LATE_ENTRIES))
def test_an_entry_read_after_parsing_that_fails_gives_one_warning_and_a_clean_site(project, kind):
    """Two kinds of entries are read only once a change needs them: a changed record's old
    related-record features while linking (kb.link_state, `linkfeat`), and the rows of the stored
    plan's reverse map for the inputs that changed while planning (kb.plan_state, `reads`: here
    no UTF-8 text). A bad one discards the state there too, and every record is linked, every
    output planned, anew."""
    build(project, "site")
    edit_note(project)
    spoil, said = LATE_ENTRIES[kind]
    resigned(project / CACHE_DIR / STATE_FILE, kind, spoil)
    result = build(project, "site")
    [warning] = state_warnings(result)
    assert warning.startswith(said)
    assert result.published and same_as_clean(project)
    again = build(project, "site")
    assert state_warnings(again) == [] and again.rendered == 0


def test_a_forged_title_in_a_stored_parse_result_is_never_published(project):
    """Issue 19 row 3: a title changed inside the stored note, its key left as it was."""
    build(project, "site")
    conn = sqlite3.connect(project / CACHE_DIR / STATE_FILE)
    [(name, value)] = conn.execute("SELECT name, value FROM entry WHERE kind = 'note' AND name LIKE ?",
                                   (f"%{SEEDS['blog']}",)).fetchall()
    title = b'"title":"'
    at = value.index(title) + len(title)
    conn.execute("UPDATE entry SET value = ? WHERE kind = 'note' AND name = ?",
                 (value[:at] + "偽造されたタイトル".encode() + value[value.index(b'"', at):], name))
    conn.commit()
    conn.close()
    edit_note(project)
    result = build(project, "site")
    assert len(state_warnings(result)) == 1
    assert not any("偽造" in p.read_text(encoding="utf-8", errors="replace")
                   for p in (project.parent / "site").rglob("*") if p.is_file())
    assert same_as_clean(project)


def test_a_state_written_by_another_user_is_rebuilt_not_trusted(project, tmp_path, monkeypatch):
    """A state copied, committed or restored in CI: another key made it."""
    build(project, "site")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    edit_note(project)
    result = build(project, "site")
    assert [w.split(": ", 1)[1] for w in state_warnings(result)] == [
        "StateProblem: an entry was not written by this user's kb (a copied or edited state)"]
    assert result.parsed == 5
    assert same_as_clean(project)


def test_a_failed_state_write_leaves_the_previous_state_whole(project):
    """The state is written in one transaction: a build killed halfway through writing it (in a
    forked process that ends at once, leaving SQLite's journal behind) keeps the last one."""
    build(project, "site")
    edit_note(project)

    def killed_halfway() -> None:
        def half(self, changes, cleared=()):
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM entry")
            os._exit(9)  # killed between two statements: no rollback, no cleanup

        kb.store.Store.write = half
        build(project, "site")

    child = multiprocessing.get_context("fork").Process(target=killed_halfway)
    child.start()
    child.join()
    assert child.exitcode == 9
    result = build(project, "site")
    assert state_warnings(result) == [] and result.parsed == 1
    assert same_as_clean(project)


@pytest.mark.parametrize("when", ["before the first build", "after a build"])
def test_a_planted_pickle_never_runs_and_never_changes_the_output(project, when):
    marker = project.parent / "pwned"
    payload = pickle.dumps(Planted(marker))
    cache = project / CACHE_DIR
    if when == "after a build":
        build(project, "site")
    cache.mkdir(exist_ok=True)
    for name in ("site.pickle", "notes.pickle", "mentions.pickle", "plain.pickle", "site.json", "notes.jsonl",
                 "plain.json", "mentions.json"):
        (cache / name).write_bytes(payload)
    build(project, "site")
    assert not marker.exists()
    assert same_as_clean(project)
    build(project, "clean", clean=True)  # --clean leaves kb's own files alone in the folder
    assert sorted(p.name for p in cache.iterdir()) == [".gitignore", "README", "lock", STATE_FILE]
    assert not marker.exists()


def test_a_search_state_kb_cannot_read_means_one_warning_and_a_clean_index(project):
    """Authenticated but not a search state (kb.search_index.SearchState.loads refuses it)."""
    build(project, "site", search=True)
    state = BuildCache.load(project)
    state.store.write({("search", "state"): b"\x00 not a search state"})
    edit_note(project)
    result = build(project, "site", search=True)
    [warning] = state_warnings(result)
    assert warning.startswith("search state discarded and the index rebuilt: ")
    assert result.search == "ran"
    assert same_as_clean(project, search=True)


def test_temporary_files_of_a_killed_build_are_removed_even_by_clean(project):
    build(project, "site")
    leftover = project / CACHE_DIR / f".tmp-12345-{STATE_FILE}"
    leftover.write_bytes(b"half written")
    build(project, "site", clean=True)
    assert not leftover.exists()
