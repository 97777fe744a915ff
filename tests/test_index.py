"""The index stage on the real notes: tags, dates, mentions, same paper, related, compute."""

import datetime as dt

import pytest

from conftest import NOTES, ROOT, external_dir
from kb.config import Settings
from kb.discover import read_source
from kb.formats import parse_source
from kb.index import build_index, link_records
from kb.index.compute import extract_compute
from kb.index.same_paper import same_title
from kb.index.tags import tag_key
from kb.models import Record, SourceSpan
from kb.records import assign_ids, parse_notes
from same_paper_pairs import SAME_PAPER_PAIRS


@pytest.fixture(scope="module")
def parsed():
    return parse_notes(NOTES, ROOT, Settings())


@pytest.fixture(scope="module")
def kb(parsed):
    return build_index(parsed.records, Settings())


def find(kb, start, path_part=""):
    found = [r for r in kb.records if r.title.startswith(start) and path_part in r.source.path]
    assert found, f"no record titled {start!r}"
    return found


def one(kb, start, path_part=""):
    [record] = find(kb, start, path_part)
    return record


# --- tags -----------------------------------------------------------------

def test_tag_spellings_fold_into_one_tag():
    assert tag_key("MachineLearning") == tag_key("machinelearning") == tag_key("Ｍachine Learning")
    records = ids([make("A", tags=["MachineLearning"]), make("B", tags=["machinelearning"])])
    [group] = build_index(records, Settings()).tags
    assert group.count == 2 and group.name in {"MachineLearning", "machinelearning"}


def test_tag_aliases_from_settings_merge_a_typo():
    records = ids([make("A", tags=["LanguageModel"]), make("B", tags=["LangugeModel"])])
    kb = build_index(records, Settings(tag_aliases={"LangugeModel": "LanguageModel"}))
    assert [(g.name, g.count) for g in kb.tags] == [("LanguageModel", 2)]
    assert all(r.tags == ["LanguageModel"] for r in kb.records)


def test_every_real_tag_has_a_unique_url_safe_slug(kb):
    names = {g.name for g in kb.tags}
    assert {"Supervised-FineTuning (SFT)", "PEFT(Adaptor/LoRA)", "EfficiencyImprovement"} <= names
    slugs = [g.slug for g in kb.tags]
    assert len(slugs) == len(set(slugs))
    assert all(s and "/" not in s and " " not in s and "(" not in s for s in slugs)
    by_name = {g.name: g for g in kb.tags}
    assert by_name["EfficiencyImprovement"].count == 142
    assert by_name["PEFT(Adaptor/LoRA)"].slug == "peft-adaptor-lora-b82c53"  # slug + hash of the tag: lossy


# --- dates ----------------------------------------------------------------

def test_dates_newest_first_undated_kept_apart(kb):
    months = [m.key for m in kb.dates.months()]
    assert months == sorted(months, reverse=True)
    undated = [kb.by_id[i] for i in kb.dates.undated]
    assert [r.source.path for r in undated] == ["notes/003_ed31778f23d8584c.txt"]
    dated = sum(len(m.record_ids) for m in kb.dates.months())
    assert dated + len(undated) == len(kb.records) == 171


def test_arxiv_id_gives_an_undated_summary_its_month(kb, parsed):
    anomaly = one(kb, "AnyAnomaly")
    assert anomaly.arxiv_id == "2503.04504"
    assert (anomaly.issue_date, anomaly.date_inferred) == (dt.date(2025, 3, 1), True)
    raw = next(r for r in parsed.records if r.id == anomaly.id)
    assert raw.issue_date is None, "the parsed record is not changed by the index"
    meeting = one(kb, "Improving Context Fidelity")
    assert (meeting.issue_date, meeting.date_inferred) == (dt.date(2025, 9, 24), False)


# --- mentions ---------------------------------------------------------------

def test_main_topic_mentions_r1_searcher(kb):
    main = one(kb, "Improving Context Fidelity")
    searcher = one(kb, "R1-Searcher")
    assert searcher.id in main.mentions
    assert main.id in searcher.mentioned_by


def test_lora_talk_mentions_lora_plus_from_the_listing(kb):
    talk = one(kb, "LoRAの進化")
    plus = one(kb, "LoRA+: Efficient Low Rank Adaptation")
    assert plus.source.path.endswith("004_92a03f46596b4115.txt")
    assert plus.id in talk.mentions and talk.id in plus.mentioned_by


def test_a_name_inside_a_longer_word_is_not_a_mention():
    lora = make("LoRA: Low-Rank Adaptation of Large Language Models")
    text = make("Other", summary="QLoRAとLongLoRAとSingLoRAの比較")
    lora, text = ids([lora, text])
    assert link_records([lora, text])[1].mentions == []
    text = text.model_copy(update={"summary": "LoRA(低ランク適応)を使う"})
    assert link_records([lora, text])[1].mentions == [lora.id]


def test_mentions_are_symmetric_with_mentioned_by_and_never_self(kb):
    for record in kb.records:
        assert record.id not in record.mentions
        for other in record.mentions:
            assert record.id in kb.by_id[other].mentioned_by
        for other in record.mentioned_by:
            assert record.id in kb.by_id[other].mentions


# --- same paper -------------------------------------------------------------

def test_full_parameter_fine_tuning_noted_twice_is_the_same_paper(kb):
    notes = find(kb, "Full Parameter Fine-tuning for Large Language Models with Limited Resources")
    assert sorted(r.issue_date for r in notes) == [dt.date(2023, 6, 26), dt.date(2025, 3, 6)]
    a, b = notes
    assert a.same_as == [b.id] and b.same_as == [a.id]


def test_numbered_titles_are_different_papers():
    assert not same_title(tokens("Textbooks Are All You Need"), tokens("Textbooks Are All You Need II"))
    assert not same_title(tokens("FlashAttention: Fast and Memory-Efficient Exact Attention"),
                          tokens("FlashAttention-2: Faster Attention with Better Parallelism"))
    assert same_title(tokens("Textbooks Are All You Need"), tokens("Textbooks are all you need"))


def test_same_as_is_symmetric(kb):
    for record in kb.records:
        assert record.id not in record.same_as
        for other in record.same_as:
            assert record.id in kb.by_id[other].same_as


def all_pages_records():
    """The seeds and the four external pages, parsed and linked together."""
    records = parse_notes(NOTES, ROOT, Settings()).records
    folder = external_dir()
    for path in sorted(folder.glob("*.txt")):
        if path.name != "README.md":
            records += parse_source(read_source(path, folder.parent)).records
    return build_index(assign_ids(records), Settings())


def test_all_same_as_pairs_in_seeds_and_external_pages_are_the_same_paper():
    kb = all_pages_records()
    pairs = set()
    for record in kb.records:
        for other in map(kb.by_id.get, record.same_as):
            a, b = entry(record), entry(other)
            if a < b:
                pairs.add((a, b))
    assert sorted(pairs) == sorted(SAME_PAPER_PAIRS)
    assert not [(a, b) for a, b in pairs if a[2].casefold() != b[2].casefold()], "only identical titles here"


def entry(record):
    return (record.source.path.split("/")[-1], record.source.line_start, record.title)


# --- related ----------------------------------------------------------------

def test_related_is_short_ranked_and_deterministic(kb, parsed):
    again = build_index(parsed.records, Settings())
    for record in kb.records:
        assert len(record.related) <= 5
        assert record.id not in record.related and not set(record.related) & set(record.same_as)
        assert again.by_id[record.id].related == record.related
    main = one(kb, "Improving Context Fidelity")
    assert main.related[0] == one(kb, "R1-Searcher").id, "a mention ranks first"


# --- compute ----------------------------------------------------------------

def compute_of(kb, title):
    return [(c.gpu, c.count, c.gpu_hours) for c in one(kb, title).compute]


def test_compute_from_costs_sections(kb):
    assert compute_of(kb, "AnyAnomaly") == [("RTX 3090", 1, None)]
    assert compute_of(kb, "R1-Zero's \"Aha Moment\"") == [("H100", 4, None)]
    assert compute_of(kb, "TinyR1-32B-Preview") == [("H800", None, 744.0)]
    assert compute_of(kb, "ProReflow")[0][:2] == ("H20", 8)


def test_guesses_give_no_compute():
    guess = "*   **GPU:** 複数の高性能GPU (例えば NVIDIA A100, H100) を搭載したサーバークラスタが必要です。"
    assert extract_compute(guess) == []
    assert extract_compute("*   **ハードウェア:** 論文中には明記されていません。") == []


def test_export_carries_the_link_keys(kb):
    data = one(kb, "Improving Context Fidelity").model_dump(mode="json")
    assert {"mentions", "mentioned_by", "same_as", "related", "compute", "date_inferred"} <= set(data)


# --- helpers ----------------------------------------------------------------

def make(title, **fields):
    span = SourceSpan(path=f"notes/{title}.md", format="native", line_start=1, line_end=2)
    return Record(title=title, source=span, **fields)


def ids(records):
    return assign_ids(records)


def tokens(text):
    from kb.index.names import tokens as cut

    return cut(text)


# --- mentions, hand-checked (issue #10) ---------------------------------------

def mention_pairs(kb) -> set[tuple[str, str]]:
    return {(r.id, other) for r in kb.records for other in r.mentions}


def pair(kb, source: str, target: str) -> tuple[str, str]:
    return one(kb, source).id, one(kb, target).id


def test_mentions_on_the_bundled_notes_match_the_hand_checked_list(kb):
    from mention_truth import FALSE_MENTIONS, KNOWN_MISSES, TRUE_MENTIONS

    found = mention_pairs(kb)
    true = {pair(kb, a, b) for a, b, _ in TRUE_MENTIONS}
    precision = len(found & true) / len(found)
    recall = len(found & true) / (len(true) + len(KNOWN_MISSES))
    print(f"mentions: {len(found)} found, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95, sorted(found - true)
    assert len(found) >= 20
    assert not found & {pair(kb, a, b) for a, b, _ in FALSE_MENTIONS}
    assert pair(kb, "Improving Context Fidelity", "R1-Searcher:") in found
    assert pair(kb, "LoRAの進化", "LoRA+:") in found


def test_a_name_spelled_by_its_capitals_needs_them():
    zero = make("ZeRO: DeepSpeedの紹介")
    text = make("Other", summary="Bをzeroで初期化し、Zero-/few-shot anomaly classification")
    zero, text = ids([zero, text])
    assert link_records([zero, text])[1].mentions == []
    text = text.model_copy(update={"summary": "DeepSpeedのZeROで分散学習"})
    assert link_records([zero, text])[1].mentions == [zero.id]


def test_own_link_is_the_labelled_page_never_a_post_or_a_related_paper():
    from kb.index.own_links import own_link

    talk = make("Some Talk", comment="元ポスト:https://x.com/a/status/1関連論文:https://arxiv.org/abs/2401.00001\n"
                                     "論文のプロジェクトリンク:https://some-talk.github.io/ 詳細")
    assert own_link(talk) == "https://some-talk.github.io/"
    assert own_link(make("Other", comment="参考論文: https://arxiv.org/abs/2401.00002")) is None
    assert own_link(make("GPT4All", comment="ローカルで動く。\nhttps://gpt4all.io/index.html")) == (
        "https://gpt4all.io/index.html")


def test_mentions_from_the_memo_equal_a_fresh_reading_when_names_come_and_go(parsed):
    """kb.cache.MentionMemo: a rebuild reads a text again only for a new name whose first word
    it contains. Adding a paper named vLLM must still find it in the six texts read before that
    write vLLM, and removing it must drop those mentions."""
    from kb.cache import MentionMemo

    memo = MentionMemo()
    build_index(parsed.records, Settings(), memo)
    vllm = make("vLLM: Easy, Fast, and Cheap LLM Serving")
    grown = assign_ids(parsed.records + [vllm])
    with_memo = build_index(grown, Settings(), memo)
    fresh = build_index(grown, Settings())
    assert [(r.mentions, r.mentioned_by) for r in with_memo.records] == \
           [(r.mentions, r.mentioned_by) for r in fresh.records]
    new_id = grown[-1].id
    naming = sorted(r.title for r in with_memo.records if new_id in r.mentions)
    assert len(naming) == len(with_memo.by_id[new_id].mentioned_by) == 6, naming
    back = build_index(parsed.records, Settings(), memo)
    assert not any(new_id in r.mentions for r in back.records)
    assert [r.mentions for r in back.records] == [r.mentions for r in build_index(parsed.records, Settings()).records]
