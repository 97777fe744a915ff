"""Interrupted builds leave nothing behind (issue: hostile input, row 10): a kb killed at any
moment leaves the previous site complete at `site/` (never missing), the next build (with or
without --clean) removes its temporary folders and cache files, and its child processes die
with it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NOTES, settled_names
from kb.build import build_site
from kb.config import Settings
from kb.folders import exchange, leftovers
from kb.folders import remove_later as discard_folder_later
from kb.write import MARKER, swap_in

KILL_AT = (0.15, 0.3, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)  # fractions of a whole build: spread over its stages


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def kb(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from kb.cli import main; main()", *args], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def site_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def test_a_killed_build_always_leaves_a_complete_site_and_the_next_build_cleans_up(project):
    first = build_site(project, Settings(), project / "site", search=False)
    complete = set(first.files) | {MARKER}
    started = time.monotonic()  # how long a whole clean build takes here, to spread the kills over it
    kb(project, "build", "--no-search", "--clean").wait()
    whole = time.monotonic() - started
    interrupted = set()
    for n, fraction in enumerate(KILL_AT):
        (project / "notes" / f"new-{n}.md").write_text(f"---\ntitle: Killed Build {n}\n---\n## summary\n本文。\n",
                                                       encoding="utf-8")
        process = kb(project, "build", "--no-search", *(["--clean"] if n % 2 else []))
        time.sleep(whole * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        files = site_files(project / "site")  # old or new, but whole: the marker and every page
        assert MARKER in files and files >= complete, fraction
        interrupted |= {p.name for p in project.iterdir() if p.name.startswith(".site.tmp-")}
    assert interrupted  # some kills did land while a new site was being written
    result = build_site(project, Settings(), project / "site", search=False, clean=True)
    assert not result.errors
    leftovers = [name for name in settled_names(project) if name.startswith(".site.")]
    cache_temp = [p.name for p in (project / ".kb-cache").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == [".site.standby"] and cache_temp == []  # the standby is the previous version, kept
    assert {f"records/new-{n}/index.html" for n in range(len(KILL_AT))} <= set(result.files)


def contents(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_build_killed_while_updating_the_standby_leaves_the_site_and_the_next_build_equals_a_clean_one(project):
    """A template edit changes every page: kb is killed (SIGKILL) as soon as it has removed the
    standby's marker, in the middle of rewriting the standby folder."""
    site, marker = project / "site", project / ".site.standby" / "site" / MARKER
    build_site(project, Settings(), site, search=False)
    published = contents(site)
    (project / "templates").mkdir()
    (project / "templates" / "base.html").write_text(
        '{% extends "theme/base.html" %}{% block title %}killed {{ super() }}{% endblock %}', encoding="utf-8")
    assert marker.exists()
    process = kb(project, "build", "--no-search")
    while marker.exists() and process.poll() is None:
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL  # killed, not finished
    assert contents(site) == published and not marker.exists()
    build_site(project, Settings(), site, search=False)
    build_site(project, Settings(), project / "clean" / "site", search=False, clean=True, cache=False)
    assert contents(site) == contents(project / "clean" / "site")
    assert "killed" in (site / "index.html").read_text(encoding="utf-8")


def test_any_build_removes_folders_of_a_dead_build_but_not_of_a_live_one(project):
    build_site(project, Settings(), project / "site", search=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = project / f".site.tmp-{dead.stdout.strip()}-abcd1234"
    killed.mkdir()
    (killed / "index.html").write_text("half a site")
    live = project / f".site.tmp-{os.getppid()}-live0000"  # pytest's parent: a running process
    live.mkdir()
    (project / "notes" / "again.md").write_text("---\ntitle: Again\n---\n本文。\n", encoding="utf-8")
    build_site(project, Settings(), project / "site", search=False)  # not --clean
    assert not killed.exists() and live.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_swap_is_one_exchange_so_site_is_never_missing(tmp_path):
    old, new = tmp_path / "site", tmp_path / ".site.tmp-1-x"
    old.mkdir()
    (old / "page.html").write_text("old")
    new.mkdir()
    (new / "page.html").write_text("new")
    assert exchange(new, old)
    assert (old / "page.html").read_text() == "new" and (new / "page.html").read_text() == "old"
    swap_in(new, old)
    assert (old / "page.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def running(pid: int) -> bool:
    """The process exists and is not a zombie (a zombie has ended; only its exit status is left)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_killing_kb_ends_the_processes_it_forked(project):
    """kb forks a second writer (and search-index workers); a SIGKILL of kb must not leave them running."""
    for _attempt in range(5):  # a build of the bundled notes forks for well under a second: catch it then
        shutil.rmtree(project / "site", ignore_errors=True)
        shutil.rmtree(project / ".kb-cache", ignore_errors=True)
        process = kb(project, "build", "--clean")
        children: set[int] = set()
        while process.poll() is None and not children:
            children = children_of(process.pid)
            time.sleep(0.005)
        if children:
            break
    assert children, "kb never forked a child process while building"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while any(running(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [child for child in children if running(child)] == []


def test_a_folder_removed_in_the_background_is_not_taken_for_a_dead_builds(tmp_path):
    """A one-shot build exits while its old site is still being removed: the next build must not
    remove those files itself (29 s after a full rebuild at 10,000 notes), so the folder carries
    the remover's process id, alive, from the moment the build goes on."""
    site = tmp_path / "site"
    site.mkdir()
    old = tmp_path / f".site.old-{os.getpid()}-abc"
    (old / "site").mkdir(parents=True)
    for n in range(30_000):
        (old / "site" / f"{n}.html").touch()
    discard_folder_later(old)
    assert not old.exists()
    assert leftovers(site) == []  # a removal under way (or done): not a leftover of a dead build
    names = [path.name for path in tmp_path.glob(".site.old-*")]
    assert all(not name.startswith(f".site.old-{os.getpid()}-") for name in names)
