"""The query set shared by the terminal search test and the browser search test.

Each query: (text, tag filter or None). Expected results are never written here: they are
computed from the records (every record whose text contains the query, see kb.search).
`勉強会` occurs only in the minutes note's meeting-name line: the four records of that
meeting carry it (their `meeting` field), and it finds exactly them.
"""

QUERIES = [
    # Japanese words and compounds
    ("ファインチューニング", None), ("勉強", None), ("勉強会", None), ("埋め込み", None), ("学習率", None),
    ("精度向上", None), ("強化学習", None), ("拡散モデル", None), ("異常検知", None),
    ("推論", None), ("蒸留", None), ("量子化", None), ("計算コスト", None),
    ("知識蒸留", None), ("自己回帰モデル", None), ("データセット", None), ("評価指標", None),
    ("事前学習", None), ("ハルシネーション", None), ("マルチモーダル", None),
    # substrings that cross word boundaries
    ("習率", None), ("ル蒸", None), ("モデルの性", None), ("を提案", None), ("論文を", None),
    ("ータセ", None), ("ル学習", None),
    # ASCII terms (inside words too), full-width input
    ("LoRA", None), ("GRPO", None), ("Transformer", None), ("attention", None), ("GPU", None),
    ("H100", None), ("arXiv", None), ("RLHF", None), ("MoE", None), ("KV", None), ("QLoRA", None),
    ("Qwen", None), ("CoT", None), ("ＬｏＲＡ", None),
    # mixed Japanese + ASCII, multi-word
    ("LLMの推論", None), ("GPU時間", None), ("LoRA 学習率", None), ("Diffusion 拡散", None),
    ("強化学習 GRPO", None), ("SFT データ", None), ("強化学習 報酬", None), ("RAG 検索", None),
    # tag-filtered
    ("推論", "Reasoning"), ("学習", "ReinforcementLearning"), ("LoRA", "PEFT(Adaptor/LoRA)"),
    ("効率", "EfficiencyImprovement"), ("attention", "Attention"),
]

# Date-sorted searches (the site's sort; `kb search` has none, so it checks the set only):
# (text, tag filter or None, "newest" | "oldest").
SORTED_QUERIES = [
    ("推論", None, "newest"), ("LoRA", None, "oldest"), ("データセット", None, "newest"),
    ("学習", "ReinforcementLearning", "oldest"),
]


def expected_ids(records, query: str, tag: str | None) -> set[str]:
    """Every record that passes the tag filter and whose text contains every query word."""
    from kb.search import matches, passes_filters, search_text

    return {r.id for r in records if passes_filters(r, tag, None) and matches(query, search_text(r))}
