"""The cyclic garbage collector is paused while a build links and plans (kb.collector), and a
build leaves it as it found it, whatever happens in the stage."""

from __future__ import annotations

import gc
import os
import shutil
import weakref

import pytest

import kb.render
from conftest import NOTES
from kb import writers
from kb.build import Memory, build_site
from kb.config import Settings


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "project"
    shutil.copytree(NOTES, root / "notes")
    return root


@pytest.mark.parametrize("before", [True, False], ids=["enabled", "disabled"])
def test_planning_runs_without_the_collector_and_the_build_restores_it(project, monkeypatch, before):
    seen = []
    plan = kb.render.plan_outputs

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return plan(*args, **kwargs)

    monkeypatch.setattr(kb.render, "plan_outputs", watched)
    (gc.enable if before else gc.disable)()
    try:
        result = build_site(project, Settings(), project / "site", search=False)
        after = gc.isenabled()
    finally:
        gc.enable()
    assert result.records == 171 and seen == [False]
    assert after is before


def test_a_failing_stage_leaves_the_collector_enabled(project, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("planning failed")

    monkeypatch.setattr(kb.render, "plan_outputs", broken)
    gc.enable()
    with pytest.raises(RuntimeError, match="planning failed"):
        build_site(project, Settings(), project / "site", search=False)
    assert gc.isenabled()


def test_forked_rendering_workers_collect_their_own_garbage(project, monkeypatch, tmp_path):
    """The build pauses the collector; the workers it forks to render a whole site (Jinja over
    1,200 files) run with it, and the build's own process has it back afterwards."""
    seen = tmp_path / "seen.txt"
    place = writers.Job.place

    def watched(job, name):
        with seen.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {gc.isenabled()}\n")
        return place(job, name)

    monkeypatch.setattr(writers.Job, "place", watched)
    monkeypatch.setattr(writers, "PARALLEL_MIN", 1)
    monkeypatch.setattr("kb.build.WORKERS", 2)  # whatever the machine's cores
    gc.enable()
    build_site(project, Settings(), project / "site", search=False)
    lines = seen.read_text(encoding="utf-8").split()
    states = dict(zip(lines[::2], lines[1::2], strict=True))
    assert str(os.getpid()) not in states and len(states) == 2  # two workers placed every file
    assert set(states.values()) == {"True"} and gc.isenabled()


def test_kb_serve_frees_a_build_and_collects_only_once_idle(project):
    """kb serve's builds (a Memory with `idle`) end without freeing what they made or collecting:
    that waits for Memory.let_go, which kb serve calls once idle (kb.watch), so the page's reload
    never waits for it. A failing stage still gives the collector back."""
    memory = Memory(idle=True)
    gc.enable()
    try:
        build_site(project, Settings(), project / "site", search=False, memory=memory)
        paused, made = not gc.isenabled(), weakref.ref(memory.spent[-1][1])  # the Site it built
        memory.let_go()
        back = gc.isenabled()
    finally:
        gc.enable()
    assert paused and back and made() is None and memory.spent == []


def test_a_second_serve_build_before_idle_keeps_the_collector_held_and_idle_frees_both(project):
    memory = Memory(idle=True)
    gc.enable()
    try:
        build_site(project, Settings(), project / "site", search=False, memory=memory)
        first = weakref.ref(memory.spent[-1][1])
        (project / "notes" / "added.md").write_text("---\ntitle: Added\n---\n## summary\n本文。\n", encoding="utf-8")
        build_site(project, Settings(), project / "site", search=False, memory=memory)
        second = weakref.ref(memory.spent[-1][1])
        paused = not gc.isenabled()
        memory.let_go()
        back = gc.isenabled()
    finally:
        gc.enable()
    assert paused and back and first() is None and second() is None
