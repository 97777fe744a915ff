"""The package kb installs as, in CI: `kb init`'s requirements.txt installs exactly this kb, even
from an index that also holds an unrelated project named `kb` (PyPI has one: kb 0.1 to 0.1.8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wheels import decoy_wheel, new_venv, run

OFFLINE = {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="module")
def index(tmp_path_factory, kb_wheel) -> Path:
    """A local package index (a find-links folder) with this kb's wheel and a decoy `kb` 0.1.0."""
    folder = tmp_path_factory.mktemp("index")
    decoy_wheel(folder)
    (folder / kb_wheel.name).write_bytes(kb_wheel.read_bytes())
    return folder


def workflow_steps(project: Path) -> list[str]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    return [step["run"] for step in workflow["jobs"]["build"]["steps"] if "run" in step]


def kb_init(tmp_path: Path, index: Path, *install: str) -> Path:
    """`kb init` in a new folder, run by a kb installed with `pip install *install` from the index."""
    venv = tmp_path / "user-venv"
    env = {**new_venv(venv), **OFFLINE, "PIP_FIND_LINKS": str(index)}
    run(["pip", "install", "-q", *install], tmp_path, env)
    project = tmp_path / "papers"
    run(["kb", "init", str(project)], tmp_path, env)
    return project


def ci_install(venv: Path, project: Path, index: Path) -> tuple[dict, list]:
    """The workflow's steps before `kb build`, run as CI would in a fresh environment; their results."""
    env = {**new_venv(venv), **OFFLINE, "PIP_FIND_LINKS": str(index)}
    results = [run(["bash", "-c", step], project, env, ok=False) for step in workflow_steps(project)[:-1]]
    return env, results


def installed(env: dict, project: Path) -> tuple[str, set[str]]:
    """What `kb --version` prints in that environment, and the distributions installed there, but pip's own."""
    version = run(["kb", "--version"], project, env, ok=False).stdout.strip()
    names = run(["pip", "list", "--format=freeze", "--path", next(Path(env["VIRTUAL_ENV"], "lib").glob(
        "python*/site-packages")).as_posix()], project, env).stdout
    return version, {line.split("==")[0] for line in names.split()} - {"pip", "setuptools"}


def test_the_old_requirement_installs_the_decoy(tmp_path, index):
    """What kb 0.1.0 wrote (`kb==0.1.0`) installs the unrelated project: the trap this file closes."""
    env = {**new_venv(tmp_path / "venv"), **OFFLINE, "PIP_FIND_LINKS": str(index)}
    run(["pip", "install", "-q", "kb==0.1.0"], tmp_path, env)
    assert run(["kb"], tmp_path, env).stdout.strip() == "decoy"


def test_installed_from_an_index_ci_installs_this_kb(tmp_path, index):
    project = kb_init(tmp_path, index, "ronbun-kb")
    assert (project / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1] == "ronbun-kb==0.2.0"
    env, results = ci_install(tmp_path / "ci", project, index)
    assert [r.returncode for r in results] == [0, 0], [r.stdout + r.stderr for r in results]
    assert installed(env, project) == ("kb, version 0.2.0", {"ronbun-kb"})


def test_installed_from_a_wheel_ci_stops_until_requirements_name_the_source(tmp_path, index, kb_wheel):
    project = kb_init(tmp_path, index, str(kb_wheel))
    requirement = (project / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert requirement == "ronbun-kb @ git+https://github.com/OWNER/REPO@v0.2.0"
    env, results = ci_install(tmp_path / "ci-unfilled", project, index)
    assert results[0].returncode == 1  # the check step, before pip could fetch anything
    assert "::error file=requirements.txt::replace OWNER/REPO" in results[0].stdout
    # the user names where kb lives (here: the same wheel), and the workflow installs it
    (project / "requirements.txt").write_text(f"ronbun-kb @ {kb_wheel.as_uri()}\n", encoding="utf-8")
    env, results = ci_install(tmp_path / "ci-filled", project, index)
    assert [r.returncode for r in results] == [0, 0], [r.stdout + r.stderr for r in results]
    assert installed(env, project) == ("kb, version 0.2.0", {"ronbun-kb"})
