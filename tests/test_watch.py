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


def wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_watcher_sees_a_templates_folder_and_kb_yaml_created_after_it_started(tmp_path):
    root = project(tmp_path)
    changes, stop = [], threading.Event()
    watcher = threading.Thread(target=watch.watch_and_rebuild, args=(root, root / "notes", changes.append, stop))
    watcher.start()
    try:
        time.sleep(0.5)
        (root / "templates").mkdir()
        (root / "templates" / "base.html").write_text("{# mine #}\n", encoding="utf-8")
        assert wait_for(lambda: ["templates"] in changes), changes
        (root / "templates" / "base.html").write_text("{# mine, edited #}\n", encoding="utf-8")
        assert wait_for(lambda: ["templates/base.html"] in changes), changes
        (root / "kb.yaml").write_text("title: 新しい名前\n", encoding="utf-8")
        assert wait_for(lambda: ["kb.yaml"] in changes), changes
        (root / "kb.yaml").write_text("title: もう一度\n", encoding="utf-8")
        assert wait_for(lambda: changes.count(["kb.yaml"]) == 2), changes
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_build_watch_keeps_watching_after_a_broken_template(tmp_path, monkeypatch):
    """The CLI rebuilds on each batch of changes; a template error is reported, not fatal."""
    root = project(tmp_path)
    monkeypatch.chdir(root)
    (root / "templates").mkdir()
    batches = [
        lambda: (root / "templates" / "record.html").write_text("{{ record.title }\n", encoding="utf-8"),
        lambda: (root / "templates" / "record.html").unlink(),
        lambda: (root / "notes" / "lora-plus.md").write_text(NEW_NOTE, encoding="utf-8"),
    ]
    names = ["templates/record.html", "templates/record.html", "notes/lora-plus.md"]

    def three_batches(*_paths, **_options):  # as watchfiles.watch would report them, then Ctrl-C
        for change, name in zip(batches, names, strict=True):
            change()
            yield {(1, str(root / name))}

    monkeypatch.setattr(watch, "watch", three_batches)
    result = CliRunner().invoke(main, ["build", "--no-search", "--watch"])
    assert result.exit_code == 0, result.output
    assert "changed: templates/record.html" in result.output
    assert "templates/record.html:1: unexpected '}'" in result.output
    assert "changed: notes/lora-plus.md" in result.output
    assert (root / "site" / "records" / "2402.12354" / "index.html").exists()
