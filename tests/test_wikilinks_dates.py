"""Dates as Japanese notes write them, and [[wiki links]] (issue 20, point 6)."""

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.discover import SourceFile
from kb.formats import parse_source
from kb.render.markdown import render_markdown

LORA = """---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
url: https://arxiv.org/abs/2106.09685
issue_date: 2021-06-17
---
## summary
低ランク適応。
"""
PLUS = """# LoRA+ の読書メモ

## 要約
[[LoRA]] の A と B で学習率を変える。原論文は [[2106.09685|Hu et al.]]、
比較は [[LoRAA]] と [[QLoRA]]。
"""


@pytest.mark.parametrize("written", ["2024/3/5", "2024.3.5", "2024年3月5日", "'2024/03/05'", "2024-03-05"])
def test_dates_in_japanese_forms_are_read(written):
    note = parse_source(SourceFile("notes/x.md", f"---\ntitle: T\nissue_date: {written}\n---\n", "utf-8", "0"))
    [record] = note.records
    assert record.issue_date == dt.date(2024, 3, 5)


def test_a_date_that_is_none_of_them_says_which_forms_are_read():
    note = parse_source(SourceFile("notes/x.md", "---\ntitle: T\nissue_date: 5/3/2024\n---\n", "utf-8", "0"))
    assert [d.message for d in note.diagnostics] == [
        "issue_date '5/3/2024' is not a date: expected YYYY-MM-DD (or 2024/3/5, 2024.3.5, 2024年3月5日)"]
    bad = parse_source(SourceFile("notes/x.md", "---\ntitle: T\nissue_date: 2024/2/30\n---\n", "utf-8", "0"))
    assert [d.message for d in bad.diagnostics] == [
        "issue_date '2024/2/30' is not a date: day 30 (2024-02 has 29 days)"]


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "lora.md").write_text(LORA, encoding="utf-8")
    (tmp_path / "notes" / "lora-plus.md").write_text(PLUS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_wiki_links_link_to_the_record_by_short_name_and_id(project):
    result = CliRunner().invoke(main, ["build", "--no-search"])
    assert result.exit_code == 0, result.output
    page = (project / "site" / "records" / "lora-plus" / "index.html").read_text(encoding="utf-8")
    assert ('<p><a class="wikilink" href="../../records/2106.09685/index.html">LoRA</a> の A と B で学習率を変える。'
            '原論文は <a class="wikilink" href="../../records/2106.09685/index.html">Hu et al.</a>、') in page
    assert ('比較は <span class="wikilink-missing">LoRAA</span> と <span class="wikilink-missing">QLoRA</span>。'
            in page)


def test_unresolved_wiki_links_are_warned_with_a_did_you_mean(project):
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0
    assert ("notes/lora-plus.md:5: warning: wiki link [[LoRAA]] names no record: shown as text "
            "(did you mean [[LoRA]]?)") in result.output
    assert "notes/lora-plus.md:5: warning: wiki link [[QLoRA]] names no record: shown as text" in result.output
    assert "[[LoRA]] names" not in result.output and "[[2106.09685]]" not in result.output


def test_a_wiki_link_inside_code_stays_code():
    html = render_markdown("`[[LoRA]]` と [[LoRA]]", 3, "t", wikilinks=(("LoRA", "../x/index.html"),))
    assert html == '<p><code>[[LoRA]]</code> と <a class="wikilink" href="../x/index.html">LoRA</a></p>\n'
