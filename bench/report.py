"""The results as a plain-text table (stdout) and a Markdown table (bench/results/latest.md)."""

from __future__ import annotations

LABELS = {
    "clean": "kb clean build (with search index)",
    "clean_nosearch": "kb clean build --no-search",
    "nochange_nosearch": "kb --no-search rebuild, nothing changed",
    "edit_note_nosearch": "kb --no-search rebuild after editing one note",
    "pagefind": "Pagefind 1.6 alone on the same site (the engine kb used before)",
    "nochange": "kb rebuild, nothing changed",
    "edit_note": "kb rebuild after editing one note",
    "add_note": "kb rebuild after adding one note",
    "edit_template": "kb rebuild after editing one template",
    "hugo": "Hugo clean build",
    "mkdocs": "MkDocs clean build",
}
HEADER = ("notes", "what", "median s", "runs", "peak RSS MB", "output MB", "files", "note")


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def measured(results: dict) -> list[tuple[str, dict]]:
    """(label, entry) of every size run, the corpus of long notes after the others."""
    return [*results["sizes"].items(), *((f"{n} long", e) for n, e in results.get("long", {}).items())]


def rows(results: dict) -> list[tuple[str, ...]]:
    out = []
    for size, entry in measured(results):
        for name, res in {**entry.get("kb", {}), **entry.get("peers", {})}.items():
            if not res.get("walls_s"):
                out.append((size, LABELS.get(name, name), "-", "0", "-", "-", "-", res.get("note", "")))
                continue
            median = res["median_s"] if res["ok"] else None
            mb = res["out_bytes"] / 1e6 if res.get("out_bytes") else None
            note = res.get("note", "") or ("" if res["ok"] else f"failed: {res.get('stderr', '')[:80]}")
            out.append((size, LABELS.get(name, name), fmt(median), str(len(res["walls_s"])),
                        fmt(res["peak_rss_mb"], 0), fmt(mb, 1), fmt(res.get("out_files")), note))
    return out


def ratio_lines(results: dict) -> list[str]:
    lines = []
    for size, entry in measured(results):
        for key, value in entry.get("ratios", {}).items():
            lines.append(f"{size} notes: {key} = {fmt(value)}")
    for key, value in results.get("growth", {}).items():
        lines.append(f"growth {key}: x{fmt(value)}")
    return lines + search_lines(results)


def index_lines(size: str, entry: dict) -> list[str]:
    """kb's search index against its targets, next to Pagefind's figures from the same run."""
    index, kb = entry.get("search_index") or {}, entry.get("kb", {})
    if "clean" not in index:
        return [f"{size} notes: search index not timed: {index.get('skipped', 'not run')}"] if index else []
    with_search, without = ok(kb.get("clean")), ok(kb.get("clean_nosearch"))
    share = f"; clean build with search - without: {with_search - without:.1f} s" if with_search and without else ""
    pagefind = kb.get("pagefind") or {}
    theirs = (f"; Pagefind alone: {pagefind['median_s']:.1f} s, {pagefind['peak_rss_mb']:.0f} MB, and every edit "
              "re-indexes every page" if pagefind.get("ok") else "")
    edit, add = index["edit_one_note"], index.get("add_one_note")
    added = (f"; after adding one note {add['index_s']:.2f} s, {add['index_files_rewritten']} files rewritten"
             if add else "")
    return [f"{size} notes: kb search index {index['clean']['index_s']:.2f} s in a clean build (target <= 10 s at "
            f"10,000){share}; after editing one note {edit['index_s']:.2f} s (target <= 0.1 s), "
            f"{edit['index_files_rewritten']} of {edit['index_files']} index files rewritten{added}; "
            f"peak RSS of the whole clean build {fmt((kb.get('clean') or {}).get('peak_rss_mb'), 0)} MB "
            f"(target <= 1,024){theirs}"]


def ok(result: dict | None) -> float | None:
    return result["median_s"] if result and result.get("ok") else None


def search_lines(results: dict) -> list[str]:
    """Bytes a browser fetches for a first (cold) and a second query, per size, and the index's figures."""
    lines = [line for size, entry in results["sizes"].items() for line in index_lines(size, entry)]
    sites = [("bundled", results.get("bundled", {}))] + list(results["sizes"].items())
    for size, entry in sites:
        fetch = entry.get("search_fetch") or {}
        if "first_query" in fetch:
            first, second = fetch["first_query"], fetch["second_query"]
            lines.append(f"{size} notes: search fetches {first['bytes'] / 1000:.0f} KB for a first query "
                         f"({first['query']}; target <= 150 KB), {second['bytes'] / 1000:.0f} KB for a second "
                         f"({second['query']}; target <= 60 KB); first result "
                         f"{fetch['time_to_first_result_ms']:.0f} ms after navigation (median of "
                         f"{len(fetch.get('time_to_first_result_cold_loads_ms', [0]))} cold loads; the browser's "
                         f"first page {fetch.get('time_to_first_result_first_launch_ms', 0):.0f} ms), "
                         f"{fetch['typed_query_to_result_ms']:.0f} ms after typing "
                         "(target <= 300 ms)")
        elif fetch.get("skipped"):
            lines.append(f"{size} notes: search fetch not measured: {fetch['skipped']}")
    return lines


PROFILE_SCENARIOS = (("clean", "clean build"), ("edit_one_note", "rebuild after editing one note"))


def profile_lines(profile: dict) -> list[str]:
    """The profiled builds' top functions, by cumulative and by own time, as plain lines."""
    if "clean" not in profile:
        return [f"profile not taken: {profile.get('skipped', 'not run')}"] if profile else []
    lines = [f"profile ({profile['note']}):"]
    for name, label in PROFILE_SCENARIOS:
        run = profile[name]
        lines.append(f"{label}: {run['wall_s']:.1f} s under the profiler, {run['rendered']} of {run['files']} "
                     "files rendered")
        for order, title in (("by_cumulative", "cumulative"), ("by_own", "own")):
            lines.append(f"  top by {title} time (cumulative s / own s / calls / function):")
            lines += [f"    {r['cumulative_s']:8.2f} {r['own_s']:8.2f} {r['calls']:>9} {r['function']}"
                      for r in run[order]]
    return lines


def profile_markdown(results: dict) -> list[str]:
    out = []
    for size, entry in results["sizes"].items():
        profile = entry.get("profile") or {}
        if "clean" not in profile:
            continue
        out += [f"### Profile at {size} notes", "", f"In {profile['note']}.", ""]
        for name, label in PROFILE_SCENARIOS:
            run = profile[name]
            out += [f"{label.capitalize()}: {run['wall_s']:.1f} s under the profiler, {run['rendered']} of "
                    f"{run['files']} files rendered.", ""]
            for order, title in (("by_cumulative", "cumulative"), ("by_own", "own")):
                out += [f"Top by {title} time:", "", "| cumulative s | own s | calls | function |", "|---|---|---|---|"]
                out += [f"| {r['cumulative_s']:.2f} | {r['own_s']:.2f} | {r['calls']} | `{r['function']}` |"
                        for r in run[order]]
                out.append("")
    return out


def text_table(results: dict) -> str:
    table = [HEADER, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in table]
    profiles = []
    for size, entry in results["sizes"].items():
        if entry.get("profile"):
            profiles += [f"{size} notes:", *profile_lines(entry["profile"])]
    return "\n".join(lines + [""] + ratio_lines(results) + [""] + results.get("notes", []) + [""] + profiles)


def markdown(results: dict) -> str:
    meta = results["machine"]
    head = (f"Benchmark of {results['date']} on {meta['cpus']} CPUs, {meta['mem_gb']} GB RAM, "
            f"load average {meta['loadavg']} at start; kb {meta['kb']} ({meta['git']}), "
            f"{meta.get('hugo') or 'Hugo not installed'}, {meta.get('mkdocs') or 'MkDocs not installed'}.")
    table = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    table += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows(results)]
    extra = [f"- {line}" for line in ratio_lines(results) + results.get("notes", [])]
    return "\n".join([head, "", *table, "", *extra, "", *profile_markdown(results), f"Command: `{results['command']}`",
                      ""])
