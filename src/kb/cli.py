"""The `kb` command: a thin click layer over the stages."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb import DISTRIBUTION, exits
from kb.config import Settings, load_settings
from kb.console import echo, format_diagnostic, print_diagnostics, say
from kb.errors import KbError
from kb.exits import exit_codes_help, exit_status, failure
from kb.help_text import Failure, KbCommand, Translated, option
from kb.i18n import N_, _, ngettext, shown
from kb.models import RECORD_KINDS, Diagnostic, Severity
from kb.project import Project, build_project
from kb.text import printable_path

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
        raise click.UsageError(_("notes folder not found: {folder} (use --notes DIR)").format(folder=notes_dir))
    parsed = parse_notes(notes_dir, root, settings)
    return settings, parsed, config_problems + parsed.diagnostics


def load_index(notes: str | None):
    """Parsed notes and their linked records (kb.index.KnowledgeBase) of the project here."""
    from kb.index import build_index

    settings, parsed, _problems = load(notes)
    return parsed, build_index(parsed.records, settings)


class KbGroup(Translated, click.Group):
    command_class = KbCommand

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            raise failure(exc) from exc

notes_option = option("--notes", "notes", type=click.Path(file_okay=False), default=None,
                      help=_("notes folder (default: notes/ or kb.yaml's notes_dir)"))


MAIN_HELP = _("kb: paper notes in, typed records and a static site out.") + "\n\n\b\n" + _(
    'Start:      kb init [DIR]   then   kb serve\nEvery day:  kb new "Title" --url ARXIV   edit it   (kb serve shows '
    'it at once)')


@click.group(cls=KbGroup, epilog=exit_codes_help(), help=MAIN_HELP)
@click.version_option(package_name=DISTRIBUTION)
def main() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop_on_sigterm)


def stop_on_sigterm(signum, frame) -> None:
    """`kill` ends kb as Ctrl-C does: temporary folders are removed and child processes stopped."""
    raise SystemExit(128 + signum)


@main.command(help=_("Print every record (JSON Lines: one record per line)."))
@notes_option
@option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl", show_default=True)
def export(notes: str | None, fmt: str) -> None:
    parsed, knowledge = load_index(notes)
    records = [knowledge.by_id[r.id].model_dump(mode="json") for r in parsed.records]
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))


@main.command(help=_("List tags with their record counts (bookkeeping labels marked)."))
@notes_option
@option("--sort", type=click.Choice(["count", "name"]), default="count", show_default=True)
@option("--suggest", is_flag=True, help=_("propose tag_aliases for kb.yaml: typos, bracketed long forms, "
                                         "katakana readings (nothing is changed)"))
def tags(notes: str | None, sort: str, suggest: bool) -> None:
    groups = load_index(notes)[1].tags
    if suggest:
        print_suggestions(groups)
        return
    if sort == "count":
        groups = sorted(groups, key=lambda g: -g.count)  # stable: ties stay in name order
    bookkeeping = _("  (bookkeeping)")
    for group in groups:
        say(f"{group.count:5d}  {group.name}{bookkeeping if group.bookkeeping else ''}")


def print_suggestions(groups) -> None:
    """The tag_aliases lines to add to kb.yaml, each with its reason and rapidfuzz score."""
    from kb.index.tag_variants import suggest

    found = suggest([g for g in groups if not g.bookkeeping])
    if not found:
        click.echo(_("# no tag variants found"))
        return
    counts = {g.name: g.count for g in groups}
    click.echo(_("# Add to kb.yaml after checking each line (kb never folds these by itself):"))
    click.echo("tag_aliases:")
    for s in found:
        alias, name = yaml_key(s.alias), yaml_key(s.name)
        say(f"  {alias}: {name}  # " + _("{reason}, score {score}, {n} record(s)").format(
            reason=shown(REASONS.get(s.reason, s.reason)), score=format(s.score, ".1f"), n=counts.get(s.alias, 0)))


REASONS = {"bracketed long form": N_("bracketed long form"), "katakana reading": N_("katakana reading"),
           "typo": N_("typo"), "variant": N_("variant")}  # kb.index.tag_variants' reasons


def yaml_key(text: str) -> str:
    """A YAML scalar for a tag: quoted when it holds anything YAML would read otherwise."""
    import json

    plain = text and not any(c in text for c in ":#'\"[]{},&*!|>%@`") and text.strip() == text
    return text if plain and text[0] not in "-?" else json.dumps(text, ensure_ascii=False)


@main.command(help=_("Records per source note, kind, year and month."))
@notes_option
def stats(notes: str | None) -> None:
    knowledge = load_index(notes)[1]
    for title, counts in record_counts(knowledge.records).items():
        say(f"{title}:")
        for key, count in counts.items():
            say(f"  {count:5d}  {key}")


def record_counts(records) -> dict[str, dict[str, int]]:
    """Counts by source, kind, year and month; undated records under 日付なし."""
    from collections import Counter

    def month(r):
        return r.issue_date.strftime("%Y-%m") if r.issue_date else "日付なし"

    keys = {"source": lambda r: r.source.path, "kind": lambda r: r.kind,
            "year": lambda r: str(r.issue_date.year) if r.issue_date else "日付なし", "month": month}
    return {name: dict(sorted(Counter(key(r) for r in records).items())) for name, key in keys.items()}


@main.command(help=_("Report errors and warnings with file and line; exit 1 on errors."))
@notes_option
@option("--strict", is_flag=True, help=_("exit 1 on warnings too"))
@option("--json", "as_json", is_flag=True, help=_("print a JSON list of diagnostics"))
def check(notes: str | None, strict: bool, as_json: bool) -> None:
    from kb.addresses import link_warnings

    _settings, parsed, diagnostics = load(notes)
    diagnostics += link_warnings(project_root(), parsed, notes or "notes")
    if as_json:
        click.echo(json.dumps([d.model_dump(mode="json", exclude={"said"}) for d in diagnostics], ensure_ascii=False,
                              indent=2))  # English: the same JSON under every locale
    else:
        for diag in diagnostics:
            click.echo(format_diagnostic(diag), err=True)
        errors = sum(d.severity is Severity.ERROR for d in diagnostics)
        click.echo(_("{notes} notes, {records} records, {errors} errors, {warnings} warnings").format(
            notes=len(parsed.notes), records=len(parsed.records), errors=errors, warnings=len(diagnostics) - errors))
    sys.exit(exit_status(diagnostics, strict))


@main.command("search", help=_("Search titles, tags, authors and text: exact matches first, then near ones."))
@click.argument("query")
@notes_option
@option("--tag", default=None, help=_("only records with this tag"))
@option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m"]), default=None,
        help=_("only records dated on or after YYYY-MM-DD"))
@option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@option("--json", "as_json", is_flag=True, help=_("print results as JSON"))
def search_command(query: str, notes: str | None, tag: str | None, since, limit: int, as_json: bool) -> None:
    from kb.index import build_index
    from kb.search import search

    settings, parsed, _problems = load(notes)
    kb = build_index(parsed.records, settings)  # tags as aliased and dates as inferred: what the site shows
    hits = search(kb.records, query, tag=tag, since=since.date() if since else None, limit=limit)
    if as_json:
        click.echo(json.dumps([hit.as_dict() for hit in hits], ensure_ascii=False, indent=2))
        return
    near, undated = _("  (near match)"), _("no date")
    for hit in hits:
        item = hit.as_dict()
        say(f"{item['issue_date'] or undated}  {item['title']}{'' if hit.exact else near}\n"
            f"    {' '.join('#' + t for t in item['tags'])}  {item['path']}")
    if not hits:
        say(_("No note matches \"{query}\".").format(query=query), err=True)


@main.command("build", help=_("Render the static site (atomically replaces --out).") + "\n\n" + _(
    "A note with an error leaves the previous site as it was (exit 1) unless --keep-going."))
@option("--out", "out", type=click.Path(file_okay=False), default=None,
        help=_("output folder, replaced as a whole (default: site/ or kb.yaml's out_dir)"))
@notes_option
@option("--no-search", is_flag=True, help=_("skip the search index"))
@option("--clean", is_flag=True, help=_("replace --out even if kb did not write it; remove stale temp folders"))
@option("--keep-going", is_flag=True, help=_("publish the site without the notes that have errors (still exit 1)"))
@option("--watch", is_flag=True, help=_("then rebuild when a note, template or kb.yaml changes (Ctrl-C stops)"))
@option("--no-wait", is_flag=True, help=_("exit 3 at once when another build of the project or folder runs"))
@option("-q", "--quiet", is_flag=True, help=_("print errors only"))
@option("-v", "--verbose", is_flag=True, help=_("print every diagnostic and what the build reused"))
def build_command(out: str | None, notes: str | None, no_search: bool, clean: bool, keep_going: bool,
                  watch: bool, no_wait: bool, quiet: bool, verbose: bool) -> None:
    options = BuildOptions(out, notes, not no_search, keep_going, quiet, verbose, not no_wait)
    if not watch:
        sys.exit(build_once(options, clean, exits.keep_until_exit(one_shot_memory())))
    build_and_go_on(options, clean)
    from kb.watch import watch_and_rebuild

    project = Project.load(project_root(), notes, out)
    echo(_("watching {folder}, templates/ and kb.yaml for changes (Ctrl-C stops)").format(folder=project.notes_dir))

    def rebuild(changed: list[str]) -> None:
        from kb.serve import changed_line

        say(changed_line(changed))
        build_and_go_on(options, False)

    watch_and_rebuild(project.root, project.notes_dir, rebuild)


def build_and_go_on(options: BuildOptions, clean: bool) -> None:
    """One build for --watch: a broken template or a full disk is reported, and watching goes on."""
    try:
        build_once(options, clean)
    except KbError as exc:
        failure(exc).show()
    except click.ClickException as exc:
        exc.show()


@dataclass(frozen=True)
class BuildOptions:
    out: str | None = None
    notes: str | None = None
    search: bool = True
    keep_going: bool = False
    quiet: bool = False
    verbose: bool = False
    wait: bool = True


def one_shot_memory():
    """A one-shot build's Memory: its objects are left to the process's end (kb.exits)."""
    from kb.build import Memory

    return Memory(keep=False, idle=True)


def build_once(options: BuildOptions, clean: bool = False, memory=None) -> int:
    """One build of the project here: diagnostics and a summary printed, the exit status returned."""
    from kb.console import Progress, wants_progress

    root = project_root()
    config = config_bytes(root)  # before the settings are read from it (kb.replay.command_context)
    project = Project.load(root, options.notes, options.out)
    project, address_note = with_site_address(project)
    progress = Progress() if wants_progress() and not options.quiet else None
    try:
        result = build_project(project, options.search, clean, options.keep_going, progress, options.wait,
                               lambda message: click.echo(message, err=True), memory,
                               replay_command(root, options, config, address_note))
    finally:
        if progress:
            progress.close()
    return outcome(result, options, address_note)


def outcome(result, options: BuildOptions, address_note: str | None) -> int:
    """A build's result printed (diagnostics, summary, the site's address), and its exit status."""
    print_diagnostics(list(result.diagnostics), options.quiet, options.verbose)
    report_build(result, options)
    if address_note and not options.quiet:
        click.echo(address_note, err=True)
    return exit_status(list(result.diagnostics), False)


def config_bytes(root: Path) -> bytes | None | bool:
    """kb.yaml's bytes (None: no kb.yaml; False: unreadable, and no replay is kept)."""
    from kb.replay import read_config

    try:
        return read_config(root)
    except OSError:
        return False


def replay_command(root: Path, options: BuildOptions, config, address_note: str | None):
    """This command for kb.replay: how it is known, and how it prints a result (as `outcome`)."""
    from kb.replay import Command, command_context, printed

    if config is False:
        return None
    return Command(command_context(root, asdict(options), config),
                   lambda result: printed(lambda: outcome(result, options, address_note)))


def with_site_address(project: Project) -> tuple[Project, str | None]:
    """The project with its site's address when it can be known (kb.yaml, else GitHub Actions),
    and a line saying what was decided (None when kb.yaml sets it)."""
    from kb.urls import with_base_url

    settings, note = with_base_url(project.settings, os.environ)
    return replace(project, settings=settings), note


def report_build(result, options: BuildOptions) -> None:
    """The summary line (and, verbose, what was reused); quiet says only that nothing was published."""
    held, n = ", ".join(map(printable_path, result.held_back)), len(result.held_back)
    if not result.published:
        echo(ngettext("site not updated: {n} file with errors ({held}); the previous site is as it was. Fix it, "
                      "or publish the rest with --keep-going.",
                      "site not updated: {n} files with errors ({held}); the previous site is as it was. Fix them, "
                      "or publish the rest with --keep-going.", n).format(n=n, held=held), err=True)
        return
    if options.quiet:
        return
    errors = sum(d.severity is Severity.ERROR for d in result.diagnostics)
    echo(_("{notes} notes, {records} records -> {pages} pages, {files} files in {out}; {errors} errors, "
           "{warnings} warnings").format(notes=result.notes, records=result.records, pages=result.pages,
                                         files=len(result.files), out=result.out_dir, errors=errors,
                                         warnings=len(result.diagnostics) - errors))
    if result.held_back:
        echo(ngettext("published without {n} note with errors: {held}",
                      "published without {n} notes with errors: {held}", n).format(n=n, held=held))
    if result.rendered:  # the site changed: is it still one a static host takes?
        from kb.site_size import size_warning

        if too_big := size_warning(result.out_dir, result.site_bytes):
            echo(too_big, err=True)
    if options.verbose:
        echo(_("parsed {parsed} notes anew, rendered {rendered} files, reused {reused}; search index: {search}")
             .format(parsed=result.parsed, rendered=result.rendered, reused=result.reused, search=result.search))


@main.command("init", help=_("Start a knowledge base in FOLDER (default: here): kb.yaml, notes/ with an example note, "
                                ".gitignore, and a GitHub Pages workflow. Never overwrites a file."))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
def init_command(folder: Path) -> None:
    from kb.scaffold import Refused, init_project

    folder.mkdir(parents=True, exist_ok=True)
    try:
        written = init_project(folder)
    except Refused as exc:
        raise Failure(str(exc)) from exc
    for name in written:
        echo(f"  {folder / name}")
    go = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    echo(_("next: {go}kb serve    (then kb new \"Title\" --url ARXIV_URL adds a note)").format(go=go))


@main.command("new", help=_("Write a new note in the native format (front matter filled, standard sections empty) as "
                               "notes/<date>-<slug>.md and print its path. TITLE may be an arXiv id or URL (kb new "
                               "2402.12354): title, authors, abstract, year and date then come from the arXiv API. "
                               "Never overwrites a file."))
@click.argument("title")
@option("--url", default=None, help=_("the paper's URL, or an arXiv id (fills arxiv_id too)"))
@option("--tag", "tags", multiple=True, help=_("a tag (repeat for more)"))
@option("--kind", type=click.Choice(RECORD_KINDS), default="paper", show_default=True)
@option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help=_("issue_date YYYY-MM-DD (default: the paper's first version on arXiv, else today)"))
@option("--no-fetch", is_flag=True, help=_("with an arXiv id as TITLE: do not ask the arXiv API"))
@option("--edit", is_flag=True, help=_("open the note in $EDITOR"))
@notes_option
def new_command(title: str, url: str | None, tags: tuple[str, ...], kind: str, day, no_fetch: bool, edit: bool,
                notes: str | None) -> None:
    from kb.arxiv import paper_or_none
    from kb.scaffold import NewNote, Refused, arxiv_of, new_note

    project = Project.load(project_root(), notes)
    paper, arxiv_id = None, arxiv_of(title)
    if arxiv_id:
        url = url or arxiv_id
        paper = None if no_fetch else paper_or_none(arxiv_id, project.settings.arxiv_api)
    note = NewNote(title=paper.title if paper else title, url=url, tags=tags, kind=kind,
                   date=day.date() if day else None, paper=paper)
    try:
        path = new_note(project.notes_dir, note)
    except Refused as exc:
        raise Failure(str(exc)) from exc
    click.echo(path.relative_to(project.root) if path.is_relative_to(project.root) else path)
    if paper and paper.category:
        echo(_("arXiv's primary category is {category}: add it to tags if it fits").format(category=paper.category),
             err=True)
    if edit:
        click.edit(filename=str(path))


@main.command("serve", help=_("Build, serve the site on 127.0.0.1 and rebuild on every change to a note, a template or "
                                 "kb.yaml; open pages reload by themselves, and show an error overlay while a note is "
                                 "broken (the last good pages stay served). Ctrl-C stops."))
@notes_option
@option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
        help=_("port on 127.0.0.1 (0: any free port)"))
@option("--open", "open_browser", is_flag=True, help=_("open the site in the web browser"))
@option("--no-search", is_flag=True, help=_("skip the search index"))
def serve_command(notes: str | None, port: int, open_browser: bool, no_search: bool) -> None:
    from kb.serve import serve

    serve(project_root(), notes, port, not no_search, open_browser)
