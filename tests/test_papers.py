"""Paper pages: the records judged to be the same paper gathered on one page (kb.index.papers).

The fixture tests/fixtures/same_paper/notes notes the same papers in every format (a talk in
minutes, an eight-question summary, a tag-page entry, a blog introduction, native notes), with
and without arXiv ids, and near misses: an arXiv URL with v2, FlashAttention beside
FlashAttention-2, QLoRA beside a longer title sharing its prefix, Textbooks Are All You Need
beside its II, and two notes giving one title different arXiv ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import NOTES, ROOT
from kb.build import build_site
from kb.config import load_settings
from kb.index import build_index
from kb.index.papers import papers_of
from kb.records import parse_notes

FIXTURE = ROOT / "tests" / "fixtures" / "same_paper"

# Hand-checked: each paper's notes, as (file, first words of the title); nothing else is a paper.
EXPECTED = {
    "2402.12354": {("summaries.txt", "LoRA+"), ("listing.txt", "LoRA+"), ("2024-03-10-lora-plus.md", "LoRA+"),
                   ("2025-10-01-minutes.txt", "LoRA+")},
    "2402.09353": {("listing.txt", "DoRA"), ("dora-blog.txt", "DoRA"), ("2024-03-12-dora.md", "DoRA")},
    "flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning": {
        ("listing.txt", "FlashAttention-2"), ("2025-10-01-minutes.txt", "FlashAttention-2")},
    # the note without an id joins the first id (by record id); the other id stays a paper of its own
    "2306.11644": {("listing.txt", "Textbooks"), ("2024-07-01-textbooks.md", "Textbooks")},
}


@pytest.fixture(scope="module")
def fixture_kb():
    settings, _ = load_settings(FIXTURE)
    parsed = parse_notes(FIXTURE / "notes", FIXTURE, settings, None)
    assert not parsed.diagnostics
    return build_index(parsed.records, settings)


def test_fixture_has_every_format(fixture_kb):
    assert {r.source.format for r in fixture_kb.records} == {"minutes", "summaries", "listing", "blog", "native"}


def test_every_paper_gathers_exactly_its_notes(fixture_kb):
    found = {}
    for paper in papers_of(fixture_kb.records):
        members = [fixture_kb.by_id[i] for i in paper.record_ids]
        found[paper.id] = {(Path(r.source.path).name, r.title.split(":")[0].split()[0]) for r in members}
    assert found == EXPECTED


def test_near_misses_stay_papers_of_their_own(fixture_kb):
    in_papers = {i for p in papers_of(fixture_kb.records) for i in p.record_ids}
    alone = sorted(r.title for r in fixture_kb.records if r.id not in in_papers)
    assert alone == [
        "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        "QLoRA: Efficient Finetuning of Quantized LLMs",
        "QLoRA: Efficient Finetuning of Quantized LLMs on Edge Devices",
        "Textbooks Are All You Need",  # the note whose arXiv id (2309.05463) differs
        "Textbooks Are All You Need II: phi-1.5 technical report",
    ]


def test_a_paper_takes_the_fullest_facts_of_its_notes(fixture_kb):
    papers = {p.id: p for p in papers_of(fixture_kb.records)}
    lora = papers["2402.12354"]
    assert lora.authors == ("Soufiane Hayou", "Nikhil Ghosh", "Bin Yu")  # the native note's list, not "Hayou+"
    assert lora.venue == "ICML'24" and lora.arxiv_id == "2402.12354"
    assert lora.latest.isoformat() == "2025-10-01"  # the talk at the meeting, its newest note
    assert papers["2402.09353"].title == "DoRA: Weight-Decomposed Low-Rank Adaptation"


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("papers") / "site"
    build_site(FIXTURE, load_settings(FIXTURE)[0], out, FIXTURE / "notes", search=False, cache=False)
    return out


def test_paper_page_shows_every_note_with_its_meeting(fixture_site):
    html = (fixture_site / "papers/2402.12354/index.html").read_text()
    assert "<h1>LoRA+: Efficient Low Rank Adaptation of Large Models</h1>" in html
    assert "Soufiane Hayou, Nikhil Ghosh, Bin Yu" in html
    assert len(re.findall(r'<section class="paper-note" id="note-\d+"', html)) == 4
    assert 'href="../../meetings/2025-10-01-機械学習勉強会/index.html"' in html
    assert "Bの学習率をAより大きくする。" in html and "学習率の比を16程度にすると良い。" in html
    assert 'href="https://arxiv.org/abs/2402.12354"' in html


def test_every_member_links_to_its_paper_and_others_do_not(fixture_site):
    for record in ("2402.12354", "lora-efficient-low-rank-adaptation-of-large-models-2", "2402.12354-2"):
        html = (fixture_site / f"records/{record}/index.html").read_text()
        assert 'href="../../papers/2402.12354/index.html"' in html, record
    alone = (fixture_site / "records/qlora-efficient-finetuning-of-quantized-llms/index.html").read_text()
    assert "papers/" not in alone.replace('href="../../papers/index.html"', "")


def test_papers_list_is_newest_first(fixture_site):
    html = (fixture_site / "papers/index.html").read_text()
    order = re.findall(r'href="../papers/([^/]+)/index.html"', html)
    # newest note: LoRA+ and FlashAttention-2 2025-10-01 (by id), Textbooks 2024-07-01, DoRA 2024-03-12
    assert order == ["2402.12354", "flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning",
                     "2306.11644", "2402.09353"]


def test_bundled_notes_form_one_paper_page(tmp_path):
    out = tmp_path / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False, cache=False)
    pages = sorted(p.parent.name for p in (out / "papers").glob("*/index.html"))
    assert pages == ["full-parameter-fine-tuning-for-large-language-models-with-limited-resources"]
    html = (out / "papers" / pages[0] / "index.html").read_text()
    assert html.count('class="paper-note"') == 2 and "Lv+" in html
