"""Incremental builds (.kb-cache): always byte-identical to a clean build, and doing little work.

The property test starts from a copy of the real notes plus a native note, applies a random
sequence of edits (note text, new note, rename, delete, a template override, kb.yaml's
title) and after each one compares an incremental build with a clean build (`clean=True`,
which ignores the cache) into another folder: same paths, same bytes; it also checks the
dependency graph: what was re-rendered is exactly what had a declared input change, and
covers every file whose bytes changed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NOTES, tree
from kb import discover
from kb.build import Memory, build_site
from kb.config import load_settings
from kb.index import related
from kb.render.site import Site
from kb.render.templates import builtin_theme_dir

NATIVE = """---
title: "Incremental Test Paper {n}"
kind: paper
authors: [Ada Lovelace, Test Author {n}]
venue: ICLR2025
issue_date: 2025-0{month}-15
tags: [Incremental, Tag{n}]
---
## summary
A note made by the incremental test, number {n}. It mentions FlashAttention.

## 実験
```python
print({n})
```
"""


def make_project(base: Path) -> Path:
    root = base / "project"
    shutil.copytree(NOTES, root / "notes")
    (root / "notes" / "native-0.md").write_text(NATIVE.format(n=0, month=1), encoding="utf-8")
    return root


def build(root: Path, out: str, clean: bool = False, search: bool = False, trace: bool = False, memory=None):
    """keep_going: a random edit may break a note, which both builds then leave out (kb.build's rule)."""
    return build_site(root, load_settings(root)[0], root.parent / out, search=search, clean=clean, keep_going=True,
                      trace=trace, memory=memory)


def note_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "notes").rglob("*") if p.is_file())


# --- the operations ------------------------------------------------------------------------------

def edit_text(root: Path, pick: int) -> None:
    path = note_files(root)[pick % len(note_files(root))]
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    at = pick % max(1, len(lines))
    lines.insert(at, f"追記 {pick}: 編集した行")
    path.write_text("\n".join(lines), encoding="utf-8")


def add_note(root: Path, pick: int) -> None:
    n = 1 + len(note_files(root)) * 10 + pick % 10
    (root / "notes" / f"native-{n}.md").write_text(NATIVE.format(n=n, month=1 + pick % 9), encoding="utf-8")


def rename_note(root: Path, pick: int) -> None:
    path = note_files(root)[pick % len(note_files(root))]
    path.rename(path.with_name(f"renamed-{pick}-{path.name}"))


def delete_note(root: Path, pick: int) -> None:
    files = note_files(root)
    if len(files) > 2:
        files[pick % len(files)].unlink()


def edit_template(root: Path, pick: int) -> None:
    own = root / "templates"
    own.mkdir(exist_ok=True)
    name = ("base.html", "partials/record_list.html", "note.html", "partials/record_item.html")[pick % 4]
    target = own / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(builtin_theme_dir() / name, target)
    text = target.read_text(encoding="utf-8")
    end = "</ul>" if "</ul>" in text else "</li>"
    target.write_text(text.replace(end, f"{end}<!-- edit {pick} -->", 1) + f"\n{{# {pick} #}}\n", encoding="utf-8")


def retitle_native(root: Path, pick: int) -> None:
    """A native note renamed to a paper another note has (same paper, new mentions of it) with
    tags many records have (new related records), or back to a title and tags of its own."""
    natives = sorted((root / "notes").glob("native-*.md"))
    if not natives:
        return add_note(root, pick)
    path = natives[pick % len(natives)]
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\nkind:")
    if pick % 2:
        head = '---\ntitle: "QLoRA: Efficient Finetuning of Quantized LLMs"\n'
        rest = rest.replace("tags: [Incremental, ", "tags: [Attention, Transformer, ")
    else:
        head = f'---\ntitle: "Incremental Test Paper {pick}"\n'
        rest = rest.replace("tags: [Attention, Transformer, ", "tags: [Incremental, ")
    path.write_text(head.rstrip("\n") + "\nkind:" + rest, encoding="utf-8")


def edit_title(root: Path, pick: int) -> None:
    (root / "kb.yaml").write_text(f"title: 論文ノート {pick}\n", encoding="utf-8")


OPERATIONS = {"edit_text": edit_text, "add_note": add_note, "rename_note": rename_note,
              "delete_note": delete_note, "edit_template": edit_template, "edit_title": edit_title,
              "retitle_native": retitle_native}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("incremental")


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 1000)), min_size=1, max_size=3))
def test_incremental_build_equals_clean_build(base, ops, monkeypatch):
    """Edits, additions, renames, deletions, template and kb.yaml edits, in random order: every
    incremental build equals a clean build, and re-renders exactly the outputs whose declared
    inputs changed (kb.render.inputs):
    - soundness: every output whose bytes differ from the previous build's was re-rendered;
    - precision: every re-rendered output had an input (or its code, settings, templates) whose
      digest changed, and none whose inputs all kept their digests was re-rendered.
    Quick stamps are trusted at once (no settle time), so the no-read path is taken whenever a
    step changed nothing it can see."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / "case"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    reads = build(root, "site", trace=True).reads  # fills the cache
    for name, pick in ops:
        before = tree(root.parent / "site")
        OPERATIONS[name](root, pick)
        incremental = build(root, "site", trace=True)
        build_site(root, load_settings(root)[0], root.parent / "clean", search=False, clean=True, cache=False,
                   keep_going=True)
        after = tree(root.parent / "clean")
        assert tree(root.parent / "site") == after, (name, pick)
        assert set(incremental.files) | {".kb-site"} == set(after)
        differ = {path for path in after if before.get(path) != after[path]} - {".kb-site"}
        assert not differ - set(incremental.made), f"{name} {pick}: stale {sorted(differ - set(incremental.made))[:5]}"
        if incremental.reads is None:  # nothing the build reads changed: it made nothing
            assert incremental.made == () and not differ
            continue
        changed = {path for path, now in incremental.reads.items() if reads.get(path) != now}
        assert set(incremental.made) == changed, (name, pick, sorted(set(incremental.made) ^ changed)[:5])
        reads = incremental.reads


LINKING = ("edit_text", "add_note", "delete_note", "retitle_native", "edit_template")


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(LINKING), st.integers(0, 1000)), min_size=2, max_size=4))
def test_rebuilds_of_one_process_equal_clean_builds(base, ops, monkeypatch):
    """kb serve's rebuilds keep what linking and planning worked out and the list entries they
    rendered (kb.build.Memory) and redo only what a change can reach (kb.index.links): after each
    of random edits, additions, deletions, retitlings (a note becoming the same paper as another,
    with tags many share) and template edits (the list entry's own among them) the site equals a
    clean build's, byte for byte."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / "memory"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    memory = Memory()
    build_site(root, load_settings(root)[0], root.parent / "site", search=False, keep_going=True, memory=memory)
    for name, pick in ops:
        OPERATIONS[name](root, pick)
        build_site(root, load_settings(root)[0], root.parent / "site", search=False, keep_going=True, memory=memory)
        build_site(root, load_settings(root)[0], root.parent / "clean", search=False, clean=True, cache=False,
                   keep_going=True)
        assert tree(root.parent / "site") == tree(root.parent / "clean"), (name, pick)


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 1000)), min_size=2, max_size=3))
def test_rebuilds_planned_from_the_stored_plan_equal_clean_builds(base, ops, monkeypatch):
    """A one-shot rebuild without trace keys anew only the outputs the stored plan's reverse map
    says a changed input reaches (kb.plan_state), taking over every other key: after each of
    random edits, additions, renames, deletions, retitlings, template and kb.yaml edits the site
    equals a clean build's, byte for byte, and every file whose bytes changed was keyed anew."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / "stored-plan"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    build(root, "site")
    for name, pick in ops:
        before = tree(root.parent / "site")
        OPERATIONS[name](root, pick)
        incremental = build(root, "site")
        build_site(root, load_settings(root)[0], root.parent / "clean", search=False, clean=True, cache=False,
                   keep_going=True)
        after = tree(root.parent / "clean")
        assert tree(root.parent / "site") == after, (name, pick)
        differ = {path for path in after if before.get(path) != after[path]} - {".kb-site"}
        assert not differ - set(incremental.made), (name, pick, sorted(differ - set(incremental.made))[:5])
        assert set(incremental.made) <= set(incremental.keyed) | unplanned(after), (name, pick)


def unplanned(files) -> set[str]:
    """The files keyed by their bytes, never planned: the theme's static files and the records' schema."""
    return {path for path in files if path.startswith("static/") or path == "records.schema.json"}


@pytest.mark.parametrize("serve", [False, True], ids=["stored plan", "kb serve's held plan"])
def test_editing_one_note_keys_anew_only_the_outputs_reading_its_records(project, serve):
    """The stored plan in a new process, or kb serve's in memory (kb.plan_state): appending a
    line to the minutes note keys anew the outputs reading the note and its last talk's record
    (the note page, the meeting's, the talk's page) and takes every other key over; the site
    equals a clean build's. The lists and link boxes showing its talks are not made again: the
    line moves where the talk ends in the note, which only the note page shows (before, a list
    entry held the record's lines, and 21 files were made for 2 that changed)."""
    memory = Memory() if serve else None
    first = build(project, "site", memory=memory)
    assert set(first.keyed) == set(first.files) - unplanned(first.files) and len(first.keyed) == 1186
    before = tree(project.parent / "site")
    note = project / "notes" / "000_7ec92ae646da1197.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\n追記: 最後に一行\n", encoding="utf-8")
    again = build(project, "site", memory=memory)
    talk = "records/improving-context-fidelity-via-native-retrieval-augmented-reasoning/index.html"
    assert set(again.keyed) == set(again.made) == {"notes/000-7ec92ae646da1197/index.html", talk,
                                                   "meetings/2025-09-24-機械学習勉強会/index.html"}
    after = tree(project.parent / "site")
    assert {path for path in after if before.get(path) != after[path]} - {".kb-site"} == {
        "notes/000-7ec92ae646da1197/index.html", talk}
    build_site(project, load_settings(project)[0], project.parent / "clean", search=False, clean=True, cache=False)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


# --- the work a rebuild does ---------------------------------------------------------------------

@pytest.fixture()
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def test_no_change_rebuild_renders_and_parses_nothing(project):
    first = build(project, "site")
    assert first.parsed == first.notes and first.rendered == len(first.files)
    again = build(project, "site")
    assert (again.parsed, again.rendered, again.reused) == (0, 0, len(first.files))
    assert again.files == first.files


def age(root: Path, seconds: int) -> None:
    """Set every note's change time `seconds` in the past (older than the stamp's settle time)."""
    when = time.time() - seconds
    for path in note_files(root):
        os.utime(path, (when, when))


def test_no_change_rebuild_reads_no_note_when_file_stamps_match(project, monkeypatch):
    age(project, 100)
    first = build(project, "site")

    def no_reading(*_args):
        raise AssertionError("a no-change rebuild read the notes")

    monkeypatch.setattr("kb.build.discover_since", no_reading)
    again = build(project, "site")
    assert again.files == first.files and (again.parsed, again.rendered) == (0, 0)


def test_an_edit_that_keeps_the_size_is_still_seen(project):
    age(project, 100)
    build(project, "site")
    path = project / "notes" / "native-0.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("number 0.", "number 9."), encoding="utf-8")
    assert len(path.read_bytes()) == len(text.encode("utf-8"))
    age(project, 50)
    again = build(project, "site")
    assert again.parsed == 1
    assert "number 9." in (project.parent / "site" / "records" / "native-0" / "index.html").read_text()


def test_editing_one_note_reparses_exactly_that_note(project):
    first = build(project, "site")
    before = tree(project.parent / "site")
    path = project / "notes" / "native-0.md"
    path.write_text(path.read_text(encoding="utf-8").replace("number 0.", "number zero."), encoding="utf-8")
    again = build(project, "site")
    assert again.parsed == 1
    assert 0 < again.rendered < len(first.files) / 4
    after = tree(project.parent / "site")
    changed = {p for p in after if before.get(p) != after[p]}
    assert "records/native-0/index.html" in changed and "notes/native-0/index.html" in changed
    build(project, "clean", clean=True)
    assert after == tree(project.parent / "clean")


def test_a_new_process_makes_the_facts_only_of_the_records_it_renders_again(project, monkeypatch):
    """The view digests kept in the build state (kb.view_state): a one-note rebuild in a new process
    does not make every record's Facts to find them unchanged; only the records whose pages it
    renders again (the edited one, the records beside it in the list, those related to it)."""
    build(project, "site")
    path = project / "notes" / "native-0.md"
    path.write_text(path.read_text(encoding="utf-8").replace("number 0.", "number zero."), encoding="utf-8")
    made: list[str] = []
    make_facts = Site.make_facts
    monkeypatch.setattr(Site, "make_facts", lambda site, record: made.append(record.id) or make_facts(site, record))
    again = build(project, "site")
    rendered = {p.split("/")[1] for p in again.made if p.startswith("records/") and p.endswith("/index.html")}
    assert "native-0" in rendered and len(rendered) < 10  # of 172 records: the edited one, its neighbours, related
    assert set(made) == rendered  # made for a page, never to find a record unchanged
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_adding_a_note_keeps_the_stored_views_of_the_other_records(project, monkeypatch):
    """A record's stored view digests are keyed by what it reads of the rest of the site
    (Site.record_context), not by every tag's, author's and note's page: a note added with a new
    author, tag and note page makes the Facts only of the records whose pages are made again
    (before, every record's: the site-wide values had changed)."""
    build(project, "site")
    made: list[str] = []
    make_facts = Site.make_facts
    monkeypatch.setattr(Site, "make_facts", lambda site, record: made.append(record.id) or make_facts(site, record))
    (project / "notes" / "native-1.md").write_text(NATIVE.format(n=1, month=2), encoding="utf-8")
    again = build(project, "site")
    rendered = {p.split("/")[1] for p in again.made if p.startswith("records/") and p.endswith("/index.html")}
    assert "native-1" in rendered and len(rendered) < 10  # of 173 records
    assert set(made) == rendered
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_adding_a_note_makes_again_only_the_files_whose_bytes_change(project):
    """A year's page reads its own year of the date index (year:<year>), a meeting's digest the
    records added in its window (window:<after>..<until>), added/ and added.xml the latest added
    alone, a record's graph the links it draws of the records it draws (graph:<id>): a note dated
    2025-02 makes again the archive index and archive/2025 only, and exactly the files whose bytes
    change (before, every year page and meeting page was made again, as they read the whole date
    index and every added date, and the pages whose graph drew a record that gained a link)."""
    build(project, "site")
    before = tree(project.parent / "site")
    (project / "notes" / "native-1.md").write_text(NATIVE.format(n=1, month=2), encoding="utf-8")
    again = build(project, "site")
    after = tree(project.parent / "site")
    changed = {path for path in after if before.get(path) != after[path]}
    assert {p for p in again.made if p.startswith("archive/")} == {"archive/index.html", "archive/2025/index.html"}
    assert set(again.made) == changed - {".kb-site"}  # every file made again changed, the record pages too
    build(project, "clean", clean=True)
    assert after == tree(project.parent / "clean")


def test_adding_a_note_writes_only_the_reverse_map_rows_that_change(project, monkeypatch):
    """The plan's reverse map (kb.plan_state, `reads/<input>`: the outputs reading an input) is
    written only where a row changes: a note added to the bundled notes plans anew the tag pages
    listing it, whose inputs' rows mostly name them already (rewriting every such row took 0.45 s
    of an added note's rebuild at 10,000 notes). Every row written differs from the stored one,
    and the rebuild still equals a clean build."""
    from kb import store

    build(project, "site")
    written: list[dict] = []
    write = store.Store.write
    monkeypatch.setattr(store.Store, "write", lambda self, changes, cleared=(): written.append(
        {name: (value, self.get(kind, name)) for (kind, name), value in changes.items() if kind == "reads"})
        or write(self, changes, cleared))
    (project / "notes" / "native-1.md").write_text(NATIVE.format(n=1, month=2), encoding="utf-8")
    build(project, "site")
    [rows] = written
    assert {"record:native-1", "item:native-1"} <= rows.keys()  # new rows
    assert rows["item:flashattention-fast-and-memory-efficient-exact-attention-with-io-awareness"][1] is not None
    assert all(new != old for new, old in rows.values())
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


MENTIONING = """---
title: "A Reading Note on Cascades"
kind: paper
issue_date: 2025-02-15
tags: [Incremental]
---
## summary
This note compares with FrugalGPT: How to Use Large Language Models While Reducing Cost and Improving Performance.
"""


def test_a_record_that_gains_a_link_its_graphs_do_not_draw_makes_no_page_drawing_it_again(project):
    """A record's graph draws up to three of each drawn record's own links (kb.render.graph) and
    reads those alone (graph:<id>): FrugalGPT, mentioned by an added note, gains a link that the
    graph of 2503.05132 does not draw, so that page is not made again (it was, reading every link
    of FrugalGPT), and every file made again changed."""
    build(project, "site")
    before = tree(project.parent / "site")
    (project / "notes" / "native-9.md").write_text(MENTIONING, encoding="utf-8")
    again = build(project, "site")
    after = tree(project.parent / "site")
    assert "records/2503.05132/index.html" not in again.made
    assert set(again.made) == {path for path in after if before.get(path) != after[path]} - {".kb-site"}
    build(project, "clean", clean=True)
    assert after == tree(project.parent / "clean")


def test_an_added_note_ranks_again_only_records_sharing_a_feature_that_ranks(project, monkeypatch):
    """A note added with the tag NLP, which 117 of the bundled 173 records have (more than the 34
    that may share a tag, kb.index.related.limits), ranks none of them again for it: a feature on
    that many records ranks none, before or after (kb.index.links.telling). Ranked again: the note,
    native-0 (its tag Incremental), FlashAttention (which it mentions) and the record that
    FlashAttention's new mention moved (2503.01840)."""
    build(project, "site")
    ranked: list[str] = []
    score = related.score_candidates
    monkeypatch.setattr(related, "score_candidates", lambda i, *rest: ranked.append(i) or score(i, *rest))
    note = NATIVE.format(n=1, month=2).replace("tags: [Incremental, Tag1]", "tags: [NLP, Incremental, Tag1]")
    (project / "notes" / "native-1.md").write_text(note, encoding="utf-8")
    build(project, "site")
    flash = "flashattention-fast-and-memory-efficient-exact-attention-with-io-awareness"
    assert sorted(ranked) == ["2503.01840", flash, "native-0", "native-1"]
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_a_new_process_reads_only_the_note_that_changed(project, monkeypatch):
    """The note stamps kept in the build state (kb.seen_state): a one-shot rebuild reads the edited
    note and no other, not even for the pages that show a note (none of theirs changed)."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)  # the copied notes count as settled at once
    build(project, "site")
    read: list[str] = []
    read_source, read_again = discover.read_source, discover.SourceFile.read_again
    monkeypatch.setattr(discover, "read_source", lambda path, root, name=None: read.append(name) or read_source(
        path, root, name))
    monkeypatch.setattr(discover.SourceFile, "read_again", lambda source: read.append(source.path) or read_again(
        source))
    path = project / "notes" / "native-0.md"
    path.write_text(path.read_text(encoding="utf-8").replace("number 0.", "number zero."), encoding="utf-8")
    again = build(project, "site")
    assert read == ["notes/native-0.md"] and again.parsed == 1
    assert "number zero." in (project.parent / "site" / "notes" / "native-0" / "index.html").read_text()
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_a_new_process_works_out_the_related_features_of_the_changed_record_alone(project, monkeypatch):
    """The related-record features kept in the build state (kb.link_state `linkfeat/`): a one-note
    rebuild in a new process takes the other records' as stored instead of reading every text again."""
    build(project, "site")
    worked_out: list[str] = []
    term_features = related.term_features
    monkeypatch.setattr(related, "term_features", lambda record: worked_out.append(record.id) or term_features(record))
    path = project / "notes" / "native-0.md"
    path.write_text(path.read_text(encoding="utf-8").replace("number 0.", "number zero."), encoding="utf-8")
    again = build(project, "site")
    assert worked_out == ["native-0"] and again.parsed == 1
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_a_note_known_by_its_stamp_keeps_its_warnings(project, monkeypatch):
    """A note a one-shot rebuild does not read (kb.seen_state) still has its control-character warning."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    (project / "notes" / "bell.md").write_text("---\ntitle: Bell\n---\n## summary\nベル\x07です。\n", encoding="utf-8")
    said = "control character U+0007 in the text (invisible, not allowed in XML feeds): remove it"
    first = build(project, "site")
    assert [(d.line, d.message) for d in first.diagnostics if d.path == "notes/bell.md"] == [(5, said)]
    path = project / "notes" / "native-0.md"
    path.write_text(path.read_text(encoding="utf-8").replace("number 0.", "number zero."), encoding="utf-8")
    again = build(project, "site")
    assert again.parsed == 1
    assert [(d.line, d.message) for d in again.diagnostics if d.path == "notes/bell.md"] == [(5, said)]


def test_clean_build_ignores_the_cache(project):
    build(project, "site")
    cache = project / ".kb-cache"
    assert cache.is_dir()
    for cache_file in cache.glob("*.json*"):
        cache_file.write_bytes(b"not JSON")  # a broken cache is never trusted
    result = build(project, "site", clean=True)
    assert result.parsed == result.notes and result.rendered == len(result.files)
    assert build(project, "site").rendered == 0


def test_cache_can_be_deleted(project):
    build(project, "site")
    shutil.rmtree(project / ".kb-cache")
    result = build(project, "site")
    assert result.parsed == result.notes
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")
