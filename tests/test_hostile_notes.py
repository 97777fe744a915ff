"""Broken and hostile notes (issue: hostile input, rows 2, 3, 7 and 9 of its table): each gets an
error or warning at its own `file:line` in plain words, nothing outside notes/ is read, nothing
is expanded without bound, and terminal output never carries a note's escape sequences."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NOTES, SEEDS
from kb.build import build_site
from kb.cli import main
from kb.config import Settings
from kb.index import build_index
from kb.models import Severity
from kb.records import parse_notes

BOMB = ("---\ntitle: Billion Laughs\nkind: paper\nlol:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"  {k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi", strict=True))
        + "---\n## summary\nA bomb under an unknown key.\n")
PAPR = """---
title: A Note With Mistakes
authors: [Ada Lovelace]
kind: papr
venu: ICLR
issue_date: 2025-13-45
tags: [LLM, 2024]
related: [2106.09685]
date_inferred: true
---
## summary
本文。
"""
DUPLICATE = "---\ntitle: First Title\nkind: paper\ntitle: Second Title\n---\n## summary\n本文。\n"
ESCAPES = ('---\ntitle: "Escape \\e[31mRed\\e[0m \\u0001 Title"\nkind: paper\ntags: ["Evil\\e]0;pwned\\a"]\n---\n'
           "## summary\n本文\x1b[2J。\n\nU+FFFF here: \uffff\n")


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "notes").mkdir(parents=True)
    shutil.copy(NOTES / SEEDS["listing"], root / "notes")
    return root


def diagnostics(root: Path, name: str):
    parsed = parse_notes(root / "notes", root, Settings())
    return parsed, [d for d in parsed.diagnostics if d.path == f"notes/{name}"]


def test_an_alias_bomb_is_an_error_at_its_key(project):
    (project / "notes" / "bomb.md").write_text(BOMB, encoding="utf-8")
    parsed, found = diagnostics(project, "bomb.md")
    [error] = found
    assert (error.line, error.severity) == (4, Severity.ERROR)
    assert error.message == ("front matter has more than 100,000 values once YAML aliases (&name / *name) are "
                             "expanded; refused")
    assert len(parsed.records) == 142  # the listing's records are all still there


def test_front_matter_over_the_size_limit_is_refused(project):
    huge = "---\ntitle: Huge\nkind: paper\n" + "".join(f"k{i}: {'x' * 100}\n" for i in range(3000)) + "---\n"
    (project / "notes" / "huge.md").write_text(huge, encoding="utf-8")
    [error] = diagnostics(project, "huge.md")[1]
    assert error.line == 2 and error.message.startswith("front matter is 3") and "the limit is 262,144" in error.message


def test_every_front_matter_problem_is_at_its_key_in_plain_words(project):
    (project / "notes" / "x.md").write_text(PAPR, encoding="utf-8")
    found = {(d.line, d.severity.value, d.message) for d in diagnostics(project, "x.md")[1]}
    assert found == {
        (4, "error", "kind 'papr' is not one of paper, blog, article, talk, repository, other "
                     "(did you mean 'paper'?)"),
        (6, "error", "issue_date '2025-13-45' is not a date: month 13"),
        (5, "warning", "unknown front matter key 'venu' kept as a section of its own (did you mean 'venue'?)"),
        (8, "warning", "unknown front matter key 'related' kept as a section of its own (kb fills it while "
                       "linking; a note cannot set it)"),
        (9, "warning", "unknown front matter key 'date_inferred' kept as a section of its own (kb fills it while "
                       "linking; a note cannot set it)"),
    }


def test_scalars_in_lists_are_text_and_index_fields_are_ignored(project):
    fixed = PAPR.replace("kind: papr", "kind: paper").replace("2025-13-45", "2025-02-28")
    (project / "notes" / "x.md").write_text(fixed, encoding="utf-8")
    parsed, _ = diagnostics(project, "x.md")
    [record] = [r for r in parsed.records if r.source.path == "notes/x.md"]
    assert record.tags == ["LLM", "2024"]
    assert "related" not in record.model_fields_set and not hasattr(record, "date_inferred")
    linked = build_index(parsed.records, Settings()).by_id[record.id]
    assert linked.related == [] and linked.date_inferred is False


def test_a_day_past_the_month_says_so(project):
    (project / "notes" / "x.md").write_text(PAPR.replace("kind: papr", "kind: paper").replace("2025-13-45",
                                                                                             "2025-02-30"))
    [error] = [d for d in diagnostics(project, "x.md")[1] if d.severity is Severity.ERROR]
    assert (error.line, error.message) == (6, "issue_date '2025-02-30' is not a date: day 30 (2025-02 has 28 days)")


def test_duplicate_keys_are_warned_with_both_lines(project):
    (project / "notes" / "dup.md").write_text(DUPLICATE, encoding="utf-8")
    parsed, [warning] = diagnostics(project, "dup.md")
    assert (warning.line, warning.severity) == (4, Severity.WARNING)
    assert warning.message == "front matter key 'title' is written twice (lines 2 and 4); the value on line 4 is used"
    assert "Second Title" in [r.title for r in parsed.records]


def test_undecodable_bytes_are_reported_with_line_and_byte_offset(project):
    (project / "notes" / "bad.txt").write_bytes("一行目\n二行目 ".encode() + b"\x80\xff\xfe\x80" * 3 + b"\n")
    [error] = diagnostics(project, "bad.txt")[1]
    assert error.line == 2 and error.severity is Severity.ERROR
    assert error.message.endswith("line 2, byte offset 20: byte 0x80, which is not UTF-8")


def test_control_characters_are_warned_with_file_and_line(project):
    (project / "notes" / "esc.md").write_text(ESCAPES, encoding="utf-8")
    found = {(d.line, d.message) for d in diagnostics(project, "esc.md")[1]}
    assert found == {
        (2, "control character U+001B in 'title' (invisible, not allowed in XML feeds): remove it"),
        (4, "control character U+001B in 'tags' (invisible, not allowed in XML feeds): remove it"),
        (7, "control character U+001B in the text (invisible, not allowed in XML feeds): remove it"),
        (9, "control character U+FFFF in the text (invisible, not allowed in XML feeds): remove it"),
    }


def test_terminal_output_never_carries_escape_sequences(project, monkeypatch):
    (project / "notes" / "esc.md").write_text(ESCAPES, encoding="utf-8")
    monkeypatch.chdir(project)
    runner = CliRunner()
    outputs = {args[0]: runner.invoke(main, args) for args in (["tags"], ["search", "Escape"], ["check"], ["stats"])}
    for command, result in outputs.items():
        assert "\x1b" not in result.output and "\x07" not in result.output, command
    assert "Evil\\x1b]0;pwned\\x07" in outputs["tags"].output
    assert "Escape \\x1b[31mRed\\x1b[0m \\x01 Title" in outputs["search"].output
    assert "notes/esc.md:7: warning: control character U+001B" in outputs["check"].output


def test_links_out_of_the_notes_folder_are_refused_and_no_absolute_path_is_published(project, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret Outside Note\n---\n## summary\n秘密。\n", encoding="utf-8")
    notes = project / "notes"
    (notes / "passwd.md").symlink_to("/etc/passwd")
    (notes / "secret.md").symlink_to(outside)
    (notes / "inside.md").write_text("---\ntitle: Inside Note\n---\n## summary\n中。\n", encoding="utf-8")
    (notes / "alias.md").symlink_to(notes / "inside.md")  # a link that stays inside notes/ is a note
    result = build_site(project, Settings(), project.parent / "site", search=False, keep_going=True)
    refused = {d.path: d.message for d in result.diagnostics if d.message.startswith("refused")}
    assert set(refused) == {"notes/passwd.md", "notes/secret.md"}
    assert all(d.severity is Severity.ERROR for d in result.diagnostics if d.path in refused)
    site = project.parent / "site"
    published = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert b"root:x:0:0" not in published and b"Secret Outside Note" not in published
    assert str(tmp_path).encode() not in published and b"/tmp/" not in published
    assert (site / "notes" / "alias" / "index.html").exists() and (site / "notes" / "inside" / "index.html").exists()


def test_diagnostics_keep_only_a_short_excerpt(project):
    long = "長" * 30_000  # 90 KB each: the front matter stays under its 256 KB limit
    (project / "notes" / "long.md").write_text(f'---\ntitle: Long\nkind: "{long}"\nextra: "{long}"\n---\n{long}\n',
                                               encoding="utf-8")
    found = diagnostics(project, "long.md")[1]
    assert {(d.line, d.severity) for d in found} == {(3, Severity.ERROR), (4, Severity.WARNING)}
    assert all(len(d.text) <= 200 and len(d.message) <= 800 for d in found)
    assert next(d for d in found if d.line == 4).text == "長" * 199 + "…"
