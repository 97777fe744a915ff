"""URLs that do not move and values that are not dropped (issue 20, points 3 and 4): aliases write
redirect pages, `kb check` warns about a record page the next build would remove, an unknown
front-matter key is kept as a section (page and `kb export`)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.addresses import alias_path, moved_pages
from kb.cli import main

NOTE = """---
title: {title}
kind: paper
authors: [Ada Lovelace]
issue_date: 2024-03-05
{extra}---
## summary
解析機関のための手法。
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(project: Path, name: str, title: str = "My Methd", extra: str = "") -> None:
    (project / "notes" / name).write_text(NOTE.format(title=title, extra=extra), encoding="utf-8")


def test_editing_the_title_keeps_the_page(project):
    write(project, "2024-03-05-my-method.md")
    assert run("build", "--no-search").exit_code == 0
    write(project, "2024-03-05-my-method.md", title="My Method (fixed)")
    assert run("build", "--no-search").exit_code == 0
    page = (project / "site" / "records" / "2024-03-05-my-method" / "index.html").read_text(encoding="utf-8")
    assert "My Method (fixed)" in page
    assert sorted(p.name for p in (project / "site" / "records").iterdir()) == ["2024-03-05-my-method"]


def test_an_alias_writes_a_redirect_page_to_the_record(project):
    write(project, "new-name.md", extra="aliases: [old-name, /posts/my-method/]\n")
    assert run("build", "--no-search").exit_code == 0
    old = (project / "site" / "records" / "old-name" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../../records/new-name/">' in old
    assert '<a href="../../records/new-name/">My Methd</a>' in old
    post = (project / "site" / "posts" / "my-method" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../../records/new-name/">' in post


def test_an_alias_that_cannot_be_an_address_is_an_error(project):
    write(project, "x.md", extra="aliases: [../../etc]\n")
    result = run("check")
    assert result.exit_code == 1
    assert ("notes/x.md:6: error: alias '../../etc' cannot be a page address: write an old record id "
            "(old-title) or an old path (/records/old-title/)") in result.output


def test_check_warns_when_the_next_build_would_remove_a_published_page(project):
    write(project, "2024-03-05-my-methd.md")
    write(project, "other.md", title="Another Paper")
    assert run("build", "--no-search").exit_code == 0
    (project / "notes" / "2024-03-05-my-methd.md").rename(project / "notes" / "2024-03-05-my-method.md")
    result = run("check")
    assert result.exit_code == 0
    assert ("notes/2024-03-05-my-method.md:1: warning: records/2024-03-05-my-methd/ was published by the last "
            "build and the next build would remove it: if it moved to records/2024-03-05-my-method/, add "
            "`aliases: [2024-03-05-my-methd]` to this note's front matter") in result.output
    write(project, "2024-03-05-my-method.md", extra="aliases: [2024-03-05-my-methd]\n")
    assert "would remove" not in run("check").output


def test_an_unknown_key_is_kept_as_a_section_on_the_page_and_in_export(project):
    write(project, "x.md", extra="auther: [Charles Babbage, Ada Lovelace]\n")
    result = run("build", "--no-search")
    assert result.exit_code == 0
    assert ("notes/x.md:6: warning: unknown front matter key 'auther' kept as a section of its own "
            "(did you mean 'authors'?)") in result.output
    page = (project / "site" / "records" / "x" / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="s-auther">auther <a class="anchor"' in page and "<li>Charles Babbage</li>" in page
    [record] = [json.loads(line) for line in run("export").output.splitlines()]
    assert record["sections"] == [{"heading": "auther", "body": "- Charles Babbage\n- Ada Lovelace", "line": 6}]


def test_alias_paths_and_moved_pages():
    assert alias_path("old-title") == "records/old-title/index.html"
    assert alias_path("/posts/lora/") == "posts/lora/index.html"
    assert alias_path("posts/lora.html") == "posts/lora.html"
    assert [alias_path(bad) for bad in ("", "a/../b", "https://x.org/a", "a b")] == [None, None, None, None]
    assert moved_pages(("records/a/index.html", "tags/x/index.html"), ("records/b/index.html",)) == {
        "records/a/index.html": "records/b/index.html"}
    assert moved_pages(("records/a/index.html",), ("records/a/index.html", "records/b/index.html")) == {}
