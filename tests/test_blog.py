"""The blog-style paper introductions (seeds 002 with headline and date, 003 without)."""

import datetime as dt

import pytest

from conftest import NOTES, ROOT, SEEDS, load_seed
from kb.coverage import measure
from kb.discover import SourceFile, read_source
from kb.formats import blog, detect_format
from kb.models import Severity

HEADINGS_002 = [
    "拡散LMのボトルネック:長いデコードウィンドウ問題とは?",
    "拡散LMと自己回帰モデル(ARLM)の違い",
    "LDW問題とは何か?",
    "LDW問題が引き起こす具体的な弊害",
    "LDW問題の原因",
    "既存のアプローチとその限界",
    "より良い解決策を求めて",
    "Convデコード:柔軟な窓で流暢なテキストを生成",
    "Convデコード:ハードセグメンテーションからの脱却",
    "Convデコードのパイプライン:処理の流れを理解する",
    "数式で理解するConvデコード",
    "Convデコードのメリット:速度、柔軟性、そして双方向性",
    "実験結果:Convデコードがもたらす効果",
    "R2FT:拒否ルールでモデルを洗練",
    "R2FTの基本的な考え方:反復と高頻度トークンの抑制",
    "R2FTのトレーニングプロセス:ネガティブサンプルの活用",
    "R2FTのメリット:コンテキストに沿ったテキスト生成",
    "R2FTの注意点:バランスの重要性",
    "実験結果:最先端技術との比較",
    "実験設定:公平な評価のために",
    "主要な結果:数値データが示す圧倒的な性能",
    "事例分析:生成テキストの品質向上",
    "既存研究との比較:Conv & R2FTの独自性",
    "拡散LMの未来:双方向性と応用",
    "双方向テキスト生成の潜在能力",
    "ConvとR2FTによる双方向性の活用",
    "今後の応用領域",
    "課題と今後の展望",
]
HEADINGS_003 = [
    "拡散LLMの課題とTOLERATORの登場",
    "拡散LLMとは?",
    "拡散LLMの抱える課題",
    "TOLERATORの登場:精度向上の救世主",
    "なぜTOLERATORは学習不要なの?",
    "拡散LLMの課題を克服し、新たな可能性を拓くTOLERATOR",
    "TOLERATORの仕組み:2段階アプローチ",
    "従来のunmasking手法との違い",
    "ステージ1:シーケンスのフィルアップ",
    "ステージ2:トークンレベルのクロスバリデーションによる反復的な改善",
    "TOLERATORの仕組み:まとめ",
    "実験結果から見るTOLERATORの有効性",
    "評価に用いたベンチマーク",
    "比較対象としたベースライン",
    "実験設定の詳細",
    "驚くべき実験結果",
    "結果が示す重要な意味",
    "まとめ",
    "TOLERATORの応用と今後の展望",
    "TOLERATORの潜在的な応用例",
    "今後の展望:さらなる進化への期待",
    "実用的な活用に向けて:TOLERATOR導入のヒント",
    "1. 導入手順:既存のdLLMへの組み込み",
    "2. パラメータ調整:効果的な設定を見つける",
    "3. 注意点:計算コストとタスク依存性",
    "4. 実践的な活用例:様々なタスクでの応用",
    "5. まとめ:TOLERATORで拡散LLMの可能性を最大限に引き出す",
]


@pytest.fixture(scope="module")
def post():
    return load_seed("blog")


@pytest.fixture(scope="module")
def undated():
    return load_seed("blog_no_date")


def section(record, heading):
    return next(s for s in record.sections if s.heading == heading)


def synthetic(text):
    return blog.parse(SourceFile("notes/x.txt", text, "utf-8", ""))


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_only_the_two_blog_posts_are_detected_as_blog(seed):
    text = read_source(NOTES / SEEDS[seed], ROOT).text
    is_blog = seed in ("blog", "blog_no_date")
    assert (detect_format(text)[0] == "blog") is is_blog
    assert (blog.detect(text) >= 0.9) if is_blog else (blog.detect(text) == 0.0)


def test_one_paper_record_with_the_wrapped_title_joined(post, undated):
    for (_, note), title in [
        (post, "Fast and Fluent Diffusion Language Models via Convolutional Decoding and Rejective Fine-tuning"),
        (undated, "Finish First, Perfect Later: Test-Time Token-Level Cross-Validation for "
                  "Diffusion Large Language Models"),
    ]:
        assert note.format == "blog" and [r.kind for r in note.records] == ["paper"]
        assert note.records[0].title == title
        assert not note.diagnostics and not note.residue


def test_header_gives_headline_date_and_category(post):
    _, note = post
    record = note.records[0]
    assert record.headline == "爆速&流暢!拡散モデル新解釈:Conv & R2FT"
    assert record.issue_date == dt.date(2025, 9, 21)
    # the post's title (note 002 line 1) names the note in the notes list
    assert note.meta == {"category": "論文要約", "date": "2025.09.21",
                         "title": "爆速&流暢!拡散モデル新解釈:Conv & R2FT"}
    assert record.tags == []


def test_link_and_arxiv_id(post, undated):
    record = post[1].records[0]
    assert record.url == "https://arxiv.org/pdf/2509.15188v1.pdf"
    assert record.arxiv_id == "2509.15188"
    other = undated[1].records[0]
    assert other.url is None and other.arxiv_id is None


def test_no_headline_or_date_is_invented(undated):
    _, note = undated
    record = note.records[0]
    assert record.headline is None and record.issue_date is None
    assert "category" not in note.meta and "date" not in note.meta


def test_one_line_summary(post, undated):
    assert post[1].records[0].summary == (
        "拡散言語モデル(LM)の課題、特に長いデコードウィンドウ問題を、畳み込みデコード(Conv)と拒否ルールベースの"
        "ファインチューニング(R2FT)で解決する最新研究を解説。速度と品質を両立し、より自然なテキスト生成を可能にする"
        "技術を、中級者向けにわかりやすくまとめました。"
    )
    assert undated[1].records[0].summary.startswith("拡散LLMの精度向上に革命をもたらす「TOLERATOR」を徹底解説。")
    assert undated[1].records[0].summary.endswith("拡散LLMの可能性を最大限に引き出すための実践的知識が得られます。")


def test_plain_text_headings_of_002(post):
    record = post[1].records[0]
    assert [s.heading for s in record.sections] == HEADINGS_002
    assert [s.line for s in record.sections][:4] == [10, 12, 14, 19]
    assert section(record, "課題と今後の展望").line == 124


def test_flattened_list_items_are_body_not_headings(post):
    record = post[1].records[0]
    harm = section(record, "LDW問題が引き起こす具体的な弊害").body
    assert "意味のない繰り返し :プロンプトや直前の単語を過剰に繰り返す" in harm
    assert "テキストの非流暢性 :意味が通じにくく、不自然な文章になる" in harm
    setup = section(record, "実験設定:公平な評価のために").body
    assert "データセット:Alpaca instruction dataset\n\n評価指標:AlpacaEval (G-eval)、MT-Bench、Wiki" in setup
    assert "pConv (xij ) = p(xij ) * si * snorm" in section(record, "数式で理解するConvデコード").body


def test_hash_and_numbered_headings_of_003(undated):
    record = undated[1].records[0]
    assert [s.heading for s in record.sections] == HEADINGS_003
    assert section(record, "拡散LLMとは?").line == 8
    assert section(record, "3. 注意点:計算コストとタスク依存性").line == 90
    assert not any("###" in s.heading or "###" in s.body for s in record.sections)


def test_figure_caption_stays_in_its_section(undated):
    record = undated[1].records[0]
    body = section(record, "驚くべき実験結果").body
    assert body.endswith("図:様々なデコーディング手法における性能効率のトレードオフ (イメージ)")
    assert section(record, "結果が示す重要な意味").line == 62


def test_bodies_are_markdown_paragraphs_and_lists(undated):
    record = undated[1].records[0]
    body = section(record, "評価に用いたベンチマーク").body
    assert body == (
        "TOLERATORの性能を客観的に評価するため、以下の標準的なベンチマークを使用しました。\n\n"
        "- 言語理解: TriviaQA、GPQA\n- コード生成: MBPP、HumanEval\n- 数学: GSM8K\n\n"
        "これらのベンチマークは、LLMの能力を測る上で広く認知されており、様々な側面からTOLERATORの性能を分析するのに適しています。"
    )


def test_limitations_gather_caveat_and_open_problem_sections(post, undated):
    record = post[1].records[0]
    assert record.limitations.startswith("### R2FTの注意点:バランスの重要性\n\n"
                                         "R2FTは非常に強力な手法ですが、適用には注意が必要 です。")
    assert "ネガティブサンプルの多様性 :ネガティブサンプルが単純すぎると" in record.limitations
    assert "* **計算コストの削減:** 拡散LMは計算コストが高いため" in record.limitations
    assert "Semi-ARにも以下のような限界" not in record.limitations  # the prior work's limits: problem
    other = undated[1].records[0]
    assert other.limitations.startswith("TOLERATORを導入する際には、以下の点に注意する必要があります。")
    assert "* **タスクに応じたパラメータ調整の必要性**" in other.limitations
    assert "一度受け入れられたトークン" not in other.limitations  # the 課題 the paper solves: problem


def test_problem_approach_results_from_clear_headings(post, undated):
    record = post[1].records[0]
    assert record.problem.startswith("### 拡散LMのボトルネック:長いデコードウィンドウ問題とは?\n\n"
                                     "拡散言語モデル(LM)は、その並列処理能力から")
    assert "Semi-ARにも以下のような限界 があります。" in record.problem
    assert record.results.startswith("### 実験結果:Convデコードがもたらす効果\n\nFigure 8に示すように")
    assert "AlpacaEvalにおける勝率は目覚ましく" in record.results
    other = undated[1].records[0]
    assert "一度受け入れられたトークン(単語や文字)は、後続のステップで修正できない" in other.problem
    assert "この課題を克服し、その精度を飛躍的に向上させる" not in other.problem
    assert "### TOLERATORの仕組み:2段階アプローチ\n\n自己回帰モデルを超える可能性を秘めた拡散LLMですが" in (
        other.approach)
    assert "Dreamモデルでは17.9%、LLaDAモデルでは15.3%" in other.results


def test_trailing_comment_label_is_dropped_as_furniture(post, undated):
    for (source, note), last_line, last_text in [
        (post, 128, "今後の研究開発に期待しましょう。"),
        (undated, 100, "拡散LLMの可能性を最大限に引き出すことができるでしょう。"),
    ]:
        assert source.lines[-1] == "コメント"
        record = note.records[0]
        assert record.sections[-1].body.endswith(last_text)
        assert not any("コメント" in s.heading or "コメント" in s.body for s in record.sections)
        assert record.comment is None and not note.residue
        assert (record.source.path, record.source.format) == (source.path, "blog")
        assert (record.source.line_start, record.source.line_end) == (1, last_line)


def test_nothing_lost(post, undated):
    for source, note in (post, undated):
        assert measure(source.text, note).ratio >= 0.99


def test_wrapped_lines_join_by_script():
    assert blog.join_wrapped(["Convolutional Decoding and", "Rejective Fine-tuning"]) == (
        "Convolutional Decoding and Rejective Fine-tuning")
    assert blog.join_wrapped(["大規模言語モデルの", "効率化"]) == "大規模言語モデルの効率化"
    assert blog.join_wrapped(["LLMの", "Scaling Law"]) == "LLMのScaling Law"
    assert blog.join_wrapped(["Token-", "Level"]) == "Token-Level"


def test_a_post_without_a_title_is_a_diagnostic_not_an_exception():
    note = synthetic("紹介論文\nhttps://example.com/x\nこの論文を一言でまとめると\n要約。\n本文です。\nコメント")
    assert note.records == []
    assert note.diagnostics[0].severity == Severity.ERROR and "no paper title" in note.diagnostics[0].message
    assert [r.text for r in note.residue] == ["紹介論文", "https://example.com/x", "この論文を一言でまとめると",
                                              "要約。", "本文です。"]


def test_comment_label_followed_by_text_is_content_not_furniture():
    note = synthetic("紹介論文\n今回紹介する論文は大規模言語モデルの\n効率化という論文です。\n余計な行\n"
                     "この論文を一言でまとめると\n要約。\n背景\n本文です。\nコメント\nこれは良い論文だった。")
    [record] = note.records
    assert record.title == "大規模言語モデルの効率化"
    assert [s.heading for s in record.sections] == ["背景", "コメント"]
    assert record.comment == "これは良い論文だった。" and record.problem == "本文です。"
    assert [(r.line, r.text) for r in note.residue] == [(4, "余計な行")]


def test_a_bare_title_without_summary_warns():
    note = synthetic("紹介論文\nAttention Is All You\nNeed\nhttps://arxiv.org/abs/1706.03762\n本文です。\n\nコメント\n")
    [record] = note.records
    assert (record.title, record.arxiv_id, record.summary) == ("Attention Is All You Need", "1706.03762", None)
    assert [s.heading for s in record.sections] == ["本文"]
    assert [d.severity for d in note.diagnostics] == [Severity.WARNING]


def test_caveat_headings_are_limitations_wherever_they_stand():
    note = synthetic("紹介論文\n今回紹介する論文はXという論文です。\nこの論文を一言でまとめると\n要約。\n"
                     "利用時の注意点\n学習が不安定になりやすい。\n手法の概要\n提案する仕組み。\n"
                     "実験結果\n精度が上がった。\n残る課題\n長文は未検証。\nコメント")
    [record] = note.records
    assert record.limitations == "### 利用時の注意点\n\n学習が不安定になりやすい。\n\n### 残る課題\n\n長文は未検証。"
    assert (record.problem, record.approach, record.results) == (None, "提案する仕組み。", "精度が上がった。")


def test_method_sections_are_the_approach_in_both_blog_notes(post, undated):
    """Note 002 lines 40-85 (Conv decoding, R2FT: named in the summary's brackets) and note 003
    lines 19-37 (the two stages), by the headings Japanese posts give a method."""
    approach = post[1].records[0].approach
    headings = [line[4:] for line in approach.split("\n") if line.startswith("### ")]
    assert headings == [
        "Convデコード:柔軟な窓で流暢なテキストを生成", "Convデコード:ハードセグメンテーションからの脱却",
        "Convデコードのパイプライン:処理の流れを理解する", "数式で理解するConvデコード",
        "Convデコードのメリット:速度、柔軟性、そして双方向性", "R2FT:拒否ルールでモデルを洗練",
        "R2FTの基本的な考え方:反復と高頻度トークンの抑制", "R2FTのトレーニングプロセス:ネガティブサンプルの活用",
        "R2FTのメリット:コンテキストに沿ったテキスト生成"]
    assert "マスク判定: 各トークンがマスクされているかどうかを判定します。" in approach  # line 48
    assert "R2FTの注意点" not in approach  # its caveat is a limitation
    other = undated[1].records[0].approach
    for heading in ("TOLERATORの仕組み:2段階アプローチ", "ステージ1:シーケンスのフィルアップ",
                    "ステージ2:トークンレベルのクロスバリデーションによる反復的な改善", "TOLERATORの仕組み:まとめ"):
        assert f"### {heading}\n" in other
    assert "- 反復処理: 上記のプロセスを、設定された回数だけ繰り返します。" in other  # line 31
    assert "従来のunmasking手法との違い" not in other  # prior work
