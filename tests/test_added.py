"""Added dates from git (kb.index.added): a temporary repository with commits at chosen dates."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.config import load_settings
from kb.index import added
from kb.records import parse_notes

FIRST = """#PEFT(Adaptor/LoRA)
Issue Date: 2024-03-05
LoRA+: Efficient Low Rank Adaptation of Large Models, Soufiane Hayou+, ICML'24
SummaryLoRAのAとBの学習率の比を変えると、同じ計算量で性能と速度が上がる。
#PEFT(Adaptor/LoRA)
Issue Date: 2024-02-20
DoRA: Weight-Decomposed Low-Rank Adaptation, Shih-Yang Liu+, ICML'24
Summary重みを大きさと方向に分け、方向だけをLoRAで学習する。
"""
LATER = """#Efficiency
Issue Date: 2023-07-20
FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning, Tri Dao, arXiv'23
SummaryFlashAttentionの並列化と作業分担を改善し、2倍速くした。
"""
UNCOMMITTED = """#SmallModel
Issue Date: 2023-06-20
Textbooks Are All You Need, Suriya Gunasekar+, arXiv'23
Summary教科書品質のデータで小さなモデルを学習する。
"""


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def commit(repo: Path, when: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"notes of {when}", when=when)


@pytest.fixture()
def repo(tmp_path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    root = tmp_path / "kb"
    (root / "notes").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    note = root / "notes" / "tag-page.txt"
    note.write_text(FIRST, encoding="utf-8")
    commit(root, "2025-01-10T23:30:00+09:00")  # the 10th in Tokyo (the 10th in UTC too: 14:30)
    note.write_text(FIRST + LATER, encoding="utf-8")
    commit(root, "2025-02-20T01:00:00+09:00")  # the 20th in the committer's zone, the 19th in UTC
    return root


def dates_of(root: Path, folder: Path | None = None) -> tuple[dict[str, str], str | None]:
    settings, _ = load_settings(root)
    parsed = parse_notes(root / "notes", root, settings, None)
    found = added.added_dates(root, parsed.records, parsed.sources, folder)
    titles = {r.id: r.title.split(":")[0].split(",")[0] for r in parsed.records}
    return {titles[i]: d.isoformat() for i, d in found.dates.items()}, found.notice


def test_a_record_added_in_a_later_commit_gets_the_later_date(repo):
    (repo / "notes" / "tag-page.txt").write_text(FIRST + LATER + UNCOMMITTED, encoding="utf-8")
    dates, notice = dates_of(repo)
    assert dates == {"LoRA+": "2025-01-10", "DoRA": "2025-01-10", "FlashAttention-2": "2025-02-20",
                     "Textbooks Are All You Need": "2023-06-20"}  # not committed: its issue date
    assert notice is None


def test_outside_git_the_issue_dates_rule(repo, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(repo / "notes", plain / "notes")
    dates, notice = dates_of(plain)
    assert dates == {"LoRA+": "2024-03-05", "DoRA": "2024-02-20", "FlashAttention-2": "2023-07-20"}
    assert notice is None


def test_a_shallow_clone_is_said_with_the_fix(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True,
                   capture_output=True)
    dates, notice = dates_of(clone)
    assert set(dates.values()) == {"2025-02-20"}  # one commit fetched: every line is its
    assert "shallow" in str(notice) and "fetch-depth: 0" in str(notice)


def test_committed_notes_are_blamed_once(repo, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir()
    first, _ = dates_of(repo, folder)
    calls = []
    monkeypatch.setattr(added, "blame_days", lambda root, path: calls.append(path))
    again, _ = dates_of(repo, folder)
    assert again == first and calls == []
    (folder / added.CACHE).write_text('{"x": "import os"}', encoding="utf-8")  # data of the wrong shape
    assert added.load_cache(folder) == {}


def test_notes_git_does_not_track_are_not_blamed(repo, monkeypatch):
    """One `git ls-files` tells which notes git tracks: an untracked note gets no `git blame` (one
    process a note, 11 s a build at 10,000 untracked notes) and keeps its issue date."""
    new = '---\ntitle: "Textbooks Are All You Need"\nissue_date: 2023-06-20\n---\n## summary\n教科書品質のデータ。\n'
    (repo / "notes" / "new.md").write_text(new, encoding="utf-8")
    blamed = []
    blame = added.blame_days
    monkeypatch.setattr(added, "blame_days", lambda root, path: blamed.append(path) or blame(root, path))
    dates, _ = dates_of(repo)
    assert blamed == ["notes/tag-page.txt"]
    assert dates == {"LoRA+": "2025-01-10", "DoRA": "2025-01-10", "FlashAttention-2": "2025-02-20",
                     "Textbooks Are All You Need": "2023-06-20"}


def test_day_in_the_committers_zone():
    moment = dt.datetime(2025, 2, 19, 16, 0, tzinfo=dt.UTC).timestamp()
    assert dt.date.fromordinal(added.local_day(int(moment), "+0900")) == dt.date(2025, 2, 20)
    assert dt.date.fromordinal(added.local_day(int(moment), "-0500")) == dt.date(2025, 2, 19)
