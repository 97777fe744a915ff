"""The search index in segments (kb.search_index.segments): an edit writes one small segment and a
deletion list, never the base; whatever the history of edits, additions and deletions, every
query answers exactly the clean build's results in kb's order (the files read as the browser
reads them, kb.search_index.read; the same in Chromium in tests/test_search_browser.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import answers, pages, tree
from kb.build import build_site
from kb.config import load_settings
from kb.index import build_index
from kb.records import parse_notes
from kb.search_index.read import IndexReader
from search_queries import QUERIES, expected_order
from test_incremental import NATIVE, OPERATIONS, make_project

HISTORY_OPS = ("edit_text", "add_note", "delete_note", "rename_note")


def build(root: Path, out: str = "site", **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=True, keep_going=True, **options)


def current_records(root: Path):
    settings = load_settings(root)[0]
    parsed = parse_notes(root / "notes", root, settings)
    held = {d.path for d in parsed.diagnostics if d.severity.name == "ERROR"}
    return build_index([r for r in parsed.records if r.source.path not in held], settings).records


def segments(site: Path) -> list[dict]:
    return json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))["segments"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("segments")


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(HISTORY_OPS), st.integers(0, 1000)), min_size=2, max_size=4))
def test_any_segment_history_answers_as_a_clean_build(base, ops, monkeypatch):
    """Random edits, additions, renames and deletions, a build after each: every query of the
    query set gives kb search's records in kb's order, as the clean build's index does; pages and
    every other file are the clean build's, byte for byte."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    monkeypatch.setattr("kb.search_index.segments.MERGE_MIN", 10_000)  # no merge: segments pile up
    work = base / "history"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    build(root)
    for name, pick in ops:
        OPERATIONS[name](root, pick)
        build(root)
    build(root, "clean", clean=True, cache=False)
    records = current_records(root)
    got, clean = answers(root.parent / "site", QUERIES), answers(root.parent / "clean", QUERIES)
    assert got == clean
    assert all(got[q, t] == expected_order(records, q, t) for q, t in QUERIES)
    assert len(segments(root.parent / "clean")) == 1
    same = {p: d for p, d in tree(root.parent / "site").items() if not p.startswith(("search/d/", "search/p/",
                                                                                         "search/s/", "search/index."))}
    assert same == {p: d for p, d in tree(root.parent / "clean").items() if p in same}


def index_files(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in (site / "search").rglob("*") if p.is_file()}


def built_project(base: Path, name: str, monkeypatch, extra: dict[str, str] | None = None) -> tuple[Path, Path]:
    """A copy of the bundled notes and a native note (with `extra` notes: file name -> text), built once."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / name
    work.mkdir()
    root = make_project(work)
    for file_name, text in (extra or {}).items():
        (root / "notes" / file_name).write_text(text, encoding="utf-8")
    build(root)
    return root, root.parent / "site"


def test_an_edit_writes_one_small_segment_never_the_base(base, monkeypatch):
    root, site = built_project(base, "edit", monkeypatch)
    before = index_files(site)
    native = root / "notes" / "native-0.md"
    native.write_text(native.read_text(encoding="utf-8").replace("## summary", "## summary\n鰻重の一語"),
                      encoding="utf-8")
    from kb.search_index import ordered
    hashed = []  # the records whose texts the update hashes: the edited note's one, not all 171
    monkeypatch.setattr(ordered, "parsed_digest", lambda r, real=ordered.parsed_digest: hashed.append(r.id) or real(r))
    assert build(root).search == "updated"
    assert hashed == ["native-0"]
    after = index_files(site)
    written = sorted(p for p, inode in after.items() if before.get(p) != inode)
    assert [p for p in written if p.startswith(("search/d/", "search/p/"))] == []  # the base stays
    # the note's record is number 876128: 27,379 days from its date (2025-01-15) to 2100-01-01,
    # shifted by the 5 slot bits of the busiest day; its t/ and b/ files are named by its id, and
    # its day's r/ file (which id each number is) stays as it is
    assert written == ["search/b/native-0.bin", "search/index.json", "search/s/1.bin", "search/t/native-0.json"]
    assert [s["id"] for s in segments(site)] == [0, 1] and segments(site)[1]["deleted"] == [876128]
    reader = IndexReader(site)
    found = reader.search("鰻重")
    assert [reader.record(d)["id"] for d in found] == ["native-0"]  # a record named by its file
    # the small segments' one file is read by ranges: the two offsets of the n-gram's bucket in its
    # table (as many buckets as the base's 128 d shards, at least 256 d and 512 p), then the
    # bucket (鰻重 is one d entry), never the whole file
    assert json.loads((site / "search/index.json").read_text(encoding="utf-8"))["delta"] == {
        "path": "search/s/1.bin", "d": 256, "p": 512}
    small = [(start, end) for path, start, end in reader.fetched if path == "search/s/1.bin"]
    assert len(small) == 2 and small[0][1] - small[0][0] == 8 and small[0][1] <= 4 * (256 + 512 + 1)
    assert sum(end - start for start, end in small) < (site / "search/s/1.bin").stat().st_size / 10


def test_an_edit_that_moves_the_lines_of_a_notes_other_records_reindexes_one_record(base, monkeypatch):
    """A line added to the first of the 23 records of a summaries note moves the lines of the 22
    after it (their digests as parsed change with their lines): the index hashes the texts of the
    note's 23 records and writes the edited record's files alone, as the others' texts are the same."""
    root, site = built_project(base, "moved", monkeypatch)
    before = index_files(site)
    note = root / "notes" / "001_aab98827960bca54.txt"
    lines = note.read_text(encoding="utf-8").split("\n")
    lines.insert(8, "追記: 鰻重の一行。\n")
    note.write_text("\n".join(lines), encoding="utf-8")
    from kb.search_index import ordered
    hashed = []
    monkeypatch.setattr(ordered, "parsed_digest", lambda r, real=ordered.parsed_digest: hashed.append(r.id) or real(r))
    assert build(root).search == "updated"
    written = sorted(p for p, inode in index_files(site).items() if before.get(p) != inode)
    assert [p.split("/")[1] for p in written] == ["b", "index.json", "s", "t"]
    assert len(hashed) == 23
    reader = IndexReader(site)
    assert [reader.record(d)["id"] for d in reader.search("鰻重")] == ["2503.04504"]  # AnyAnomaly, the first


def test_many_small_segments_are_one_file_a_query_reads_by_two_ranges(base, monkeypatch):
    """Four one-note edits with no merge: four small segments live, in one file that each edit
    rewrites (the previous one goes); a one-entry query still reads two ranges of it, and the
    results are the clean build's."""
    monkeypatch.setattr("kb.search_index.segments.TIER", 10_000)
    root, site = built_project(base, "many", monkeypatch)
    native = root / "notes" / "native-0.md"
    for edit in range(4):
        before = index_files(site)
        native.write_text(native.read_text(encoding="utf-8") + f"\n鰻重の追記 {edit}\n", encoding="utf-8")
        assert build(root).search == "updated"
        after = index_files(site)
        assert sorted(p for p in after if p.startswith("search/s/")) == [f"search/s/{edit + 1}.bin"]
        assert len([p for p, inode in after.items() if before.get(p) != inode]) == 4
    assert [(s["id"], s["deleted"]) for s in segments(site)] == [(0, [])] + [(k, [876128]) for k in range(1, 5)]
    reader = IndexReader(site)
    assert [reader.record(d)["id"] for d in reader.search("鰻重")] == ["native-0"]
    assert [(end - start == 8) for path, start, end in reader.fetched if path.startswith("search/s/")] == [True, False]
    build(root, "clean", clean=True, cache=False)
    assert answers(site, QUERIES) == answers(root.parent / "clean", QUERIES)


def test_a_damaged_small_segments_file_means_a_clean_index_and_one_warning(base, monkeypatch):
    """The small segments' file changed behind kb's back (cut short; its recorded key unchanged):
    the next update reads it, refuses it, and makes a clean index with one warning."""
    root, site = built_project(base, "damaged", monkeypatch)
    native = root / "notes" / "native-0.md"
    for edit in range(2):
        native.write_text(native.read_text(encoding="utf-8") + f"\n鰻重の追記 {edit}\n", encoding="utf-8")
        if edit:
            delta = site / "search/s/1.bin"
            delta.write_bytes(delta.read_bytes()[:-3])
        result = build(root)
    [warning] = [d.message for d in result.diagnostics if "search state" in d.message]
    assert warning.startswith("search state discarded and the index rebuilt: delta file")
    assert result.search == "ran" and len(segments(site)) == 1
    reader = IndexReader(site)
    assert [reader.record(d)["id"] for d in reader.search("鰻重")] == ["native-0"]


def test_small_segments_merge_by_the_policy_and_a_clean_build_has_one(base, monkeypatch):
    """Four additions with at most two small segments: the third merges the small ones into one;
    past MERGE_MIN records in small segments everything becomes one base again."""
    monkeypatch.setattr("kb.search_index.segments.MAX_SMALL", 2)
    monkeypatch.setattr("kb.search_index.segments.MERGE_MIN", 3)
    monkeypatch.setattr("kb.search_index.segments.MERGE_SHARE", 0.0)
    root, site = built_project(base, "merge", monkeypatch)
    shapes = []
    for pick in range(5):
        OPERATIONS["add_note"](root, pick)
        build(root)
        shapes.append([(s["id"], len(s["deleted"])) for s in segments(site)])
    assert shapes == [[(0, 0), (1, 0)], [(0, 0), (1, 0), (2, 0)], [(0, 0), (3, 0)], [(0, 0)], [(0, 0), (1, 0)]]
    assert build(root, clean=True).search == "ran" and len(segments(site)) == 1


def test_small_segments_merge_in_tiers_of_four():
    """Lucene's log merge: four small segments of one tier (1-3, 4-15, 16-63 records) become one, so
    twenty one-note edits leave a 16-record and a 4-record segment, and a query reads three segments."""
    from kb.search_index.segments import Segment, clean, merged

    shapes, now = [], clean(10_000)
    for edit in range(1, 21):
        now = merged([*now, Segment(edit, [edit], 1, [edit])], 10_000)
        shapes.append([(s.id, s.size) for s in now[1:]])
    assert shapes[:5] == [[(1, 1)], [(1, 1), (2, 1)], [(1, 1), (2, 1), (3, 1)], [(4, 4)], [(4, 4), (5, 1)]]
    assert shapes[15] == [(16, 16)] and shapes[19] == [(16, 16), (20, 4)]
    assert now[-1].deleted == [17, 18, 19, 20] and now[-1].places == [17, 18, 19, 20]


OLD_NOTE = """---
title: "Ancient Record {name}"
kind: paper
issue_date: {date}
tags: [Ancient]
---
## summary
古文書の記録 {name}。
"""


def test_records_dated_before_1900_beside_undated_ones_keep_the_index_updatable(base, monkeypatch):
    """0001-01-01 (date.min) and 1899-05-01 share the index's oldest day, and the bundled notes
    hold an undated record: the record order must keep it after both (it once sorted among them
    by id, as if dated 0001-01-01, which gave two records one number and broke the build). The second build
    updates the index, and its files answer as a clean build's."""
    root, site = built_project(base, "ancient", monkeypatch, extra={
        "old-a.md": OLD_NOTE.format(name="甲", date="0001-01-01"),  # (ids old-a, old-b: after the undated
        "old-b.md": OLD_NOTE.format(name="乙", date="1899-05-01")})  # record's, finish-first-perfect-later-...)
    native = root / "notes" / "native-0.md"
    native.write_text(native.read_text(encoding="utf-8") + "\n鰻重の追記\n", encoding="utf-8")
    result = build(root)
    assert result.search == "updated"
    assert [d.message for d in result.diagnostics if "search state" in d.message] == []
    build(root, "clean", clean=True, cache=False)
    assert pages(tree(site)) == pages(tree(root.parent / "clean"))
    assert answers(site, QUERIES) == answers(root.parent / "clean", QUERIES)
    reader = IndexReader(site)
    newest_first = sorted(reader.search("古文書の記録"))
    assert [reader.record(d)["date"] for d in newest_first] == ["1899-05-01", "0001-01-01"]
    undated = json.loads((site / "search/index.json").read_text(encoding="utf-8"))["dated"]
    assert max(newest_first) < undated <= max(reader.numbers())


def test_a_note_added_on_a_busy_day_writes_its_own_files_and_its_days_list(base, monkeypatch):
    """2025-03-01 holds the 21 records of a summaries note (2503.01713 ...); a note added that day
    with an id before theirs (2503-00001: '-' sorts before '.') moves their 21 numbers, yet their
    t/ and b/ files are named by id and stay: the build writes the new record's two files, its
    day's r/ file (27,334 days from 2025-03-01 to 2100-01-01), index.json and the small segments' file.
    (The 22 records go to the new segment at their new numbers, the 21 old ones in its deletion
    list: more than MERGE_MIN, which is set off here so that this corpus of 171 records merges not.)"""
    monkeypatch.setattr("kb.search_index.segments.MERGE_MIN", 10_000)
    root, site = built_project(base, "busy-day", monkeypatch)
    before = index_files(site)
    (root / "notes" / "2503-00001.md").write_text(NATIVE.format(n=1, month=3).replace("2025-03-15", "2025-03-01"),
                                                    encoding="utf-8")
    assert build(root).search == "updated"
    after = index_files(site)
    assert sorted(p for p, inode in after.items() if before.get(p) != inode) == [
        "search/b/2503-00001.bin", "search/index.json", "search/r/27334.json", "search/s/1.bin",
        "search/t/2503-00001.json"]
    assert sorted(before.keys() - after.keys()) == []
    assert segments(site)[1]["deleted"] == list(range(27334 << 5, (27334 << 5) + 21))
    day = json.loads((site / "search/r/27334.json").read_text(encoding="utf-8"))
    assert len(day) == 22 and day[:3] == ["2503-00001", "2503.01713", "2503.01840"]
    reader = IndexReader(site)
    assert [reader.record(d)["id"] for d in sorted(reader.search("incremental test paper 1"))] == ["2503-00001"]
    assert [reader.record(d)["id"] for d in sorted(reader.search("anyanomaly"))] == ["2503.04504"]


def test_an_update_takes_a_records_text_digest_only_from_the_linking_the_index_was_made_from(base):
    """A record's text digest is taken from the previous index (not hashed again) only when this
    build's linking was worked out from the linking that index was made from and the record is
    not dirty since (kb.index.links.LinkMark.settled); from any other linking nothing is known
    and every record is hashed: the edited note's record is then re-indexed and found by its new
    word. (The state's records are (id, text digest, number, segment).)"""
    from kb.index.links import LinkMark
    from kb.search_index import search_outputs
    from kb.search_index.update import SearchIndex

    root = make_project(base / "settled")
    before = current_records(root)
    first = search_outputs(before, links=LinkMark("made-from", "", frozenset(r.id for r in before))).state
    assert first.links == "made-from"
    native = root / "notes" / "native-0.md"
    native.write_text(native.read_text(encoding="utf-8").replace("## summary", "## summary\n羊羹の一語"),
                      encoding="utf-8")
    after = current_records(root)
    digest_of = {row[0]: row[1] for row in first.records}

    def digests(mark: LinkMark) -> dict[str, str]:
        state = SearchIndex(after, first, root.parent / "no-site", links=mark).state
        return {row[0]: row[1] for row in state.records}

    trusted = digests(LinkMark("now", "made-from", frozenset()))  # (a linking that says nothing is dirty)
    assert trusted["native-0"] == digest_of["native-0"]  # taken as it was: the mark is believed
    unknown = digests(LinkMark("now", "another", frozenset()))
    assert unknown["native-0"] != digest_of["native-0"]
    assert {i: d for i, d in unknown.items() if i != "native-0"} == {
        i: d for i, d in digest_of.items() if i != "native-0"}
    dirty = digests(LinkMark("now", "made-from", frozenset({"native-0"})))
    assert dirty == unknown
