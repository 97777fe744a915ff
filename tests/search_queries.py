"""The query set shared by the terminal search test, the index reader test and the browser test.

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
    ("言語モデル", None), ("大規模言語モデル", None), ("検索", None), ("機構", None),
    # one character: kanji, kana, latin, digit
    ("論", None), ("量", None), ("率", None), ("の", None), ("ア", None), ("x", None), ("7", None),
    # kana-only words, long katakana
    ("ところ", None), ("について", None), ("これは", None), ("ような", None),
    ("アーキテクチャ", None), ("パラメータ", None), ("トークン", None), ("アテンション", None),
    ("エージェント", None), ("ベンチマーク", None), ("スケーリング", None), ("プロンプト", None),
    # substrings that cross word boundaries
    ("習率", None), ("ル蒸", None), ("モデルの性", None), ("を提案", None), ("論文を", None),
    ("ータセ", None), ("ル学習", None), ("した。", None), ("を用いて", None),
    # ASCII terms, inside words too
    ("LoRA", None), ("GRPO", None), ("Transformer", None), ("attention", None), ("GPU", None),
    ("H100", None), ("arXiv", None), ("RLHF", None), ("MoE", None), ("KV", None), ("QLoRA", None),
    ("Qwen", None), ("CoT", None), ("LongLoRA", None), ("-QGRPO", None), ("ora", None), ("former", None),
    ("Llama", None), ("BERT", None), ("vLLM", None), ("Flash", None), ("token", None), ("7B", None),
    # arXiv ids, authors, venues, presenters, tags
    ("2503.04504", None), ("2509.15188", None), ("2503.02130", None), ("2503.", None),
    ("Suyuchen Wang", None), ("Wang", None), ("Yuxian Gu", None), ("Bang Liu", None),
    ("arXiv'25", None), ("ACL'23", None), ("EMNLP", None), ("ICLR", None),
    ("Ryoma Nakai", None), ("frkake", None),
    ("EfficiencyImprovement", None), ("Pocket", None), ("PEFT(Adaptor/LoRA)", None),
    ("Supervised-FineTuning", None), ("ReinforcementLearning", None),
    # width and case variants
    ("ＬｏＲＡ", None), ("lora", None), ("LORA", None), ("ｇｒｐｏ", None), ("ﾌｧｲﾝﾁｭｰﾆﾝｸﾞ", None),
    ("ﾃﾞｰﾀｾｯﾄ", None), ("ＧＰＵ", None), ("２０２５", None), ("TRANSFORMER", None),
    # mixed Japanese + ASCII, multi-word
    ("LLMの推論", None), ("GPU時間", None), ("LoRA 学習率", None), ("Diffusion 拡散", None),
    ("強化学習 GRPO", None), ("SFT データ", None), ("強化学習 報酬", None), ("RAG 検索", None),
    ("推論 効率 モデル", None), ("Wang 推論", None),
    # a meeting name; nothing to find
    ("勉強会", None), ("機械学習勉強会", None), ("存在しない語zzqx", None),
    # tag-filtered
    ("推論", "Reasoning"), ("学習", "ReinforcementLearning"), ("LoRA", "PEFT(Adaptor/LoRA)"),
    ("効率", "EfficiencyImprovement"), ("attention", "Attention"), ("の", "NLP"),
]

# Date-sorted searches (the site's sort; `kb search` has none, so it checks the set only):
# (text, tag filter or None, "newest" | "oldest").
SORTED_QUERIES = [
    ("推論", None, "newest"), ("LoRA", None, "oldest"), ("データセット", None, "newest"),
    ("学習", "ReinforcementLearning", "oldest"),
]

# The synthetic 1,000-note corpus (bench/corpus.py): the query set above, plus words of its
# made-up names and tags.
CORPUS_QUERIES = QUERIES + [
    ("karo", None), ("zen", None), ("Vitor", None), ("Nexqua", None), ("ix", None), ("ber", None),
    ("Efficiency", None), ("モデル", None), ("手法", None), ("結果", None), ("限界", None),
    ("学習", None), ("の精度", None), ("実験", None), ("提案", None),
]

NO_RESULTS = {"存在しない語zzqx"}


def expected_ids(records, query: str, tag: str | None) -> set[str]:
    """Every record that passes the tag filter and whose text contains every query word."""
    from kb.search import matches, passes_filters, search_text

    return {r.id for r in records if passes_filters(r, tag, None) and matches(query, search_text(r))}


def expected_order(records, query: str, tag: str | None) -> list[str]:
    """The ids in the site's relevance order, by kb.search's rank (region, newest first, id)."""
    from kb.search import match_region, passes_filters, query_words, rank_key, search_regions

    words = query_words(query)
    found = [(region, r) for r in records if passes_filters(r, tag, None)
             and (region := match_region(words, search_regions(r))) is not None]
    return [r.id for region, r in sorted(found, key=lambda pair: rank_key(*pair))]


def one_per_paper(ids: list[str], paper_of: dict[str, str]) -> list[str]:
    """What the search page lists for records in this order: a paper's first note stands for it
    (paper_of: record id -> its paper's id, for papers noted in two or more records)."""
    seen: set[str] = set()
    kept = []
    for record_id in ids:
        key = paper_of.get(record_id, record_id)
        if key not in seen:
            seen.add(key)
            kept.append(record_id)
    return kept
