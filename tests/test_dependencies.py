"""The dependency graph (kb.render.inputs) on the real notes: what one edit re-renders, and a
page that reads what it did not declare. The property test over random edits, renames,
deletions, template and kb.yaml edits is test_incremental.test_incremental_build_equals_clean_build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.build import build_site
from kb.config import load_settings
from kb.render.inputs import Scope, UndeclaredInput
from kb.render.site import Site
from test_incremental import make_project


def build(root: Path, out: str, **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=False, keep_going=True, **options)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dependencies")


def test_one_edited_note_re_renders_its_pages_and_the_lists_showing_it_not_the_site(base, monkeypatch):
    """On the bundled notes: a sentence added to AnyAnomaly's 課題 (problem) in note 001 re-renders
    that record's page and the note's page, nothing else of the 1,195 files (693, plus papers/ and its one paper page,
    records.csl.json, records.ris, references.csl.json and references.ris for each of the 161 tags, a
    preview.json per record (172) and paper (1), static/preview.js, next-meeting/ and added/)."""
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
    assert len(first.files) == 693 + 2 + 2 + 2 * 161 + 172 + 1 + 1 + 2
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


def test_a_record_digest_from_its_origin_sees_every_field_the_index_stage_set(base):
    """record:<id>'s digest is made from the note's parse key and the fields the index stage set
    (kb.render.inputs.record_digest): a link, a normalised field or the id changing changes it;
    the same record linked the same way, in another build, keeps it."""
    from kb.build import link_site
    from kb.records import parse_notes
    from kb.render.inputs import record_digest

    root = make_project(base / "origin")
    settings_, _ = load_settings(root)

    def linked_site() -> Site:
        return link_site(parse_notes(root / "notes", root, settings_), root, root / "notes", settings_)[0]

    site, again = linked_site(), linked_site()
    name = "full-parameter-fine-tuning-for-large-language-models-with-limited-resources"
    paper = site.kb.by_id[name]  # LOMO, noted twice in note 004 (the second printing is `-2`)
    assert paper.same_as == [f"{name}-2"] and len(paper.related) == 2 and name in site.origins
    assert record_digest(site, paper) == record_digest(again, again.kb.by_id[name])
    for change in ({"related": paper.related[1:]}, {"same_as": []}, {"tags": [*paper.tags, "新しいタグ"]},
                   {"issue_date": None}, {"id": f"{name}-3"}, {"title": "Full Parameter Fine-tuning"}):
        assert record_digest(site, paper.model_copy(update=change)) != record_digest(site, paper), change
