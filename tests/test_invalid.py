"""The invalid/ corpus: each broken note gets an error naming file and line; others still parse."""

import shutil
from pathlib import Path

import pytest

from conftest import NOTES, SEEDS
from kb.config import Settings
from kb.models import Severity
from kb.records import parse_notes

INVALID = Path(__file__).parent / "invalid"
EXPECTED = {
    "broken_yaml.md": (2, "front matter is not valid YAML"),
    "no_title.md": (1, "title is missing"),
    "bad_kind.md": (3, "kind 'podcast' is not one of paper, blog, article, talk, repository, other"),
    "unrecognised.txt": (1, "not a note kb can read (none of its lines is used): closest to the native format, "
                            "which needs YAML front matter"),
    "minutes_without_title.txt": (4, "expected a '[blog] Title' or '[論文] Title' line"),
    "empty.txt": (1, "not a note kb can read (none of its lines is used): closest to the native format"),
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    notes = root / "notes"
    shutil.copytree(INVALID, notes)
    shutil.copy(NOTES / SEEDS["minutes"], notes)
    (notes / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (notes / "undecodable.txt").write_bytes("正しい".encode() + b"\x80\xff\xfe" * 10)
    return parse_notes(notes, root, Settings())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_note_has_an_actionable_error(parsed, name):
    line, message = EXPECTED[name]
    errors = [d for d in parsed.diagnostics if d.path == f"notes/{name}" and d.severity is Severity.ERROR]
    assert errors, f"no error for {name}"
    assert errors[0].line == line
    assert message in errors[0].message


@pytest.mark.parametrize("name", ["binary.txt", "undecodable.txt"])
def test_unreadable_files_are_named(parsed, name):
    [error] = [d for d in parsed.diagnostics if d.path == f"notes/{name}"]
    assert error.severity is Severity.ERROR and "not a text note" in error.message


def test_the_good_note_still_gives_its_record(parsed):
    titles = [r.title for r in parsed.records]
    assert "Improving Context Fidelity via Native Retrieval-Augmented Reasoning" in titles


def test_unrecognised_text_is_kept_as_residue(parsed):
    note = next(n for n in parsed.notes if n.path == "notes/unrecognised.txt")
    assert [r.text for r in note.residue] == ["ただのメモです。", "フォーマットが分からないテキスト。"]
