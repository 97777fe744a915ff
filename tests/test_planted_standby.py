"""The standby is kb's, or it is not used (issue: hostile input round 3, row 1).

Files planted in `.site.standby/site/` (a file replaced by a link to /etc/passwd, an extra page
with a script, a folder replaced by a link to a folder outside the project) or in `site/` itself
are never published: the next build finds the folder changed since kb wrote it, builds it afresh,
and the site equals a clean build; the outside folder is never written into.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import NOTES, tree
from kb.build import build_site
from kb.config import Settings

EVIL = b"<script>alert('planted')</script>"


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    build(root)
    build(root)  # the standby now holds a whole earlier version
    return root


def build(root: Path, out: str = "site", **options):
    return build_site(root, Settings(), root / out, search=False, **options)


def add_note(root: Path, n: int) -> None:
    (root / "notes" / f"added-{n}.md").write_text(f"---\ntitle: Added Note {n}\n---\n## summary\n本文 {n}。\n",
                                                   encoding="utf-8")


def link_to_passwd(folder: Path) -> None:
    style = folder / "static" / "style.css"
    style.unlink()
    style.symlink_to("/etc/passwd")


def extra_page(folder: Path) -> None:
    (folder / "evil.html").write_bytes(EVIL)


def changed_in_place(folder: Path) -> None:
    page = folder / "index.html"
    data = page.read_bytes()
    page.unlink()
    page.write_bytes(data.replace(b"</body>", EVIL + b"</body>"))


def folder_link_outside(folder: Path) -> Path:
    outside = folder.parents[2] / "outside"
    outside.mkdir(exist_ok=True)
    records = folder / "records"
    shutil.rmtree(records)
    records.symlink_to(outside, target_is_directory=True)
    return outside


PLANTS = [link_to_passwd, extra_page, changed_in_place, folder_link_outside]


def published_nothing_planted(root: Path) -> None:
    site = root / "site"
    assert not any(p.is_symlink() for p in site.rglob("*"))
    assert not any(EVIL in p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert b"root:" not in (site / "static" / "style.css").read_bytes()
    build(root, "clean", clean=True, cache=False)
    assert tree(site) == tree(root / "clean")


@pytest.mark.parametrize("where", [".site.standby/site", "site"])
@pytest.mark.parametrize("plant", PLANTS, ids=[p.__name__ for p in PLANTS])
def test_a_planted_entry_is_never_published(project, plant, where):
    plant(project / where)
    outside = project.parent / "outside"
    for n in range(2):  # the planted folder is the standby of one build and the site of the next
        add_note(project, n)
        result = build(project)
        assert result.published and not result.errors
        published_nothing_planted(project)
    assert not outside.exists() or list(outside.iterdir()) == []


def test_a_standby_holder_replaced_by_a_link_is_never_written_through(project):
    holder, outside = project / ".site.standby", project.parent / "outside"
    shutil.copytree(holder, outside)
    shutil.rmtree(holder)
    holder.symlink_to(outside, target_is_directory=True)
    before = tree(outside)
    add_note(project, 0)
    assert build(project).published
    assert tree(outside) == before
    assert holder.is_dir() and not holder.is_symlink()
    published_nothing_planted(project)


NAME_PARTS = ["a", "b.html", "..", ".", "", "/", "\x00", "\n", "records", "é", "..x", "x.."]


def test_names_from_the_build_state_are_checked_in_one_pass_as_one_by_one():
    """kb.write.all_inside (every recorded name checked at once, joined) never takes a name
    that is_inside_name refuses, and takes every list of good names, as it checks the 80,000 names
    of a site at 10,000 notes."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kb.write import all_inside, is_inside_name

    name = st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=5).map(lambda parts: "/".join(parts)) | \
        st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=4).map("".join)

    @settings(max_examples=400, derandomize=True, database=None)
    @given(st.lists(name, max_size=6))
    def check(names):
        if all_inside(names):
            assert all(map(is_inside_name, names)), names
        elif not any("\n" in n for n in names):
            assert not all(map(is_inside_name, names)), names

    check()
    assert all_inside(["index.html", "records/2503.04504/index.html", "search/t/a..b.json"])
    assert not all_inside(["index.html", "records/../etc/passwd"])
    assert not all_inside(["index.html", ""])
    assert all_inside([])


def inode(path: Path) -> int:
    return path.stat().st_ino


@pytest.fixture()
def file_by_file(monkeypatch):
    """The standby brought up to date without checking the whole current site (kb.write
    worth_checking: what a rebuild of a large site does), whatever the site's size."""
    monkeypatch.setattr("kb.write.SCAN_PER_FILE", 0)


def test_a_rebuild_links_the_files_the_last_build_wrote_rather_than_render_them_again(project, file_by_file):
    """The standby is one version behind: the files the last build made are linked from the site
    (each checked to be the very file written), not rendered again, and are then one file on disk
    in both folders; the site equals a clean build."""
    add_note(project, 1)
    first = build(project)
    add_note(project, 2)
    second = build(project)
    caught_up = sorted(set(first.made) - set(second.made))
    assert "notes/added-1/index.html" in caught_up
    assert second.rendered == len(second.made) < len(second.made) + len(caught_up)
    standby = project / ".site.standby" / "site"
    assert all(inode(project / "site" / name) == inode(standby / name) for name in caught_up)
    published_nothing_planted(project)


def test_a_file_of_the_last_build_changed_in_place_is_never_linked_or_kept(project, file_by_file):
    """A file the last build wrote, changed by hand in place (same inode, same size, its time set
    back): it is rendered again rather than linked, and the folder holding it is not trusted as
    the standby at the next build either."""
    import os

    add_note(project, 1)
    build(project)
    page = project / "site" / "notes" / "added-1" / "index.html"
    before = page.stat()
    data = page.read_bytes()
    planted = data.replace(b"</body>", EVIL + b"</body>")[: len(data)]
    with page.open("r+b") as handle:
        handle.write(planted)
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (page.stat().st_ino, page.stat().st_size, page.stat().st_mtime_ns) == (
        before.st_ino, before.st_size, before.st_mtime_ns)
    add_note(project, 2)
    build(project)
    assert EVIL not in (project / "site" / "notes" / "added-1" / "index.html").read_bytes()
    add_note(project, 3)
    build(project)
    published_nothing_planted(project)


def test_the_read_ahead_equals_a_scan_at_once(project):
    """kb.listing.ScanAhead (the folders read by a forked process while the build parses and
    links) gives the very listings and digests a scan made here gives, odd names included; each
    once, and only for the folders asked for."""
    import os

    from kb.listing import Listing, ScanAhead

    standby, site = project / ".site.standby" / "site", project / "site"
    odd = os.fsdecode(b"odd-\xff\nname \xe6\x97\xa5.html")
    (standby / "records" / odd).write_bytes(b"planted")
    ahead = ScanAhead([standby, site])
    assert ScanAhead([standby]).take(site) is None
    for folder in (site, standby):
        listing, digest = ahead.take(folder)
        here = Listing.scan(folder)
        assert listing.lines == here.lines and digest == here.digest()
        assert "index.html" in listing.lines[""]
        assert ahead.take(folder) is None
    assert odd in Listing.scan(standby).lines["records/"] and odd not in Listing.scan(site).lines["records/"]


def test_a_build_checks_the_folders_read_ahead_and_scans_none_itself(project, monkeypatch):
    """After an edit the standby alone is checked; after adding a note, whose files the standby
    lacks, the site too (kb.write.to_check guesses worth_checking). Both come from the forked
    scan: the build's own process scans no folder, and the site equals a clean build."""
    import os

    from kb.cache import BuildCache
    from kb.listing import Listing
    from kb.write import to_check

    scans, scan = [], Listing.scan
    monkeypatch.setattr(Listing, "scan", classmethod(lambda cls, folder: scans.append(os.getpid()) or scan(folder)))
    standby, site = project / ".site.standby" / "site", project / "site"
    assert to_check(*BuildCache.load(project).versions()) == [standby]
    add_note(project, 0)
    assert build(project).published
    assert to_check(*BuildCache.load(project).versions()) == [standby, site]
    (project / "notes" / "added-0.md").write_text("---\ntitle: Added Note 0\n---\n## summary\n本文 改。\n",
                                                  encoding="utf-8")
    assert build(project).published
    assert os.getpid() not in scans
    published_nothing_planted(project)


def test_an_entry_planted_in_the_standby_while_a_build_runs_is_gone_after_the_next_build(project, monkeypatch):
    """The standby is read ahead, before parsing: an entry planted there after it was read, in the
    same build, is published by that build (as a file planted while files were written always
    was); the next build, which brings the other folder up to date, leaves it out, the one after
    finds it in the standby, and the site equals a clean build after each."""
    from kb.listing import ScanAhead

    read = ScanAhead.read

    def planting(self, readable, pid):
        read(self, readable, pid)  # the forked scan is over: what comes now is planted after it
        extra_page(project / ".site.standby" / "site")
        monkeypatch.setattr(ScanAhead, "read", read)

    monkeypatch.setattr(ScanAhead, "read", planting)
    add_note(project, 0)
    assert build(project).published
    assert (project / "site" / "evil.html").read_bytes() == EVIL
    for n in (1, 2):
        add_note(project, n)
        assert build(project).published
        published_nothing_planted(project)
