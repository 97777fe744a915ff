"""Encodings and line endings: UTF-8 with/without BOM, Shift_JIS/CP932 and CRLF are normal notes."""

import pytest

from conftest import NOTES, ROOT, SEEDS
from kb.config import Settings
from kb.discover import SourceFile, read_source
from kb.records import parse_notes

MINUTES = (NOTES / SEEDS["minutes"]).read_text(encoding="utf-8")


def titles(tmp_path):
    return [r.title for r in parse_notes(tmp_path, tmp_path, Settings()).records]


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: t.encode("utf-8-sig"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.encode("cp932", errors="replace"),
        lambda t: t.replace("\n", "\r\n").encode("shift_jis", errors="replace"),
    ],
    ids=["utf8", "utf8-bom", "crlf", "cp932", "sjis-crlf"],
)
def test_every_encoding_gives_the_same_records(tmp_path, encode):
    (tmp_path / "minutes.txt").write_bytes(encode(MINUTES))
    expected = [r.title for r in parse_notes(NOTES, ROOT, Settings()).notes[0].records]
    assert titles(tmp_path) == expected


def test_decoded_text_has_plain_newlines(tmp_path):
    path = tmp_path / "n.txt"
    path.write_bytes("一行目\r\n二行目\r三行目\n".encode("cp932"))
    source = read_source(path, tmp_path)
    assert isinstance(source, SourceFile)
    assert source.lines == ["一行目", "二行目", "三行目", ""]
    assert source.encoding == "cp932" and source.path == "n.txt"


def test_notes_are_found_in_sorted_order_and_never_modified(tmp_path):
    (tmp_path / "b.txt").write_text(MINUTES, encoding="utf-8")
    (tmp_path / "a.txt").write_text(MINUTES, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    parsed = parse_notes(tmp_path, tmp_path, Settings())
    assert [n.path for n in parsed.notes] == ["a.txt", "b.txt"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    ids = [r.id for r in parsed.records]
    assert len(ids) == len(set(ids)) == 8
