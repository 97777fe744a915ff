"""Encodings and line endings: UTF-8 with/without BOM, Shift_JIS/CP932 and CRLF are normal notes."""

import pytest

from conftest import NOTES, ROOT, SEEDS
from kb.config import Settings
from kb.discover import NoteChanged, SourceFile, read_source
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


def test_a_note_found_by_its_stamp_is_read_when_asked_for_and_never_changed_under_the_build(tmp_path):
    """A note the last build knew by its stamp (kb.seen_state) is read only when a stage asks for
    its text; a note edited meanwhile is refused, not shown with the records of its old text."""
    path = tmp_path / "blog.txt"
    path.write_bytes((NOTES / SEEDS["blog"]).read_bytes())
    found = read_source(path, tmp_path)
    known = SourceFile(found.path, None, found.encoding, found.digest, path)
    assert known.text == found.text and known.text.startswith("爆速&流暢!拡散モデル新解釈")
    later = SourceFile(found.path, None, found.encoding, found.digest, path)
    path.write_text(found.text + "\n追記\n", encoding="utf-8")
    with pytest.raises(NoteChanged, match="^blog.txt changed while kb was building: build again$"):
        later.text  # noqa: B018 (the property reads the file)
    assert known.text == found.text  # what was read stays as it was
