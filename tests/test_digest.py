"""The meeting digest: records added between two meetings (by git), 次の勉強会, 追加順, added.xml."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest

from kb.build import build_site
from kb.config import load_settings
from test_added import commit, git

MINUTES = """{day} 機械学習勉強会
今週のTOPIC[論文] {title}
今週のTOPIC
@Aki Sato
[論文] {title}
- 発表のメモ
"""
NATIVE = """---
title: "{title}"
kind: paper
issue_date: 2024-01-01
tags: [{tag}]
---
## summary
{title} の要約。
"""


def note(root: Path, name: str, title: str, tag: str) -> None:
    (root / "notes" / name).write_text(NATIVE.format(title=title, tag=tag), encoding="utf-8")


def minutes(root: Path, day: str, title: str) -> None:
    (root / "notes" / f"{day}-minutes.txt").write_text(MINUTES.format(day=day, title=title), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    root = tmp_path_factory.mktemp("digest") / "kb"
    (root / "notes").mkdir(parents=True)
    (root / "kb.yaml").write_text("base_url: https://example.github.io/papers/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    note(root, "a.md", "Alpha Paper", "LLM")
    commit(root, "2025-09-20T10:00:00+09:00")
    minutes(root, "2025-10-01", "Talk One Paper")
    commit(root, "2025-10-01T20:00:00+09:00")
    note(root, "b.md", "Bravo Paper", "LLM")
    note(root, "c.md", "Charlie Paper", "Vision")
    commit(root, "2025-10-05T10:00:00+09:00")
    note(root, "d.md", "Delta Paper", "LLM")
    minutes(root, "2025-10-15", "Talk Two Paper")
    commit(root, "2025-10-15T09:00:00+09:00")
    note(root, "e.md", "Echo Paper", "Vision")
    commit(root, "2025-10-20T10:00:00+09:00")
    out = root / "site"
    result = build_site(root, load_settings(root)[0], out, search=False, cache=False)
    assert result.errors == []
    return out


def digest_of(html: str) -> dict[str, list[str]]:
    """{topic heading: [titles]} of a page's digest section."""
    section = html.split('class="meeting-digest"', 1)[1].split("</section>", 1)[0]
    found = {}
    for part in section.split('<h3 class="digest-tag">')[1:]:
        heading = part.split("（", 1)[0]
        found[heading] = re.findall(r'class="record-title" href="[^"]+">([^<]+)</a>', part)
    return found


def meeting_page(site: Path, day: str) -> str:
    return (site / "meetings" / f"{day}-機械学習勉強会" / "index.html").read_text(encoding="utf-8")


def test_a_meeting_lists_exactly_what_was_added_since_the_previous_one(site):
    assert digest_of(meeting_page(site, "2025-10-15")) == {
        "LLM": ["Delta Paper", "Bravo Paper"], "Vision": ["Charlie Paper"], "タグなし": ["Talk Two Paper"]}
    assert digest_of(meeting_page(site, "2025-10-01")) == {"LLM": ["Alpha Paper"], "タグなし": ["Talk One Paper"]}


def test_next_meeting_lists_what_was_added_after_the_last(site):
    html = (site / "next-meeting/index.html").read_text(encoding="utf-8")
    assert digest_of(html) == {"Vision": ["Echo Paper"]}
    assert "前回（2025-10-15 機械学習勉強会）" in html


def test_meetings_link_to_the_previous_and_the_next(site):
    later, earlier = meeting_page(site, "2025-10-15"), meeting_page(site, "2025-10-01")
    assert 'rel="prev" href="../../meetings/2025-10-01-機械学習勉強会/index.html"' in later
    assert 'rel="next" href="../../meetings/2025-10-15-機械学習勉強会/index.html"' in earlier
    assert 'rel="prev"' not in earlier and 'rel="next"' not in later


def test_added_order_page_feed_and_home_link(site):
    html = (site / "added/index.html").read_text(encoding="utf-8")
    assert re.findall(r'class="record-title" href="[^"]+">([^<]+)</a>', html) == [
        "Echo Paper", "Delta Paper", "Talk Two Paper", "Bravo Paper", "Charlie Paper", "Talk One Paper", "Alpha Paper"]
    feed = feedparser.parse((site / "added.xml").read_bytes())
    assert not feed.bozo
    assert [(e.title, e.updated[:10]) for e in feed.entries][:2] == [("Echo Paper", "2025-10-20"),
                                                                     ("Delta Paper", "2025-10-15")]
    assert 'href="added/index.html">追加順</a>' in (site / "index.html").read_text(encoding="utf-8")
    record = (site / "records/b/index.html").read_text(encoding="utf-8")  # named by its file, b.md
    assert '<dt>追加日</dt><dd class="added"><time datetime="2025-10-05">' in record
