"""`kb search` through click's runner on the query set: exact hits are exactly the records whose
text contains the query; near matches only add, never replace."""

import json
import shutil
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import NOTES, ROOT
from kb.cli import main
from kb.config import Settings
from kb.index import build_index
from kb.records import parse_notes
from kb.search import matches, search, search_text
from kb.text import fold
from search_queries import NO_RESULTS, QUERIES, SORTED_QUERIES, expected_ids, expected_order


@pytest.fixture(scope="module")
def records():
    settings = Settings()
    return build_index(parse_notes(NOTES, ROOT, settings).records, settings).records


FOLDED: dict[str, str] = {}


def independent_ids(records, query, tag):
    """The rule spelled out again, without kb.search: tag, then every folded word a substring."""
    texts = {r.id: FOLDED.setdefault(r.id, fold(search_text(r))) for r in records}
    return {r.id for r in records
            if (tag is None or fold(tag) in {fold(t) for t in r.tags}) and fold(query).split()
            and all(w in texts[r.id] for w in fold(query).split())}


def run_search(query, tag):
    args = ["search", "--notes", str(NOTES), "--json", "--limit", "1000"] + (["--tag", tag] if tag else [])
    result = CliRunner().invoke(main, args + ["--", query])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_exact_hits_are_the_records_containing_the_query(records):
    """The whole query set through kb.search.search (what `kb search` runs), against the rule
    spelled out again without kb.search."""
    for query, tag in QUERIES + [(q, t) for q, t, _ in SORTED_QUERIES]:
        hits = [h.as_dict() for h in search(records, query, tag=tag, limit=1000)]
        exact = {h["id"] for h in hits if h["match"] == "exact"}
        assert exact == expected_ids(records, query, tag) == independent_ids(records, query, tag), query
        kinds = [h["match"] for h in hits]
        assert kinds == sorted(kinds), query  # every exact hit before any near one


@pytest.mark.parametrize(("query", "tag"), QUERIES[::10] + [("-QGRPO", None), ("ＬｏＲＡ", "PEFT(Adaptor/LoRA)")])
def test_the_cli_prints_what_the_rule_finds(records, query, tag):
    hits = run_search(query, tag)
    assert {h["id"] for h in hits if h["match"] == "exact"} == independent_ids(records, query, tag)


def test_the_query_set_is_broad_and_finds_something(records):
    assert len(QUERIES) >= 100
    found = [q for q, t in QUERIES if expected_ids(records, q, t)]
    assert set(q for q, _ in QUERIES) - set(found) == NO_RESULTS


@pytest.mark.parametrize("query", ["LoRA", "推論", "Wang", "ﾌｧｲﾝﾁｭｰﾆﾝｸﾞ"])
def test_exact_hits_come_in_the_sites_order(records, query):
    """Title, then people and tags, then headline and summary, then body; newest first in each."""
    hits = [h for h in run_search(query, None) if h["match"] == "exact"]
    assert [h["id"] for h in hits] == expected_order(records, query, None)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


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


def test_arxiv_id_and_width_variants_find_their_records(records):
    assert {h["id"] for h in run_search("2503.04504", None)} >= {r.id for r in records if r.arxiv_id == "2503.04504"}
    half_width = {h["id"] for h in run_search("ﾌｧｲﾝﾁｭｰﾆﾝｸﾞ", None)}
    assert half_width == {h["id"] for h in run_search("ファインチューニング", None)} and half_width


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


TYPO_NOTE = """---
title: "Typo Tagged Speculative Decoding"
kind: paper
issue_date: 2024-11-02
tags: [LangugeModel, Inference]
---
## summary
推論を速くする投機的デコーディングの改良。
"""


def test_tag_and_since_agree_with_the_site(tmp_path, monkeypatch):
    """`kb search` reads the index stage's records: an aliased typo tag counts as its tag, and a
    record the site dates by inference (an arXiv id's month) passes --since like the site shows it."""
    from kb.build import build_site
    from kb.config import load_settings
    from kb.search_index.read import IndexReader

    shutil.copytree(NOTES, tmp_path / "notes")
    (tmp_path / "notes" / "typo.md").write_text(TYPO_NOTE, encoding="utf-8")
    (tmp_path / "kb.yaml").write_text("tag_aliases:\n  LangugeModel: LanguageModel\n", encoding="utf-8")
    build_site(tmp_path, load_settings(tmp_path)[0], tmp_path / "site", search=True)
    site = IndexReader(tmp_path / "site")
    shown = {site.record(d)["id"]: {"issue_date": site.record(d).get("date")} for d in site.numbers()}
    monkeypatch.chdir(tmp_path)

    def cli(*args) -> set[str]:
        result = CliRunner().invoke(main, ["search", *args, "--json", "--limit", "1000"])
        assert result.exit_code == 0, result.output
        return {h["id"] for h in json.loads(result.output) if h["match"] == "exact"}

    tagged = {site.record(d)["id"] for d in site.search("推論") if d in site.docs("\x01tLanguageModel")}
    assert "typo" in tagged  # the native note typo.md
    assert cli("推論", "--tag", "LanguageModel") == tagged
    inferred = {"2503.04504", "2503.04548"}  # undated in their note; the site dates them 2025-03-01
    assert {shown[i]["issue_date"] for i in inferred} == {"2025-03-01"}
    found = {site.record(d)["id"] for d in site.search("推論")}
    since = {i for i in found if (shown[i]["issue_date"] or "") >= "2025-01"}
    assert inferred & found and inferred & found <= since
    assert cli("推論", "--since", "2025-01") == since


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
       | st.text(alphabet="ｶﾞｷﾞﾊﾟﾌｧｲﾝﾁｭｰﾆﾝｸﾞＡＢＣａｂｃABCßẞﬁ①㍿か\u3099\u309a\u1100\u1161\u11a8é\u0301", max_size=12))
def test_fold_is_casefold_of_nfkc(text):
    """kb.text.fold takes a faster path (each character's own NFKC first): same result as the rule."""
    assert fold(text) == unicodedata.normalize("NFKC", text).casefold()
