"""The search state a build keeps (kb.search_index.SearchState): bytes in, a state or StateCorrupt
out, whatever the bytes; a build given a corrupt or lying state warns once and makes the clean
build's index, never a traceback and never a wrong index (#18, #19 row 2)."""

import json
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import NOTES
from kb.build import build_site
from kb.cache import BuildCache
from kb.config import load_settings
from kb.search_index import SearchState, StateCorrupt
from kb.search_index.read import IndexReader
from kb.search_index.state import MAGIC
from test_search_index import ADDED, tree


def stored_state(root: Path) -> bytes:
    """The search state as the build state holds it (kb.cache, entry search/state)."""
    state = BuildCache.load(root)
    state.load_data()
    return state.search


def store_state(root: Path, data: bytes) -> None:
    BuildCache.load(root).store.write({("search", "state"): data})  # with this user's key: authenticated


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, bytes]:
    """A project of the bundled notes, built: its root and its state's bytes."""
    root = tmp_path_factory.mktemp("state") / "project"
    shutil.copytree(NOTES, root / "notes")
    build(root, "site")
    return root, stored_state(root)


def build(root: Path, out: str, **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=True, keep_going=True, **options)


def parts(data: bytes) -> dict:
    return json.loads(data[len(MAGIC) + 8:])


def joined(header: dict) -> bytes:
    raw = json.dumps(header).encode()
    return MAGIC + struct.pack("<Q", len(raw)) + raw


def test_a_state_reads_back_as_it_was(built):
    _, data = built
    state = SearchState.loads(data)
    assert state.dumps() == data
    assert len(state.records) == 171 and len(state.segments) == 1  # the bundled notes' records, one base


def live_and_deleted(header):
    """A later segment deleting a record that the state says is live in the base."""
    header["segments"].append([1, 256, 512, 1, [header["records"][0][2]], "0" * 64])


@pytest.mark.parametrize("change", [
    lambda h: h.update(bits="7"),
    lambda h: h.update(records={"a": 1}),
    lambda h: h["records"][0].__setitem__(2, -1),
    lambda h: h["records"].reverse(),
    lambda h: h["records"][0].__setitem__(3, 5),
    lambda h: h["records"][1].__setitem__(0, h["records"][0][0]),
    lambda h: h["segments"][0].__setitem__(1, 12),
    lambda h: h["segments"][0].__setitem__(3, 2),
    live_and_deleted,
    lambda h: h["segments"].insert(0, [1, 256, 512, 1, [], "0" * 64]),
    lambda h: h["segments"][0].__setitem__(5, "../../etc/passwd"),
    lambda h: h["segments"][0].__setitem__(5, 7),
    lambda h: h["segments"].append([1, 8, 16, 0, [], "0" * 64]),
    lambda h: h.pop("code"),
    lambda h: h["records"][0].__setitem__(1, "0" * 39 + "g"),
    lambda h: h.update(notes={}),
    lambda h: h.update(links=["a"]),
], ids=["bits type", "records type", "negative number", "records order", "no such segment", "duplicate id",
        "shard count", "segment smaller than its records", "live and deleted", "segment order", "key path",
        "key type", "small buckets", "field missing", "record digest", "a field of an older format",
        "links type"])
def test_a_state_that_contradicts_itself_is_refused(built, change):
    header = parts(built[1])
    change(header)
    with pytest.raises(StateCorrupt):
        SearchState.loads(joined(header))


@pytest.mark.parametrize("data", [
    b"", b"{}", MAGIC, MAGIC + struct.pack("<Q", 1 << 40), MAGIC + struct.pack("<Q", 4) + b"\xff\xfe{}",
    MAGIC + struct.pack("<Q", 200_002) + b"[" * 100_001 + b"]" * 100_001,  # 100,000-deep nesting
    b"kb-search-state 2\n" + struct.pack("<Q", 2) + b"{}",  # an older format
    b"kb-search-state 8\n" + struct.pack("<Q", 2) + b"{}",  # parsed digests by note path
    b"kb-search-state 9\n" + struct.pack("<Q", 2) + b"{}",  # no parsed digests
    b"kb-search-state 10\n" + struct.pack("<Q", 2) + b"{}",  # parsed digests, no linking generation
], ids=["empty", "json", "magic only", "header past the end", "not utf-8", "deep nesting", "older format",
        "format 8", "format 9", "format 10"])
def test_bytes_that_are_no_state_are_refused(data):
    with pytest.raises(StateCorrupt):
        SearchState.loads(data)


def test_truncated_or_padded_states_are_refused(built):
    data = built[1]
    for damaged in (data[:-1], data[:-100], data[: len(data) // 2], data + b"\0"):
        with pytest.raises(StateCorrupt):
            SearchState.loads(damaged)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_damage_is_a_state_or_state_corrupt(built, data):
    """Flipped, cut or inserted bytes: loads returns a state or raises StateCorrupt, nothing else."""
    raw = bytearray(built[1])
    at = data.draw(st.integers(0, len(raw) - 1))
    how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if how == "flip":
        raw[at] ^= data.draw(st.integers(1, 255))
    elif how == "cut":
        del raw[at:]
    else:
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        SearchState.loads(bytes(raw))
    except StateCorrupt:
        pass


def rebuilt_with(root: Path, data: bytes, tmp_path: Path):
    """Build after an added note with the given state bytes; the site must be the clean build's."""
    project = tmp_path / "project"
    shutil.copytree(root, project, symlinks=True)
    shutil.copytree(root.parent / "site", tmp_path / "site", symlinks=True)
    store_state(project, data)
    (project / "notes" / "added.md").write_text(ADDED, encoding="utf-8")
    result = build(project, "site")
    build(project, "clean", clean=True, cache=False)
    assert tree(tmp_path / "site") == tree(tmp_path / "clean")
    return result


def test_a_corrupt_state_means_one_warning_and_a_clean_index(built, tmp_path):
    root, data = built
    result = rebuilt_with(root, data[: len(data) // 2], tmp_path)
    assert result.search == "ran" and result.published
    warned = [d for d in result.diagnostics if "search state" in d.message]
    assert len(warned) == 1 and warned[0].path == ".kb-cache/state.sqlite3"


def test_a_state_naming_files_the_site_does_not_hold_is_not_used(built, tmp_path):
    """Valid in itself, but its base key is not the site's files': the update makes a clean index."""
    root, data = built
    state = SearchState.loads(data)
    state.segments[0][5] = "0" * 64
    result = rebuilt_with(root, state.dumps(), tmp_path)
    assert result.search == "ran"


@pytest.mark.parametrize("notes", [{}, {"broken.md": "---\ntitle: [unclosed\n---\n"}], ids=["no notes", "all in error"])
def test_an_empty_site_has_an_empty_working_search(tmp_path, notes):
    """#19 row 7: no note (or none without an error, under --keep-going) builds a site whose
    search answers nothing, instead of a ValueError from zip()."""
    root = tmp_path / "project"
    (root / "notes").mkdir(parents=True)
    for name, text in notes.items():
        (root / "notes" / name).write_text(text, encoding="utf-8")
    result = build(root, "site")
    assert result.published and result.records == 0 and result.search == "ran"
    assert len(result.held_back) == len(notes)
    reader = IndexReader(tmp_path / "site")
    assert reader.meta["records"] == 0 and reader.search("LoRA") == {} and reader.numbers() == []
    (root / "notes" / "more.md").write_text(ADDED, encoding="utf-8")
    assert build(root, "site").records == 1  # a rebuild from the empty state
    assert list(IndexReader(tmp_path / "site").search("鰻重")) != []
