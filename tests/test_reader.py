"""What a careful reader still tripped over (issue #21), on the bundled notes: Japanese line
breaks, "et al.", scraped markup, links holding two URLs, compute runs, one-line summaries.
Every page of the built site is read as a browser reads its text (tests/test_reader_browser.py
looks at some of them in Chromium)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import NOTES, ROOT, SEEDS, load_seed
from kb.build import build_site
from kb.config import load_settings
from kb.formats.listing import link_text
from kb.index import build_index
from kb.records import parse_notes
from kb.render.markdown import render_markdown
from kb.text import ARXIV_ID

CJK = "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
SOFT_BREAK = re.compile(f"{CJK}[ \t]*\n\\s*{CJK}")  # a newline in HTML text: Chromium shows a space
ADACOT = "adacot-pareto-optimal-adaptive-chain-of-thought-triggering-via-reinforcement-lea"
SKIPPED = {"pre", "textarea", "script", "style", "code"}


class PageText(HTMLParser):
    """A page's text nodes outside pre/code/script (where a newline is shown as a space) and a
    note's own lines (span.lt of a note page: the note verbatim), its hrefs, and the text of its
    author line (dd.people)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping, self.texts, self.hrefs, self.people, self.in_people = 0, [], [], "", False
        self.note_line = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED:
            self.skipping += 1
        self.note_line = self.note_line or (tag == "span" and attrs.get("class") == "lt")
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "dd" and attrs.get("class") == "people":
            self.in_people = True

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skipping -= 1
        self.note_line = self.note_line and tag != "span"
        if tag == "dd":
            self.in_people = False

    def handle_data(self, data):
        if self.in_people:
            self.people += data
        if not self.skipping and not self.note_line:
            self.texts.append(data)


def parsed_records() -> list:
    return parse_notes(NOTES, ROOT, load_settings(ROOT)[0]).records


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reader") / "site"
    build_site(ROOT, load_settings(ROOT)[0], out, NOTES, search=False)
    return out


@pytest.fixture(scope="module")
def pages(site) -> dict[str, PageText]:
    found = {}
    for path in sorted(site.rglob("*.html")):
        reader = PageText()
        reader.feed(path.read_text(encoding="utf-8"))
        found[path.relative_to(site).as_posix()] = reader
    return found


@pytest.fixture(scope="module")
def records(site) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((site / "records.json").read_text(encoding="utf-8"))["records"]}


def test_no_soft_break_between_japanese_characters_on_any_page(pages):
    assert len(pages) > 400
    found = {path: [hit for text in page.texts for hit in SOFT_BREAK.findall(text)] for path, page in pages.items()}
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_japanese_lines_join_and_copied_lines_stay_lines():
    # a paragraph written over two lines: no space where the line broke
    assert render_markdown("学習率を変えずに\n収束が速くなる。\n実装は簡単。") == (
        "<p>学習率を変えずに収束が速くなる。実装は簡単。</p>\n")
    # English keeps its space; a 「・」 item keeps its own line
    assert render_markdown("Low rank\nadaptation") == "<p>Low rank\nadaptation</p>\n"
    assert render_markdown("項目:\n・一つ目\n・二つ目\nで終わる") == (
        "<p>項目:<br />\n・一つ目<br />\n・二つ目<br />\nで終わる</p>\n")


def test_adacot_items_stay_on_their_lines(site):
    # note 004 lines 211-214: 「…リワードだけでなく、」 then three 「・」 items, then 「を設定し、…」
    html = (site / "records" / ADACOT / "index.html").read_text(encoding="utf-8")
    assert "・reasoningをなくした場合のペナルティ項<br />\n・reasoningをoveruseした場合のペナルティ項<br />" in html
    assert "・formattingに関するペナルティ項<br />\nを設定し、" in html


def test_every_author_list_cut_short_says_hoka(pages, records):
    # note 004: 115 link texts end their author with "+" (`grep -c "+, " notes/004_*`), e.g. line 210
    # 「AdaCoT: …, Chenwei Lou+, arXiv'25」; Shazeer's "Fast Transformer Decoding" (line 485) has no "+"
    listed = [r for r in parsed_records() if r.source.format == "listing"]
    cut = [r for r in listed if re.search(r"\+\s*(?:[(（][^)）]*[)）])?\s*,", link_text(r) or "")]
    assert len(cut) > 100 and all(r.et_al for r in cut)
    assert [r.et_al for r in listed if r.title.startswith("Fast Transformer Decoding")] == [False]
    for record in cut:
        shown = pages[f"records/{record.id}/index.html"].people.strip()
        assert shown.endswith("ほか"), (record.id, shown)
    assert pages[f"records/{ADACOT}/index.html"].people.strip() == "Chenwei Lou ほか"
    assert records[ADACOT]["et_al"] is True


def test_kb_export_carries_et_al_and_the_inferred_year(monkeypatch):
    from click.testing import CliRunner

    from kb.cli import main

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["export", "--notes", str(NOTES)])
    exported = {r["id"]: r for r in map(json.loads, result.output.splitlines())}
    assert exported[ADACOT]["et_al"] is True  # note 004 line 210: Chenwei Lou+
    assert (exported["2503.04504"]["year"], exported["2503.04504"]["year_inferred"]) == (2025, True)


def test_bibtex_keeps_and_others(site):
    bib = (site / "records.bib").read_text(encoding="utf-8")
    assert "author = {Chenwei Lou and others}" in bib


def test_scraped_markup_is_taken_out_and_reported():
    # note 004 line 215: 「今回は、Decision tokenとして、``トークン直後の…」 (the page ate the code);
    # line 216 ends AdaCoT's comment with a stray 「</span>」
    _, note = load_seed("listing")
    adacot = next(r for r in note.records if r.title.startswith("AdaCoT"))
    assert "Decision tokenとして、トークン直後のトークンを" in adacot.comment
    assert "``" not in adacot.comment and "</span>" not in adacot.comment
    assert adacot.comment.endswith("どのステージに対してapplyするのだろうか。")
    assert [(r.line, r.text) for r in note.residue] == [(215, "``"), (216, "</span>")]


def test_no_tag_remnant_or_empty_code_span_on_any_page(pages):
    shown = {path: [t for t in page.texts if "</span" in t or "``" in t] for path, page in pages.items()}
    assert {path: texts for path, texts in shown.items() if texts} == {}


def test_every_href_holds_one_url(pages):
    twice = {path: [h for h in page.hrefs if len(re.findall(r"https?://", h)) > 1] for path, page in pages.items()}
    assert {path: hrefs for path, hrefs in twice.items() if hrefs} == {}
    # note 004 line 423: 「参考: https://twitter.com/…&t=TDHYK31QiXKxggPzhZbcAQOpenReview:https://openreview.net/…」
    qlora = pages["records/qlora-efficient-finetuning-of-quantized-llms/index.html"].hrefs
    assert "https://twitter.com/hillbig/status/1662946722690236417?s=46&t=TDHYK31QiXKxggPzhZbcAQ" in qlora
    assert any(h.startswith("https://openreview.net/forum?id=OUIFPHEgJU") for h in qlora)


def test_compute_keeps_runs_with_different_descriptions():
    # note 001 lines 1035-1038: SFT on 4 A100 40GB for about 2 days; RLCC on 2 H20 for 5 days; the AI detector
    # on dual 3090 for 3 days; the profile generator on 4 A100 40GB for 2 days (a run of its own)
    settings = load_settings(ROOT)[0]
    kb = build_index(parsed_records(), settings)
    runs = [(c.gpu, c.count, c.hours, c.text.split(":")[0]) for c in kb.by_id["2502.18968"].compute]
    assert runs == [("A100", 4, 48.0, "SFTのトレーニング"), ("H20", 2, 120.0, "RLCCのトレーニング"),
                    ("RTX 3090", 2, 72.0, "AI検出器のトレーニング"),
                    ("A100", 4, 48.0, "プロファイルジェネレーターモデルのトレーニング")]


def test_one_line_summaries_never_join_two_lines(records):
    # note 000 lines 31-33: 「CMUが発表した論文の公式ブログ」「論文のプロジェクトリンク:https://…」「データが制限…研究」
    diffusion = records["diffusion-beats-autoregressive-in-data-constrained-settings"]
    assert diffusion["summary"] == ("CMUが発表した論文の公式ブログ。データが制限されているときだと、"
                                    "拡散モデルと自己回帰モデルどっちがいいの?という疑問に対する研究")
    assert SEEDS["minutes"] == "000_7ec92ae646da1197.txt"


def test_meeting_page_labels_the_topic_and_names_its_minutes(site):
    html = (site / "meetings" / "2025-09-24-機械学習勉強会" / "index.html").read_text(encoding="utf-8")
    # note 000 line 1: 「2025-09-24 機械学習勉強会」; lines 4-6: @Shun Ito's talk, whose first item
    # 「LoRAの派生系をまとめて紹介している記事」 is its one line
    assert ">2025-09-24 機械学習勉強会 の議事録</a>" in html and "000_7ec92ae646da1197.txt</a>" not in html
    assert '<p class="record-line">LoRAの派生系をまとめて紹介している記事</p>' in html
    assert html.count('class="record-line"') == 4  # every talk and the main topic has its line
    assert '<span class="presenter">メインTOPIC' not in html
    assert '<span class="topic-label">メイントピック</span>' in html


def test_tag_pages_leave_out_their_own_tag_and_group_by_year(site, pages):
    tag_pages = [p for p in pages if p.startswith("tags/") and p.count("/") == 2]
    assert len(tag_pages) > 100
    for path in tag_pages:
        html = (site / path).read_text(encoding="utf-8")
        own = f'href="../../{path}"'
        assert own not in html, path
    html = (site / "tags/languagemodel/index.html").read_text(encoding="utf-8")
    years = re.findall(r'<h2 id="y-(\d{4}|undated)">', html)
    assert years == sorted(years, reverse=True) and "2025" in years  # note 004 line 7: Jet-Nemotron, 2025-08-26
    assert all(f'href="#y-{year}"' in html for year in years)  # the jump list
    sections = re.split(r'<h2 id="y-', html)[1:]
    for section in sections:
        year = section[:4]
        assert all(d.startswith(year) for d in re.findall(r'<time datetime="([\d-]+)"', section)), year


def test_notes_list_is_titled_by_content_with_japanese_formats(site):
    html = (site / "notes" / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'<a class="record-title" href="[^"]+">([^<]+)</a>', html)
    # 000 line 1; 001 line 1 (# AnyAnomaly: …); 002 line 1 (the post's title); 003 lines 2-3 (its paper); 004 line 1
    assert titles == [
        "2025-09-24 機械学習勉強会", "AnyAnomaly: Zero-Shot Customizable Video Anomaly Detection with LVLM",
        "爆速&amp;流暢!拡散モデル新解釈:Conv &amp; R2FT",
        "Finish First, Perfect Later: Test-Time Token-Level Cross-Validation for Diffusion Large Language Models",
        "EfficiencyImprovement"]
    formats = re.findall(r'<span class="kind">([^<]+)</span>', html)
    assert formats == ["議事録", "8問要約", "ブログ紹介", "ブログ紹介", "タグページ"]


def test_no_format_name_in_english_on_any_page(pages):
    english = re.compile(r"\b(?:minutes|summaries|listing|native) 形式|（(?:minutes|summaries|blog|listing|native)）")
    assert [path for path, page in pages.items() if english.search("".join(page.texts))] == []


def test_every_record_with_an_arxiv_id_has_a_year():
    kb = build_index(parsed_records(), load_settings(ROOT)[0])
    with_id = [r for r in kb.records if r.arxiv_id]
    assert len(with_id) > 20 and [r.id for r in with_id if r.year is None] == []
    # note 001 line 3: [View Paper](http://arxiv.org/abs/2503.04504v1); the note gives no year: 2025, inferred
    anomaly = kb.by_id["2503.04504"]
    assert (anomaly.year, anomaly.year_inferred) == (2025, True)
    # note 004 line 210: AdaCoT, arXiv'25: the note's own year, not inferred
    adacot = kb.by_id[ADACOT]
    assert (adacot.year, adacot.year_inferred) == (2025, False)
    assert all(ARXIV_ID.fullmatch(r.arxiv_id) for r in with_id)


def test_link_text_section_leaves_out_the_title(site):
    # note 004 line 7: 「[Paper Note] Jet-Nemotron: …, Yuxian Gu+, arXiv'25」; line 210 AdaCoT has no [Paper Note]
    jet = (site / "records/jet-nemotron-efficient-language-model-with-post-neural-architecture-search/index.html")
    assert "<p>[Paper Note] Yuxian Gu+, arXiv'25</p>" in jet.read_text(encoding="utf-8").replace("&#x27;", "'")
    adacot = (site / "records" / ADACOT / "index.html").read_text(encoding="utf-8").replace("&#x27;", "'")
    assert "<p>Chenwei Lou+, arXiv'25</p>" in adacot


def test_related_records_say_why():
    kb = build_index(parsed_records(), load_settings(ROOT)[0])
    for record in kb.records:
        assert len(record.related_reasons) == len(record.related)
        assert all(reason.startswith("共通: ") and len(reason) > len("共通: ") for reason in record.related_reasons)
    # note 004 lines 7 and 210: TokenSkip and AdaCoT both have "Chain-of-Thought" in their titles
    adacot = kb.by_id[ADACOT]
    skip = next(r.id for r in kb.records if r.title.startswith("TokenSkip"))
    assert skip in adacot.related
    assert "chain-of-thought" in adacot.related_reasons[adacot.related.index(skip)].lower()


def test_emoji_have_a_font():
    css = (ROOT / "templates" / "static" / "style.css").read_text(encoding="utf-8")
    font = re.search(r"--font:([^;]+);", css).group(1)
    assert all(name in font for name in ('"Apple Color Emoji"', '"Segoe UI Emoji"', '"Noto Color Emoji"'))
