"""Safe, stable paths (issue: hostile input, rows 4, 5 and 8 of its table).

Any title or tag makes valid file names (slugs capped in UTF-8 bytes); a tag's slug depends on
the tag alone (`C`, `C#`, `C++`); notes that differ only in their suffix keep their own pages;
a filesystem error is a message naming the file, and `kb build --watch` goes on after it.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NOTES, SEEDS
from kb import cli, writers
from kb.build import build_site
from kb.config import Settings
from kb.index.groups import unique_slugs
from kb.text import SLUG_MAX_BYTES, slugify

WIDE = "\U0002000b" * 100  # 100 four-byte kanji: 400 bytes, longer than any file name may be


def native(title: str, tags: list[str], summary: str = "本文。") -> str:
    quoted = ", ".join(f'"{t}"' for t in tags)
    return f'---\ntitle: "{title}"\nkind: paper\nissue_date: 2024-05-01\ntags: [{quoted}]\n---\n## summary\n{summary}\n'


@pytest.fixture()
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "notes").mkdir(parents=True)
    shutil.copy(NOTES / SEEDS["blog"], root / "notes")
    return root


def build(root: Path, out: str = "site"):
    return build_site(root, Settings(), root.parent / out, search=False)


def test_slugs_fit_in_a_file_name_whatever_the_script():
    assert len(slugify(WIDE).encode()) <= SLUG_MAX_BYTES
    assert slugify(WIDE) == "\U0002000b" * (SLUG_MAX_BYTES // 4)
    assert slugify("é" * 100) == "é" * 60  # two bytes each: the byte cap, not the 80 characters
    assert slugify("LoRA: Low-Rank Adaptation") == "lora-low-rank-adaptation"


def test_a_title_and_tag_of_four_byte_kanji_build(project):
    (project / "notes" / "wide.md").write_text(native(WIDE, [WIDE]), encoding="utf-8")
    result = build(project)
    assert not result.errors
    site = project.parent / "site"
    assert max(len(part.encode()) for path in site.rglob("*") for part in path.relative_to(site).parts) <= 255
    [record_page] = [f for f in result.files
                     if f.startswith("records/wide/") and f.endswith("/index.html")]  # a native id: the file name
    assert WIDE in (site / record_page).read_text(encoding="utf-8")
    [tag_page] = [f for f in result.files if f.startswith("tags/\U0002000b") and f.endswith("/index.html")]
    assert len(Path(tag_page).parts[1].encode()) <= SLUG_MAX_BYTES


def tag_pages(result) -> dict[str, str]:
    return {f.split("/")[1]: f for f in result.files
            if f.startswith("tags/") and f.count("/") == 2 and f.endswith("/index.html")}


def test_tag_slugs_depend_on_the_tag_alone(project):
    notes = project / "notes"
    for name in ("C", "C#", "C++"):
        (notes / f"lang-{name.replace('#', 'sharp').replace('+', 'p')}.md").write_text(
            native(f"Programming in {name}", [name]), encoding="utf-8")
    first = build(project)
    site = project.parent / "site"
    pages = {slug: (site / page).read_text(encoding="utf-8") for slug, page in tag_pages(first).items()}
    by_tag = {tag: next(s for s, text in pages.items() if f"<h1>タグ: {tag}</h1>" in text)
              for tag in ("C", "C#", "C++")}
    assert by_tag["C"] == "c" and len(set(by_tag.values())) == 3
    (notes / "lang-C.md").unlink()
    second = build(project)
    assert "c" not in tag_pages(second)  # C's page is gone; C# did not move into its place
    for tag in ("C#", "C++"):
        assert f"<h1>タグ: {tag}</h1>" in (site / "tags" / by_tag[tag] / "index.html").read_text(encoding="utf-8")


def test_unique_slugs_never_number_by_order():
    both = unique_slugs(["c", "c#", "c++"])
    assert unique_slugs(["c#", "c++"]) == {k: both[k] for k in ("c#", "c++")}
    assert unique_slugs(["c", "c++"]) == {k: both[k] for k in ("c", "c++")}
    assert not any(slug.endswith(("-2", "-3")) for slug in both.values())


def test_notes_that_differ_only_in_suffix_keep_their_pages(project):
    (project / "notes" / "foo.md").write_text(native("Foo in Markdown", ["Foo"]), encoding="utf-8")
    (project / "notes" / "foo.txt").write_text(native("Foo as text", ["Foo"]), encoding="utf-8")
    result = build(project)
    site = project.parent / "site"
    md = (site / "notes" / "foo-md" / "index.html").read_text(encoding="utf-8")
    txt = (site / "notes" / "foo-txt" / "index.html").read_text(encoding="utf-8")
    assert "Foo in Markdown" in md and "Foo as text" not in md
    assert "Foo as text" in txt and "Foo in Markdown" not in txt
    assert "notes/002-08efc3dd06c964ef/index.html" in result.files  # a lone note keeps its plain slug


def test_an_output_folder_below_a_file_is_an_error_naming_it(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "blocker").write_text("a file, not a folder")
    result = CliRunner().invoke(cli.main, ["build", "--no-search", "--out", "blocker/site"])
    assert result.exit_code == 3  # the build could not finish
    assert "blocker" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, OSError)


def test_watch_goes_on_after_a_full_disk(project, monkeypatch):
    monkeypatch.chdir(project)
    real_put = writers.replace_by_bytes
    calls = []

    def full_disk(target, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    def fake_watch(root, notes_dir, rebuild, *args):
        (notes_dir / "foo.md").write_text(native("Foo", ["Foo"]), encoding="utf-8")
        monkeypatch.setattr(writers, "replace_by_bytes", full_disk)
        rebuild(["notes/foo.md"])
        monkeypatch.setattr(writers, "replace_by_bytes", real_put)
        rebuild(["notes/foo.md"])
        calls.append("watched")

    monkeypatch.setattr("kb.watch.watch_and_rebuild", fake_watch)
    result = CliRunner().invoke(cli.main, ["build", "--no-search", "--watch"])
    assert result.exit_code == 0 and calls == ["watched"], result.output
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert (project / "site" / "notes" / "foo" / "index.html").exists()  # the next change built fine
