"""The search index updated in place (kb.search_index.update) on the bundled notes: record numbers
stay when other records come and go, so adding a note rewrites only the shard files holding its
n-grams, and the result is the clean build's, byte for byte."""

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import NOTES, ROOT
from kb.build import build_site
from kb.cache import BuildCache
from kb.config import Settings, load_settings
from kb.index import build_index
from kb.records import parse_notes
from kb.search import search_regions
from kb.search_index.folding import folded_code_points
from kb.search_index.read import IndexReader
from kb.text import fold

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


@pytest.fixture(scope="module")
def records_of_notes():
    settings = Settings()
    return build_index(parse_notes(NOTES, ROOT, settings).records, settings).records


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)
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
    assert changed == []  # the base segment stays as it was
    added = next(n for i, n in after.items() if i not in ids)
    assert set(site.search("鰻重")) == {added}


def test_a_lost_state_file_means_a_clean_index_not_a_wrong_one(project):
    build(project, "site")
    BuildCache.load(project).store.write({("search", "state"): None})  # the search state lost
    (project / "notes" / "added.md").write_text(ADDED, encoding="utf-8")
    assert build(project, "site").search == "ran"
    build(project, "clean", clean=True, cache=False)
    assert tree(project.parent / "site") == tree(project.parent / "clean")


def test_an_index_made_by_forked_workers_is_the_one_made_inline(project, monkeypatch):
    """The search index of the bundled notes (two batches of records) made by two forked workers,
    as a `kb build` makes it, equals the one made in this process (the suite's default, conftest)."""
    from kb.search_index import update

    inline = build(project, "inline", clean=True, cache=False)
    pools = []
    real_pool = update.ProcessPoolExecutor
    monkeypatch.setattr(update, "ProcessPoolExecutor", lambda *a, **k: pools.append(a[0]) or real_pool(*a, **k))
    monkeypatch.setattr(update, "WORKERS", 2)
    forked = build(project, "forked", clean=True, cache=False)
    assert pools == [2, 2]  # the base index's two passes over the records' batches went to two workers
    assert inline.search == forked.search == "ran"
    assert tree(project.parent / "inline") == tree(project.parent / "forked")


TRICKY = "ｶﾞｷﾞﾊﾟﾌｧｲﾝﾁｭｰﾆﾝｸﾞＡＢＣａｂｃABCßẞﬁ①㍿か\u3099\u309a\u1100\u1161\u11a8é\u0301\U0001d400😀🇺🇸🤖👍🏽 \t\n"


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
                | st.text(alphabet=TRICKY, max_size=20), max_size=6))
def test_batch_folding_is_kb_fold(pieces):
    """The index folds a batch with a table where it can: always what kb.text.fold gives."""
    cp, lengths = folded_code_points(pieces)
    assert cp.tobytes().decode("utf-32-le") == "".join(fold(p) for p in pieces)
    assert lengths.tolist() == [len(fold(p)) for p in pieces]


def test_batch_folding_of_the_bundled_notes(records_of_notes):
    regions = [part + "\0" for r in records_of_notes for part in search_regions(r)]
    cp, _ = folded_code_points(regions)
    assert cp.tobytes().decode("utf-32-le") == "".join(fold(p) for p in regions)
    assert any(fold(p) != p for p in regions)  # the notes hold text that folding changes


def test_a_common_word_of_three_or_four_characters_reads_no_positions(project, records_of_notes):
    """`モデル` is in 123 of the bundled records: its trigram is common (in 20 % of them), so one
    record-level `d` entry answers it and no `p` shard of positions is read; `GRPO` (7 records) is
    not, and is checked by positions. Both give exactly the records that hold them."""
    from search_queries import expected_ids

    build(project, "site")
    for word, kinds in (("モデル", {"d"}), ("GRPO", {"d", "p"})):
        reader = IndexReader(project.parent / "site")
        ids = {reader.record(doc)["id"] for doc in reader.search(word)}
        assert ids == expected_ids(records_of_notes, word, None)
        assert {path.split("/")[1] for path, _, _ in reader.fetched} == kinds
    assert len(expected_ids(records_of_notes, "モデル", None)) == 123


def test_undated_records_past_a_days_slots_keep_their_own_numbers(tmp_path):
    """Forty undated records, more than the four slots a day has when no dated day is busier:
    each gets its own number, after the dated ones, and is found by its own word (their numbers
    used to collide past the slots: day << bits | slot)."""
    from kb.models import Record, SourceSpan
    from kb.search_index import search_outputs

    def note(line: int) -> SourceSpan:
        return SourceSpan(path="notes/undated.md", format="native", line_start=line, line_end=line)
    records = [Record(id="dated", title="日付あり", issue_date=dt.date(2025, 1, 15), source=note(0))]
    records += [Record(id=f"u{i:02d}", title=f"無日付 語{i:02d}号", source=note(i + 1)) for i in range(40)]
    index = search_outputs(records)
    for output in index.outputs:
        (tmp_path / output.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / output.path).write_bytes(output.make())
    # 73,050 days from 1900-01-01 to 2100-01-01 (the undated day) << 2 slot bits, then slots 0 .. 39
    assert [number for _, _, number, _ in index.state.records[1:]] == list(range(292_200, 292_240))
    reader = IndexReader(tmp_path)
    assert [[reader.record(n)["id"] for n in reader.search(f"語{i:02d}号")] for i in range(40)] == \
        [[f"u{i:02d}"] for i in range(40)]


def test_base_shards_follow_the_notes_text_as_well_as_their_count():
    """A query reads one shard per n-gram: shards of long notes are as small as others'. The
    benchmark's 1,000 long notes (11,329,503 characters) get 2,048 d shards, its 1,000 and 10,000
    notes of ~4,400 characters keep records / 2 (512, 8,192: the most), the bundled notes 128."""
    from kb.search_index.update import shard_counts

    assert shard_counts(1000, 11_329_503) == (2048, 4096)
    assert shard_counts(1001, 4_381_947) == (512, 1024)
    assert shard_counts(10_002, 43_891_097) == (8192, 16384)
    assert shard_counts(171, 365_975) == (128, 256)
    assert shard_counts(0) == (8, 16)


def test_the_index_starts_no_blas_thread():
    """numpy's OpenBLAS starts a thread per core when imported, which spins for ~0.1 s of CPU (of
    a one-note update's 0.1 s at 10,000 notes); kb uses no BLAS, so importing the index (which
    imports numpy) leaves the process with its one thread."""
    import os
    import subprocess
    import sys

    code = "import os, kb.search_index, numpy; print(len(os.listdir('/proc/self/task')))"
    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout == "1\n"
