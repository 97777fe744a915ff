"""A `kb build` with nothing to do is answered from the build state before kb loads its stages
(kb.replay, issue #23's "nothing changed" target): it prints exactly what the usual way prints,
exits with its status and leaves the site as it was; any change, any other command, another
build running or an entry not written by this user's kb sends it the usual way."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTES, tree
from kb.cache import CACHE_DIR, STATE_FILE

STAGES = ("pydantic", "click", "kb.cli", "kb.build")  # what the usual way imports, even with nothing to do


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")  # copy2 keeps the times: the notes count as settled
    return root


def environment(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    return {**env, "LANG": "C.UTF-8", **changes}


def kb(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str, set[str]]:
    """`python -m kb ARGS` (the console entry, as `kb` runs): status, stdout, stderr (without the
    import-time lines) and the top-level packages and kb modules it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kb", *args], cwd=root, capture_output=True,
                          text=True, env=env or environment())
    lines = done.stderr.splitlines(keepends=True)
    imported = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    said = "".join(line for line in lines if not line.startswith("import time:"))
    return done.returncode, done.stdout, said, {name.split(".")[0] if not name.startswith("kb.") else name
                                                for name in imported}


def forget_replay(root: Path) -> None:
    """Remove the replay entry (a row delete needs no key): the next build goes the usual way."""
    conn = sqlite3.connect(root / CACHE_DIR / STATE_FILE, isolation_level=None)
    conn.execute("DELETE FROM entry WHERE kind = 'replay'")
    conn.close()


def usual(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str, set[str]]:
    forget_replay(root)
    return kb(root, *args, env=env)


def loaded_stages(imported: set[str]) -> set[str]:
    return imported & set(STAGES)


def test_nothing_changed_is_answered_without_the_stages_and_says_what_the_usual_way_says(project):
    status, out, _, _ = kb(project, "build")
    assert status == 0
    site = tree(project / "site")
    replayed = kb(project, "build")
    assert loaded_stages(replayed[3]) == set()
    assert replayed[0] == 0
    assert replayed[1] == f"5 notes, 171 records -> 519 pages, 2023 files in {project / 'site'}; 0 errors, 5 warnings\n"
    assert "notes/004_92a03f46596b4115.txt:831: warning: the page is cut off" in replayed[2]
    assert replayed[2].endswith("(set base_url: https://USER.github.io/REPO/)\n")
    again = usual(project, "build")
    assert loaded_stages(again[3]) == set(STAGES)
    assert again[:3] == replayed[:3]
    assert tree(project / "site") == site
    assert kb(project, "build")[:3] == replayed[:3]  # the usual way wrote the entry again


def test_each_option_is_replayed_as_given(project):
    assert kb(project, "build", "--no-search", "--out", "public")[0] == 0
    replayed = kb(project, "build", "--out=public", "--no-search", "-v")
    assert loaded_stages(replayed[3]) == set(STAGES)  # -v was not the recorded command: the usual way
    assert "parsed 0 notes anew, rendered 0 files, reused 1181; search index: off\n" in replayed[1]
    fast = kb(project, "build", "--no-search", "-v", "--out", "public")
    assert loaded_stages(fast[3]) == set()
    assert fast[:3] == replayed[:3]
    assert kb(project, "build", "-q", "--out", "public", "--no-search")[1:3] == ("", "")


@pytest.mark.parametrize("change", ["note", "kb.yaml", "templates", "locale", "clean", "site"])
def test_a_change_goes_the_usual_way(project, change):
    assert kb(project, "build")[0] == 0
    env = None
    args = ["build"]
    if change == "note":
        with (project / "notes" / "002_08efc3dd06c964ef.txt").open("a", encoding="utf-8") as handle:
            handle.write("\n追記\n")
    elif change == "kb.yaml":
        (project / "kb.yaml").write_text("title: 輪読会ノート\n", encoding="utf-8")
    elif change == "templates":
        (project / "templates").mkdir()
    elif change == "locale":
        env = environment(LANG="ja_JP.UTF-8")
    elif change == "clean":
        args.append("--clean")
    else:
        (project / "site" / ".kb-site").write_text("planted\n")
    status, out, err, imported = kb(project, *args, env=env)
    assert loaded_stages(imported) == set(STAGES)
    assert status == 0
    if change == "locale":
        assert out.endswith("エラー 0 件、警告 5 件\n")
    if change == "kb.yaml":
        assert "輪読会ノート" in (project / "site" / "index.html").read_text(encoding="utf-8")


def test_another_build_running_goes_the_usual_way(project):
    assert kb(project, "build")[0] == 0
    fd = os.open(project / CACHE_DIR / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        status, _, err, imported = kb(project, "build", "--no-wait")
    finally:
        os.close(fd)
    assert status == 3
    assert "another kb build is using" in err
    assert loaded_stages(imported) == set(STAGES)


def test_an_entry_not_written_by_this_users_kb_is_never_printed(project):
    assert kb(project, "build")[0] == 0
    conn = sqlite3.connect(project / CACHE_DIR / STATE_FILE, isolation_level=None)
    value = conn.execute("SELECT value FROM entry WHERE kind = 'replay'").fetchone()[0]
    forged = value.replace(b"5 notes, 171 records", b"planted text, 0 records")
    assert forged != value
    conn.execute("UPDATE entry SET value = ? WHERE kind = 'replay'", (forged,))
    conn.close()
    status, out, err, imported = kb(project, "build")
    assert loaded_stages(imported) == set(STAGES)
    assert status == 0
    assert "planted" not in out + err
    assert out.startswith("5 notes, 171 records -> ")
