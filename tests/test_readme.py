"""The README is the contract with users: its commands are the ones CI runs."""

import re

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
    assert build.startswith("pip install") and "npm install" in build and build.endswith("kb build")
