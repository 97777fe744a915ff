"""Format detection by content (not by name), and the explicit override."""

import shutil

import pytest

from conftest import NOTES, ROOT, SEEDS
from kb.config import Settings
from kb.discover import read_source
from kb.formats import FORMATS, detect_format
from kb.records import parse_notes

EXPECTED = {
    "minutes": "minutes",
    "summaries": "summaries",
    "blog": "blog",
    "blog_no_date": "blog",
    "listing": "listing",
}


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_each_seed_is_detected_by_content(seed):
    text = read_source(NOTES / SEEDS[seed], ROOT).text
    assert detect_format(text)[0] == EXPECTED[seed]


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_detection_ignores_the_file_name(tmp_path, seed):
    shutil.copy(NOTES / SEEDS[seed], tmp_path / "renamed.md")
    [note] = parse_notes(tmp_path, tmp_path, Settings()).notes
    assert note.format == EXPECTED[seed]


def test_native_front_matter_is_detected():
    text = "---\ntitle: LoRA\n---\n## summary\n低ランク適応\n"
    assert detect_format(text) == ("native", 1.0)


def test_a_format_can_be_forced_from_kb_yaml(tmp_path):
    shutil.copy(NOTES / SEEDS["blog"], tmp_path / "post.txt")
    forced = Settings(formats={"post.txt": "native"})
    [note] = parse_notes(tmp_path, tmp_path, forced).notes
    assert note.format == "native" and note.records == []
    assert "expected YAML front matter" in note.diagnostics[0].message


def test_an_unknown_forced_format_is_an_error(tmp_path):
    shutil.copy(NOTES / SEEDS["minutes"], tmp_path / "m.txt")
    [note] = parse_notes(tmp_path, tmp_path, Settings(formats={"*.txt": "wiki"})).notes
    assert "format 'wiki' is not known" in note.diagnostics[0].message
    assert set(FORMATS) <= set(note.diagnostics[0].message.replace(",", " ").replace(")", " ").split())
