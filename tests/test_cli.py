"""The CLI through click's runner, on the real notes."""

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import NOTES, ROOT
from kb.cli import main
from kb.models import Record

EXPECTED_COUNTS = {"minutes": 4, "summaries": 23, "blog": 2, "listing": 142}


@pytest.fixture(scope="module")
def exported():
    result = CliRunner().invoke(main, ["export", "--notes", str(NOTES)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_export_gives_every_record_valid_and_unique(exported):
    assert len(exported) == sum(EXPECTED_COUNTS.values())
    records = [Record.model_validate(item) for item in exported]
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    counts = {}
    for record in records:
        counts[record.source.format] = counts.get(record.source.format, 0) + 1
    assert counts == EXPECTED_COUNTS


def test_export_keys_and_relative_source_paths(exported):
    first = exported[0]
    for key in ("id", "title", "kind", "authors", "venue", "url", "arxiv_id", "issue_date", "tags", "summary",
                "problem", "approach", "results", "limitations", "technical", "costs", "references", "tweet",
                "comment", "presenter", "sections", "source"):
        assert key in first
    assert {item["source"]["path"].split("/")[0] for item in exported} == {"notes"}


def test_export_json_is_one_list(tmp_path):
    result = CliRunner().invoke(main, ["export", "--notes", str(NOTES), "--format", "json"])
    data = json.loads(result.output)
    assert isinstance(data, list) and len(data) == sum(EXPECTED_COUNTS.values())


def test_check_on_the_bundled_notes_exits_0():
    result = CliRunner().invoke(main, ["check", "--notes", str(NOTES)])
    assert result.exit_code == 0, result.output
    assert "171 records, 0 errors" in result.output


def test_check_reports_file_and_line_and_exits_1(tmp_path):
    shutil.copy(ROOT / "tests" / "invalid" / "broken_yaml.md", tmp_path)
    result = CliRunner().invoke(main, ["check", "--notes", str(tmp_path)])
    assert result.exit_code == 1
    assert "broken_yaml.md:2: error: front matter is not valid YAML" in result.output


def test_check_json_lists_objects_with_text(tmp_path):
    (tmp_path / "odd.txt").write_text("分からない形式\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--notes", str(tmp_path), "--json"])
    items = json.loads(result.output)
    assert result.exit_code == 1
    assert {"path", "line", "severity", "message", "text"} <= set(items[0])
    assert any(item["text"] == "分からない形式" and item["severity"] == "error" for item in items)  # one error, no
    # warning a line: the note is not read at all (issue 20)


def test_strict_fails_on_warnings(tmp_path):
    note = "---\ntitle: Only a title\nmystery: 1\n---\n"
    (tmp_path / "n.md").write_text(note, encoding="utf-8")
    assert CliRunner().invoke(main, ["check", "--notes", str(tmp_path)]).exit_code == 0
    strict = CliRunner().invoke(main, ["check", "--notes", str(tmp_path), "--strict"])
    assert strict.exit_code == 1 and "unknown front matter key 'mystery'" in strict.output


def test_commands_use_the_project_in_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "n.md").write_text("---\ntitle: 自作ノート\n---\n本文\n", encoding="utf-8")
    (tmp_path / "kb.yaml").write_text("notes_dir: papers\ncolour: blue\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export"])
    assert json.loads(result.output)["title"] == "自作ノート"
    assert json.loads(result.output)["source"]["path"] == "papers/n.md"
    check = CliRunner().invoke(main, ["check"])
    assert "kb.yaml:2: warning: unknown setting 'colour' ignored" in check.output


def test_a_missing_notes_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["check", "--notes", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "notes folder not found" in result.output


def test_tags_lists_real_tags_with_counts():
    result = CliRunner().invoke(main, ["tags", "--notes", str(NOTES)])
    assert result.exit_code == 0, result.output
    counts = {line.split(None, 1)[1]: int(line.split(None, 1)[0]) for line in result.output.splitlines()}
    assert counts["EfficiencyImprovement"] == 142
    assert list(counts)[0] == "EfficiencyImprovement", "sorted by count, largest first"
    by_name = CliRunner().invoke(main, ["tags", "--notes", str(NOTES), "--sort", "name"]).output.splitlines()
    assert sorted(by_name, key=lambda line: line.split(None, 1)[1].casefold()) == by_name


def test_stats_counts_records_per_source_kind_year_and_month():
    result = CliRunner().invoke(main, ["stats", "--notes", str(NOTES)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "    142  notes/004_92a03f46596b4115.txt" in text
    assert "     23  notes/001_aab98827960bca54.txt" in text
    assert "      1  日付なし" in text  # seed 003 has no date and no arXiv id
    export = CliRunner().invoke(main, ["export", "--notes", str(NOTES)])
    exported = [json.loads(line) for line in export.output.splitlines()]
    september = sum((r["issue_date"] or "").startswith("2025-09") for r in exported)
    assert f"{september:7d}  2025-09" in text and september >= 5  # the 4 minutes records and the blog post
    articles = sum("Article" in r["tags"] for r in exported)
    assert f"{articles:7d}  article" in text and articles > 0
    source = text.split("kind:")[0]
    assert sum(int(line.split()[0]) for line in source.splitlines()[1:]) == 171


def test_export_carries_links():
    result = CliRunner().invoke(main, ["export", "--notes", str(NOTES)])
    records = {r["title"]: r for r in map(json.loads, result.output.splitlines())}
    main_topic = records["Improving Context Fidelity via Native Retrieval-Augmented Reasoning"]
    searcher = next(r for t, r in records.items() if t.startswith("R1-Searcher"))
    assert searcher["id"] in main_topic["mentions"] and main_topic["id"] in searcher["mentioned_by"]


def run_kb(args: list[str], cwd) -> subprocess.CompletedProcess[str]:
    """`python -m kb`: the command's own entry, which ends its process with os._exit."""
    return subprocess.run([sys.executable, "-m", "kb", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_command_ends_with_its_exit_status_and_all_its_output(tmp_path):
    """kb.exits.console_entry exits without freeing what a build made: what the build printed is
    flushed first, and the exit status is the build's (0; 1 for a note with an error; 2 for a
    usage error, with click's message)."""
    shutil.copytree(NOTES, tmp_path / "notes")
    done = run_kb(["build", "--no-search"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "171 records" in done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    shutil.copy(ROOT / "tests" / "invalid" / "broken_yaml.md", tmp_path / "notes")
    done = run_kb(["build", "--no-search"], tmp_path)
    assert done.returncode == 1
    assert "broken_yaml.md:2: error: front matter is not valid YAML" in done.stdout + done.stderr
    done = run_kb(["export", "--notes", str(NOTES)], tmp_path)  # stdout to a pipe: block-buffered until flushed
    assert done.returncode == 0 and len(done.stdout.splitlines()) == sum(EXPECTED_COUNTS.values())
    done = run_kb(["build", "--no-such-option"], tmp_path)
    assert done.returncode == 2 and "No such option '--no-such-option'" in done.stderr


def test_a_one_shot_build_under_the_command_keeps_what_it_made_for_the_exit(tmp_path, monkeypatch):
    """Under kb.exits.console_entry (HARD_EXIT) a one-shot `kb build` leaves its objects in a
    Memory kept to the process's os._exit, and the collector paused: nothing is freed or collected
    object by object on the way out. Elsewhere (tests, a library caller) nothing is kept."""
    import gc

    from kb import exits

    shutil.copytree(NOTES, tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(exits, "KEPT", [])
    result = CliRunner().invoke(main, ["build", "-q", "--no-search"])
    assert result.exit_code == 0 and exits.KEPT == []
    monkeypatch.setattr(exits, "HARD_EXIT", True)
    result = CliRunner().invoke(main, ["build", "-q", "--no-search", "--clean"])
    paused = not gc.isenabled()
    assert result.exit_code == 0
    [memory] = exits.KEPT
    [(parsed, site, *_rest)] = memory.spent
    assert paused and len(site.kb.records) == 171
