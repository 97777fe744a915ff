"""Run one command in a fresh child and measure it: wall time, peak RSS, exit status.

Each measured command runs under a tiny Python wrapper started for that command alone, so the
wrapper's `getrusage(RUSAGE_CHILDREN)` covers exactly that command and everything it waited
for. Note what ru_maxrss means: the peak resident set of the *largest single process* in the
tree (e.g. kb's Python or the Pagefind it runs), not the sum of processes alive at once.
Wall time is `time.perf_counter()` around the child, inside the wrapper (no interpreter start-up).
The memory target is the peak of the summed proportional set size (PSS) of the whole tree,
sampled every 50 ms with psutil (`memory_full_info().pss`): shared pages counted once in all.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

WRAPPER = r"""
import json, resource, subprocess, sys, tempfile, threading, time
import psutil

def tree_pss(pid):
    try:
        top = psutil.Process(pid)
        procs = [top, *top.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            pass
    return total

peak = [0]
err = tempfile.TemporaryFile()
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
def sample():
    while child.poll() is None:
        peak[0] = max(peak[0], tree_pss(child.pid))
        time.sleep(0.05)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
rc = child.wait()
wall = time.perf_counter() - start
sampler.join()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
err.seek(0)
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "maxrss_kb": usage.ru_maxrss, "pss_peak_kb": peak[0] // 1024, "rc": rc,
               "cpu": usage.ru_utime + usage.ru_stime, "stderr": err.read()[-1500:].decode("utf-8", "replace")}, out)
"""


@dataclass
class Run:
    wall: float
    maxrss_kb: int
    rc: int
    cpu: float = 0.0
    pss_peak_kb: int = 0  # the peak of the summed proportional set size of the process tree (psutil, every 50 ms)
    stderr: str = ""


def measure(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 600) -> Run:
    """One run of cmd; a run past `timeout` seconds is killed (its process group) and reported rc=-9."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(report), *cmd], cwd=cwd, env=env,
                            start_new_session=True)
    try:
        proc.wait(timeout=timeout)
        data = json.loads(report.read_text() or "{}")
        return Run(**data)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return Run(wall=float(timeout), maxrss_kb=0, rc=-9, stderr=f"timed out after {timeout:.0f} s")
    finally:
        report.unlink(missing_ok=True)


@dataclass
class Result:
    """Several runs of one scenario, summarised."""

    runs: list[Run] = field(default_factory=list)
    note: str = ""
    out_bytes: int | None = None
    out_files: int | None = None

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.rc == 0 for r in self.runs)

    @property
    def median(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.runs else None

    @property
    def peak_mb(self) -> float | None:
        return max(r.maxrss_kb for r in self.runs) / 1024 if self.runs else None

    @property
    def peak_pss_mb(self) -> float | None:
        return max(r.pss_peak_kb for r in self.runs) / 1024 if self.runs else None

    def as_dict(self) -> dict:
        return {"median_s": self.median, "walls_s": [r.wall for r in self.runs], "peak_rss_mb": self.peak_mb,
                "peak_pss_mb": self.peak_pss_mb,
                "ok": self.ok, "rc": [r.rc for r in self.runs], "cpu_s": [r.cpu for r in self.runs],
                "out_bytes": self.out_bytes, "out_files": self.out_files, "note": self.note,
                "stderr": next((r.stderr for r in self.runs if r.rc != 0), "")}


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) below path."""
    total = files = 0
    for root, _, names in os.walk(path):
        for name in names:
            total += os.path.getsize(os.path.join(root, name))
            files += 1
    return total, files


def as_json(obj) -> dict:
    return asdict(obj)
