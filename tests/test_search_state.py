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
from kb.config import load_settings
from kb.search_index import SearchState, StateCorrupt
from kb.search_index.read import IndexReader
from kb.search_index.state import MAGIC
from test_search_index import ADDED, tree

STATE = Path(".kb-cache") / "search-state.bin"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, bytes]:
    """A project of the bundled notes, built with a few batches: its root and its state's bytes."""
    root = tmp_path_factory.mktemp("state") / "project"
    shutil.copytree(NOTES, root / "notes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kb.search_index.state.BATCH", 2)
        build(root, "site")
    return root, (root / STATE).read_bytes()


def build(root: Path, out: str, **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=True, keep_going=True, **options)


def parts(data: bytes) -> tuple[dict, bytes]:
    (size,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    return json.loads(data[start:start + size]), data[start + size:]


def joined(header: dict, tables: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return MAGIC + struct.pack("<Q", len(raw)) + raw + tables


def test_a_state_reads_back_as_it_was(built):
    _, data = built
    state = SearchState.loads(data)
    assert state.dumps() == data
    assert len(state.docs) == 171 and len(state.spans) > 40  # the bundled notes' records, in batches of ~2


def swapped_spans(header):
    header["spans"][0], header["spans"][1] = header["spans"][1], header["spans"][0]


@pytest.mark.parametrize("change", [
    lambda h: h.update(bits="7"),
    lambda h: h.update(docs={"a": 1}),
    lambda h: h["docs"][0].__setitem__(2, -1),
    lambda h: h["docs"].reverse(),
    lambda h: h["docs"].pop(),
    swapped_spans,
    lambda h: h.update(shards=[8, 8]),
    lambda h: h.update(facets=h["facets"][:-1]),
    lambda h: h["keys"].update({"../../etc/passwd": "x"}),
    lambda h: h.pop("code"),
], ids=["bits type", "docs type", "negative number", "docs order", "a doc lost", "swapped spans",
        "shard counts", "facets length", "key path", "field missing"])
def test_a_state_that_contradicts_itself_is_refused(built, change):
    header, tables = parts(built[1])
    change(header)
    with pytest.raises(StateCorrupt):
        SearchState.loads(joined(header, tables))


@pytest.mark.parametrize("data", [
    b"", b"{}", MAGIC, MAGIC + struct.pack("<Q", 1 << 40), MAGIC + struct.pack("<Q", 4) + b"\xff\xfe{}",
    MAGIC + struct.pack("<Q", 200_002) + b"[" * 100_001 + b"]" * 100_001,  # 100,000-deep nesting
], ids=["empty", "json", "magic only", "header past the end", "not utf-8", "deep nesting"])
def test_bytes_that_are_no_state_are_refused(data):
    with pytest.raises(StateCorrupt):
        SearchState.loads(data)


def test_truncated_tables_are_refused(built):
    data = built[1]
    for cut in (1, 8, 16, len(parts(data)[1]) // 2):
        with pytest.raises(StateCorrupt):
            SearchState.loads(data[:-cut])


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
    (project / STATE).write_bytes(data)
    (project / "notes" / "added.md").write_text(ADDED, encoding="utf-8")
    result = build(project, "site")
    build(project, "clean", clean=True, cache=False)
    assert tree(tmp_path / "site") == tree(tmp_path / "clean")
    return result


def test_a_corrupt_state_means_one_warning_and_a_clean_index(built, tmp_path, monkeypatch):
    monkeypatch.setattr("kb.search_index.state.BATCH", 2)
    root, data = built
    result = rebuilt_with(root, data[: len(data) // 2], tmp_path)
    assert result.search == "ran" and result.published
    warned = [d for d in result.diagnostics if "search state" in d.message]
    assert len(warned) == 1 and warned[0].path == ".kb-cache/search-state.bin"


def test_a_state_whose_tables_lie_about_the_shards_is_caught(built, tmp_path, monkeypatch):
    """Valid in itself, but two batches' block lengths exchanged: the shard files say otherwise."""
    monkeypatch.setattr("kb.search_index.state.BATCH", 2)
    root, data = built
    state = SearchState.loads(data)
    table = state.tables["p"].copy()
    table[[0, 1]] = table[[1, 0]]
    state.tables = {**state.tables, "p": table}
    result = rebuilt_with(root, state.dumps(), tmp_path)
    assert result.search == "ran"
    assert sum("does not hold the blocks" in d.message for d in result.diagnostics) == 1
    assert set(IndexReader(tmp_path / "site").search("鰻重")) != set()


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
