"""The `kb` command: a thin click layer over the stages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.config import Settings, load_settings
from kb.models import Diagnostic, Severity

if TYPE_CHECKING:
    from kb.records import Parsed


def project_root() -> Path:
    return Path.cwd()


def load(notes: str | None) -> tuple[Settings, Parsed, list[Diagnostic]]:
    """Settings and parsed notes of the project in the current directory."""
    from kb.records import parse_notes

    root = project_root()
    settings, config_problems = load_settings(root)
    notes_dir = Path(notes) if notes else root / settings.notes_dir
    if not notes_dir.is_dir():
        raise click.UsageError(f"notes folder not found: {notes_dir} (use --notes DIR)")
    parsed = parse_notes(notes_dir, root, settings)
    return settings, parsed, config_problems + parsed.diagnostics


def load_index(notes: str | None):
    """Parsed notes and their linked records (kb.index.KnowledgeBase) of the project here."""
    from kb.index import build_index

    settings, parsed, _ = load(notes)
    return parsed, build_index(parsed.records, settings)


def format_diagnostic(diag: Diagnostic) -> str:
    where = f"{diag.path}:{diag.line}" if diag.line else diag.path
    text = f"\n    {diag.text[:200]}" if diag.text else ""
    return f"{where}: {diag.severity.value}: {diag.message}{text}"


notes_option = click.option("--notes", "notes", type=click.Path(file_okay=False), default=None,
                            help="notes folder (default: notes/ or kb.yaml's notes_dir)")


@click.group()
@click.version_option(package_name="kb")
def main() -> None:
    """kb: paper notes in, typed records and a static site out."""


@main.command()
@notes_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl", show_default=True)
def export(notes: str | None, fmt: str) -> None:
    """Print every record (JSON Lines: one record per line)."""
    parsed, knowledge = load_index(notes)
    records = [knowledge.by_id[r.id].model_dump(mode="json") for r in parsed.records]
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))


@main.command()
@notes_option
@click.option("--sort", type=click.Choice(["count", "name"]), default="count", show_default=True)
def tags(notes: str | None, sort: str) -> None:
    """List tags with their record counts."""
    groups = load_index(notes)[1].tags
    if sort == "count":
        groups = sorted(groups, key=lambda g: -g.count)  # stable: ties stay in name order
    for group in groups:
        click.echo(f"{group.count:5d}  {group.name}")


@main.command()
@notes_option
def stats(notes: str | None) -> None:
    """Records per source note, kind, year and month."""
    knowledge = load_index(notes)[1]
    for title, counts in record_counts(knowledge.records).items():
        click.echo(f"{title}:")
        for key, count in counts.items():
            click.echo(f"  {count:5d}  {key}")


def record_counts(records) -> dict[str, dict[str, int]]:
    """Counts by source, kind, year and month; undated records under 日付なし."""
    from collections import Counter

    def month(r):
        return r.issue_date.strftime("%Y-%m") if r.issue_date else "日付なし"

    keys = {"source": lambda r: r.source.path, "kind": lambda r: r.kind,
            "year": lambda r: str(r.issue_date.year) if r.issue_date else "日付なし", "month": month}
    return {name: dict(sorted(Counter(key(r) for r in records).items())) for name, key in keys.items()}


@main.command()
@notes_option
@click.option("--strict", is_flag=True, help="exit 1 on warnings too")
@click.option("--json", "as_json", is_flag=True, help="print a JSON list of diagnostics")
def check(notes: str | None, strict: bool, as_json: bool) -> None:
    """Report errors and warnings with file and line; exit 1 on errors."""
    _, parsed, diagnostics = load(notes)
    if as_json:
        click.echo(json.dumps([d.model_dump(mode="json") for d in diagnostics], ensure_ascii=False, indent=2))
    else:
        for diag in diagnostics:
            click.echo(format_diagnostic(diag), err=True)
        errors = sum(d.severity is Severity.ERROR for d in diagnostics)
        click.echo(f"{len(parsed.notes)} notes, {len(parsed.records)} records, "
                   f"{errors} errors, {len(diagnostics) - errors} warnings")
    sys.exit(exit_status(diagnostics, strict))


def exit_status(diagnostics: list[Diagnostic], strict: bool) -> int:
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return 1
    return 1 if strict and diagnostics else 0


@main.command("search")
@click.argument("query")
@notes_option
@click.option("--tag", default=None, help="only records with this tag")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m"]), default=None,
              help="only records dated on or after YYYY-MM-DD")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print results as JSON")
def search_command(query: str, notes: str | None, tag: str | None, since, limit: int, as_json: bool) -> None:
    """Search titles, tags, authors and text: exact matches first, then near ones."""
    from kb.search import search

    _, parsed, _ = load(notes)
    hits = search(parsed.records, query, tag=tag, since=since.date() if since else None, limit=limit)
    if as_json:
        click.echo(json.dumps([hit.as_dict() for hit in hits], ensure_ascii=False, indent=2))
        return
    for hit in hits:
        item = hit.as_dict()
        mark = "" if hit.exact else "  (近い一致)"
        click.echo(f"{item['issue_date'] or '日付なし'}  {item['title']}{mark}\n"
                   f"    {' '.join('#' + t for t in item['tags'])}  {item['path']}")
    if not hits:
        click.echo(f"「{query}」に一致するノートはありません。", err=True)


@main.command("build")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="output folder, replaced as a whole (default: site/ or kb.yaml's out_dir)")
@notes_option
@click.option("--no-search", is_flag=True, help="skip the Pagefind search index (no npm needed)")
@click.option("--clean", is_flag=True, help="replace --out even if kb did not write it; remove stale temp folders")
@click.option("--watch", is_flag=True, help="then rebuild when a note, template or kb.yaml changes (Ctrl-C stops)")
def build_command(out: str | None, notes: str | None, no_search: bool, clean: bool, watch: bool) -> None:
    """Render the static site (atomically replaces --out); exit 1 when a note had an error."""
    status = build_once(out, notes, no_search, clean)
    if not watch:
        sys.exit(status)
    from kb.watch import watch_and_rebuild

    root = project_root()
    notes_dir = Path(notes) if notes else root / load_settings(root)[0].notes_dir
    click.echo(f"watching {notes_dir}, templates/ and kb.yaml for changes (Ctrl-C stops)")

    def rebuild(changed: list[str]) -> None:
        click.echo(f"changed: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
        try:
            build_once(out, notes, no_search, False)
        except click.ClickException as exc:  # a broken template: say so and keep watching
            exc.show()

    watch_and_rebuild(root, notes_dir, rebuild)


def build_once(out: str | None, notes: str | None, no_search: bool, clean: bool) -> int:
    """One build of the project in the current directory: errors and a summary printed, exit status returned."""
    from kb.build import BuildError, build_site
    from kb.render import RenderError
    from kb.write import WriteError

    root = project_root()
    settings, config_problems = load_settings(root)
    notes_dir = Path(notes) if notes else root / settings.notes_dir
    if not notes_dir.is_dir():
        raise click.UsageError(f"notes folder not found: {notes_dir} (use --notes DIR)")
    out_dir = Path(out) if out else root / settings.out_dir
    try:
        result = build_site(root, settings, out_dir, notes_dir, search=not no_search, clean=clean)
    except (BuildError, RenderError, WriteError) as exc:
        raise click.ClickException(str(exc)) from exc
    diagnostics = config_problems + list(result.diagnostics)
    for diag in diagnostics:
        if diag.severity is Severity.ERROR:
            click.echo(format_diagnostic(diag), err=True)
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    click.echo(f"{result.notes} notes, {result.records} records -> {result.pages} pages, {len(result.files)} files "
               f"in {out_dir}; {errors} errors, {len(diagnostics) - errors} warnings (details: kb check)")
    return exit_status(diagnostics, False)
