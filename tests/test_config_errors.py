"""A broken or invalid kb.yaml stops the build with its line and leaves the site untouched
(issue: hostile input, row 6); kb.yaml is read within the same bounds as front matter."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NOTES, SEEDS
from kb.cli import main
from kb.config import load_settings

GOOD = "title: 私の論文ノート\ntag_aliases:\n  LangugeModel: LanguageModel\nbase_url: https://example.org/papers/\n"
BROKEN = {
    "unclosed quote": ('title: "私の論文ノート\ntag_aliases: {}\n', 1, "kb.yaml is not valid YAML"),
    "a list, not a mapping": ("- title\n- base_url\n", 1, "kb.yaml must be a mapping"),
    "tag_aliases of the wrong type": ("title: ok\n\ntag_aliases: [a, b]\n", 3,
                                      "kb.yaml: tag_aliases should be a mapping (key: value), not a list"),
    "an alias bomb": ("title: x\nbomb:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                      + "".join(f"  {k}: &{k} [{', '.join(['*' + p] * 10)}]\n"
                                for p, k in zip("abcdef", "bcdefg", strict=True)),
                      2, "kb.yaml has more than 100,000 values once YAML aliases"),
}


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("config") / "project"
    (root / "notes").mkdir(parents=True)
    shutil.copy(NOTES / SEEDS["blog"], root / "notes")
    (root / "kb.yaml").write_text(GOOD, encoding="utf-8")
    return root


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_kb_yaml_exits_1_with_its_line_and_keeps_the_site(built, case, monkeypatch):
    monkeypatch.chdir(built)
    (built / "kb.yaml").write_text(GOOD, encoding="utf-8")
    assert CliRunner().invoke(main, ["build", "--no-search"]).exit_code == 0
    before = tree(built / "site")
    assert "私の論文ノート" in (built / "site" / "index.html").read_text(encoding="utf-8")
    text, line, message = BROKEN[case]
    (built / "kb.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--no-search", "--clean"])
    assert result.exit_code == 1
    assert f"kb.yaml:{line}: error: {message}" in result.output
    assert tree(built / "site") == before


def test_unknown_settings_are_warned_at_their_line_with_a_suggestion(tmp_path):
    (tmp_path / "kb.yaml").write_text("title: x\nbase_ulr: https://example.org/\ntitle: y\n", encoding="utf-8")
    settings, problems = load_settings(tmp_path)
    assert settings.title == "y"
    messages = {(d.line, d.message) for d in problems}
    assert (2, "unknown setting 'base_ulr' ignored (did you mean 'base_url'?)") in messages
    assert (3, "setting 'title' is written twice (lines 1 and 3); the value on line 3 is used") in messages
