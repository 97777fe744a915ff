"""The dependency graph: every output names its inputs, and a rebuild re-renders exactly the
outputs whose declared inputs changed (kb.render.inputs).

For random sequences of edits to the real notes (text, new notes, renames, deletions,
template and kb.yaml edits; the operations of test_incremental.py), after each step:
- soundness: every output whose bytes differ from the previous build (as a clean build of the
  new notes makes them) was re-rendered by the incremental build;
- precision: no output whose declared inputs (and code, settings, templates) all kept their
  digests was re-rendered, and every re-rendered one had an input that changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.build import build_site
from kb.config import load_settings
from kb.render.inputs import Scope, UndeclaredInput
from kb.render.site import Site
from test_incremental import OPERATIONS, make_project, tree


def build(root: Path, out: str, **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=False, keep_going=True, **options)


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dependencies")


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 1000)), min_size=1, max_size=3))
def test_a_rebuild_renders_exactly_the_outputs_whose_declared_inputs_changed(base, ops, monkeypatch):
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / "case"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    reads = build(root, "site", trace=True).reads
    for name, pick in ops:
        before = tree(root.parent / "site")
        OPERATIONS[name](root, pick)
        result = build(root, "site", trace=True)
        clean = build(root, "clean", clean=True, cache=False)
        after = tree(root.parent / "clean")
        assert tree(root.parent / "site") == after, (name, pick)
        differ = {path for path in after if before.get(path) != after[path]} - {".kb-site"}
        assert not differ - set(result.made), f"{name} {pick}: stale outputs {sorted(differ - set(result.made))[:5]}"
        if result.reads is None:  # nothing the build reads changed: it made nothing
            assert result.made == () and not differ and clean.files
            continue
        for path in result.made:
            assert path not in reads or changed_inputs(reads[path], result.reads[path]), (name, pick, path)
        unchanged = {path for path, now in result.reads.items() if reads.get(path) == now}
        assert not unchanged & set(result.made), (name, pick)
        reads = result.reads


def test_one_edited_note_re_renders_its_pages_and_the_lists_showing_it_not_the_site(base, monkeypatch):
    """On the bundled notes: a sentence added to AnyAnomaly's 課題 (problem) in note 001 re-renders
    that record's page and the note's page, nothing else of the 693 files."""
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    work = base / "one"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    root = make_project(work)
    first = build(root, "site", trace=True)
    note = root / "notes" / "001_aab98827960bca54.txt"
    text = note.read_text(encoding="utf-8")
    anchor = "既存のビデオ異常検知（VAD）モデルは、主に以下の点で限界がありました。"
    assert text.count(anchor) >= 1
    note.write_text(text.replace(anchor, anchor + "（追記）", 1), encoding="utf-8")
    second = build(root, "site", trace=True)
    assert len(first.files) == 693
    # the record's list entry (its one line comes from its summary) and its BibTeX did not change
    assert second.made == ("notes/001-aab98827960bca54/index.html", "records/2503.04504/index.html")


def test_reading_an_undeclared_input_is_an_error(base):
    """A page's context sees only what the page declared: anything else raises."""
    from kb.build import make_site
    from kb.records import parse_notes

    root = make_project(base / "scope")
    settings_, _ = load_settings(root)
    site: Site = make_site(parse_notes(root / "notes", root, settings_), root, root / "notes", settings_)
    some = site.kb.records[0].id
    scope = Scope(site, frozenset({f"item:{some}"}), "x.html")
    assert scope.items([some])[0].id == some
    with pytest.raises(UndeclaredInput, match=f"x.html reads record:{some}"):
        scope.record(some)
    with pytest.raises(UndeclaredInput, match="x.html reads groups:tags"):
        scope.groups("tags")
