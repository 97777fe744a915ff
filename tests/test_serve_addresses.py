"""`kb serve` in headless Chromium (issue 20, points 3 and 4): a changed note's warnings in a small
panel that closes (the unknown key's value on the page), an open page follows its record when the
note is renamed, and a missing page is the site's own 404 page."""

from __future__ import annotations

import shutil
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import NOTES, open_page
from test_serve import SEEN_WITHIN_MS, Served

pytestmark = pytest.mark.browser

NOTE = """---
title: 解析機関のための手法
kind: paper
{extra}issue_date: 2024-03-05
---
## summary
{summary}
"""
PANEL = "#kb-serve-warnings"


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    write(root, "2024-03-05-engine.md", "最初の本文。")
    return root


def write(root: Path, name: str, summary: str, extra: str = "") -> None:
    (root / "notes" / name).write_text(NOTE.format(summary=summary, extra=extra), encoding="utf-8")


def test_serve_shows_new_warnings_follows_a_moved_page_and_serves_its_404(project, browser):
    served = Served(project)
    try:
        url = served.wait_for(r"serving (http://127\.0\.0\.1:\d+/)").group(1)
        page = open_page(browser, url)
        page.goto(url + "records/2024-03-05-engine/")
        expect(page.locator("main")).to_contain_text("最初の本文。")
        expect(page.locator(PANEL)).to_have_count(0)  # the seed notes' warnings are not news

        write(project, "2024-03-05-engine.md", "二つ目の本文。", extra="auther: [Charles Babbage]\n")
        panel = page.locator(PANEL)
        expect(panel).to_be_visible(timeout=SEEN_WITHIN_MS)
        expect(panel).to_contain_text("警告 1 件（変更したノート）")
        expect(panel).to_contain_text("notes/2024-03-05-engine.md:4: unknown front matter key 'auther' kept as a "
                                      "section of its own (did you mean 'authors'?)")
        expect(page.locator("#s-auther + div")).to_contain_text("Charles Babbage")
        served.wait_for(r"notes/2024-03-05-engine\.md:4: warning: unknown front matter key 'auther'")
        panel.get_by_role("button", name="警告を閉じる").click()
        expect(panel).to_have_count(0)
        page.reload()
        expect(page.locator("main")).to_contain_text("二つ目の本文。")
        expect(page.locator(PANEL)).to_have_count(0)  # closed stays closed on this version of the site

        write(project, "2024-03-05-engine.md", "三つ目の本文。", extra="auther: [Charles Babbage]\n")
        expect(page.locator("main")).to_contain_text("三つ目の本文。", timeout=SEEN_WITHIN_MS)
        expect(page.locator(PANEL)).to_contain_text("'auther'")  # the note changed: its warning is news again

        (project / "notes" / "2024-03-05-engine.md").rename(project / "notes" / "2024-03-05-analytical-engine.md")
        page.wait_for_url(url + "records/2024-03-05-analytical-engine/", timeout=SEEN_WITHIN_MS)
        expect(page.locator("main")).to_contain_text("三つ目の本文。")

        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "records/no-such-record/")
        assert missing.value.code == 404
        assert "ページが見つかりません" in missing.value.read().decode("utf-8")
        page.goto(url + "records/no-such-record/")
        page.get_by_role("link", name="ホームへ").click()
        expect(page).to_have_url(url + "index.html")
        assert page.problems == ["console: Failed to load resource: the server responded with a status of 404 "
                                 "(Not Found)"]  # the missing page itself, nothing else
        page.context.close()
    finally:
        served.proc.send_signal(signal.SIGINT)
        served.proc.wait(timeout=60)
