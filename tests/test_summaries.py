"""The LLM paper summaries (seed 001): 23 records, eight questions each, a chatty preamble as residue."""

import pytest

from conftest import NOTES, ROOT, SEEDS, load_seed
from kb.coverage import measure
from kb.discover import SourceFile, read_source
from kb.formats import detect_format, summaries
from kb.models import Severity

TITLES = [
    "AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM",
    "R1-Zero's \"Aha Moment\" in Visual Reasoning on a 2B Non-SFT Model",
    "Sketch-of-Thought: Efficient LLM Reasoning with Adaptive Cognitive-Inspired Sketching",
    "S2S-Arena, Evaluating Speech2Speech Protocols on Instruction Following with Paralinguistic Information",
    "EAGLE-3: Scaling up Inference Acceleration of Large Language Models via Training-Time Test",
    "LONGCODEU: Benchmarking Long-Context Language Models on Long Code Understanding",
    "R1-Omni: Explainable Omni-Multimodal Emotion Recognition with Reinforcing Learning",
    "Know You First and Be You Better: Modeling Human-Like User Simulators via Implicit Profiles",
    "LoRACode: LoRA Adapters for Code Embeddings",
    "VideoPainter: Any-length Video Inpainting and Editing with Plug-and-Play Context Control",
    "TinyR1-32B-Preview: Boosting Accuracy with Branch-Merge Distillation",
    "SAGE: A Framework of Precise Retrieval for RAG",
    "R1-Searcher: Incentivizing the Search Capability in LLMs via Reinforcement Learning",
    "ProReflow: Progressive Reflow with Decomposed Velocity",
    "TrajectoryCrafter: Redirecting Camera Trajectory for Monocular Videos via Diffusion Models",
    "Linear-MoE: Linear Sequence Modeling Meets Mixture-of-Experts",
    "Forgetting Transformer: Softmax Attention with a Forget Gate",
    "EuroBERT: Scaling Multilingual Encoders for European Languages",
    "Unified Reward Model for Multimodal Understanding and Generation",
    "RuCCoD: Towards Automated ICD Coding in Russian",
    "BEHAVIOR Robot Suite: Streamlining Real-World Whole-Body Manipulation for Everyday Household Activities",
    "An Empirical Study on Eliciting and Improving R1-like Reasoning Models",
    "Learning from Failures in Multi-Attempt Reinforcement Learning",
]
FIELDS = ("problem", "approach", "results", "limitations", "technical", "costs", "references", "tweet")
PREAMBLE = "はい、承知いたしました。以下に、ご質問いただいた内容について詳細な回答を記載します。"


@pytest.fixture(scope="module")
def seed():
    return load_seed("summaries")


def by_title(note, start):
    return next(r for r in note.records if r.title.startswith(start))


def synthetic(text: str):
    return summaries.parse(SourceFile("notes/x.md", text, "utf-8", "0"))


def test_twenty_three_paper_records_in_note_order(seed):
    _, note = seed
    assert note.format == "summaries"
    assert [r.title for r in note.records] == TITLES
    assert {r.kind for r in note.records} == {"paper"}


def test_url_and_arxiv_id_from_the_view_paper_link(seed):
    _, note = seed
    first = note.records[0]
    assert first.url == "http://arxiv.org/abs/2503.04504v1" and first.arxiv_id == "2503.04504"
    assert by_title(note, "Know You First").url == "http://arxiv.org/abs/2502.18968v2"
    assert by_title(note, "Know You First").arxiv_id == "2502.18968"
    assert by_title(note, "RuCCoD").arxiv_id == "2502.21263"
    assert note.records[-1].arxiv_id == "2503.04808"
    assert len({r.arxiv_id for r in note.records}) == 23


def test_source_spans_are_the_summaries_lines(seed):
    source, note = seed
    spans = [(r.source.line_start, r.source.line_end) for r in note.records]
    assert spans[0] == (2, 194)
    assert spans[1] == (200, 296)
    assert by_title(note, "BEHAVIOR").source.line_start == 2674
    assert {(r.source.path, r.source.format) for r in note.records} == {(source.path, "summaries")}
    assert all(source.lines[r.source.line_start - 1] == f"# {r.title}" for r in note.records)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_eight_sections_whatever_the_heading_wording(seed):
    _, note = seed
    assert all(len(r.sections) == 8 for r in note.records)
    assert all(getattr(r, name) for r in note.records for name in FIELDS)
    long_form = note.records[0].sections
    assert long_form[3].heading == (
        "4. Limitationや問題点は何か。本文で言及されているものの他、あなたが考えるものも含めて"
    )
    assert long_form[5].heading.startswith("6. コストや物理的な詳細について。例えばトレーニングに使用したGPU")
    assert [s.line for s in long_form] == [6, 16, 31, 41, 54, 167, 184, 192]
    short_form = note.records[1].sections
    assert short_form[3].heading == "4. Limitationや問題点は何か"
    assert short_form[4].heading == "5. 技術的な詳細について"
    assert note.records[1].limitations == short_form[3].body


def test_field_values_are_the_section_bodies(seed):
    _, note = seed
    first = note.records[0]
    assert first.problem.startswith(
        "既存のビデオ異常検知（VAD）モデルは、主に以下の点で限界がありました。\n\n*   **汎用性の欠如:**"
    )
    assert first.approach.startswith("この研究では、上記の課題を解決するために、以下の手法を提案しています。")
    assert first.costs.startswith("*   **データセット:**")
    assert first.references.startswith("*   **Alec Radford et al. Learning transferable visual models")
    assert first.limitations.endswith("監視対象の個人やグループに対する影響を慎重に評価する必要がある。")
    eagle = by_title(note, "EAGLE-3")
    assert eagle.limitations.startswith("### 本文で言及されているもの\n\n*   **GPU制約:**")
    assert "### その他の問題点" in eagle.limitations


def test_hash_lines_in_code_fences_stay_code(seed):
    _, note = seed
    tiny = by_title(note, "TinyR1")
    assert "```python\n# Branch Phase の疑似コード\ndef branch_phase(" in tiny.technical
    assert "```python\n# Arcee Fusion の疑似コード\ndef arcee_fusion(" in tiny.technical
    assert tiny.technical.endswith("ここで、`Med`は重要度スコアの中央値、`IR`は四分位範囲を表します。")
    empirical = by_title(note, "An Empirical Study")
    assert "# オンポリシー学習の例 (PPO)\ndef ppo_update(" in empirical.technical
    assert not any(r.title.startswith(("Branch Phase", "Arcee", "オンポリシー")) for r in note.records)
    anomaly = note.records[0]
    assert "        # CLIPモデルで画像とテキストの埋め込みを生成" in anomaly.technical
    assert anomaly.costs.startswith("*   **データセット:**")


def test_tweet_kept_whole_and_hashtags_become_tags(seed):
    _, note = seed
    first = note.records[0]
    assert first.tweet.endswith("UBnormalでSOTA達成✨ #異常検知 #AI #ZeroShot #CVAD")
    assert first.tags == ["異常検知", "AI", "ZeroShot", "CVAD"]
    assert by_title(note, "S2S-Arena").tags == ["Speech2Speech", "音声処理", "LLM"]
    assert by_title(note, "LoRACode").tags == ["CodeBERT", "UniXcoder", "LoRA", "CodeSearch"]
    assert by_title(note, "BEHAVIOR").tags == ["BEHAVIOR", "ロボット", "AI"]
    searcher = by_title(note, "R1-Searcher")
    assert searcher.tweet == (
        "R1-Searcher：RLでLLMの検索能力を強化！🤖🔍\n"
        "2段階の報酬設計で外部知識を効果的に活用し、GPT-4o-mini超えの性能を達成✨\n"
        "既存RAG手法を凌駕し、汎用性も向上！ #LLM #強化学習 #検索"
    )
    assert searcher.tags == ["LLM", "強化学習", "検索"]


def test_preamble_and_stray_quote_are_residue_not_record_text(seed):
    _, note = seed
    assert [(r.line, r.text) for r in note.residue] == [(2671, PREAMBLE), (2977, "'''")]
    everything = " ".join(s.body for r in note.records for s in r.sections)
    assert "承知いたしました" not in everything
    empirical = by_title(note, "An Empirical Study")
    assert empirical.tweet.endswith("DeepSeek-R1の再現に挑戦！ #LLM #RL #推論 #AI")
    assert empirical.source.line_end == 2976
    assert by_title(note, "BEHAVIOR").problem.startswith("既存のロボティクスのベンチマーク分析から")
    assert [(d.line, d.severity) for d in note.diagnostics] == [(2977, Severity.WARNING)]


def test_nothing_lost(seed):
    source, note = seed
    coverage = measure(source.text, note)
    assert coverage.ratio >= 0.99, coverage.lost[:10]


def test_detected_by_content_and_no_other_seed_claimed():
    for name, file in SEEDS.items():
        text = read_source(NOTES / file, ROOT).text
        if name == "summaries":
            assert detect_format(text) == ("summaries", 1.0)
        else:
            assert summaries.detect(text) < 0.3
            assert detect_format(text)[0] != "summaries"


def test_missing_title_is_an_error_and_its_lines_residue():
    note = synthetic(
        "# Kept\n[View Paper](https://arxiv.org/abs/2401.00001)\n## 1. 既存研究では\nok\n\n---\n\n"
        "[View Paper](http://arxiv.org/abs/2401.00002v3)\n## 1. 既存研究では何ができなかったのか\nlost?\n"
    )
    assert [r.title for r in note.records] == ["Kept"]
    residue = [(r.line, r.text) for r in note.residue]
    assert residue[-2:] == [(9, "## 1. 既存研究では何ができなかったのか"), (10, "lost?")]
    errors = [d for d in note.diagnostics if d.severity == Severity.ERROR]
    assert len(errors) == 1 and errors[0].line == 8 and "without a '# title'" in errors[0].message


def test_missing_sections_are_reported_not_raised():
    note = synthetic(
        "\ufeff# Short\n\n[View Paper](https://arxiv.org/abs/2401.00001)\n\n## 1. 既存研究\np\n\n"
        "## 3. 結果\nr\n\n## 8. ツイート\nhi #A #b #a\n"
    )
    [record] = note.records
    assert (record.problem, record.results, record.approach, record.tweet) == ("p", "r", None, "hi #A #b #a")
    assert record.tags == ["A", "b"]
    [diagnostic] = note.diagnostics
    assert diagnostic.line == 1 and "2 (approach)" in diagnostic.message and "7 (references)" in diagnostic.message


def test_fenced_separator_and_heading_do_not_split_a_summary():
    note = synthetic("# A\n## 5. 技術的な詳細について\n```\n---\n# not a title\n## not a heading\n```\n")
    [record] = note.records
    assert record.technical == "```\n---\n# not a title\n## not a heading\n```"
    assert [s.heading for s in record.sections] == ["5. 技術的な詳細について"]


def test_an_empty_title_keeps_its_lines_as_residue():
    note = synthetic("# \n## 1. 既存研究\nx\n")
    assert note.records == []
    assert [r.line for r in note.residue] == [1, 2, 3]
    assert note.diagnostics[0].severity == Severity.ERROR
