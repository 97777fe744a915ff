"""`kb serve`: build, serve the site on 127.0.0.1, rebuild on every change, reload open pages.

The site is built into the project's output folder exactly as `kb build` builds it (the same
cache, the same publish rule), and served from there by the standard library's HTTP server.
Only while serving, each HTML page gets a small script (`/__kb/live.js`) that listens to
server-sent events on `/__kb/events`: a new site version reloads the page; a build with errors
shows an overlay with each error's `file:line` and message, while the last good site stays
served (a note with an error is never published, see kb.build). The files on disk never carry
the script.
"""

from __future__ import annotations

import functools
import json
import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from kb.i18n import _
from kb.models import Diagnostic

if TYPE_CHECKING:
    from kb.build import Memory

EVENTS = "/__kb/events"
OWN_HOSTS = ("127.0.0.1", "localhost")  # the address kb serve binds, and its name
MAX_NAME = 255  # bytes in one file name (ext4, APFS, NTFS)
MAX_PATH = 4096
CONTROL = re.compile("[\x00-\x1f\x7f]")
SCRIPT = "/__kb/live.js"
PING_SECONDS = 15.0


@dataclass
class LiveState:
    """What open pages are told: the site's version (bumped on every published change) and the
    errors of the latest build (empty when it published). Handlers wait on `changed`."""

    version: int = 1
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # new in the latest build: the notes just changed
    moved: dict[str, str] = field(default_factory=dict)  # old record page -> where it went (kb.addresses)
    closed: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, new_site: bool, errors: list[dict], warnings: list[dict] | None = None) -> None:
        with self.changed:
            self.version += 1 if new_site else 0
            self.errors = errors
            self.warnings = warnings or []
            self.changed.notify_all()

    def told(self) -> tuple[int, list, list]:
        return self.version, self.errors, self.warnings

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def message(self) -> bytes:
        data = json.dumps({"version": self.version, "errors": self.errors, "warnings": self.warnings},
                          ensure_ascii=False)
        return f"event: state\ndata: {data}\n\n".encode()

    def wait(self, seen: tuple[int, list, list] | None) -> tuple[bytes, tuple[int, list, list]] | None:
        """(the state message, the state it tells) once it differs from `seen`, or (b'', seen)
        after a quiet while (a ping keeps the stream open); None once the server stops."""
        with self.changed:
            self.changed.wait_for(lambda: self.closed or self.told() != seen, PING_SECONDS)
            if self.closed:
                return None
            now = self.told()
            return (b"", now) if now == seen else (self.message(), now)


def entry(d: Diagnostic) -> dict:
    return {"where": f"{d.path}:{d.line}" if d.line else d.path, "message": d.shown()}  # in kb serve's language


def error_entries(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], severity: str = "error") -> list[dict]:
    return [entry(d) for d in diagnostics if d.severity.value == severity]


def live_script() -> bytes:
    return resources.files("kb").joinpath("live.js").read_bytes()


def inject(html: bytes, version: int) -> bytes:
    """The page with the live-reload script before </body> (or at the end)."""
    tag = f'<script src="{SCRIPT}" data-version="{version}"></script>'.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


class LiveHandler(SimpleHTTPRequestHandler):
    """Static files from the site folder, never cached; pages with the script; the event stream."""

    state: LiveState

    def log_message(self, *args) -> None:  # the terminal shows builds, not requests
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        refused = self.refusal()
        if refused:
            return self.send_error(*refused)
        try:
            self.answer_get()
        except (OSError, ValueError):  # a name the file system refuses: no such page, never a traceback
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_HEAD(self) -> None:
        refused = self.refusal()
        if refused:
            return self.send_error(*refused)
        try:
            super().do_HEAD()
        except (OSError, ValueError):
            self.send_error(HTTPStatus.NOT_FOUND)

    def refusal(self) -> tuple[HTTPStatus, str] | None:
        """Why this request gets no page: another Host (a page elsewhere reaching this server through
        DNS rebinding), a path that is no UTF-8 or holds control characters, or a name too long to be
        a file; None to answer it."""
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or f"127.0.0.1:{port}").strip().lower()
        if host not in {f"{name}{suffix}" for name in OWN_HOSTS for suffix in ("", f":{port}")}:
            return HTTPStatus.FORBIDDEN, f"kb serve answers only http://127.0.0.1:{port}/ and http://localhost:{port}/"
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            return HTTPStatus.BAD_REQUEST, "the path is not UTF-8"
        if CONTROL.search(decoded):
            return HTTPStatus.BAD_REQUEST, "control character in the path"
        if len(path) > MAX_PATH or any(len(part.encode()) > MAX_NAME for part in decoded.split("/")):
            return HTTPStatus.NOT_FOUND, "no file has so long a name"
        return None

    def answer_get(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == EVENTS:
            return self.stream_events()
        if path == SCRIPT:
            return self.send_bytes(live_script(), "text/javascript; charset=utf-8")
        page = self.page_file(path)
        if page is None:
            return super().do_GET()
        try:
            html = page.read_bytes()
        except OSError:  # swapped out meanwhile: let the default handler answer
            return super().do_GET()
        self.send_bytes(inject(html, self.state.version), "text/html; charset=utf-8")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing page: where its record moved to (an open page follows it), else the site's own 404.html."""
        if code != HTTPStatus.NOT_FOUND or self.command != "GET":
            return super().send_error(code, message, explain)
        path = unquote(self.path.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
        moved = self.state.moved.get(path if path.endswith(".html") else path + "index.html")
        if moved:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/" + quote(moved.removesuffix("index.html")))
            self.send_header("Content-Length", "0")
            return self.end_headers()
        try:
            html = Path(self.directory, "404.html").read_bytes()
        except OSError:
            return super().send_error(code, message, explain)
        self.send_bytes(inject(html.replace(b"<head>", b'<head><base href="/">', 1), self.state.version),
                        "text/html; charset=utf-8", code)

    def page_file(self, path: str) -> Path | None:
        """The HTML file a GET for `path` serves (index.html of a folder), else None."""
        local = Path(self.translate_path(path))
        if local.is_dir() and path.endswith("/"):
            local = local / "index.html"
        return local if local.suffix == ".html" and local.is_file() else None

    def send_bytes(self, body: bytes, content_type: str, status: int = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream_events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = None
        try:
            while (told := self.state.wait(seen)) is not None:
                message, seen = told
                self.wfile.write(message or b": ping\n\n")
                self.wfile.flush()
        except OSError:  # the page went away
            pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    serving = False


def bind_server(site: Path, state: LiveState, port: int) -> SiteServer:
    """A server for `site` on 127.0.0.1:port (0: any free port), bound but not serving yet."""
    handler = type("Handler", (LiveHandler,), {"state": state})
    return SiteServer(("127.0.0.1", port), functools.partial(handler, directory=str(site)))


def start_server(server: SiteServer) -> None:
    server.serving = True
    threading.Thread(target=server.serve_forever, name="kb-serve", daemon=True).start()


def stop_server(server: SiteServer, state: LiveState) -> None:
    state.close()
    if server.serving:  # shutdown() waits for serve_forever: never call it on a server never started
        server.shutdown()
    server.server_close()


def elapsed(since: float) -> str:
    return f"{time.perf_counter() - since:.2f} s"


# --- the loop: build, serve, watch, rebuild -------------------------------------------------------

def new_memory() -> Memory:
    from kb.build import Memory

    return Memory(idle=True)  # run_server calls let_go when idle


@dataclass
class Session:
    """One `kb serve`: how to load the project (kb.yaml may change meanwhile) and build it."""

    root: Path
    notes: str | None
    search: bool
    state: LiveState = field(default_factory=LiveState)
    files: tuple[str, ...] = ()
    memory: Memory = field(default_factory=lambda: new_memory())  # the build state between rebuilds (kb.build)
    warnings: list[dict] | None = None  # the last build's (None before the first)

    def news(self, diagnostics, changed: tuple[str, ...]) -> list[Diagnostic]:
        """The warnings to tell: those of the notes just changed, and any the last build did not have
        (none after the first build: the notes' standing warnings are kb check's to list)."""
        warnings = [d for d in diagnostics if d.severity.value == "warning"]
        before, self.warnings = self.warnings, [entry(d) for d in warnings]
        if before is None:
            return []
        return [d for d in warnings if d.path in changed or entry(d) not in before]

    def project(self):
        from kb.project import Project

        return Project.load(self.root, self.notes)

    def build(self, keep_going: bool = False, changed: tuple[str, ...] = ()) -> None:
        """Build once; tell open pages (reload, or the errors) and the terminal what came of it."""
        from kb.addresses import moved_pages
        from kb.console import echo, print_diagnostics
        from kb.errors import KbError
        from kb.project import build_project

        started = time.perf_counter()
        try:
            result = build_project(self.project(), self.search, keep_going=keep_going,
                                   waiting=lambda message: echo(message, err=True), memory=self.memory)
        except KbError as exc:  # a template error: the last good site stays served
            self.state.publish(False, [{"where": "", "message": str(exc)}])
            echo(_("build failed, still serving the last good site: {reason}").format(reason=exc), err=True)
            return
        new_site = result.published and (result.rendered > 0 or result.files != self.files)
        if result.published and self.files:
            self.state.moved.update(moved_pages(self.files, result.files))
        self.files = result.files if result.published else self.files
        fresh = self.news(result.diagnostics, changed)
        self.state.publish(new_site, error_entries(result.diagnostics), [entry(d) for d in fresh])
        print_diagnostics([d for d in result.diagnostics if d.severity.value == "error"] + fresh, quiet=False,
                          verbose=False)
        if not result.published:
            echo(_("not published (errors above), still serving the last good site [{time}]").format(
                time=elapsed(started)), err=True)
        else:
            echo(_("built {rendered} of {files} files [{time}]").format(rendered=result.rendered,
                                                                        files=len(result.files), time=elapsed(started)))


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def serving_mode():
    """While serving: Ctrl-C and SIGTERM stop it (also when started with SIGINT ignored, as by
    `kb serve &`), and a replaced site is removed in the background so a page shows sooner."""
    from kb import write

    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    defer = write.DEFER_CLEANUP
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    write.DEFER_CLEANUP = 0
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
        write.DEFER_CLEANUP = defer


def serve(root: Path, notes: str | None, port: int, search: bool, open_browser: bool) -> None:
    """Build, then serve and rebuild on every change until Ctrl-C; no temporary folder is left."""
    import click

    from kb.console import echo

    session = Session(root, notes, search)
    project = session.project()
    try:  # the port first: a port in use is said at once, not after a build
        server = bind_server(project.out_dir, session.state, port)
    except OSError as exc:
        raise click.UsageError(_("cannot serve on 127.0.0.1:{port}: {reason} (try --port)").format(
            port=port, reason=exc.strerror)) from exc
    with serving_mode():
        try:
            first_build(session, project.out_dir)
            run_server(session, project, server, open_browser)
        except KeyboardInterrupt:
            pass
        finally:
            stop_server(server, session.state)
            remove_own_leftovers(project.out_dir)
    echo(_("stopped"))


def remove_own_leftovers(out_dir: Path) -> None:
    """This process's temporary folders beside the site: a replaced site whose removal, in the
    background, is still under way when kb serve stops (a build never leaves others)."""
    import os
    import shutil

    from kb.folders import OLD_TAG, TMP_TAG, leftovers

    mine = (f"{OLD_TAG}{os.getpid()}-", f"{TMP_TAG}{os.getpid()}-")
    for path in leftovers(out_dir.resolve(), all_of_them=True):
        if any(tag in path.name for tag in mine):
            shutil.rmtree(path, ignore_errors=True)


def run_server(session: Session, project, server: SiteServer, open_browser: bool) -> None:
    """Serve, watch and rebuild until Ctrl-C."""
    import webbrowser

    from kb.console import echo
    from kb.watch import watch_and_rebuild

    start_server(server)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    echo(_("serving {url} from {folder}; watching notes, templates and kb.yaml (Ctrl-C stops)").format(
        url=url, folder=project.out_dir))
    if open_browser:
        webbrowser.open(url)
    watch_and_rebuild(project.root, project.notes_dir, lambda changed: rebuilt(session, changed),
                      idle=session.memory.let_go)  # what a build made is freed once the pages have it


def first_build(session: Session, out_dir: Path) -> None:
    """Build; with errors and no site yet, build the rest (--keep-going) so there is one to show."""
    from kb.help_text import Failure

    session.build()
    if not (out_dir / "index.html").is_file():
        session.build(keep_going=True)
    if not (out_dir / "index.html").is_file():
        raise Failure(_("nothing to serve: fix the errors above and run kb serve again"))


def changed_line(changed: list[str]) -> str:
    return _("changed: {files}").format(files=", ".join(changed[:5]) + (" ..." if len(changed) > 5 else ""))


def rebuilt(session: Session, changed: list[str]) -> None:
    from kb.console import echo

    echo(changed_line(changed))
    session.build(changed=tuple(changed))
