"""The results as a plain-text table (stdout) and a Markdown table (bench/results/latest.md)."""

from __future__ import annotations

LABELS = {
    "clean": "kb clean build (with search index)",
    "clean_nosearch": "kb clean build --no-search",
    "nochange_nosearch": "kb --no-search rebuild, nothing changed",
    "edit_note_nosearch": "kb --no-search rebuild after editing one note",
    "pagefind": "kb search index (Pagefind step alone)",
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


def rows(results: dict) -> list[tuple[str, ...]]:
    out = []
    for size, entry in results["sizes"].items():
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
    for size, entry in results["sizes"].items():
        for key, value in entry.get("ratios", {}).items():
            lines.append(f"{size} notes: {key} = {fmt(value)}")
    for key, value in results.get("growth", {}).items():
        lines.append(f"growth {key}: x{fmt(value)}")
    return lines + search_lines(results)


def search_lines(results: dict) -> list[str]:
    """Bytes a browser fetches for a first (cold) and a second query, per size."""
    lines = []
    sites = [("bundled", results.get("bundled", {}))] + list(results["sizes"].items())
    for size, entry in sites:
        fetch = entry.get("search_fetch") or {}
        if "first_query" in fetch:
            first, second = fetch["first_query"], fetch["second_query"]
            lines.append(f"{size} notes: search fetches {first['bytes'] / 1000:.0f} KB for a first query "
                         f"({first['query']}), {second['bytes'] / 1000:.0f} KB for a second ({second['query']}); "
                         f"first result after {fetch['time_to_first_result_ms']:.0f} ms")
        elif fetch.get("skipped"):
            lines.append(f"{size} notes: search fetch not measured: {fetch['skipped']}")
    return lines


def text_table(results: dict) -> str:
    table = [HEADER, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in table]
    return "\n".join(lines + [""] + ratio_lines(results) + [""] + results.get("notes", []))


def markdown(results: dict) -> str:
    meta = results["machine"]
    head = (f"Benchmark of {results['date']} on {meta['cpus']} CPUs, {meta['mem_gb']} GB RAM, "
            f"load average {meta['loadavg']} at start; kb {meta['kb']} ({meta['git']}), "
            f"{meta.get('hugo') or 'Hugo not installed'}, {meta.get('mkdocs') or 'MkDocs not installed'}.")
    table = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    table += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows(results)]
    extra = [f"- {line}" for line in ratio_lines(results) + results.get("notes", [])]
    return "\n".join([head, "", *table, "", *extra, "", f"Command: `{results['command']}`", ""])
