"""The CLI's messages in Japanese under a Japanese locale and English otherwise (issue 20, point 6):
each catalog holds every message of the source, translated, with the same placeholders, and the
shipped kb.mo is its kb.po compiled."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

import kb.records
from kb.cli import main
from kb.discover import SourceFile
from kb.formats import parse_source
from kb.i18n import LANGUAGES
from kb.models import Severity

SRC = Path(__file__).resolve().parents[1] / "src" / "kb"
LOCALE = SRC / "locale"
PLACEHOLDER = re.compile(r"\{\w*\}")


def source_messages() -> set:
    """Every `_()` / `ngettext()` message in kb's source, as Babel extracts it (str, or (singular, plural))."""
    found = set()
    for _name, _line, message, _comments, _context in extract_from_dir(str(SRC)):
        if message:
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def ids(messages) -> set:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages if m.id}


def test_the_source_has_the_cli_messages():
    messages = source_messages()
    assert "stopped" in messages and len(messages) >= 20
    assert ("published without {n} note with errors: {held}",
            "published without {n} notes with errors: {held}") in messages


def test_the_template_lists_exactly_the_messages_of_the_source():
    assert ids(catalog(LOCALE / "kb.pot")) == source_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalog_translates_every_message_with_its_placeholders(language):
    po = catalog(LOCALE / language / "LC_MESSAGES" / "kb.po", language)
    assert ids(po) == source_messages()
    for message in po:
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        translated = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(translated) and not message.fuzzy, f"{language}: {english[0]!r} is not translated"
        for text in translated:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english[0])), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_mo_is_the_po_compiled(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po = catalog(folder / "kb.po", language)
    with (folder / "kb.mo").open("rb") as handle:
        mo = gettext.GNUTranslations(handle)
    for message in po:
        if isinstance(message.id, str) and message.id:
            assert mo.gettext(message.id) == message.string
        elif message.id:
            assert mo.ngettext(message.id[0], message.id[1], 2) == message.string[0]


def check_summary(project: Path, env: dict) -> str:
    result = CliRunner(env=env).invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.md").write_text("# 手書きのメモ\n\n## 要約\n本文。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_messages_are_japanese_under_a_japanese_locale_and_english_otherwise(project):
    japanese = {"LANG": "ja_JP.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
    english = {"LANG": "C.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
    assert check_summary(project, japanese) == "ノート 1 件、記録 1 件、エラー 0 件、警告 0 件\n"
    assert check_summary(project, english) == "1 notes, 1 records, 0 errors, 0 warnings\n"
    refused = CliRunner(env=japanese).invoke(main, ["init", "."])
    assert refused.exit_code == 0
    again = CliRunner(env=japanese).invoke(main, ["init", "."])
    assert again.exit_code == 1
    assert "kb init はファイルを上書きしません" in again.output


NOTE_WITH_PROBLEMS = """---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
auther: Edward J. Hu
issue_date: 2024/13/5
tags: [LLM, PEFT]
---

## 要約
重みの更新を低ランク行列の積で表し、学習するパラメータを大きく減らす。
"""
JAPANESE = {"LANG": "ja_JP.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
ENGLISH = {"LANG": "C", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
WHERE = "notes/2024-03-05-lora.md"


@pytest.fixture()
def noted(tmp_path, monkeypatch) -> Path:
    """A project of one bundled note and a native note with an error (a 13th month) and a warning (a typo)."""
    (tmp_path / "notes").mkdir()
    bundled = SRC.parents[1] / "notes" / "000_7ec92ae646da1197.txt"
    (tmp_path / "notes" / bundled.name).write_bytes(bundled.read_bytes())
    (tmp_path / WHERE).write_text(NOTE_WITH_PROBLEMS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_output(env: dict) -> tuple[str, str]:
    result = CliRunner(env=env).invoke(main, ["check"])
    assert result.exit_code == 1
    return result.stderr, result.stdout


def test_diagnostics_about_notes_are_in_the_locales_language(noted):
    assert check_output(JAPANESE) == (
        f"{WHERE}:3: 警告: フロントマターの不明なキー 'auther' は独立したセクションとして残しました"
        "（'authors' のことですか？）\n"
        "    Edward J. Hu\n"
        f"{WHERE}:4: エラー: issue_date '2024/13/5' は日付ではありません: 13 月はありません\n",
        "ノート 2 件、記録 4 件、エラー 1 件、警告 1 件\n")
    assert check_output(ENGLISH) == (
        f"{WHERE}:3: warning: unknown front matter key 'auther' kept as a section of its own "
        "(did you mean 'authors'?)\n"
        "    Edward J. Hu\n"
        f"{WHERE}:4: error: issue_date '2024/13/5' is not a date: month 13\n",
        "2 notes, 4 records, 1 errors, 1 warnings\n")


def build_report(env: dict) -> list[str]:
    result = CliRunner(env=env).invoke(main, ["build"])
    assert result.exit_code == 1
    return result.stderr.split("\n")[:4]


def test_a_cached_diagnostic_follows_the_locale_of_the_build_that_prints_it(noted, monkeypatch):
    """The first build parses the notes under Japanese and keeps its diagnostics in the build state
    (.kb-cache/state.sqlite3); the next builds, under English and Japanese again, read them from there."""
    japanese = [
        f"{WHERE} (エラー 1 件、警告 1 件)",
        f"  {WHERE}:4: エラー: issue_date '2024/13/5' は日付ではありません: 13 月はありません",
        f"  {WHERE}:3: 警告: フロントマターの不明なキー 'auther' は独立したセクションとして残しました"
        "（'authors' のことですか？）",
        "      Edward J. Hu",
    ]
    assert build_report(JAPANESE) == japanese
    parsed = []
    monkeypatch.setattr(kb.records, "parse_source", lambda *args: parsed.append(args) or parse_source(*args))
    assert build_report(ENGLISH) == [
        f"{WHERE} (1 error, 1 warning)",
        f"  {WHERE}:4: error: issue_date '2024/13/5' is not a date: month 13",
        f"  {WHERE}:3: warning: unknown front matter key 'auther' kept as a section of its own "
        "(did you mean 'authors'?)",
        "      Edward J. Hu",
    ]
    assert build_report(JAPANESE) == japanese
    assert parsed == []  # both read the first build's parse results and their diagnostics


def test_the_kb_serve_panel_shows_a_diagnostic_in_kb_serves_language(monkeypatch):
    """The panel on the page (kb.serve.entry) says what the terminal says: the locale of kb serve."""
    from kb.formats import native
    from kb.serve import entry

    note = native.parse(SourceFile(WHERE, NOTE_WITH_PROBLEMS, "utf-8", ""))
    warning = next(d for d in note.diagnostics if d.severity is Severity.WARNING)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    assert entry(warning) == {"where": f"{WHERE}:3", "message": "フロントマターの不明なキー 'auther' は独立した"
                                                               "セクションとして残しました（'authors' のことですか？）"}
    monkeypatch.setenv("LANG", "C")
    assert entry(warning) == {"where": f"{WHERE}:3", "message": "unknown front matter key 'auther' kept as a "
                                                               "section of its own (did you mean 'authors'?)"}


def test_help_is_in_the_locales_language():
    """kb's own help text follows the locale when shown (Click's words, Usage/Options, stay Click's)."""
    japanese = CliRunner(env=JAPANESE).invoke(main, ["check", "--help"]).stdout.splitlines()
    assert japanese[2] == "  エラーと警告をファイルと行つきで報告します。エラーがあれば 1 で終了します。"
    assert "  --strict           警告でも 1 で終了する" in japanese
    english = CliRunner(env=ENGLISH).invoke(main, ["check", "--help"]).stdout.splitlines()
    assert english[2] == "  Report errors and warnings with file and line; exit 1 on errors."
    assert "  --strict           exit 1 on warnings too" in english
    assert "    0  完了" in CliRunner(env=JAPANESE).invoke(main, ["--help"]).stdout.splitlines()


def test_a_search_without_results_says_so_in_the_locales_language(noted):
    def said(env: dict) -> str:
        return CliRunner(env=env).invoke(main, ["search", "量子重力"]).stderr

    assert said(JAPANESE) == "「量子重力」に一致するノートはありません。\n"
    assert said(ENGLISH) == 'No note matches "量子重力".\n'


def test_a_discarded_build_state_is_said_in_the_locales_language(noted):
    """The reason comes from kb.store (StateProblem keeps it untranslated) through kb.cache's warning."""
    def said(env: dict) -> str:
        (noted / ".kb-cache").mkdir(exist_ok=True)
        (noted / ".kb-cache" / "state.sqlite3").write_bytes(b"not a database, only these words " * 4)
        lines = CliRunner(env=env).invoke(main, ["build"]).stderr.splitlines()
        return next(line for line in lines if line.startswith("  .kb-cache/state.sqlite3"))

    assert said(JAPANESE) == ("  .kb-cache/state.sqlite3: 警告: ビルド状態を破棄して作り直しました: "
                              "StateProblem: SQLite のデータベースではありません")
    assert said(ENGLISH) == ("  .kb-cache/state.sqlite3: warning: build state discarded and rebuilt: "
                             "StateProblem: not an SQLite database")


def test_an_error_that_stops_a_command_is_said_in_the_locales_language(noted):
    (noted / "elsewhere").mkdir()
    (noted / "elsewhere" / "mine.txt").write_text("not kb's\n", encoding="utf-8")
    out = noted.resolve() / "elsewhere"
    japanese = CliRunner(env=JAPANESE).invoke(main, ["build", "--out", "elsewhere"])
    english = CliRunner(env=ENGLISH).invoke(main, ["build", "--out", "elsewhere"])
    assert (japanese.exit_code, english.exit_code) == (3, 3)
    assert japanese.stderr.splitlines()[-1] == (f"エラー: {out} はすでにあり、kb build が書いたものではありません。"
                                                "別の --out を選ぶか、--clean を付けて置き換えてください")
    assert english.stderr.splitlines()[-1] == (f"Error: {out} exists and was not written by kb build; choose another "
                                               "--out or pass --clean to replace it")
