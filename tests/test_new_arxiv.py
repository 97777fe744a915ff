"""`kb new 2402.12354` fills the note from the arXiv API (issue 20, point 5), against a local HTTP
server replaying a recorded Atom answer (hand-written from arXiv's documented format; tests never
use the network)."""

import datetime as dt
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import arxiv
from kb.cli import main

ANSWERS = Path(__file__).parent / "arxiv"
ABSTRACT = ("In this paper, we show that Low Rank Adaptation (LoRA) as originally introduced in Hu et al. (2021) "
            "leads to suboptimal finetuning of models with large width (embedding dimension).")


class Replay(BaseHTTPRequestHandler):
    answer = b""
    requests: list[tuple[str, str]] = []

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("User-Agent", "")))
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.fixture()
def api():
    """A local server answering every query with a recorded Atom feed (set `.answer`)."""
    handler = type("Handler", (Replay,), {"answer": (ANSWERS / "2402.12354.atom").read_bytes(), "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/api/query"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def use_api(project: Path, url: str) -> None:
    (project / "kb.yaml").write_text(f"arxiv_api: {url}\n", encoding="utf-8")


def run(*args):
    return CliRunner().invoke(main, list(args))


def exported(project: Path) -> dict:
    import json

    [record] = [json.loads(line) for line in run("export").output.splitlines()]
    return record


def test_new_from_an_arxiv_id_fills_the_note_from_the_api(project, api):
    handler, url = api
    use_api(project, url)
    result = run("new", "2402.12354", "--tag", "PEFT")
    assert result.exit_code == 0, result.output
    name = "notes/2024-02-19-lora-efficient-low-rank-adaptation-of-large-models.md"
    assert result.stdout == name + "\n"
    assert "arXiv's primary category is cs.LG: add it to tags if it fits" in result.stderr
    [(path, agent)] = handler.requests
    assert path == "/api/query?id_list=2402.12354&max_results=1"
    assert agent.startswith("kb/0.2.0 (ronbun-kb;")
    text = (project / name).read_text(encoding="utf-8")
    assert "abstract: >-\n  In this paper, we show that Low Rank Adaptation (LoRA)" in text
    assert "# arXiv's primary category is cs.LG: add it to tags if it fits\n---\n" in text
    assert text.endswith("## comment\n\n## リンク\n- PDF: http://arxiv.org/pdf/2402.12354v2\n")
    record = exported(project)
    assert record["title"] == "LoRA+: Efficient Low Rank Adaptation of Large Models"
    assert record["authors"] == ["Soufiane Hayou", "Nikhil Ghosh", "Bin Yu"]
    assert (record["year"], record["issue_date"], record["arxiv_id"], record["url"]) == (
        2024, "2024-02-19", "2402.12354", "https://arxiv.org/abs/2402.12354")
    assert record["abstract"].startswith(ABSTRACT) and record["abstract"].endswith("at the same computational "
                                                                                  "cost as LoRA.")
    assert record["tags"] == ["PEFT"]
    assert run("check", "--strict").exit_code == 0


def test_the_abstract_is_shown_folded_on_the_page(project, api):
    use_api(project, api[1])
    assert run("new", "https://arxiv.org/abs/2402.12354v2").exit_code == 0
    assert run("build", "--no-search").exit_code == 0
    page = (project / "site" / "records" / "2402.12354" / "index.html").read_text(encoding="utf-8")
    assert '<details class="abstract">\n    <summary>アブストラクト（原文）</summary>' in page
    assert f"<p>{ABSTRACT}" in page


def test_with_the_api_down_the_note_has_what_kb_knows_and_says_so(project):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_api(project, f"http://127.0.0.1:{port}/api/query")
    result = run("new", "2402.12354", "--date", "2024-03-01")
    assert result.exit_code == 0
    assert result.stdout == "notes/2024-03-01-2402-12354.md\n"
    assert result.stderr.startswith(f"arXiv did not give 2402.12354: cannot reach http://127.0.0.1:{port}/api/query")
    assert "the note has its id and link only" in result.stderr
    record = exported(project)
    assert (record["title"], record["authors"], record["url"]) == (
        "2402.12354", [], "https://arxiv.org/abs/2402.12354")


def test_an_error_entry_is_said_and_no_fetch_asks_nothing(project, api):
    handler, url = api
    handler.answer = (ANSWERS / "error.atom").read_bytes()
    use_api(project, url)
    result = run("new", "2402.99999", "--date", "2024-03-01")
    assert "arXiv did not give 2402.99999: arXiv says: incorrect id format for 2402.99999" in result.stderr
    handler.requests.clear()
    assert run("new", "2402.12354", "--no-fetch", "--date", "2024-03-01").exit_code == 0
    assert handler.requests == []


def test_requests_are_three_seconds_apart(tmp_path):
    stamp = tmp_path / "last"
    slept = []
    clock = [1000.0]
    assert arxiv.wait_for_turn(stamp, slept.append, lambda: clock[0]) == 0.0  # the first request waits for nothing
    import os

    os.utime(stamp, (1000.0, 1000.0))
    clock[0] = 1001.0
    assert arxiv.wait_for_turn(stamp, slept.append, lambda: clock[0]) == 2.0
    assert slept == [2.0]


def test_the_recorded_answer_parses_to_the_paper():
    paper = arxiv.parse_feed((ANSWERS / "2402.12354.atom").read_bytes())
    assert paper.published == dt.date(2024, 2, 19) and paper.category == "cs.LG"
    assert paper.pdf == "http://arxiv.org/pdf/2402.12354v2"
    with pytest.raises(arxiv.ArxivUnavailable, match="not an Atom feed"):
        arxiv.parse_feed(b"<html>busy")
