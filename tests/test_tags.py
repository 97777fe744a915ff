"""Tags people can use (issue #10): bookkeeping labels apart from topics, and variant spellings
proposed by `kb tags --suggest`, folded only through kb.yaml."""

import shutil

import pytest
from click.testing import CliRunner

from conftest import NOTES, ROOT
from kb.cli import main
from kb.config import Settings, load_settings
from kb.index import build_index
from kb.records import parse_notes

SUGGESTED = [  # each checked against the notes: one topic spelled three ways, one with its long form
    "  MoE: MoE(Mixture-of-Experts)  # bracketed long form, score 100.0, 1 record(s)",
    "  MulltiModal: MultiModal  # typo, score 95.2, 5 record(s)",
    "  マルチモーダル: MultiModal  # katakana reading, score 100.0, 1 record(s)",
]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of the bundled notes as a project of its own (kb.yaml written by the test)."""
    shutil.copytree(NOTES, tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tag_counts(root) -> dict[str, int]:
    settings = load_settings(root)[0]
    kb = build_index(parse_notes(root / "notes", root, settings).records, settings)
    return {g.name: g.count for g in kb.tags}


def test_suggest_prints_the_tag_aliases_lines_with_scores(project):
    result = CliRunner().invoke(main, ["tags", "--suggest"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "tag_aliases:"
    assert lines[2:] == SUGGESTED


def test_suggestions_apply_only_through_kb_yaml(project):
    before = tag_counts(project)
    assert {before["MulltiModal"], before["multimodal"], before["マルチモーダル"], before["MoE"]} == {5, 1}
    output = CliRunner().invoke(main, ["tags", "--suggest"]).output
    assert tag_counts(project) == before  # suggesting changes nothing
    (project / "kb.yaml").write_text(output, encoding="utf-8")  # the printed text is valid kb.yaml
    after = tag_counts(project)
    assert not {"MulltiModal", "multimodal", "マルチモーダル", "MoE"} & set(after)
    assert after["MultiModal"] == 7 and after["MoE(Mixture-of-Experts)"] == 6


def test_bookkeeping_labels_are_marked_and_stay_on_the_records():
    kb = build_index(parse_notes(NOTES, ROOT, Settings()).records, Settings())
    flagged = {g.name for g in kb.tags if g.bookkeeping}
    assert {"Pocket", "Article", "read-later", "Admin'sPick", "Single", "Slide"} <= flagged
    assert not {"NLP", "LanguageModel", "Transformer", "EfficiencyImprovement"} & flagged
    assert sum("Pocket" in r.tags for r in kb.records) == 91


def test_bookkeeping_list_is_overridable_in_kb_yaml(project):
    (project / "kb.yaml").write_text("bookkeeping_tags: [Slide]\n", encoding="utf-8")
    settings = load_settings(project)[0]
    kb = build_index(parse_notes(project / "notes", project, settings).records, settings)
    assert {g.name for g in kb.tags if g.bookkeeping} == {"Slide"}


def test_tags_listing_marks_bookkeeping_labels():
    result = CliRunner().invoke(main, ["tags", "--notes", str(NOTES)])
    assert "   91  Pocket  (bookkeeping)" in result.output.splitlines()
    assert "  117  NLP" in result.output.splitlines()
