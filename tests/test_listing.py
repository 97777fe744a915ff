"""The paper-notes tag page (seed 004) and the four external tag pages with their truth."""

import datetime as dt
import json
import re

import pytest

from conftest import NOTES, ROOT, SEEDS, external_dir, load_seed
from kb.coverage import measure
from kb.discover import SourceFile, read_source
from kb.formats import detect_format, parse_source
from kb.formats.listing import link_text, split_link

PAGES = ["Adapter_LoRA", "MachineLearning", "Survey", "Neural"]


@pytest.fixture(scope="module")
def listing():
    return load_seed("listing")


def by_title(note, title):
    found = [r for r in note.records if r.title == title]
    assert len(found) == 1, f"{len(found)} records titled {title!r}"
    return found[0]


def test_seed_is_detected_and_the_other_seeds_are_not():
    for name, file in SEEDS.items():
        text = (NOTES / file).read_text(encoding="utf-8-sig")
        assert (detect_format(text)[0] == "listing") == (name == "listing"), name


def test_one_record_per_entry_both_printings_merged(listing):
    _, note = listing
    assert len(note.records) == 142
    keys = {(r.issue_date, link_text(r)) for r in note.records}
    assert len(keys) == 142
    assert note.meta["printings"] == "232"  # 90 entries printed twice, 52 once


def test_title_authors_venue_split_with_et_al(listing):
    _, note = listing
    jet = by_title(note, "Jet-Nemotron: Efficient Language Model with Post Neural Architecture Search")
    assert (jet.authors, jet.venue, jet.year) == (["Yuxian Gu"], "arXiv'25", 2025)
    assert jet.issue_date == dt.date(2025, 8, 26) and jet.kind == "paper"
    assert link_text(jet) == ("[Paper Note] Jet-Nemotron: Efficient Language Model with Post Neural "
                              "Architecture Search, Yuxian Gu+, arXiv'25")
    assert jet.et_al
    assert jet.summary.startswith("Jet-Nemotronは新しいハイブリッドアーキテクチャの言語モデルで")
    assert jet.comment.startswith("元ポスト:https://x.com/iscienceluvr/status/1959832287073403137")
    token = by_title(note, "TokenSkip: Controllable Chain-of-Thought Compression in LLMs")
    assert (token.authors, token.venue, token.issue_date) == (["Heming Xia"], "EMNLP'25", dt.date(2025, 8, 24))


def test_titles_with_commas_and_quotes_stay_whole(listing):
    _, note = listing
    first = by_title(note, "First Return, Entropy-Eliciting Explore")
    assert (first.authors, first.issue_date) == (["Tianyu Zheng"], dt.date(2025, 7, 10))
    wait = by_title(note, 'Wait, We Don\'t Need to "Wait" Removing Thinking Tokens Improves Reasoning Efficiency')
    assert (wait.authors, wait.venue, wait.issue_date) == (["Chenlong Wang"], "arXiv'25", dt.date(2025, 6, 18))
    nemotron = by_title(note, "Nemotron-H: A Family of Accurate, Efficient Hybrid Mamba-Transformer Models")
    assert (nemotron.authors, nemotron.kind, nemotron.year) == (["Nvidia"], "article", 2025)


def test_tags_from_own_lines_and_from_the_end_of_the_previous_line(listing):
    _, note = listing
    jet = by_title(note, "Jet-Nemotron: Efficient Language Model with Post Neural Architecture Search")
    assert jet.tags == ["Pocket", "NLP", "LanguageModel", "NeuralArchitectureSearch", "SmallModel",
                        "EfficiencyImprovement"]
    token = by_title(note, "TokenSkip: Controllable Chain-of-Thought Compression in LLMs")
    assert token.tags == ["Pocket", "NLP", "LanguageModel", "Chain-of-Thought", "Reasoning", "EMNLP", "Length",
                          "Inference", "EfficiencyImprovement"]
    first = by_title(note, "First Return, Entropy-Eliciting Explore")
    assert first.tags == ["Pocket", "NLP", "LanguageModel", "ReinforcementLearning", "RLVR", "EfficiencyImprovement"]


def test_page_tag_on_every_record_and_no_placeholder_venue(listing):
    _, note = listing
    assert note.meta["tag"] == "EfficiencyImprovement"
    assert all(r.tags[-1] == "EfficiencyImprovement" for r in note.records)
    assert not [r.title for r in note.records if r.venue == "N_A" or "N_A" in r.authors]
    shazeer = by_title(note, "Fast Transformer Decoding: One Write-Head is All You Need")
    assert (shazeer.authors, shazeer.venue, shazeer.year) == (["Noam Shazeer"], "arXiv'19", 2019)
    assert not shazeer.et_al


def test_comments_keep_their_continuation_lines(listing):
    _, note = listing
    routing = by_title(note, "Beyond GPT-5: Making LLMs Cheaper and Better via Performance-Efficiency "
                             "Optimized Routing")
    assert "\nシンプルな手法だが、GPT-5 mediumと同等のコスト/性能 でより高い 性能/コスト を実現。\n" in routing.comment
    assert routing.comment.endswith("最近論文のタイトルにBeyondつけるの流行ってる…?)")
    hard = by_title(note, "Hard Examples Are All You Need: Maximizing GRPO Post-Training Under Annotation Budgets")
    assert hard.comment.endswith("rewardとして何を使ったのかなどの細かい内容を追えていない。"
                                 "元ポスト:https://x.com/pratyushrt/status/1958947577216524352?s=46&t=Y6UuIHB0Lv0IpmFAjlc2-Q")
    assert (hard.source.line_start, hard.source.line_end) == (13, 23)


def test_second_printing_does_not_move_lines_to_the_wrong_entry(listing):
    _, note = listing
    routing = by_title(note, "Beyond GPT-5: Making LLMs Cheaper and Better via Performance-Efficiency "
                             "Optimized Routing")
    assert "・2466" not in routing.comment  # printed after it in the second copy, belongs to Beyond Ten Turns
    turns = by_title(note, "Beyond Ten Turns: Unlocking Long-Horizon Agentic Search with Large-Scale Asynchronous RL")
    assert "・2466\n・1158\n・1461既存のモデルは" in turns.comment
    assert turns.comment.endswith("定量的なデータはまだ存在しないように見えた。")
    assert turns.comment.count("・Answer Uniqueness") == 1


def test_kinds_dates_and_article_fields(listing):
    _, note = listing
    vllm = by_title(note, "vLLMのSpeculative Decodingによる推論高速化を試す")
    assert (vllm.kind, vllm.authors, vllm.venue, vllm.year) == ("article", ["Aratako"], None, 2025)
    assert vllm.issue_date == dt.date(2025, 8, 21)
    assert vllm.tags[:5] == ["Article", "LanguageModel", "Blog", "LLMServing", "SpeculativeDecoding"]
    lomo = [r for r in note.records if r.title == "Full Parameter Fine-tuning for Large Language Models with "
                                                   "Limited Resources"]
    assert sorted((r.issue_date, r.venue) for r in lomo) == [(dt.date(2023, 6, 26), "arXiv'23"),
                                                            (dt.date(2025, 3, 6), "ACL'24")]
    assert {r.kind for r in note.records} == {"paper", "article"}


def test_urls_only_for_the_entry_itself(listing):
    _, note = listing
    drop = by_title(note, "Drop-Upcycling: Training Sparse Mixture of Experts with Partial Re-initialization")
    assert drop.url == "https://openreview.net/forum?id=gx1wHnf5Vp"
    flash2 = by_title(note, "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning")
    assert "https://arxiv.org/pdf/2205.14135.pdf" in flash2.comment  # FlashAttention-1's paper, not this one
    assert (flash2.url, flash2.arxiv_id) == (None, None)


def test_cut_off_end_is_reported_and_nothing_is_lost(listing):
    source, note = listing
    warnings = [d for d in note.diagnostics if "cut off" in d.message]
    assert [d.line for d in warnings] == [len(source.lines)] == [831]
    last = by_title(note, "Efficient Methods and Hardware for Deep Learning")
    assert last.summary is None and last.comment is None and "</div>" not in link_text(last)
    # the only residue: the stray markup of AdaCoT's comment (note lines 215-216, tests/test_reader.py)
    assert [(r.line, r.text) for r in note.residue] == [(215, "``"), (216, "</span>")]
    assert measure(source.text, note).ratio >= 0.99


@pytest.mark.parametrize(("link", "title", "authors", "venue"), [
    ("Can GPT-4 Perform Neural Architecture Search? Zhang+, The University of Sydney, arXiv23",
     "Can GPT-4 Perform Neural Architecture Search?", ["Zhang"], "arXiv23"),
    ("Deep Attentive Study Session Dropout Prediction in Mobile Learning Environment, Riiid AI Research, Lee+, "
     "arXiv21", "Deep Attentive Study Session Dropout Prediction in Mobile Learning Environment", ["Lee"], "arXiv21"),
    ("Efficient Methods and Hardware for Deep Learning, Han, Stanford University, 2017",
     "Efficient Methods and Hardware for Deep Learning", ["Han"], None),
    ("DeepSpeed, vLLM, CTranslate2 で rinna 3.6b の生成速度を比較する, 2024.06",
     "DeepSpeed, vLLM, CTranslate2 で rinna 3.6b の生成速度を比較する", [], None),
])
def test_split_link(link, title, authors, venue):
    parts = split_link(link, 2025)
    assert (parts.title, parts.authors, parts.venue) == (title, authors, venue)


def test_two_digit_years_take_the_century_of_the_entrys_own_date(listing):
    """The year comes from the note (`arXiv'20` in an entry issued 2023-…), never from today's date:
    the expected values are read from the note's text, so the test holds in any year."""
    _, note = listing
    checked = 0
    for record in note.records:
        match = re.search(r"'(\d{2})$", record.venue or "")
        if match is None:
            continue
        checked += 1
        assert record.year % 100 == int(match.group(1)), (record.title, record.venue, record.year)
        assert record.issue_date.year - 99 <= record.year <= record.issue_date.year + 1, (record.title, record.year)
    assert checked >= 100
    reformer = next(r for r in note.records if r.title.startswith("Reformer: The Efficient Transformer"))
    assert (reformer.venue, reformer.year, reformer.issue_date.year) == ("ICLR'20", 2020, 2025)


def test_two_digit_year_pivots_on_the_given_issue_year():
    link = "Learning Representations by Back-Propagating Errors, Rumelhart+, Nature'86"
    assert split_link(link, 2024).year == 1986
    assert split_link(link, 2085).year == 2086
    assert split_link("Attention Is All You Need, Vaswani+, NIPS'17", 2023).year == 2017


def dedupe(items):
    return list(dict.fromkeys(items))


def external(stem: str):
    folder = external_dir()
    source = read_source(folder / f"{stem}.txt", ROOT)
    assert isinstance(source, SourceFile), source
    truth = json.loads((folder / f"{stem}.truth.json").read_text(encoding="utf-8"))
    return source, parse_source(source), truth


@pytest.mark.parametrize("stem", PAGES)
def test_external_page_matches_its_truth(stem):
    source, note, truth = external(stem)
    assert detect_format(source.text)[0] == "listing"
    page = source.lines[0].strip()
    assert note.meta["tag"] == page
    records = {(r.issue_date.isoformat(), " ".join(link_text(r).split())): r for r in note.records}
    matched = [e for e in truth if (r := records.get((e["issue_date"], e["title"]))) is not None
               and r.tags == dedupe(e["tags"] + [page])]
    rate = len(matched) / len(truth)
    print(f"{stem}: {len(note.records)} records, {len(truth)} truth entries, match rate {rate:.3f}")
    assert len(note.records) == len(truth)
    assert rate >= 0.98
    assert all(page in r.tags for r in note.records)


@pytest.mark.parametrize("stem", PAGES)
def test_external_page_loses_nothing(stem):
    source, note, _ = external(stem)
    coverage = measure(source.text, note)
    print(f"{stem}: coverage {coverage.ratio:.4f}")
    assert coverage.ratio >= 0.99
    assert not note.residue and not note.diagnostics
