"""The search index updated in place (kb.search_index.update) on the bundled notes: record numbers
stay when other records come and go, so adding a note rewrites only the shard files holding its
n-grams, and the result is the clean build's, byte for byte."""

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import NOTES
from kb.build import build_site
from kb.config import load_settings
from kb.search_index.read import IndexReader

ADDED = """---
title: "鰻重と検索インデックス"
kind: paper
authors: [Test Author]
issue_date: 2024-06-01
tags: [Search]
---
## summary
一件の追加で書き換わるのは、この記事の n-gram を持つ断片だけ。
"""


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def shards(site: Path) -> dict[str, str]:
    return {p: d for p, d in tree(site).items() if p.startswith(("search/d/", "search/p/"))}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
    monkeypatch.setattr("kb.search_index.update.BATCH", 2)  # several batches from five notes
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def build(root: Path, out: str, **options):
    return build_site(root, load_settings(root)[0], root.parent / out, search=True, keep_going=True, **options)


def test_adding_a_note_keeps_the_other_record_numbers_and_most_shards(project):
    build(project, "site")
    before, numbers = shards(project.parent / "site"), IndexReader(project.parent / "site").numbers()
    ids = {IndexReader(project.parent / "site").record(n)["id"]: n for n in numbers}
    (project / "notes" / "added.md").write_text(ADDED, encoding="utf-8")
    assert build(project, "site").search == "updated"
    site = IndexReader(project.parent / "site")
    after = {site.record(n)["id"]: n for n in site.numbers()}
    assert len(after) == len(ids) + 1 and all(after[i] == n for i, n in ids.items())
    changed = [p for p, d in shards(project.parent / "site").items() if before.get(p) != d]
    assert 0 < len(changed) < len(before) // 2, (len(changed), len(before))
    added = next(n for i, n in after.items() if i not in ids)
    assert set(site.search("鰻重")) == {added}
    build(project, "clean", clean=True, cache=False)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_a_lost_tables_file_means_a_clean_index_not_a_wrong_one(project):
    build(project, "site")
    next((project / ".kb-cache").glob("search-index-tables.npz")).unlink()
    (project / "notes" / "added.md").write_text(ADDED, encoding="utf-8")
    assert build(project, "site").search == "ran"
    build(project, "clean", clean=True, cache=False)
    assert tree(project.parent / "site") == tree(project.parent / "clean")
