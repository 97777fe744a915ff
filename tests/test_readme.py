"""The README is the contract with users: its commands are the ones CI runs."""

import os
import re
import subprocess

import pytest

from conftest import ROOT


def shell_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(block for block in shell_blocks(readme) if "pytest" in block)
    assert test_command in ci.splitlines()


def test_readme_build_command_installs_and_builds():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    build = shell_blocks(readme)[0]
    assert build.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e . && ")
    assert build.endswith("kb build") and "npm" not in build  # kb writes its search index itself


def test_what_the_readme_commands_make_is_ignored_by_git():
    """No README command leaves the git tree dirty: what they create is in .gitignore, and npm (while
    it is needed) is told not to rewrite package-lock.json."""
    if not (ROOT / ".git").exists():
        message = f"{ROOT} is not a git checkout"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    made = [".venv/", "site/", ".kb-cache/", "src/ronbun_kb.egg-info/", "node_modules/", ".pytest_cache/",
            ".hypothesis/", "test-artifacts/", "bench/work/"]
    done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", *made], capture_output=True, text=True)
    assert done.stdout.split() == made
    for block in shell_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[:2]:
        assert block.count("npm install") == block.count("npm install --no-package-lock")


def test_every_screenshot_the_readme_shows_is_in_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\(docs/([\w-]+\.png)\)|src=\"docs/([\w-]+\.png)\"", readme))
    names = {a or b for a, b in shown}
    assert {"home-desktop.png", "record-toc-desktop.png", "tag-desktop.png", "meeting-desktop.png",
            "record-phone.png"} <= names
    assert sorted(n for n in names if not (ROOT / "docs" / n).is_file()) == []
