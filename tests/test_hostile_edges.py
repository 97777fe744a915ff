"""Hostile input, round 3 (issue #19), rows 6, 8, 9 and 10 of its table, each as the attacker tried
it: a note with 10,000 tags, kb.yaml folders outside the project, requests to a real `kb serve`
from another Host or with broken paths, a newline in a file name, non-web addresses."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NOTES
from kb.cli import main

TAGS_NOTE = "---\ntitle: Ten Thousand Tags\nkind: paper\ntags: [{tags}]\n---\n## summary\nタグだらけ。\n"


def run(root: Path, *args: str):
    here = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def site_bytes(site: Path) -> int:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


def test_ten_thousand_tags_make_a_site_of_a_few_megabytes(project):
    """Row 6: a 93 KB note with 10,000 tags made a 6.0 GB site (10,000 tag pages, each listing all
    10,000 tags). Now its first 50 are tags, the rest text in one section, with a warning."""
    note = TAGS_NOTE.format(tags=", ".join(f"tg{n:04d}x" for n in range(10_000)))
    assert 90_000 < len(note.encode()) < 100_000
    (project / "notes" / "tags.md").write_text(note, encoding="utf-8")
    done = run(project, "build", "--no-search")
    assert done.exit_code == 0, done.output
    assert ("notes/tags.md:1: warning: 10,000 tags on one record: the first 50 are its tags (each has a page), "
            "the other 9,950 are kept as text in its section 'その他のタグ'") in done.output
    site = project / "site"
    assert len([p for p in (site / "tags").iterdir() if p.name.startswith("tg0")]) == 50
    page = (site / "records" / "tags" / "index.html").read_text(encoding="utf-8")  # named by its file, tags.md
    assert "tg9999x" in page  # every tag is still on the record's page, as text
    entry = (site / "tags" / "tg0000x" / "index.html").read_text(encoding="utf-8")
    assert entry.count('class="tag"') == 6 and ">+43</span>" in entry  # 50 tags less the page's own: 6 shown, +43
    assert site_bytes(site) - site_bytes_without(project) < 3_000_000


def site_bytes_without(project: Path) -> int:
    """The same site without the tags note (built in a copy)."""
    other = project.parent / "without"
    shutil.copytree(project / "notes", other / "notes", ignore=shutil.ignore_patterns("tags.md"))
    done = run(other, "build", "--no-search", "--out", str(other / "site"))
    assert done.exit_code == 0, done.output
    return site_bytes(other / "site")


def test_a_site_over_the_pages_limit_is_warned(project, monkeypatch):
    monkeypatch.setattr("kb.site_size.PAGES_LIMIT", 1_000_000)  # the bundled site is ~10 MB
    done = run(project, "build", "--no-search")
    assert done.exit_code == 0
    assert "warning: the site is 0.0" in done.output and "over GitHub Pages' limit" in done.output


def test_the_size_warned_of_is_the_size_of_the_site_as_written(project, monkeypatch):
    """The size comes from the write stage's listing of the site (walking 80,000 files took 1.2 s of
    a one-note rebuild at 10,000 notes): after a clean build, an edit and a removed note, it is
    what walking the site counts, file by file."""
    from kb.build import build_site
    from kb.config import Settings

    out = project / "site"
    first = build_site(project, Settings(), out, search=False)
    assert first.site_bytes == site_bytes(out) > 5_000_000
    note = project / "notes" / "000_7ec92ae646da1197.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\n追記: サイズを数える一行。\n" * 40, encoding="utf-8")
    edited = build_site(project, Settings(), out, search=False)
    assert edited.rendered > 0 and edited.site_bytes == site_bytes(out) > first.site_bytes
    note.unlink()
    removed = build_site(project, Settings(), out, search=False)
    assert removed.site_bytes == site_bytes(out) < first.site_bytes
    monkeypatch.setattr("kb.site_size.PAGES_LIMIT", removed.site_bytes - 1)
    (project / "notes" / "size.md").write_text("---\ntitle: Size\n---\n## summary\n一行。\n", encoding="utf-8")
    done = run(project, "build", "--no-search")
    assert done.exit_code == 0 and "over GitHub Pages' limit" in done.output


@pytest.mark.parametrize(("key", "value", "flag"), [("notes_dir", "../secret", "--notes"),
                                                    ("out_dir", "/tmp/kb-hostile-out", "--out")])
def test_kb_yaml_cannot_lead_out_of_the_project(project, key, value, flag):
    """Row 8: `notes_dir: ../secret` published files from outside; `out_dir: /somewhere` wrote there."""
    secret = project.parent / "secret"
    shutil.copytree(NOTES, secret)
    (project / "kb.yaml").write_text(f"title: x\n{key}: {value}\n", encoding="utf-8")
    done = run(project, "build", "--no-search")
    assert done.exit_code == 1
    assert (f"kb.yaml:2: error: {key} '{value}' is outside the project folder; kb.yaml may only name folders "
            f"inside it (give {flag} DIR on the command line to use another)") in done.output
    assert not (project / "site").exists() and not Path("/tmp/kb-hostile-out").exists()
    assert run(project, "check").exit_code == 1


def test_a_folder_outside_is_fine_from_the_command_line(project):
    outside = project.parent / "elsewhere"
    shutil.copytree(NOTES, outside)
    done = run(project, "build", "--no-search", "--notes", str(outside), "--out", str(project.parent / "out"))
    assert done.exit_code == 0, done.output
    assert (project.parent / "out" / "index.html").is_file()


def test_base_url_must_be_a_web_address(project):
    """Row 10: `base_url: javascript:alert(1)//` went into canonical links, og:url and feeds."""
    (project / "kb.yaml").write_text('title: x\nbase_url: "javascript:alert(1)//"\n', encoding="utf-8")
    done = run(project, "check")
    assert done.exit_code == 1
    assert ("kb.yaml:2: error: kb.yaml: base_url must be an http(s) address like https://example.github.io/papers/,"
            " not 'javascript:alert(1)//'") in done.output


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "file:///etc/passwd"])
def test_a_note_url_that_is_not_http_is_warned(project, url):
    (project / "notes" / "bad-url.md").write_text(f"---\ntitle: Bad Link\nkind: paper\nurl: \"{url}\"\n---\n"
                                                  "## summary\n本文。\n", encoding="utf-8")
    done = run(project, "check")
    assert ("notes/bad-url.md:1: warning: url of 'Bad Link' is not an http(s) address: kb does not link it "
            "(write the paper's https:// address)") in done.output


def test_a_newline_in_a_file_name_prints_as_an_escape(project):
    """Row 10: a newline in a note's name printed one diagnostic on two lines."""
    (project / "notes" / "two\nlines.md").write_text("---\ntitle: Broken\nkind: papr\n---\n本文。\n", encoding="utf-8")
    done = run(project, "check")
    [line] = [line for line in done.output.splitlines() if "lines.md" in line and "kind" in line]
    assert line.startswith("notes/two\\nlines.md:3: error:")


class Served:
    """`kb serve --port 0` in a subprocess; its port from the line it prints."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", "0", "--no-search"], cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.seen: list[str] = []
        for line in self.proc.stdout:
            self.seen.append(line)
            if "http://127.0.0.1:" in line:
                self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
                return
        raise AssertionError("".join(self.seen))

    def get(self, path: str, host: str | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{self.port}")
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        rest, _ = self.proc.communicate(timeout=60)
        return "".join(self.seen) + rest


def test_kb_serve_answers_only_its_own_host_and_good_paths(project):
    """Row 9: `GET /%00` and a 300-byte name gave an empty reply and a traceback; any Host was served."""
    served = Served(project)
    try:
        assert served.get("/") == 200
        assert served.get("/", f"localhost:{served.port}") == 200
        assert served.get("/", "attacker.example") == 403
        assert served.get("/__kb/events", f"attacker.example:{served.port}") == 403
        assert served.get("/", f"127.0.0.1:{served.port + 1}") == 403
        assert served.get("/%00") == 400
        assert served.get("/%ff.html") == 400
        assert served.get("/" + "a" * 300) == 404
        assert served.get("/tags/" + "%E3%81%82" * 100 + "/") == 404
        assert served.get("/no-such-page.html") == 404
    finally:
        output = served.stop()
    assert "Traceback" not in output


def test_every_note_in_error_or_none_builds_without_a_traceback(tmp_path):
    """Row 7, its part outside the search index: every note in error under --keep-going, and an
    empty notes folder, build a site (exit 1 and 0), never a traceback."""
    root = tmp_path / "project"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "bad.md").write_text("---\ntitle: B\nkind: papr\n---\n本文。\n", encoding="utf-8")
    done = run(root, "build", "--keep-going", "--no-search")
    assert done.exit_code == 1 and "published without 1 note with errors: notes/bad.md" in done.output
    (root / "notes" / "bad.md").unlink()
    done = run(root, "build", "--no-search")
    assert done.exit_code == 0 and "0 notes, 0 records" in done.output
    assert (root / "site" / "index.html").is_file()
