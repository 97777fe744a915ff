"""Mentions in one pass over each text (issue #23 item 6): the automaton finds exactly what the token
by token reader finds, on the bundled notes, a generated corpus and random text; texts it cannot
fold whole go token by token. The hand-checked truth set (tests/mention_truth.py) is checked in
tests/test_index.py."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import NOTES, external_dir

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from corpus import generate  # noqa: E402

from kb.config import Settings  # noqa: E402
from kb.index.mentions import NameIndex, ascii_lookalikes, has_ascii_lookalike, record_words, text_parts  # noqa: E402
from kb.index.name_scan import token_line  # noqa: E402
from kb.models import Record, SourceSpan  # noqa: E402
from kb.records import parse_notes  # noqa: E402
from kb.text import drop_inner_hyphens  # noqa: E402


def records_of(notes: Path, root: Path) -> list[Record]:
    return [record for note in parse_notes(notes, root, Settings()).notes for record in note.records]


def both_ways(records: list[Record], texts: list[Record] | None = None) -> tuple[list[set], list[set]]:
    index = NameIndex(records)
    texts = records if texts is None else texts
    return [index.find(record_words(r)) for r in texts], [index.find_in(r) for r in texts]


def test_the_bundled_notes_give_the_same_mentions_both_ways():
    records = records_of(NOTES, NOTES.parent)
    by_tokens, in_one_pass = both_ways(records)
    assert in_one_pass == by_tokens
    assert sum(map(len, by_tokens)) == 80  # entries found (name, record, capitals), counted by hand once
    assert sum(token_line(text_parts(r)) is None for r in records) == 0  # Σ, Δ, Φ fold to one letter each


def test_a_generated_corpus_gives_the_same_mentions_both_ways(tmp_path):
    generate(300, tmp_path)
    records = records_of(tmp_path / "notes", tmp_path)
    by_tokens, in_one_pass = both_ways(records)
    assert in_one_pass == by_tokens
    assert sum(map(len, by_tokens)) > 0


def record(title: str, text: str = "") -> Record:
    return Record(title=title, summary=text or None, source=SourceSpan(path="notes/x.md", format="native",
                                                                       line_start=1, line_end=1))


WORDS = ["LoRA", "lora", "LoRA+", "QLoRA", "Flash", "Attention", "FlashAttention-2", "flashattention2", "GQA",
         "gqa", "Zero-", "ZeRO", "学習", "率", "推論", "ＬｏＲＡ", "Straße", "strasse", "İstanbul", "K", "ſ",
         "Σ", "σ", "É", "é", "٣", "1", "2.5", "Qwen2.5", "r1-searcher", "R1-Searcher", "x'y"]
GLUE = [" ", "", "\n", "、", "-", "・", " - ", ".", "(", ")"]


def random_text(rnd: random.Random, size: int) -> str:
    return "".join(rnd.choice(WORDS) + rnd.choice(GLUE) for _ in range(size))


def test_random_text_gives_the_same_mentions_both_ways():
    rnd = random.Random(7)
    titles = [random_text(rnd, rnd.randint(1, 4)).strip() or "x" for _ in range(60)]
    titles += ["ZeRO: Memory Optimizations", "GQA: Training", "Unsloth", "LoRA+: Efficient Low Rank"]
    records = [record(title) for title in titles]
    texts = [record("text", random_text(rnd, rnd.randint(0, 30))) for _ in range(3000)]
    by_tokens, in_one_pass = both_ways(records, texts)
    assert in_one_pass == by_tokens
    assert sum(map(len, by_tokens)) > 500  # the random texts do name many of the titles
    assert sum(token_line(text_parts(t)) is None for t in texts) > 100  # and the slow way is exercised


def test_texts_whose_folding_changes_length_go_token_by_token():
    assert token_line(["Straße und LoRA"]) is None and token_line(["İstanbul"]) is None
    line = token_line(["ΣΑΣ と LoRA-2 の Zero-/few-shot"])
    assert line.cased == " Σ Α Σ と LoRA2 の Zero- fewshot \n "
    assert line.folded == " σ α σ と lora2 の zero- fewshot \n "


INNER_HYPHEN = re.compile(r"(?<=[0-9a-zA-Z])-(?=[0-9a-zA-Z])")  # the rule as a regular expression


def notes_texts() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(NOTES.glob("*.txt"))]
    return texts + [path.read_text(encoding="utf-8") for path in sorted(external_dir().glob("*.txt"))]


@given(st.text(alphabet=st.sampled_from("aZ9-‐ー－ －ＬｏＲＡ①ﬁ\u0301é漢\n.+ß")))
def test_dropping_inner_hyphens_and_finding_ascii_lookalikes_agree_with_their_definitions(text):
    assert drop_inner_hyphens(text) == INNER_HYPHEN.sub("", text)
    assert has_ascii_lookalike(text) == (not ascii_lookalikes().isdisjoint(text))


def test_the_notes_agree_too():
    texts = notes_texts()
    assert len(texts) == 9  # the five seeds and the four external tag pages
    assert [drop_inner_hyphens(t) for t in texts] == [INNER_HYPHEN.sub("", t) for t in texts]
    assert [has_ascii_lookalike(t) for t in texts] == [not ascii_lookalikes().isdisjoint(t) for t in texts]
    assert drop_inner_hyphens("LLaMA-2 と Zero-/few-shot、-x a--b") == "LLaMA2 と Zero-/fewshot、-x a--b"
    assert [has_ascii_lookalike(t) for t in ("LoRA と QLoRA", "ＬｏＲＡ", "ﬁne", "e\u0301", "\ud800")] == [
        False, True, True, True, False]
