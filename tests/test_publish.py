"""Publishing in proportion to the change (kb.write): a rebuild brings the standby folder
`.site.standby/site` up to date, writing only the files whose key changed, and exchanges it with
`site/`; the old site becomes the standby. Whatever happens, `site/` equals a clean build, and a
standby whose update was cut short is never trusted again."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from conftest import NOTES, pages, settled_names, tree
from kb import writers
from kb.build import build_site
from kb.cache import BuildCache
from kb.config import load_settings
from kb.listing import listing_digest
from kb.write import MARKER, Version, write_site


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def build(root: Path, out: Path, search: bool = False, **options):
    return build_site(root, load_settings(root)[0], out, search=search, **options)


def clean_tree(root: Path, search: bool = False) -> dict[str, str]:
    """A build that uses no cache and no earlier folder: what every build must give."""
    out = root.parent / "reference" / "site"
    shutil.rmtree(out.parent, ignore_errors=True)
    build(root, out, search=search, clean=True, cache=False)
    return tree(out)


def edit_first_note(root: Path, text: str) -> None:
    note = sorted((root / "notes").glob("*.txt"))[0]
    note.write_text(note.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def count_placed(monkeypatch, here: bool = True) -> list[str]:
    """The names placed in this process (with `here`, every name: no worker processes)."""
    placed: list[str] = []
    if here:
        monkeypatch.setattr(writers, "PARALLEL_MIN", 10**9)
    real = writers.Job.place

    def place(job, name):
        placed.append(name)
        return real(job, name)

    monkeypatch.setattr(writers.Job, "place", place)
    return placed


def recorded_keys(root: Path) -> dict[str, str]:
    return BuildCache.load(root).last.keys


@pytest.mark.parametrize("search", [False, True])
def test_an_edit_writes_only_the_files_whose_key_changed_and_the_old_site_becomes_the_standby(
        project, monkeypatch, search):
    """Before build i the standby holds build i-2's version (after the first build: a copy of it)."""
    site, standby = project / "site", project / ".site.standby" / "site"
    build(project, site, search=search)
    assert tree(standby) == tree(site)  # a first build makes the standby as hard links of the site
    keys = [recorded_keys(project)] * 2
    for n in range(3):
        before = tree(site)
        edit_first_note(project, f"追記 {n}: 公開の範囲を測る一行。")
        placed = count_placed(monkeypatch)
        result = build(project, site, search=search)
        monkeypatch.undo()
        # (the search index's segments answer as a clean index: tests/test_search_segments.py)
        assert pages(tree(site)) == pages(clean_tree(project, search))
        assert tree(standby) == before  # the previous version, whole
        keys.append(recorded_keys(project))
        assert sorted(placed) == sorted(p for p, key in keys[-1].items() if keys[-3].get(p) != key)
        assert result.rendered <= len(placed) < len(result.files) / 3, (len(placed), len(result.files))
        assert BuildCache.load(project).last.listing == listing_digest(site)


def test_a_build_cut_short_while_updating_the_standby_leaves_the_site_and_is_never_trusted(project, monkeypatch):
    site, standby = project / "site", project / ".site.standby" / "site"
    build(project, site)
    build(project, site, clean=True)
    published = tree(site)
    edit_first_note(project, "追記: 途中で止まるビルド。")
    real = writers.Job.place
    calls = []

    def place_then_die(job, name):
        calls.append(name)
        if len(calls) > 2:
            raise KeyboardInterrupt  # as if kb were killed here: nothing after it runs
        return real(job, name)

    monkeypatch.setattr(writers.Job, "place", place_then_die)
    with pytest.raises(KeyboardInterrupt):
        build(project, site)
    monkeypatch.undo()
    assert tree(site) == published
    assert not (standby / MARKER).exists()  # the half-updated standby says so
    build(project, site)
    assert tree(site) == clean_tree(project)
    assert tree(standby) == published


def test_a_missing_or_hand_changed_standby_is_made_again(project):
    site, standby = project / "site", project / ".site.standby" / "site"
    build(project, site)
    shutil.rmtree(standby)
    edit_first_note(project, "追記: 予備のフォルダがない。")
    build(project, site)
    assert tree(site) == clean_tree(project)
    (standby / MARKER).unlink()  # changed by hand: its marker is no longer the one recorded
    (standby / "index.html").write_text("stale")
    edit_first_note(project, "追記: 予備のフォルダが変わった。")
    build(project, site)
    assert tree(site) == clean_tree(project)


def test_without_the_exchange_three_renames_publish_the_same_site(project, monkeypatch):
    site = project / "out" / "nested" / "site"
    build(project, site)
    monkeypatch.setattr("kb.folders.exchange", lambda a, b: False)
    edit_first_note(project, "追記: renameat2 のない環境。")
    build(project, site)
    assert tree(site) == clean_tree(project)
    assert settled_names(site.parent) == [".site.standby", "site"]


def test_two_worker_processes_write_the_same_bytes_as_one(project, monkeypatch):
    one = build(project, project / "one", cache=False)
    monkeypatch.setattr(writers, "PARALLEL_MIN", 1)
    monkeypatch.setattr("kb.build.WORKERS", 2)
    placed_here = count_placed(monkeypatch, here=False)  # in this process: none (the workers place every file)
    two = build(project, project / "two", cache=False)
    assert len(one.files) > 600 and tree(project / "one") == tree(project / "two")
    assert placed_here == [] and two.rendered == len(two.files)


def test_git_ignores_the_standby_wherever_it_ignores_the_site(project):
    build(project, project / "site")
    build(project, project / "site", clean=True)
    (project / ".gitignore").write_text("site/\n.kb-cache/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    # (the bundled site has over 1,000 files: the replaced one is still being removed in the background)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    assert (project / ".site.standby" / "site" / "index.html").is_file()
    assert status and [line for line in status if "site" in line.split("/")[0]] == []


class Files:
    """A plan for kb.write.write_site: path -> bytes (the key is the bytes themselves)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.keys = {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}

    def make(self, path: str) -> bytes:
        return self.files[path]


def test_versions_that_drop_and_bring_back_nested_folders_publish_exactly_their_files(tmp_path):
    """write_site on its own, as kb.build calls it: each version's files and nothing else, empty
    folders gone, and the standby always the version before."""
    out, spare = tmp_path / "out" / "site", tmp_path / "out" / ".site.standby" / "site"
    versions = [{"a/b/c/x.html": b"x1", "a/b/y.html": b"y1", "z.html": b"z1"},
                {"z.html": b"z2"},
                {"a/b/c/x.html": b"x3", "z.html": b"z2", "a/new/w.html": b"w3"},
                {"a/b/c/x.html": b"x3", "a/b/y.html": b"y4"},
                {"a": b"a file where a folder was"}]
    kept = {f"kept/{n}.html": b"k" for n in range(40)}  # so a version touches few entries: kb.listing updates them
    versions = [{**files, **kept} for files in versions]
    current = standby = None
    for n, files in enumerate(versions):
        plan = Files(files)
        published = write_site(plan, out, current, standby)
        assert {p: out.joinpath(p).read_bytes() for p in tree(out) if p != MARKER} == files, n
        folders = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()}
        assert folders == {str(PurePosixPath(p).parent) for p in files} - {"."} | {
            str(parent) for p in files for parent in PurePosixPath(p).parents if str(parent) != "."}, n
        if n:
            assert {p: spare.joinpath(p).read_bytes() for p in tree(spare) if p != MARKER} == versions[n - 1], n
        # the listing kept up to date with what the build touched is the one a full scan reads
        assert published.listing == listing_digest(out) and published.listing is not None, n
        assert published.standby_listing == listing_digest(spare), n
        current = Version(out, plan.keys, published.listing)
        standby = Version(spare, published.standby_keys, published.standby_listing)


def test_a_planted_cache_naming_files_outside_the_site_is_not_trusted(project):
    site = project / "site"
    build(project, site)
    build(project, site)
    outside = project / "outside.txt"
    outside.write_text("keep me")
    state = BuildCache.load(project)  # written with kb's own key: the names are checked all the same
    state.last.standby_differs["../../outside.txt"] = "planted"
    state.store.write({("site", ""): state.last.model_dump_json().encode()})
    edit_first_note(project, "追記: 細工されたキャッシュ。")
    build(project, site)
    assert outside.read_text() == "keep me"
    assert tree(site) == clean_tree(project)
