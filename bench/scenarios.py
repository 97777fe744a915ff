"""The measured builds: kb's clean/incremental scenarios, Hugo and MkDocs clean builds.

Every scenario is a list of runs of one command after a `prepare` step (not timed). A
scenario whose first run takes longer than `slow` seconds is not repeated (the median is then
of one run, and the result says so); a run longer than `timeout` is killed and reported.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corpus import Manifest, new_native_note
from measure import Result, measure, tree_size
from peers import clean_outputs

REPO = Path(__file__).resolve().parent.parent
KB_SCENARIOS = ("clean", "nochange", "edit_note", "add_note", "edit_template", "clean_nosearch",
                "nochange_nosearch", "edit_note_nosearch", "pagefind")
GROUPS = (KB_SCENARIOS[:5], KB_SCENARIOS[5:])  # builds into site/, then into site-nosearch/
SETTLE_S = 2.1
OUTPUTS = {"clean": "site", "clean_nosearch": "site-nosearch", "pagefind": "site-nosearch/pagefind"}
TEMPLATE = "base.html"
NO_CACHE = "no .kb-cache: kb has no incremental build yet (full rebuild)"


@dataclass
class Limits:
    runs: int = 3
    timeout: float = 600
    slow: float = 180


def kb_command() -> list[str]:
    """kb as `python -m kb` with this interpreter: a version manager's `kb` shim (pyenv's is a
    bash script) would add its own start-up time to every measured build."""
    return [sys.executable, "-m", "kb"]


BENCH_NODE = REPO / "bench" / "node_modules" / ".bin"  # `npm install --prefix bench`: Pagefind, compared only


def pagefind_exe() -> str | None:
    local = BENCH_NODE / "pagefind"
    return str(local) if local.exists() else shutil.which("pagefind")


def tool_env() -> dict:
    """The environment kb builds in (kb needs no Node: Pagefind is run by the benchmark alone), as
    on a user's machine: Python's compiled modules kept (pip install compiles them; a Python that
    writes none, PYTHONDONTWRITEBYTECODE=1 as on the benchmark's machine, compiled kb's ~60
    modules again in every process: 0.12 s of each rebuild)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_kb() -> None:
    """kb's modules compiled once, before anything is timed, as `pip install` leaves them."""
    import compileall

    import kb

    compileall.compile_dir(Path(kb.__file__).parent, quiet=1)


def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def install_template(project: Path) -> Path:
    """A verbatim copy of the built-in base template as the project's own (same output as the theme's)."""
    from kb.render.templates import builtin_theme_dir

    target = project / "templates" / TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(builtin_theme_dir() / TEMPLATE, target)
    return target


def edit_template(project: Path, i: int) -> None:
    path = project / "templates" / TEMPLATE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("</head>", f"<!-- bench edit {i} -->\n</head>", 1), encoding="utf-8")


def edit_note(project: Path, manifest: Manifest, i: int) -> None:
    """One paragraph appended to a native note (to a long note in the corpus of long notes, which has no other)."""
    native = [r.file for r in manifest.records if r.format == "native"] or sorted(manifest.files)
    path = project / "notes" / native[(i * 7919) % len(native)]
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n追記 {i}: ベンチマークの編集。\n")


def kb_steps(project: Path, manifest: Manifest, i: int) -> list[tuple[str, Callable[[], None], list[str]]]:
    kb, site, bare = kb_command(), project / "site", project / "site-nosearch"
    cache = project / ".kb-cache"
    build = [*kb, "build", "--out", str(site)]
    bare_build = [*kb, "build", "--out", str(bare), "--no-search"]
    steps = [
        ("clean", lambda: remove(site, cache), [*build, "--clean"]),
        ("nochange", lambda: None, build),
        ("edit_note", lambda: edit_note(project, manifest, i), build),
        ("add_note", lambda: new_native_note(project, i), build),
        ("edit_template", lambda: edit_template(project, i), build),
        ("clean_nosearch", lambda: remove(bare, cache), [*bare_build, "--clean"]),
        ("nochange_nosearch", lambda: None, bare_build),
        ("edit_note_nosearch", lambda: edit_note(project, manifest, i + 101), bare_build),
    ]
    exe = pagefind_exe()
    if exe:
        # the record pages' articles, as kb's index covers the records (and as data-pagefind-body
        # marked them while kb used Pagefind): the whole site at 10,000 notes ran out of 23 GB
        pagefind = [exe, "--site", str(bare), "--glob", "records/*/index.html", "--root-selector", "article.record"]
        steps.append(("pagefind", lambda: remove(bare / "pagefind"), pagefind))
    return steps


def repeat_wanted(result: Result, limits: Limits) -> bool:
    if not result.runs:
        return True
    first = result.runs[0]
    if first.rc != 0 or first.wall > limits.slow:
        result.note = result.note or (f"1 run only: first run took {first.wall:.0f} s" if first.rc == 0
                                      else f"not repeated: exit status {first.rc}")
        return False
    return len(result.runs) < limits.runs


def run_kb(project: Path, manifest: Manifest, limits: Limits, log: Callable[[str], None],
           wanted: tuple[str, ...] = KB_SCENARIOS) -> dict[str, Result]:
    install_template(project)
    results = {name: Result() for name in KB_SCENARIOS}
    env = tool_env()
    time.sleep(SETTLE_S)  # notes written this instant are never trusted to kb's quick stamp
    for group in GROUPS:  # one output folder per group: kb's cache remembers the last site only
        for i in range(limits.runs):
            run_group(project, manifest, limits, log, results, group, wanted, env, i)
    finish_notes(project, results, wanted)
    return {name: result for name, result in results.items() if result.runs or result.note}


def run_group(project: Path, manifest: Manifest, limits: Limits, log: Callable[[str], None],
              results: dict[str, Result], group: tuple[str, ...], wanted: tuple[str, ...], env: dict, i: int) -> None:
    for name, prepare, cmd in kb_steps(project, manifest, i):
        if name not in group or name not in wanted or not repeat_wanted(results[name], limits):
            continue
        prepare()
        run = measure(cmd, cwd=project, env=env, timeout=limits.timeout)
        results[name].runs.append(run)
        log(f"  kb {name:15s} run {i + 1}: {run.wall:8.2f} s  {run.maxrss_kb / 1024:7.0f} MB  "
            f"PSS {run.pss_peak_kb / 1024:7.0f} MB  rc={run.rc}")
        if run.rc == 0 and name in OUTPUTS:
            results[name].out_bytes, results[name].out_files = tree_size(project / OUTPUTS[name])


def finish_notes(project: Path, results: dict[str, Result], wanted: tuple[str, ...]) -> None:
    if not pagefind_exe() and "pagefind" in wanted:
        results["pagefind"].note = "pagefind not installed (npm install --prefix bench): not compared"
    if not (project / ".kb-cache").exists():
        for name in ("nochange", "edit_note", "add_note", "edit_template", "nochange_nosearch", "edit_note_nosearch"):
            if results[name].runs:
                results[name].note = results[name].note or NO_CACHE


def run_peer(name: str, site: Path, cmd: list[str], output: str, limits: Limits,
             log: Callable[[str], None]) -> Result:
    """Clean builds of a peer site: its output folder is removed before every run."""
    result = Result()
    while repeat_wanted(result, limits):
        clean_outputs(site)
        run = measure(cmd, cwd=site, timeout=limits.timeout)
        result.runs.append(run)
        log(f"  {name:18s} run {len(result.runs)}: {run.wall:8.2f} s  {run.maxrss_kb / 1024:7.0f} MB  rc={run.rc}")
        if run.rc == 0:
            result.out_bytes, result.out_files = tree_size(site / output)
    if result.runs and result.runs[0].rc == -9:
        result.note = f"timed out: no build within {limits.timeout:.0f} s"
    return result
