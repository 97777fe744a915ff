"""The study-group minutes (seed 000): four records dated with the meeting."""

import datetime as dt

from kb.coverage import measure

MEETING = dt.date(2025, 9, 24)


def by_title(note, start):
    return next(r for r in note.records if r.title.startswith(start))


def test_four_records_three_talks_and_the_main_topic(minutes):
    _, note = minutes
    assert [r.title for r in note.records] == [
        "LoRAの進化:基礎から最新のLoRA-Proまで",
        "Diffusion Beats Autoregressive in Data-Constrained Settings",
        "Is the Watermarking of LLM-Generated Code Robust?",
        "Improving Context Fidelity via Native Retrieval-Augmented Reasoning",
    ]
    assert [r.presenter for r in note.records] == ["Shun Ito", "Takumi Iida (frkake)", "Ryoma Nakai", None]
    assert [r.kind for r in note.records] == ["blog", "blog", "paper", "paper"]
    assert {r.issue_date for r in note.records} == {MEETING}
    assert note.meta["date"] == "2025-09-24" and note.meta["meeting"] == "機械学習勉強会"


def test_the_run_together_toc_line_is_metadata_not_a_record(minutes):
    source, note = minutes
    toc = source.lines[1]
    assert note.meta["toc"] == toc
    assert all(r.source.line_start > 2 for r in note.records)
    assert all(toc not in s.body for r in note.records for s in r.sections)
    assert not note.residue


def test_main_topic_table_gives_title_authors_venue(minutes):
    _, note = minutes
    main = by_title(note, "Improving Context Fidelity")
    assert main.authors[0] == "Suyuchen Wang" and main.authors[-1] == "Bang Liu" and len(main.authors) == 9
    assert (main.venue, main.year) == ("EMNLP2025", 2025)
    assert [s.heading for s in main.sections] == ["背景", "提案", "実験"]
    assert main.problem.startswith("- LLMに、質問で与えられたコンテキストにきちんと沿った回答をさせたい")
    assert "### Supervised Fine-Tuning Phase" in main.approach
    assert "R1-Searcher(RLベースの検索、LLaMA-3.1 8B と Qwen2.5 7B)" in main.results
    assert (main.source.line_start, main.source.line_end) == (103, 198)


def test_talk_sections_and_venue_line(minutes):
    _, note = minutes
    talk = by_title(note, "Is the Watermarking")
    assert (talk.venue, talk.year) == ("ICLR2024", 2024)
    assert [s.heading for s in talk.sections] == ["背景", "目的", "実験方法", "結果", "結論"]
    assert talk.results == "- 機械的な編集で大幅に検知性能が低下した\n\n(CodeLlama-7B)"
    diffusion = by_title(note, "Diffusion Beats")
    assert [s.heading for s in diffusion.sections] == ["モチベーション", "色々な実験の結果", "感想と結論"]
    assert diffusion.summary == ("CMUが発表した論文の公式ブログ\n論文のプロジェクトリンク:https://diffusion-scaling.github.io/\n"
                                 "データが制限されているときだと、拡散モデルと自己回帰モデルどっちがいいの?という疑問に対する研究")


def test_talks_have_a_summary_and_carry_their_meeting(minutes):
    _, note = minutes
    assert note.meta["title"] == "2025-09-24 機械学習勉強会"
    assert [r.meeting for r in note.records] == ["2025-09-24 機械学習勉強会"] * 4
    # line 6, the memo's first item; the watermark talk has no memo: its 目的
    assert by_title(note, "LoRAの進化").summary == "LoRAの派生系をまとめて紹介している記事"
    assert by_title(note, "Is the Watermarking").summary.startswith("- 本研究の目的は、既存のウォーターマーク手法")


def test_lora_talk_keeps_its_link_cards(minutes):
    _, note = minutes
    lora = by_title(note, "LoRAの進化")
    body = lora.sections[0].body
    assert ("[LoRA+: Efficient Low Rank Adaptation of Large Models](https://arxiv.org/search/?searchtype=title&query="
            "LoRA%2B%3A+Efficient+Low+Rank+Adaptation+of+Large+Models)（arXiv.org）: アダプター行列AとBに") in body
    assert "[PiSSA: Principal Singular Values and Singular Vectors Adaptation...](" in body  # cut short on the page
    assert "arXiv.orgDoRA" not in body
    assert body.endswith("- 既存手法と比べ、最終的な性能の改善を実験的に確認")


def test_nothing_lost(minutes):
    source, note = minutes
    assert measure(source.text, note).ratio >= 0.99
