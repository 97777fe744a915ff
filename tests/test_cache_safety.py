"""The build cache holds data, never code (issue: hostile input, row 1).

A crafted pickle that would create a file when unpickled, planted under every name the old
cache used and as garbage over the JSON files, is never run and never changes the output; the
first build writes `.kb-cache/.gitignore` so a notes repository cannot commit a cache.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from conftest import NOTES, SEEDS, tree
from kb.build import build_site
from kb.cache import CACHE_DIR, FORMAT, BuildCache
from kb.config import Settings

NOTE = SEEDS["minutes"]


class Planted:
    """Unpickling this runs os.system: the attack of a crafted .kb-cache/site.pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def build(root: Path, out: str, clean: bool = False):
    return build_site(root, Settings(), root.parent / out, search=False, clean=clean)


def test_first_build_makes_the_cache_ignored_by_git(project):
    build(project, "site")
    assert (project / CACHE_DIR / ".gitignore").read_text() == "*\n"
    assert {p.name for p in (project / CACHE_DIR).iterdir()} >= {"notes.jsonl", "site.json", "plain.json"}
    assert not list((project / CACHE_DIR).glob("*.pickle"))


@pytest.mark.parametrize("when", ["before the first build", "after a build"])
def test_a_planted_pickle_never_runs_and_never_changes_the_output(project, when):
    marker = project.parent / "pwned"
    payload = pickle.dumps(Planted(marker))
    cache = project / CACHE_DIR
    if when == "after a build":
        build(project, "site")
    cache.mkdir(exist_ok=True)
    for name in ("site.pickle", "notes.pickle", "mentions.pickle", "plain.pickle", "site.json", "notes.jsonl",
                 "plain.json", "mentions.json"):
        (cache / name).write_bytes(payload)
    result = build(project, "site")
    assert not marker.exists()
    build(project, "clean", clean=True)
    assert tree(project.parent / "site") == tree(project.parent / "clean")
    discarded = {d.path for d in result.diagnostics if "cache file" in d.message}
    assert {f"{CACHE_DIR}/site.json", f"{CACHE_DIR}/notes.jsonl", f"{CACHE_DIR}/site.pickle"} <= discarded
    assert not list(cache.glob("*.pickle"))  # removed by the build that ignored them
    assert build(project, "site").rendered == 0  # and the rewritten cache serves the next build
    assert not marker.exists()


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 100, b'{"format": "kb-cache-1"}', b"[1, 2, 3]",
                                     f'{{"format": "{FORMAT}", "site": {{"site": 1}}}}'.encode()])
def test_garbage_in_the_site_record_is_discarded_with_a_warning(project, garbage):
    (project / CACHE_DIR).mkdir()
    (project / CACHE_DIR / "site.json").write_bytes(garbage)
    cache = BuildCache.load(project)
    assert cache.last is None
    [problem] = cache.problems
    assert problem.path == ".kb-cache/site.json" and "discarded" in problem.message


def test_a_stored_note_of_the_wrong_shape_is_discarded(project):
    build(project, "site")
    notes = project / CACHE_DIR / "notes.jsonl"
    lines = notes.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"records":[', b'"records":[{"evil":1},', 1)
    notes.write_bytes(b"\n".join(lines))
    with (project / "notes" / NOTE).open("a", encoding="utf-8") as handle:
        handle.write("\n追記\n")  # a change, so the build reads the stored notes
    result = build(project, "site")
    assert result.parsed == result.notes == 5  # nothing taken from the tampered file
    assert any(d.path == ".kb-cache/notes.jsonl" and "line 3" in d.message for d in result.diagnostics)


def test_temporary_files_of_a_killed_build_are_removed_even_by_clean(project):
    build(project, "site")
    leftover = project / CACHE_DIR / ".tmp-12345-notes.jsonl"
    leftover.write_bytes(b"half written")
    build(project, "site", clean=True)
    assert not leftover.exists()
