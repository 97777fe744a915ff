"""`kb serve` keeps the build state in memory and applies a saved file as a delta (issue: one
build state, item 4): a rebuild after an edit reads that note and no other, and never reads the
state file again; the site still equals a clean build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import NOTES, SEEDS, assert_same_site
from kb import discover, store
from kb.build import build_site
from kb.config import Settings
from kb.search_index import SearchState
from kb.serve import Session

JET = "jet-nemotron-efficient-language-model-with-post-neural-architecture-search"


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setattr("kb.discover.SETTLE_NS", 0)  # the copied notes count as settled at once
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


def counted(monkeypatch, owner, name: str) -> list:
    calls, real = [], getattr(owner, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


@pytest.mark.parametrize("search", [False, True])
def test_serve_applies_an_edit_without_reading_any_other_note(project, monkeypatch, search):
    session = Session(project, None, search)
    session.build()
    reads = counted(monkeypatch, discover, "read_source")
    opened = counted(monkeypatch, store.Store, "open")
    listed = counted(monkeypatch, store.Store, "items")
    searched = counted(monkeypatch, SearchState, "loads")
    note = project / "notes" / SEEDS["blog"]
    for edit in ("serve の差分", "二度目の差分"):
        note.write_text(note.read_text(encoding="utf-8") + f"\n追記: {edit}。\n", encoding="utf-8")
        session.build()
        assert [call[2] for call in reads] == [f"notes/{SEEDS['blog']}"]
        assert opened == [] and listed == []  # the state stayed in memory
        assert searched == []  # and so did the search index's state, as the last build left it
        page = project / "site" / "notes" / Path(SEEDS["blog"]).stem.replace("_", "-") / "index.html"
        assert edit in page.read_text(encoding="utf-8")
        build_site(project, Settings(), project / "clean", search=search, clean=True, cache=False)
        assert_same_site(project / "site", project / "clean")
        reads.clear(), searched.clear(), opened.clear(), listed.clear()  # the clean build's own reads


def test_serve_sees_a_new_and_a_deleted_note(project, monkeypatch):
    session = Session(project, None, False)
    session.build()
    reads = counted(monkeypatch, discover, "read_source")
    (project / "notes" / "added.md").write_text("---\ntitle: Added While Serving\n---\n## summary\n本文。\n",
                                                encoding="utf-8")
    (project / "notes" / SEEDS["blog_no_date"]).unlink()
    session.build()
    assert [call[2] for call in reads] == ["notes/added.md"]
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_serve_plans_anew_only_the_outputs_an_edit_touches(project, monkeypatch):
    """Planning keeps each output's key from the last build of the process unless its template or
    one of its inputs changed: an edited title and tag re-key the record's pages, its tags' pages
    and the site-wide lists, not the other 400 files; the site still equals a clean build."""
    from kb.render import outputs

    note = project / "notes" / "mine.md"
    note.write_text("---\ntitle: LoRA Adapters Revisited\ntags: [LLM]\n---\n## summary\nLoRA の再検討。\n",
                    encoding="utf-8")
    session = Session(project, None, False)
    session.build()
    note.write_text(note.read_text(encoding="utf-8") + "追記。\n", encoding="utf-8")
    session.build()  # planned with the memo of a build that planned
    hashed = counted(monkeypatch, outputs, "key_of")
    note.write_text("---\ntitle: LoRA Adapters Reconsidered\ntags: [LLM, 量子化]\n---\n## summary\nLoRA の再検討。\n",
                    encoding="utf-8")
    session.build()
    keyed = {call[0]["path"] for call in hashed}
    assert {"records/mine/index.html", "records/mine/preview.json", "tags/llm/index.html", "tags/量子化/index.html",
            "tags/量子化/references.bib", "index.html", "records.json"} <= keyed
    assert "notes/000-7ec92ae646da1197/index.html" not in keyed  # the minutes' note page
    assert len(keyed) < len(session.files) // 4, (len(keyed), len(session.files))
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_serve_digests_the_views_only_of_the_record_an_edit_changed(project, monkeypatch):
    """A record the link stage kept (the same object) keeps its view digests while the site-wide
    values they read are unchanged (kb.render.inputs.Digests): an edit of one note digests the
    views of its record alone (here, what BibTeX shows of it), not of all 170 others."""
    from kb.render.inputs import Digests

    note = project / "notes" / "mine.md"
    note.write_text("---\ntitle: LoRA Adapters Revisited\ntags: [LLM]\n---\n## summary\nLoRA の再検討。\n",
                    encoding="utf-8")
    session = Session(project, None, False)
    session.build()
    cited = counted(monkeypatch, Digests, "of_cite")
    note.write_text(note.read_text(encoding="utf-8") + "追記。\n", encoding="utf-8")
    session.build()
    assert [call[1] for call in cited] == ["mine"]
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_serve_makes_records_json_again_from_the_texts_of_unchanged_records(project, monkeypatch):
    """records.json is made again when a summary changes, from each record's text kept by the
    process with the values it shows (kb.render.outputs.ItemMemo.entries): only the edited record
    is written out anew, though linking gave others new related records."""
    from kb.render import feeds

    note = project / "notes" / "mine.md"
    note.write_text("---\ntitle: LoRA Adapters Revisited\ntags: [LLM]\n---\n## summary\nLoRA の再検討。\n",
                    encoding="utf-8")
    session = Session(project, None, False)
    session.build()  # in forked workers: what they write out is not kept
    note.write_text(note.read_text(encoding="utf-8") + "追記。\n", encoding="utf-8")
    session.build()  # in the process itself (a few files), as every later rebuild after one edit
    written = counted(monkeypatch, feeds, "entry_json")
    note.write_text(note.read_text(encoding="utf-8").replace("LoRA の再検討。", "LoRA をもう一度検討する。"),
                    encoding="utf-8")
    session.build()
    assert [call[0]["id"] for call in written] == ["mine"]
    assert "LoRA をもう一度検討する。" in (project / "site" / "records.json").read_text(encoding="utf-8")
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_serve_shows_an_author_link_that_an_edit_of_another_note_changed(project):
    """kb serve reuses a record's Facts and list entry while the record is the same object and
    every site-wide value they read is the build before's (kb.render.site.ViewMemo). An edit of
    another note on another subject makes its second author "Yuxian-Gu", who takes the plain slug
    `yuxian-gu`: Jet-Nemotron's record, whose note and links stay as they were, now links its
    author Yuxian Gu as `yuxian-gu-105a66b21b` (the edit changes no note page, citation key or tag)."""
    quokka = project / "notes" / "quokka.md"
    text = "---\ntitle: Quokka Zebra Manifolds\nauthors: [Ada Quokka, {second}]\n---\n## summary\nクオッカ。\n"
    quokka.write_text(text.format(second="Other Person"), encoding="utf-8")
    session = Session(project, None, False)
    session.build()
    page = project / "site" / "records" / JET / "index.html"
    assert 'href="../../authors/yuxian-gu/index.html"' in page.read_text(encoding="utf-8")
    quokka.write_text(text.format(second="Yuxian-Gu"), encoding="utf-8")
    session.build()
    assert 'href="../../authors/yuxian-gu-105a66b21b/index.html"' in page.read_text(encoding="utf-8")
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_a_new_process_relinks_only_what_changed_after_kb_serve_saved_the_state(project, monkeypatch):
    """kb serve writes what linking worked out into the build state at each rebuild (kb.link_state):
    a `kb build` after it ranks the related records of the records a change reaches only, not of
    all 171 (todo None), and its site equals a clean build."""
    from kb.index import links

    session = Session(project, None, False)
    session.build()
    note = project / "notes" / SEEDS["minutes"]
    for n in range(3):
        note.write_text(note.read_text(encoding="utf-8") + f"\n追記 {n}。\n", encoding="utf-8")
        session.build()
    asked = []
    related = links.link_related

    def counted_related(records, same_as, mentions, mentioned_by, features, todo):
        asked.append(todo)
        return related(records, same_as, mentions, mentioned_by, features, todo)

    monkeypatch.setattr(links, "link_related", counted_related)
    note.write_text(note.read_text(encoding="utf-8") + "\n追記 最後。\n", encoding="utf-8")
    build_site(project, Settings(), project / "site", search=False)
    [todo] = asked
    assert todo is not None and 0 < len(todo) < 171
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")


def test_kb_build_takes_no_record_digest_kept_from_before_kb_serve_changed_the_record(project):
    """The stored views keep each record's LinkedRecord digest with the generation of the linking
    they were made in, and a `kb build` takes the kept digest of each record its linking did not
    find dirty, only when it linked from that very linking (kb.index.links.LinkMemo.settled). kb
    serve writes its linking (a new generation) and not the views: a title it changed, and a
    `kb build` after it, then another that changes the title back, give the clean build's site."""
    blog, minutes = project / "notes" / SEEDS["blog"], project / "notes" / SEEDS["minutes"]
    text = blog.read_text(encoding="utf-8")
    build_site(project, Settings(), project / "site", search=False)
    session = Session(project, None, False)
    session.build()
    blog.write_text(text.replace("爆速&流暢!", "爆速&流暢!(改)", 1), encoding="utf-8")
    session.build(changed=(str(blog),))
    minutes.write_text(minutes.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
    build_site(project, Settings(), project / "site", search=False)
    assert "爆速&amp;流暢!(改)" in (project / "site" / "index.html").read_text(encoding="utf-8")
    blog.write_text(text, encoding="utf-8")
    build_site(project, Settings(), project / "site", search=False)
    build_site(project, Settings(), project / "clean", search=False, clean=True, cache=False)
    assert_same_site(project / "site", project / "clean")
