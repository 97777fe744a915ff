"""Benchmark kb against Hugo and MkDocs on one synthetic corpus per size.

    python bench/run.py --sizes 1000,10000 [--runs 3] [--with-100k] [--skip-peers] [--profile 10000]
                        [--long-sizes 1000] [--serve-sizes long1000,10000]

For each size: generate the corpus (bench/corpus.py) under bench/work/n<size>/, time kb's
clean build and rebuilds, then Hugo's and MkDocs's clean builds of the same records; print a
table, write bench/results/<date>.json (after every size, so a long run keeps what it has) and
bench/results/latest.md. At 10,000 notes (`--profile`) it also profiles a clean build and a
one-note rebuild (bench/profile_build.py) and prints their top functions. The same scenarios run
on a corpus of long notes (`--long-sizes`: eight-question summaries of about 11 KB, one a file,
under bench/work/long<size>/), and bench/serve_latency.py measures `kb serve` from a saved edit
to the page reloaded in Chromium (`--serve-sizes`); each target of issue #23 is printed with its
figure, met or missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402
from lighthouse import lighthouse_figures  # noqa: E402
from peers import hugo_command, hugo_site, hugo_version, mkdocs_site, mkdocs_venv  # noqa: E402
from report import markdown, profile_lines, text_table  # noqa: E402
from scenarios import KB_SCENARIOS, REPO, Limits, compile_kb, run_kb, run_peer, tool_env  # noqa: E402
from search_bytes import measure_site  # noqa: E402

BENCH = Path(__file__).resolve().parent
NOTES = [
    "Times are wall-clock medians (time.perf_counter around the child process); "
    "peak RSS is ru_maxrss of the child tree: the largest single process (kb's Python or Pagefind), not a sum.",
    "N counts records: one page per record for every tool (kb also writes note, author, venue, date pages...).",
    "Peers build the same records: Hugo with a 5-template theme and a tags taxonomy (plus its default RSS and "
    "sitemap); MkDocs default theme, automatic nav, a generated page per tag.",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated record counts ('' measures only search on the bundled notes)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--with-100k", action="store_true", help="also 100,000 records (kb only)")
    parser.add_argument("--skip-peers", action="store_true", help="kb only, no Hugo or MkDocs")
    parser.add_argument("--mkdocs-sizes", default="1000",
                        help="sizes at which MkDocs is built (it took over 600 s at 10,000 notes)")
    parser.add_argument("--timeout", type=float, default=600, help="kill a single build after this many seconds")
    parser.add_argument("--slow", type=float, default=180, help="do not repeat a build whose first run took longer")
    parser.add_argument("--kb-scenarios", default=",".join(KB_SCENARIOS),
                        help=f"kb scenarios to time (default all: {','.join(KB_SCENARIOS)})")
    parser.add_argument("--profile", default="10000",
                        help="sizes at which to profile a clean build and a one-note rebuild ('' for none)")
    parser.add_argument("--long-sizes", default="1000", help="sizes of the corpus of long notes ('' for none)")
    parser.add_argument("--serve-sizes", default="long1000,10000",
                        help="kb serve latency (bench/serve_latency.py): sizes, long<n> for long notes ('' for none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    return parser.parse_args(argv)


def today() -> str:
    try:
        return subprocess.run(["date", "+%Y-%m-%d"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return dt.date.today().isoformat()


def machine(mkdocs: str | None) -> dict:
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return {"cpus": os.cpu_count(), "mem_gb": round(mem / 2**20, 1), "platform": platform.platform(),
            "python": platform.python_version(), "kb": metadata.version("ronbun-kb"), "git": git.stdout.strip() or "?",
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()), "hugo": hugo_version(), "mkdocs": mkdocs}


def log(line: str) -> None:
    print(line, flush=True)


def bench_size(n: int, args: argparse.Namespace, mkdocs_cmd: list[str] | None, peers: bool,
               long: bool = False) -> dict:
    base = args.work / (f"long{n}" if long else f"n{n}")
    start = time.perf_counter()
    manifest = generate(n, base / "kb", seed=args.seed, long=long)
    log(f"== {n} {'long notes' if long else 'records'}: corpus of {len(manifest.files)} files in "
        f"{time.perf_counter() - start:.1f} s {manifest.summary()['by_format']}")
    limits = Limits(runs=args.runs, timeout=args.timeout, slow=args.slow)
    wanted = tuple(s.strip() for s in args.kb_scenarios.split(",") if s.strip())
    entry = {"measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg": os.getloadavg()[0],
             "corpus": manifest.summary()}
    entry["kb"] = {k: v.as_dict() for k, v in run_kb(base / "kb", manifest, limits, log, wanted).items()}
    entry["search_fetch"] = search_fetch(base / "kb")
    entry["lighthouse"] = lighthouse_of(base / "kb" / "site")
    entry["search_index"] = search_index_time(base / "kb")
    entry["search_segments"] = script_figures("search_segments.py", base / "kb")
    entry["search_targets"] = search_targets(entry)
    if str(n) in args.profile.split(","):
        entry["profile"] = profile_builds(base / "kb")
    if peers:
        mkdocs = mkdocs_cmd if str(n) in args.mkdocs_sizes.split(",") and not long else None
        entry["peers"] = run_peers(manifest, base, limits, mkdocs, mkdocs_skipped=mkdocs_cmd is not None)
    entry["ratios"] = ratios(entry)
    entry["engine_targets"] = engine_targets(entry)
    return entry


ENGINE_TARGETS = (  # issue #23, at 10,000 notes: (scenario, what, limit in seconds)
    ("edit_note", "rebuild after editing one note (with search, fresh process)", 1.0),
    ("add_note", "rebuild after adding one note", 1.0),
    ("nochange", "rebuild with nothing changed", 0.2),
)


def engine_targets(entry: dict) -> dict:
    """Each build target of issue #23 (set for 10,000 notes) with this size's figure, printed and kept."""
    kb, rows = entry["kb"], {}
    for scenario, what, limit in ENGINE_TARGETS:
        wall = ok_median(kb.get(scenario))
        if wall is not None:
            rows[f"{what} <= {limit} s"] = (f"{wall:.2f} s", wall <= limit)
    ratio = entry["ratios"].get("kb clean / hugo")
    if ratio is not None:
        rows["clean build with search / Hugo's <= 1.0"] = (f"{ratio:.2f}", ratio <= 1.0)
    pss = (kb.get("clean") or {}).get("peak_pss_mb")
    if pss is not None:
        rows["peak PSS of the clean build's process tree <= 500 MB"] = (f"{pss:.0f} MB", pss <= 500)
    for name, (value, met) in rows.items():
        log(f"  target (#23): {name}: {value}: {'met' if met else 'missed'}")
    return {name: {"value": value, "met": met} for name, (value, met) in rows.items()}


def serve_figures(sizes: str, work: Path) -> list[dict] | dict:
    """bench/serve_latency.py's figures (median save-to-visible per size and mode), each target printed."""
    out = work / "serve-latency.json"
    cmd = [sys.executable, str(BENCH / "serve_latency.py"), "--sizes", sizes, "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, env=tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": f"serve_latency.py failed: {(done.stderr or done.stdout)[-300:]}"}
    rows = json.loads(out.read_text(encoding="utf-8"))
    for row in rows:
        met = row["target_s"] is not None and row["median_s"] <= row["target_s"]
        log(f"  target (#23): kb serve save-to-visible, {row['size']} notes, {row['mode']} <= {row['target_s']} s: "
            f"median {row['median_s']:.2f} s (slowest {row['max_s']:.2f}): {'met' if met else 'missed'}")
    return rows


def script_figures(script: str, project: Path) -> dict:
    """The JSON a bench/ script prints about a project, or why it gave none."""
    cmd = [sys.executable, str(BENCH / script), str(project)]
    done = subprocess.run(cmd, cwd=REPO, env=tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": f"{script} failed: {(done.stderr or done.stdout)[-300:]}"}
    return json.loads(done.stdout)


def search_index_time(project: Path) -> dict:
    """kb's search index alone, inside a clean build and the rebuild after editing one note."""
    figures = script_figures("search_index_time.py", project)
    if "skipped" in figures:
        return figures
    edit, add = figures["edit_one_note"], figures["add_one_note"]
    log(f"  search index: {figures['clean']['index_s']} s in a clean build, {edit['index_s']} s after editing one "
        f"note ({edit['index_files_rewritten']} of {edit['index_files']} files), {add['index_s']} s after adding one "
        f"({add['index_files_rewritten']} files)")
    return figures


def lighthouse_of(site: Path) -> dict:
    """Lighthouse (mobile) on the search page with a query (bench/lighthouse.py), three runs."""
    figures = lighthouse_figures(site)
    runs = [(run.get("performance"), run.get("layout_shift")) for run in figures.get("runs", [])]
    log(f"  lighthouse (performance, layout shift): {figures.get('skipped') or runs}")
    return figures


def search_targets(entry: dict) -> dict:
    """Each target of issue #18 with this run's figure, printed and kept."""
    fetch, index, segments = entry["search_fetch"], entry["search_index"], entry["search_segments"]
    rows = {}
    if "skipped" not in index:
        for name in ("edit_one_note", "add_one_note"):
            step = index[name]
            rows[f"index update after {name.replace('_', ' ')} <= 0.1 s, <= 10 files"] = (
                f"{step['index_s']} s wall ({step['index_cpu_s']} s CPU), {step['index_files_rewritten']} files",
                step["index_cpu_s"] <= 0.1 and step["index_files_rewritten"] <= 10)
        clean = index["clean"]["index_s"]
        rows["index share of a clean build <= 10 s"] = (f"{clean} s", clean <= 10)
    if "skipped" not in fetch:
        first, second = fetch["first_query"]["bytes"], fetch["second_query"]["bytes"]
        rows["first query <= 150 KB"] = (f"{first / 1000:.0f} KB", first <= 150_000)
        rows["further query (LoRA 学習率) <= 60 KB"] = (f"{second / 1000:.0f} KB", second <= 60_000)
        ms = fetch["time_to_first_result_ms"]
        rows["first results <= 300 ms"] = (f"{ms} ms (median of {fetch['time_to_first_result_cold_loads_ms']} "
                                           f"ms; the browser's first page "
                                           f"{fetch['time_to_first_result_first_launch_ms']} ms)", ms <= 300)
        rows["layout shift < 0.05 (360 px, PerformanceObserver)"] = (fetch["layout_shift_360"],
                                                                     fetch["layout_shift_360"] < 0.05)
    lighthouse = entry.get("lighthouse") or {"skipped": "not run"}
    if "skipped" not in lighthouse:
        score, shift = lighthouse["median_performance"], lighthouse["worst_layout_shift"]
        rows["Lighthouse mobile on search/?q=推論: performance >= 95, layout shift < 0.05"] = (
            f"performance {score} (median of {len(lighthouse['runs'])}), layout shift {shift} at most",
            score >= 95 and shift < 0.05)
    if "skipped" not in segments:  # search_segments.py: without merging (the target's 20 live), and with the policy
        for found in (segments.get("no_merge"), segments.get("merge_policy", segments)):
            if found is None:
                continue
            worst = found["worst"]
            rows[f"with {found['segments_live']} segments live, no query over 1.2x its merged bytes"] = (
                f"worst {worst['ratio']}x ({worst['query']}), median {found['median_ratio']}x, "
                f"{found['over_1_2x']} of {found['queries']} over", found["over_1_2x"] == 0)
    for name, (value, met) in rows.items():
        log(f"  target: {name}: {value}: {'met' if met else 'missed'}")
    return {name: {"value": value, "met": met} for name, (value, met) in rows.items()}


def profile_builds(project: Path) -> dict:
    """cProfile of a clean build and a one-note rebuild, in one process (bench/profile_build.py)."""
    figures = script_figures("profile_build.py", project)
    for line in profile_lines(figures):
        log(f"  {line}")
    return figures


def search_fetch(project: Path, site: Path | None = None) -> dict:
    """Bytes a browser fetches for a first and a second query on the site kb built with search."""
    site = site or project / "site"
    if not (site / "search" / "index.json").is_file():
        return {"skipped": "no site with a search index (the clean scenario with search did not run)"}
    figures = measure_site(site)
    log(f"  search fetch: first query {figures.get('first_query', {}).get('bytes')} B, "
        f"second {figures.get('second_query', {}).get('bytes')} B")
    return figures


def bundled_search(work: Path) -> dict:
    """The same search figures on the repository's own notes (the browser test measures them too)."""
    site = work / "bundled" / "site"
    cmd = [sys.executable, "-m", "kb", "build", "--out", str(site), "--clean"]
    done = subprocess.run(cmd, cwd=REPO, env=tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": f"kb build of the bundled notes failed: {(done.stderr or done.stdout)[-300:]}"}
    log(f"== bundled notes: {done.stdout.strip()}")
    return search_fetch(site.parent, site)


def run_peers(manifest, base: Path, limits: Limits, mkdocs_cmd: list[str] | None, mkdocs_skipped: bool = False) -> dict:
    results = {}
    hugo = hugo_command()
    if hugo:
        hugo_site(manifest, base / "hugo")
        results["hugo"] = run_peer("hugo", base / "hugo", hugo, "public", limits, log).as_dict()
    else:
        results["hugo"] = {"note": "hugo is not installed (apt-get install hugo): skipped", "walls_s": []}
    if mkdocs_cmd:
        mkdocs_site(manifest, base / "mkdocs")
        results["mkdocs"] = run_peer("mkdocs", base / "mkdocs", mkdocs_cmd, "site", limits, log).as_dict()
    elif mkdocs_skipped:
        results["mkdocs"] = {"note": "not run at this size (--mkdocs-sizes): it timed out after 600 s at 10,000 notes "
                                     "on 2026-11-23", "walls_s": []}
    else:
        results["mkdocs"] = {"note": "mkdocs is not installed: skipped", "walls_s": []}
    return results


def ok_median(result: dict | None) -> float | None:
    return result["median_s"] if result and result.get("ok") else None


def ratios(entry: dict) -> dict:
    out = {}
    kb = {name: ok_median(entry["kb"].get(name)) for name in ("clean", "clean_nosearch")}
    for peer, res in entry.get("peers", {}).items():
        theirs = ok_median(res)
        for name, ours in kb.items():
            if ours and theirs:
                out[f"kb {name} / {peer}"] = ours / theirs
            elif ours and res.get("rc") == [-9]:
                out[f"kb {name} / {peer} (upper bound: {peer} timed out)"] = ours / res["walls_s"][0]
    return out


def growth(sizes: dict) -> dict:
    """Clean-build time ratio between the smallest and each larger size, per tool."""
    out = {}
    keys = sorted(sizes, key=int)
    for small, large in zip(keys, keys[1:], strict=False):
        for tool, pick in (("kb clean", lambda e: e["kb"].get("clean")),
                           ("kb clean --no-search", lambda e: e["kb"].get("clean_nosearch")),
                           ("hugo", lambda e: e.get("peers", {}).get("hugo")),
                           ("mkdocs", lambda e: e.get("peers", {}).get("mkdocs"))):
            a, b = ok_median(pick(sizes[small])), ok_median(pick(sizes[large]))
            if a and b:
                out[f"{tool} {small}->{large} records"] = b / a
    return out


def earlier_results(folder: Path, date: str) -> dict:
    """Today's results so far (a later invocation adds sizes to them, re-measured sizes replace them)."""
    path = folder / f"{date}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{results['date']}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "latest.md").write_text(markdown(results), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    compile_kb()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] + ([100_000] if args.with_100k else [])
    mkdocs_cmd, mkdocs_info = (None, None) if args.skip_peers else mkdocs_venv(args.work)
    if not args.skip_peers and not hugo_command():
        log("Hugo is not installed (/usr/bin/hugo): Hugo is skipped")
    if not args.skip_peers and not mkdocs_cmd:
        log(f"MkDocs is skipped: {mkdocs_info}")
    earlier = earlier_results(args.results, today())
    results = {"date": today(), "command": "python bench/run.py " + " ".join(argv or sys.argv[1:]),
               "machine": machine(mkdocs_info if mkdocs_cmd else None), "notes": list(NOTES)}
    if not sizes and earlier:  # search on the bundled notes only: the sizes keep their own run's header
        results = {**earlier, "bundled_command": results["command"]}
    results["sizes"] = earlier.get("sizes", {})
    results["bundled"] = {"search_fetch": bundled_search(args.work)}
    path = save(results, args.results)
    for n in sizes:
        peers = not args.skip_peers and n <= 10_000  # 100k: kb only
        results["sizes"][str(n)] = bench_size(n, args, mkdocs_cmd, peers)
        results["sizes"] = dict(sorted(results["sizes"].items(), key=lambda kv: int(kv[0])))
        results["growth"] = growth(results["sizes"])
        path = save(results, args.results)
    results["long"] = earlier.get("long", {})
    for n in [int(s) for s in args.long_sizes.split(",") if s.strip()]:
        results["long"][str(n)] = bench_size(n, args, None, not args.skip_peers, long=True)
        path = save(results, args.results)
    if args.serve_sizes:
        log(f"== kb serve: {args.serve_sizes}")
        results["serve"] = serve_figures(args.serve_sizes, args.work)
        path = save(results, args.results)
    print()
    print(text_table(results))
    print(f"\nwrote {path} and {args.results / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
