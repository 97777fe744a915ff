"""Plain Markdown is a note; a note kb cannot place gets one short error; record ids never come
from a title (issue 20, points 2 and 4)."""

from pathlib import Path

from kb.config import Settings
from kb.discover import SourceFile
from kb.formats import parse_source
from kb.models import Severity
from kb.records import parse_notes

# Written as a first-time user writes a note: no front matter, a title, Japanese headings, a link.
FIRST_NOTE = """\
# LoRA+: Efficient Low Rank Adaptation of Large Models

論文: https://arxiv.org/abs/2402.12354v2 （ICML 2024）

## 要約
LoRAのAとBに異なる学習率を使うだけで、収束が速くなる。

## 課題
理論解析は無限幅の極限での議論。

## 実験メモ
自分の7Bモデルでも再現した。

## 所感
次の勉強会で紹介したい。
"""


def parse(text: str, path: str = "notes/2024-03-05-lora-plus.md"):
    return parse_source(SourceFile(path, text, "utf-8", "0"))


def test_a_first_time_users_note_is_a_native_record():
    note = parse(FIRST_NOTE)
    assert note.format == "native" and note.diagnostics == []
    [record] = note.records
    assert record.title == "LoRA+: Efficient Low Rank Adaptation of Large Models"
    assert record.url == "https://arxiv.org/abs/2402.12354v2"
    assert record.arxiv_id == "2402.12354"
    assert record.summary == "LoRAのAとBに異なる学習率を使うだけで、収束が速くなる。"
    assert record.limitations == "理論解析は無限幅の極限での議論。"
    assert record.comment == "次の勉強会で紹介したい。"
    assert [(s.heading, s.body, s.line) for s in record.sections] == [
        ("本文", "論文: https://arxiv.org/abs/2402.12354v2 （ICML 2024）", 2),
        ("実験メモ", "自分の7Bモデルでも再現した。", 11)]


def test_japanese_and_english_headings_fill_fields():
    text = ("# ある手法\n\n## 概要\nA\n\n## 提案手法\nB\n\n## 実験\nC\n\n## 計算資源\nD\n\n## ツイート\nE\n\n"
            "## コメント\nF\n\n## Limitations\nG\n")
    [record] = parse(text).records
    assert (record.summary, record.approach, record.results, record.costs, record.tweet, record.comment,
            record.limitations) == ("A", "B", "C", "D", "E", "F", "G")


def test_a_plain_note_without_an_arxiv_link_takes_its_first_link():
    [record] = parse("# ブログ記事のメモ\n\n元記事 [リンク](https://example.com/post/1). 以上\n").records
    assert record.url == "https://example.com/post/1" and record.arxiv_id is None


def test_a_note_kb_cannot_place_gets_one_short_error_naming_the_closest_format():
    note = parse("## 要約\nタイトルを書き忘れたメモ。\n")
    [error] = note.diagnostics
    assert error.severity is Severity.ERROR and error.line == 1
    assert error.message == ("not a note kb can read (none of its lines is used): closest to the native format, "
                             "which needs YAML front matter with a title: between '---' lines at the top, or a "
                             "first line '# title'")


def test_a_note_near_the_blog_format_is_told_what_a_blog_post_needs():
    note = parse("今回紹介する論文は LoRA+ という論文です。\n\n学習率を変える。\n", "notes/post.txt")
    assert [d.message for d in note.diagnostics] == [
        "not a note kb can read (none of its lines is used): closest to the blog format, which needs a '紹介論文' "
        "line near the top or a 'この論文を一言でまとめると' line"]


def test_the_record_id_comes_from_the_file_name_not_the_title(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    path = notes / "2024-05-01-my-method.md"
    path.write_text("---\ntitle: My Methd\n---\n## summary\nA.\n", encoding="utf-8")
    before = [r.id for r in parse_notes(notes, tmp_path, Settings()).records]
    path.write_text("---\ntitle: My Method, fixed\n---\n## summary\nA.\n", encoding="utf-8")
    after = [r.id for r in parse_notes(notes, tmp_path, Settings()).records]
    assert before == after == ["2024-05-01-my-method"]


def test_id_in_front_matter_wins_then_the_arxiv_id():
    [given] = parse("---\ntitle: T\nid: lora-plus\nurl: https://arxiv.org/abs/2402.12354\n---\n").records
    [arxiv] = parse("---\ntitle: T\nurl: https://arxiv.org/abs/2402.12354\n---\n").records
    assert (given.id, arxiv.id) == ("lora-plus", "2402.12354")


def test_an_id_that_cannot_be_an_address_is_an_error_with_a_suggestion():
    note = parse("---\ntitle: T\nid: LoRA plus/2\n---\n")
    [error] = note.diagnostics
    assert error.line == 3 and note.records == []
    assert error.message == ("id 'LoRA plus/2' cannot be a page address: write it as text of letters, digits "
                             "and '-' (id: \"lora-plus-2\")")


def test_the_seed_notes_are_still_theirs(tmp_path):
    formats = {n.format for n in parse_notes(Path(__file__).parents[1] / "notes", tmp_path, Settings()).notes}
    assert formats == {"minutes", "summaries", "blog", "listing"}


def test_a_note_kb_cannot_read_is_one_error_not_a_warning_per_line(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "memo.md").write_text("## 要約\nタイトルのないメモ。\n\n## 課題\n二つ目の段落。\n", encoding="utf-8")
    parsed = parse_notes(notes, tmp_path, Settings())
    assert [(d.severity, d.line) for d in parsed.diagnostics] == [(Severity.ERROR, 1)]
    assert [r.text for r in parsed.notes[0].residue] == ["## 要約", "タイトルのないメモ。", "## 課題", "二つ目の段落。"]
