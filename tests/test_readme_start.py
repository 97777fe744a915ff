"""The README's "Start your own knowledge base" block, run verbatim in a fresh folder with kb from a
wheel (only `/path/to/kb` is replaced by the wheel's path): it installs kb, writes a knowledge base,
and `kb serve --open` serves its site on http://127.0.0.1:8000/."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from test_readme import shell_blocks
from wheels import ROOT, dependency_folder

EXAMPLE_TITLE = "LoRA: Low-Rank Adaptation of Large Language Models"


def start_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Start your own knowledge base", 1)[1]
    return shell_blocks(section)[0]


def page(url: str, deadline: float, process: subprocess.Popen) -> str:
    """The page at url once the server answers (the block's last command keeps serving)."""
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url}; exit code {process.poll()}")


def test_the_readme_start_block_works_verbatim_from_a_wheel(tmp_path, kb_wheel):
    block = start_block()
    assert block.count("/path/to/kb") == 1 and "kb init && kb serve --open" in block
    shared = dependency_folder(tmp_path / "dependencies")  # kb's dependencies without a download
    env = {**os.environ, "PYTHONPATH": str(shared), "BROWSER": "true"}  # --open runs `true`, not a browser
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    script = block.replace("/path/to/kb", str(kb_wheel))
    process = subprocess.Popen(["bash", "-ec", script], cwd=tmp_path, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        home = page("http://127.0.0.1:8000/", time.monotonic() + 600, process)
        record = page("http://127.0.0.1:8000/records/2106.09685/", time.monotonic() + 10, process)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    papers = tmp_path / "papers"
    assert "<title>" in home and EXAMPLE_TITLE in record, output
    assert (papers / ".git").is_dir() and (papers / "kb.yaml").is_file() and (papers / "site" / "index.html").is_file()
    kb = papers / ".venv" / "bin" / "kb"
    assert kb.is_file()
    where = subprocess.run([str(papers / ".venv" / "bin" / "python"), "-c", "import kb; print(kb.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(papers / ".venv"), where  # the wheel's kb, not this repository's
