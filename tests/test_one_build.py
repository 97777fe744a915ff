"""One build at a time (issue: hostile input round 3, row 4): a lock per project and per output
folder, held for the whole build. A second `kb build` waits and says so; `--no-wait` exits 3;
two builds looping at once while notes change never interleave, and the site they leave
equals a clean build of the notes."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import NOTES, assert_same_site
from kb.build import build_site
from kb.config import Settings


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def kb(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from kb.cli import main; main()", *args], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def held(path: Path) -> int:
    """Hold a lock as another build would: the project's lock file (with its pid), the output's folder."""
    if path.name == "lock":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT)
        os.pwrite(fd, b"424242\n", 0)
    else:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@pytest.mark.parametrize(("lock", "told"), [(".kb-cache/lock", ".kb-cache (pid 424242)"),
                                            (".site.standby", ".site.standby;")])
def test_a_second_build_waits_for_the_first_and_no_wait_exits_3(project, lock, told):
    fd = held(project / lock)
    try:
        refused = kb(project, "build", "--no-search", "--no-wait")
        out, err = refused.communicate(timeout=120)
        assert refused.returncode == 3
        assert f"another kb build is using {project / told}" in err and "--no-wait" in err
        assert not (project / "site").exists()
        waiting = kb(project, "build", "--no-search", "-q")
        deadline = time.monotonic() + 120
        line = ""
        while "waiting" not in line and time.monotonic() < deadline:
            line = waiting.stderr.readline()
        assert "waiting for it to finish" in line
        time.sleep(1)
        assert waiting.poll() is None and not (project / "site").exists()  # still waiting: nothing written
    finally:
        os.close(fd)
    waiting.communicate(timeout=300)
    assert waiting.returncode == 0 and (project / "site" / "index.html").is_file()


def test_two_builds_at_once_while_notes_change_never_interleave(project):
    build_site(project, Settings(), project / "site", search=False)
    stop = threading.Event()

    def edit() -> None:
        n = 0
        while not stop.is_set():
            # written whole, then renamed into place (as most editors save): a build that reads a
            # note half-written sees an error in it, and rightly exits 1
            draft = project / f"live-{n % 4}.tmp"
            draft.write_text(f"---\ntitle: Live Edit {n % 4}\n---\n## summary\n版 {n}。\n", encoding="utf-8")
            os.replace(draft, project / "notes" / f"live-{n % 4}.md")
            n += 1
            time.sleep(0.2)

    def loop(results: list) -> None:
        for _ in range(3):
            process = kb(project, "build", "-q")
            out, err = process.communicate(timeout=600)
            results.append((process.returncode, out + err))

    editor = threading.Thread(target=edit)
    editor.start()
    runs: list[list] = [[], []]
    loops = [threading.Thread(target=loop, args=(r,)) for r in runs]
    for thread in loops:
        thread.start()
    for thread in loops:
        thread.join()
    stop.set()
    editor.join()
    outcomes = [code for run in runs for code, _ in run]
    assert outcomes == [0] * 6, [said for run in runs for code, said in run if code]
    final = build_site(project, Settings(), project / "site")
    assert final.published and not final.errors
    build_site(project, Settings(), project / "clean", clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")
