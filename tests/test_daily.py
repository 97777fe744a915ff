"""The daily loop through click's runner: kb init, kb new, and what kb build prints and publishes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pty
import select
import shlex
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import NOTES, ROOT, SEEDS
from kb import console
from kb.cli import main
from kb.config import Settings, load_settings

INVALID = ROOT / "tests" / "invalid"
LORA_PAGE = "records/2106.09685/index.html"


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(*args: str, **options):
    return CliRunner().invoke(main, list(args), **options)


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    """A knowledge base made by kb init, as the current directory."""
    root = tmp_path / "papers"
    result = run("init", str(root))
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(root)
    return root


# --- kb init --------------------------------------------------------------------------------------

def test_init_writes_a_project_that_builds(project):
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == [
        ".github/workflows/pages.yml", ".gitignore", "kb.yaml",
        "notes/2021-06-17-lora-low-rank-adaptation-of-large-language-models.md", "requirements.txt"]
    assert load_settings(project) == (Settings(), [])  # the commented kb.yaml states the defaults
    assert "# base_url: https://USER.github.io/REPO/" in (project / "kb.yaml").read_text(encoding="utf-8")
    assert (project / ".gitignore").read_text(encoding="utf-8").splitlines()[1:] == ["site/", ".kb-cache/", ".venv/"]
    check = run("check", "--strict")
    assert check.exit_code == 0 and "1 notes, 1 records, 0 errors, 0 warnings" in check.output
    built = run("build", "--no-search")
    assert built.exit_code == 0, built.output
    page = (project / "site" / LORA_PAGE).read_text(encoding="utf-8")
    assert "LoRA: Low-Rank Adaptation of Large Language Models" in page and "Edward J. Hu" in page


def test_init_workflow_installs_kb_and_builds_without_node(project):
    workflow = yaml.safe_load((project / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs[1:] == ["pip install -r requirements.txt", "kb build"]
    assert "OWNER/REPO" in runs[0] and "exit 1" in runs[0]  # refuses to install while requirements.txt is unfilled
    assert {"path": "site"} == next(s["with"] for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert not any("node" in step.get("uses", "") for step in steps)
    assert (project / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1] == (
        "ronbun-kb @ git+https://github.com/OWNER/REPO@v0.2.0")  # an editable install: CI cannot install a folder


def test_init_keeps_an_existing_gitignore_and_never_overwrites(tmp_path):
    (tmp_path / ".gitignore").write_text("*.pyc\nsite/", encoding="utf-8")
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == (
        "*.pyc\nsite/\n# kb: the built site, the incremental build cache, a virtual environment for kb\n"
        ".kb-cache/\n.venv/\n")
    (tmp_path / "kb.yaml").write_text("title: 自分の\n", encoding="utf-8")
    before = tree(tmp_path)
    again = run("init", str(tmp_path))
    assert again.exit_code == 1
    assert "already has .github/workflows/pages.yml, kb.yaml, notes/2021-06-17-lora" in again.output
    assert "never overwrites" in again.output
    assert tree(tmp_path) == before


# --- kb new ---------------------------------------------------------------------------------------

def exported(title: str) -> dict:
    records = [json.loads(line) for line in run("export").output.splitlines()]
    return next(r for r in records if r["title"] == title)


def test_new_writes_a_native_note_named_by_date_and_title(project):
    title = "LoRA+: Efficient Low Rank Adaptation of Large Models"
    result = run("new", title, "--url", "https://arxiv.org/abs/2402.12354v2", "--tag", "PEFT(Adaptor/LoRA)",
                 "--tag", "2024", "--date", "2024-02-19")
    assert result.exit_code == 0, result.output
    name = "notes/2024-02-19-lora-efficient-low-rank-adaptation-of-large-models.md"
    assert result.output == name + "\n"
    text = (project / name).read_text(encoding="utf-8")
    assert text.endswith("---\n## summary\n\n## problem\n\n## approach\n\n## results\n\n## limitations\n\n"
                         "## comment\n")
    record = exported(title)
    assert (record["url"], record["arxiv_id"], record["issue_date"]) == (
        "https://arxiv.org/abs/2402.12354v2", "2402.12354", "2024-02-19")
    assert (record["kind"], record["tags"], record["summary"]) == ("paper", ["PEFT(Adaptor/LoRA)", "2024"], "")
    check = run("check", "--strict")
    assert check.exit_code == 0 and "2 notes, 2 records, 0 errors, 0 warnings" in check.output


def test_new_takes_a_bare_arxiv_id_and_never_overwrites(project):
    args = ["new", "モデル圧縮のサーベイ", "--url", "arXiv:2106.09685v2", "--kind", "article", "--date", "2025-10-01"]
    first = run(*args)
    assert first.output == "notes/2025-10-01-モデル圧縮のサーベイ.md\n"
    record = exported("モデル圧縮のサーベイ")
    assert (record["url"], record["arxiv_id"], record["kind"]) == (
        "https://arxiv.org/abs/2106.09685", "2106.09685", "article")
    path = project / first.output.strip()
    path.write_text(path.read_text(encoding="utf-8") + "書きかけ\n", encoding="utf-8")
    second = run(*args)
    assert second.exit_code == 1 and "exists; kb new never overwrites" in second.output
    assert path.read_text(encoding="utf-8").endswith("## comment\n書きかけ\n")


def test_new_dates_a_note_today_by_default(project):
    before = dt.date.today()
    result = run("new", "Today's paper")
    after = dt.date.today()
    assert result.output.strip() in {f"notes/{day.isoformat()}-today-s-paper.md" for day in (before, after)}


def test_new_edit_opens_the_editor_on_the_note(project, tmp_path, monkeypatch):
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'a', encoding='utf-8').write('編集した。\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    result = run("new", "Edited paper", "--date", "2025-01-02", "--edit")
    assert result.exit_code == 0, result.output
    assert (project / "notes" / "2025-01-02-edited-paper.md").read_text(encoding="utf-8").endswith("編集した。\n")
    assert exported("Edited paper")["comment"] == "編集した。"


def test_new_rejects_a_bad_date_and_kind(project):
    assert run("new", "X", "--date", "2025-13-45").exit_code == 2
    bad_kind = run("new", "X", "--kind", "papr")
    assert bad_kind.exit_code == 2 and "'papr' is not one of" in bad_kind.output
    assert sorted(p.name for p in (project / "notes").iterdir()) == [
        "2021-06-17-lora-low-rank-adaptation-of-large-language-models.md"]


# --- the publish rule: a note with an error never half-publishes ----------------------------------

def test_a_broken_note_leaves_the_previous_site_as_it_was(project):
    assert run("build", "--no-search").exit_code == 0
    before = tree(project / "site")
    shutil.copy(INVALID / "bad_kind.md", project / "notes" / "bad_kind.md")
    result = run("build", "--no-search")
    assert result.exit_code == 1
    assert "notes/bad_kind.md:" in result.output and "podcast" in result.output
    assert "site not updated: 1 file with errors (notes/bad_kind.md)" in result.output
    assert tree(project / "site") == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".site.")] == [".site.standby"]


def test_keep_going_publishes_the_rest_and_no_error_reaches_the_site(project):
    shutil.copy(INVALID / "bad_kind.md", project / "notes" / "bad_kind.md")
    shutil.copy(INVALID / "broken_yaml.md", project / "notes" / "broken_yaml.md")
    result = run("build", "--no-search", "--keep-going")
    assert result.exit_code == 1
    assert "published without 2 notes with errors: notes/bad_kind.md, notes/broken_yaml.md" in result.output
    site = project / "site"
    assert (site / LORA_PAGE).is_file()
    assert not (site / "notes" / "bad-kind").exists() and not (site / "notes" / "broken-yaml").exists()
    pages = [p.read_text(encoding="utf-8") for p in site.rglob("*.html")]
    assert len(pages) > 10
    assert not [p for p in pages if "エラー" in p or "podcast" in p or "not valid YAML" in p]


def test_a_fixed_note_is_published_again(project):
    note = project / "notes" / "talk.md"
    note.write_text("---\ntitle: 勉強会の発表\nkind: podcast\n---\n本文\n", encoding="utf-8")
    assert run("build", "--no-search").exit_code == 1
    assert not (project / "site").exists()  # no site before, none after: nothing half-published
    note.write_text("---\ntitle: 勉強会の発表\nkind: talk\n---\n本文\n", encoding="utf-8")
    assert run("build", "--no-search").exit_code == 0
    assert "勉強会の発表" in (project / "site" / "records" / "talk" / "index.html").read_text(encoding="utf-8")


def test_an_error_in_kb_yaml_publishes_nothing(project):
    assert run("build", "--no-search").exit_code == 0
    before = tree(project / "site")
    (project / "kb.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = run("build", "--no-search", "--keep-going")
    assert result.exit_code == 1
    assert "kb.yaml:1: error: kb.yaml is not valid YAML" in result.output  # where the unclosed [ starts
    assert "site not updated: 1 file with errors (kb.yaml)" in result.output
    assert tree(project / "site") == before


# --- what kb build prints ----------------------------------------------------------------------------

def noisy_project(root: Path) -> None:
    """The listing seed (three real warnings: the copied page is cut off, and the stray `` and
    </span> of its lines 215-216 are residue) plus a note with 25 unknown keys and a broken note:
    29 diagnostics."""
    shutil.copy(NOTES / SEEDS["listing"], root / "notes")
    keys = "\n".join(f"extra_{n}: {n}" for n in range(25))
    (root / "notes" / "keys.md").write_text(f"---\ntitle: Many keys\n{keys}\n---\n本文\n", encoding="utf-8")
    shutil.copy(INVALID / "bad_kind.md", root / "notes" / "zz_bad_kind.md")


def test_build_prints_diagnostics_grouped_by_file_first_20(project):
    noisy_project(project)
    result = run("build", "--no-search", "--keep-going")
    lines = result.output.splitlines()
    assert lines[0] == "notes/zz_bad_kind.md (1 error)", "files with errors come first"
    assert lines[1].startswith("  notes/zz_bad_kind.md:")
    assert "notes/keys.md (25 warnings)" in lines
    shown = [line for line in lines if line.startswith("  notes/")]
    assert len(shown) == 20
    assert "... and 9 more (kb check lists them all; so does kb build --verbose)" in lines
    assert "\x1b[" not in result.output  # not a terminal: no colours


def test_build_verbose_prints_every_diagnostic_and_the_work_done(project):
    noisy_project(project)
    result = run("build", "--no-search", "--keep-going", "--verbose")
    assert len([line for line in result.output.splitlines() if line.startswith("  notes/")]) == 29  # noisy_project
    assert "notes/004_92a03f46596b4115.txt (3 warnings)" in result.output  # cut off; `` and </span> (lines 215-216)
    assert "parsed 4 notes anew, rendered " in result.output


def test_build_quiet_prints_errors_only(project):
    noisy_project(project)
    result = run("build", "--no-search", "--keep-going", "--quiet")
    assert result.output.splitlines()[:2] == ["notes/zz_bad_kind.md (1 error)",
                                               result.output.splitlines()[1]]
    assert "warning" not in result.output and "records ->" not in result.output
    assert "published without" not in result.output
    (project / "notes" / "zz_bad_kind.md").unlink()
    (project / "notes" / "keys.md").unlink()
    assert run("build", "--no-search", "--quiet").output == ""


def test_colours_only_when_asked_for_a_terminal(project):
    shutil.copy(INVALID / "bad_kind.md", project / "notes")
    coloured = run("build", "--no-search", color=True)
    assert "\x1b[31m\x1b[1merror\x1b[0m" in coloured.output
    assert "\x1b[" not in run("build", "--no-search").output


def test_help_lists_the_exit_codes():
    text = run("--help").output
    assert "Exit codes:" in text
    for code in ("0  done", "1  a note or kb.yaml has an error", "2  wrong usage", "3  the build could not finish"):
        assert code in text


# --- the progress bar ---------------------------------------------------------------------------------

def read_terminal(fd: int) -> str:
    """Everything written to the terminal so far (a pty may hand it over in several reads)."""
    chunks = []
    while select.select([fd], [], [], 1.0)[0]:
        chunks.append(os.read(fd, 4096))
    return b"".join(chunks).decode()


def test_progress_bar_draws_on_a_terminal_after_its_delay_only(monkeypatch):
    parent, child = pty.openpty()
    terminal = os.fdopen(child, "w", encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    assert console.wants_progress(terminal)
    monkeypatch.setattr(console.Progress, "DELAY", 3600.0)
    waiting = console.Progress()
    waiting("parsing notes", 5, 10)
    assert waiting.bar is None
    monkeypatch.setattr(console.Progress, "DELAY", 0.0)
    drawing = console.Progress()
    drawing("writing pages", 40, 80)
    drawing.close()
    terminal.flush()
    drawn = read_terminal(parent)
    assert "writing pages" in drawn and "40/80" in drawn
    monkeypatch.setenv("CI", "true")
    assert not console.wants_progress(terminal)
    terminal.close()
    os.close(parent)


def test_no_progress_bar_when_piped(project, monkeypatch):
    monkeypatch.setattr(console.Progress, "DELAY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    result = run("build", "--no-search", "--clean")
    assert result.exit_code == 0 and "writing pages" not in result.output


def test_compiled_templates_are_reused_only_while_their_source_is_unchanged(tmp_path):
    """kb serve keeps compiled templates for the process (kb.render.templates.COMPILED)."""
    from kb.render.templates import COMPILED, Theme

    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "tag.html"
    page.write_text("一つ目 {{ 1 + 1 }}", encoding="utf-8")
    assert Theme.for_project(tmp_path).environment().get_template("tag.html").render() == "一つ目 2"
    assert len(COMPILED.codes) >= 1
    page.write_text("二つ目 {{ 2 + 2 }}", encoding="utf-8")
    assert Theme.for_project(tmp_path).environment().get_template("tag.html").render() == "二つ目 4"


def test_the_readme_weekly_loop_kb_new_line_works(project, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("kb new "))
    monkeypatch.setenv("EDITOR", "true")  # --edit opens $EDITOR: here one that leaves the note as it is
    result = run(*shlex.split(line)[1:])
    assert result.exit_code == 0, result.output
    record = exported("LoRA+: Efficient Low Rank Adaptation of Large Models")
    assert (record["arxiv_id"], record["url"], record["tags"]) == (
        "2402.12354", "https://arxiv.org/abs/2402.12354", ["PEFT(Adaptor/LoRA)"])


def test_serve_on_a_port_in_use_says_so_before_building(project):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("serve", "--port", str(taken.getsockname()[1]), "--no-search")
    assert result.exit_code == 2
    assert "cannot serve on 127.0.0.1:" in result.output and "Address already in use (try --port)" in result.output
    assert not (project / "site").exists()


def test_serve_with_nothing_to_show_stops_with_the_errors(project):
    """A broken kb.yaml and no site yet: kb serve says why and exits, it does not hang."""
    (project / "kb.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = run("serve", "--port", "0", "--no-search")
    assert result.exit_code == 1
    assert "kb.yaml:1: error: kb.yaml is not valid YAML" in result.output  # where the unclosed [ starts
    assert "nothing to serve: fix the errors above and run kb serve again" in result.output
