"""`kb search` through click's runner on the query set: exact hits are exactly the records whose
text contains the query; near matches only add, never replace."""

import json

import pytest
from click.testing import CliRunner

from conftest import NOTES, ROOT
from kb.cli import main
from kb.config import Settings
from kb.index import build_index
from kb.records import parse_notes
from kb.search import matches, search_text
from kb.text import fold
from search_queries import QUERIES, SORTED_QUERIES, expected_ids


@pytest.fixture(scope="module")
def records():
    settings = Settings()
    return build_index(parse_notes(NOTES, ROOT, settings).records, settings).records


def independent_ids(records, query, tag):
    """The rule spelled out again, without kb.search: tag, then every folded word a substring."""
    return {r.id for r in records
            if (tag is None or fold(tag) in {fold(t) for t in r.tags}) and fold(query).split()
            and all(w in fold(search_text(r)) for w in fold(query).split())}


def run_search(query, tag):
    args = ["search", query, "--notes", str(NOTES), "--json", "--limit", "1000"]
    result = CliRunner().invoke(main, args + (["--tag", tag] if tag else []))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(("query", "tag"), QUERIES + [(q, t) for q, t, _ in SORTED_QUERIES])
def test_exact_hits_are_the_records_containing_the_query(records, query, tag):
    hits = run_search(query, tag)
    exact = {h["id"] for h in hits if h["match"] == "exact"}
    assert exact == expected_ids(records, query, tag) == independent_ids(records, query, tag)
    kinds = [h["match"] for h in hits]
    assert kinds == sorted(kinds)  # every exact hit before any near one


def test_the_query_set_is_broad_and_finds_something(records):
    assert len(QUERIES) >= 40
    found = [q for q, t in QUERIES if expected_ids(records, q, t)]
    assert len(found) == len(QUERIES), set(QUERIES) - set(found)


def test_lora_finds_qlora_and_longlora(records):
    found = {h["id"] for h in run_search("LoRA", None)}
    texts = [search_text(r) for r in records if r.id in found]
    assert any("QLoRA" in t for t in texts) and any("LongLoRA" in t for t in texts)


def test_a_typo_in_an_ascii_name_finds_the_paper():
    hits = run_search("AnyAnomoly", None)
    assert hits and hits[0]["match"] == "near" and hits[0]["title"].startswith("AnyAnomaly")


def test_since_filters_by_issue_date():
    result = CliRunner().invoke(main, ["search", "推論", "--notes", str(NOTES), "--since", "2025-08-01", "--json"])
    assert all(h["issue_date"] >= "2025-08-01" for h in json.loads(result.output))


def test_matches_folds_width_and_case():
    assert matches("ｌｏｒａ", "QLoRA で学習") and matches("lora 学習", "QLoRA で学習")
    assert not matches("lora 推論", "QLoRA で学習") and not matches("  ", "anything")


def test_the_meeting_name_finds_its_talks():
    """勉強会 is written only in the minutes' first line (2025-09-24 機械学習勉強会): it finds the four
    records of that meeting, from the terminal."""
    result = CliRunner().invoke(main, ["search", "勉強会", "--notes", str(NOTES), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert sorted(h["title"] for h in found) == [
        "Diffusion Beats Autoregressive in Data-Constrained Settings",
        "Improving Context Fidelity via Native Retrieval-Augmented Reasoning",
        "Is the Watermarking of LLM-Generated Code Robust?", "LoRAの進化:基礎から最新のLoRA-Proまで"]
