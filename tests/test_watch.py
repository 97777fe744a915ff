"""`kb build --watch`: a real watcher (watchfiles) sees a new note and the site gets its page."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from conftest import NOTES
from kb import watch
from kb.build import build_site
from kb.cli import main
from kb.config import Settings

BLOG = "002_08efc3dd06c964ef.txt"
NEW_NOTE = """---
title: "LoRA+: Efficient Low Rank Adaptation of Large Models"
url: https://arxiv.org/abs/2402.12354
kind: paper
issue_date: 2024-03-05
tags: [PEFT(Adaptor/LoRA)]
---
## summary
LoRAのAとBに異なる学習率を使う。
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "notes").mkdir()
    shutil.copy(NOTES / BLOG, tmp_path / "notes" / BLOG)
    return tmp_path


def test_watcher_rebuilds_when_a_note_is_added(tmp_path):
    root = project(tmp_path)
    build_site(root, Settings(), root / "site", search=False)
    page = root / "site" / "records" / "2402.12354" / "index.html"
    changes, stop = [], threading.Event()

    def rebuild(changed):
        changes.append(changed)
        build_site(root, Settings(), root / "site", search=False)

    watcher = threading.Thread(target=watch.watch_and_rebuild, args=(root, root / "notes", rebuild, stop))
    watcher.start()
    try:
        time.sleep(0.5)  # let the watcher start before the change
        (root / "notes" / "lora-plus.md").write_text(NEW_NOTE, encoding="utf-8")
        deadline = time.monotonic() + 20
        while not page.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert page.exists(), changes
    assert ["notes/lora-plus.md"] in changes
    assert "LoRA+: Efficient Low Rank Adaptation" in page.read_text(encoding="utf-8")


def test_build_watch_keeps_watching_after_a_broken_template(tmp_path, monkeypatch):
    """The CLI rebuilds on each batch of changes; a template error is reported, not fatal."""
    root = project(tmp_path)
    monkeypatch.chdir(root)

    def two_batches(*_paths, **_options):
        (root / "templates").mkdir()
        (root / "templates" / "record.html").write_text("{{ record.title }\n", encoding="utf-8")
        yield {(1, str(root / "templates" / "record.html"))}
        (root / "templates" / "record.html").unlink()
        (root / "notes" / "lora-plus.md").write_text(NEW_NOTE, encoding="utf-8")
        yield {(1, str(root / "notes" / "lora-plus.md"))}

    monkeypatch.setattr(watch, "watch", two_batches)
    result = CliRunner().invoke(main, ["build", "--no-search", "--watch"])
    assert result.exit_code == 0, result.output
    assert "changed: templates/record.html" in result.output
    assert "templates/record.html:1: unexpected '}'" in result.output
    assert "changed: notes/lora-plus.md" in result.output
    assert (root / "site" / "records" / "2402.12354" / "index.html").exists()
