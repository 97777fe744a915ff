"""A wheel of this repository and fresh virtual environments to install it in, with no network:
kb's dependencies come from the environment running the tests (see share_dependencies)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = ("node_modules", ".venv", "site", ".kb-cache", "work", "test-artifacts", ".git", "__pycache__",
               "*.egg-info", "build", "dist", ".pytest_cache", ".hypothesis", ".ruff_cache")


def run(cmd: list[str], cwd: Path, env: dict | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    if ok:
        assert done.returncode == 0, f"{' '.join(map(str, cmd))} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(work: Path) -> Path:
    """This repository as a wheel (built from a copy: building in place leaves build/ behind)."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)], work)
    return next((work / "dist").glob("ronbun_kb-*.whl"))


def dependency_folder(shared: Path) -> Path:
    """A folder of links to everything in the test environment's site-packages but this repository's
    own kb (its editable install, which pip would otherwise count as installed): kb's dependencies
    for a new environment, with no download and no network."""
    shared.mkdir()
    for folder in (Path(p) for p in sys.path if p.endswith("site-packages")):
        for entry in folder.iterdir():
            own = entry.name.startswith(("ronbun_kb", "__editable__", "kb")) or entry.suffix == ".pth"
            if not own and not (shared / entry.name).exists():
                (shared / entry.name).symlink_to(entry)
    return shared


def share_dependencies(venv: Path) -> None:
    """The new venv reads kb's dependencies from a dependency_folder (named in a .pth file)."""
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    shared = dependency_folder(venv / "test-dependencies")
    (site_packages / "test-dependencies.pth").write_text(f"{shared}\n", encoding="utf-8")


def new_venv(venv: Path) -> dict[str, str]:
    """A fresh virtual environment sharing the test dependencies; the environment to run in it."""
    run([sys.executable, "-m", "venv", str(venv)], venv.parent)
    share_dependencies(venv)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    return env


def decoy_wheel(folder: Path, name: str = "kb", version: str = "0.1.0") -> Path:
    """A stand-in for the unrelated `kb` on PyPI: a wheel whose `kb` command prints 'decoy'."""
    dist = f"{name}-{version}.dist-info"
    files = {
        "kb_decoy.py": "def main():\n    print('decoy')\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            "Summary: Access to National Library of the Netherlands datasets (decoy)\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: kb-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[console_scripts]\nkb = kb_decoy:main\n",
    }
    files[f"{dist}/RECORD"] = "".join(f"{path},,\n" for path in files) + f"{dist}/RECORD,,\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel
