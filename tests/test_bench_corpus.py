"""The benchmark's synthetic corpus: deterministic, parseable by kb, the same pages for the peers.

No timing here: the benchmark itself is `python bench/run.py` (bench/README.md).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from corpus import generate  # noqa: E402
from peers import hugo_site, mkdocs_site  # noqa: E402

from kb.config import Settings  # noqa: E402
from kb.models import Severity  # noqa: E402
from kb.records import parse_notes  # noqa: E402

N = 60


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return root, generate(N, root, seed=0)


def test_generate_is_deterministic(corpus, tmp_path):
    root, manifest = corpus
    again = generate(N, tmp_path, seed=0)
    assert tree(root / "notes") == tree(tmp_path / "notes")
    assert manifest.to_json() == again.to_json()
    generate(N, tmp_path / "other", seed=1)
    assert tree(tmp_path / "other" / "notes") != tree(root / "notes")


def test_corpus_has_every_format_and_about_n_records(corpus):
    _, manifest = corpus
    formats = Counter(manifest.files.values())
    assert set(formats) == {"native", "summaries", "minutes", "blog", "listing"}
    assert len(manifest.records) == N
    assert formats["native"] > len(manifest.files) / 2
    titles = [r.title for r in manifest.records]
    assert len(set(titles)) == len(titles)
    years = {r.date[:4] for r in manifest.records if r.date}
    assert len(years) >= 5 and min(years) >= "2016" and max(years) <= "2025"


def test_kb_parses_the_corpus_without_errors(corpus):
    root, manifest = corpus
    parsed = parse_notes(root / "notes", root, Settings())
    errors = [d for d in parsed.diagnostics if d.severity is Severity.ERROR]
    assert errors == []
    assert {n.format for n in parsed.notes} == {"native", "summaries", "minutes", "blog", "listing"}
    assert abs(len(parsed.records) - len(manifest.records)) <= N * 0.05
    per_file = Counter(r.source.path.removeprefix("notes/") for r in parsed.records)
    assert per_file == Counter(r.file for r in manifest.records)


def test_the_long_note_corpus_is_one_eight_question_summary_a_file(tmp_path):
    """#23's corpus of long notes: n files of about 11 KB (seed 001 holds 23 summaries in 259 KB),
    each one record with the eight answers (the fields seed 001's records fill), parsed without errors."""
    manifest = generate(20, tmp_path, seed=0, long=True)
    files = sorted((tmp_path / "notes").rglob("*.txt"))
    assert len(files) == 20 and set(manifest.files.values()) == {"summaries"}
    assert 6_000 < sum(f.stat().st_size for f in files) / 20 < 16_000
    parsed = parse_notes(tmp_path / "notes", tmp_path, Settings())
    assert [d for d in parsed.diagnostics if d.severity is Severity.ERROR] == []
    assert len(parsed.records) == 20
    fields = ("problem", "approach", "results", "limitations", "technical", "costs", "tweet")  # as seed 001's
    assert [[name for name in fields if not getattr(r, name)] for r in parsed.records] == [[]] * 20
    assert {len(r.sections) for r in parsed.records} == {8}


def test_peer_sites_have_one_page_per_record(corpus, tmp_path):
    _, manifest = corpus
    assert hugo_site(manifest, tmp_path / "hugo") == N
    assert len(list((tmp_path / "hugo" / "content" / "notes").glob("*.md"))) == N
    assert (tmp_path / "hugo" / "layouts" / "_default" / "taxonomy.html").exists()
    assert mkdocs_site(manifest, tmp_path / "mkdocs") == N
    assert len(list((tmp_path / "mkdocs" / "docs" / "notes").glob("*.md"))) == N
    tags = {t for r in manifest.records for t in r.tags}
    assert len(list((tmp_path / "mkdocs" / "docs" / "tags").glob("*.md"))) == len(tags)
