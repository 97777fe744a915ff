"""New things on disk: a knowledge base (`kb init`) and a note (`kb new`).

Neither ever overwrites a file. `new_note` is the only code in kb that reads the clock (for a
note's default date); `kb init` writes the same bytes on every machine and day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

from kb import DISTRIBUTION
from kb.arxiv import ArxivPaper
from kb.i18n import _
from kb.text import ARXIV_ID, arxiv_id_from_url, slugify

STANDARD_SECTIONS = ("summary", "problem", "approach", "results", "limitations", "comment")
IGNORED = ("site/", ".kb-cache/", ".venv/")
EXAMPLE_NOTE = "2021-06-17-lora-low-rank-adaptation-of-large-language-models.md"
BARE_ARXIV = re.compile(rf"(?:arxiv:)?({ARXIV_ID.pattern})(?:v\d+)?", re.IGNORECASE)

KB_YAML = """\
# kb.yaml: the settings of this knowledge base. Every key is optional; the values below
# are kb's defaults. After a change, kb serve rebuilds at once (kb build otherwise).

title: 論文ノート                # the site's name (header, page titles, feeds)
description: 論文・記事・勉強会のノートを集めた知識ベース
language: ja

# Absolute links in the feeds and the sitemap need the address the site is published at:
# base_url: https://USER.github.io/REPO/

notes_dir: notes                 # the notes, in any of kb's formats (kb new writes here)
out_dir: site                    # the site; replaced as a whole by every build

# Fold a variant spelling of a tag into one tag:
# tag_aliases:
#   LangugeModel: LanguageModel

# Force a format for the notes a glob matches (kb recognises formats by their content):
# formats:
#   "notes/old/*.txt": listing
"""

EXAMPLE = """\
---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
kind: paper
authors: [Edward J. Hu, Yelong Shen, Phillip Wallis, Zeyuan Allen-Zhu, Yuanzhi Li, Shean Wang, Lu Wang, Weizhu Chen]
venue: ICLR'22
url: https://arxiv.org/abs/2106.09685
arxiv_id: "2106.09685"
issue_date: 2021-06-17
tags: [PEFT(Adaptor/LoRA), LanguageModel, ICLR]
---
## summary
事前学習済みの重みを固定したまま、各層に低ランク行列の積 BA を足し、その A と B だけを学習する。
GPT-3 175B で、学習するパラメータを 1 万分の 1、GPU メモリを 3 分の 1 に減らしつつ、
全パラメータのファインチューニングと同等以上の性能が出る。

## problem
巨大なモデルを全パラメータでファインチューニングすると、タスクごとにモデル全体の複製が要る。

## approach
重みの更新 ΔW を低ランク（r = 1〜8 程度）の積 BA で表す。推論時は W + BA を一つの行列にまとめられるので、
アダプタ層と違って推論の遅延が増えない。

## results
RoBERTa、DeBERTa、GPT-2、GPT-3 で、全パラメータのファインチューニングに匹敵するか上回った。

## limitations
タスクの異なる入力を一つのバッチにまとめるには、重みをまとめずに BA を別に計算する必要がある。

## comment
kb init が作った例のノート。kb new "論文のタイトル" で同じ形のノートが作れる。
"""

GITHUB_PAGES = """\
# Build the site with kb on every push to main and publish it on GitHub Pages
# (in the repository: Settings -> Pages -> Source: GitHub Actions).
name: site
on:
  push: { branches: [main] }
  workflow_dispatch:
permissions: { contents: read, pages: write, id-token: write }
concurrency: { group: pages, cancel-in-progress: true }
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }  # the whole history: kb dates each record by the commit that added it
      - uses: actions/setup-python@v5
        with: { python-version: "3.12" }
      - name: requirements.txt names where kb comes from
        run: >-
          if grep -n "^[^#]*OWNER/REPO" requirements.txt; then
          echo "::error file=requirements.txt::replace OWNER/REPO with the repository your kb comes from
          (see the comment in requirements.txt)"; exit 1; fi
      - run: pip install -r requirements.txt
      - run: kb build   # a note with an error: exit 1, nothing is published
      - uses: actions/upload-pages-artifact@v3
        with: { path: site }
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment: { name: github-pages, url: "${{ steps.deployment.outputs.page_url }}" }
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


class Refused(Exception):
    """kb init or kb new would overwrite a file."""


PLACEHOLDER = "git+https://github.com/OWNER/REPO"  # the workflow refuses to run while this is in requirements.txt


def install_spec() -> str:
    """How CI can install exactly the kb that runs now: its git URL and commit when pip installed it
    from one, its name and version when it came from a package index, else a git URL to fill in
    (a wheel file or a local folder cannot be installed on a CI machine). Never the bare name
    `kb`: on PyPI that is an unrelated project, which `kb==0.1.0` would install."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return f"{DISTRIBUTION} @ {PLACEHOLDER}"
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    vcs = direct.get("vcs_info")
    if vcs and direct.get("url"):
        return f"{DISTRIBUTION} @ git+{direct['url']}@{vcs['commit_id']}"
    if not direct:  # from a package index
        return f"{DISTRIBUTION}=={dist.version}"
    return f"{DISTRIBUTION} @ {PLACEHOLDER}@v{dist.version}"


def requirements() -> str:
    return (f"# What CI installs (.github/workflows/pages.yml): kb, whose package is named {DISTRIBUTION}.\n"
            "# Never plain `kb` here: that name on PyPI is an unrelated project.\n"
            "# If the line below says OWNER/REPO, name the repository (and tag or commit) your kb comes from,\n"
            f"# e.g.  {DISTRIBUTION} @ git+https://github.com/you/kb@v0.2.0\n"
            f"{install_spec()}\n")


def gitignore(existing: str) -> str:
    """The project's .gitignore with the site and the cache in it (lines already there kept)."""
    have = {line.strip() for line in existing.splitlines()}
    missing = [entry for entry in IGNORED if entry not in have]
    if not missing:
        return existing
    head = existing if not existing or existing.endswith("\n") else existing + "\n"
    comment = "# kb: the built site, the incremental build cache, a virtual environment for kb\n"
    return head + comment + "".join(f"{m}\n" for m in missing)


def init_files() -> dict[str, str]:
    """Every file of a new knowledge base but .gitignore (merged into an existing one)."""
    return {"kb.yaml": KB_YAML, f"notes/{EXAMPLE_NOTE}": EXAMPLE, "requirements.txt": requirements(),
            ".github/workflows/pages.yml": GITHUB_PAGES}


def init_project(folder: Path) -> list[str]:
    """Write a new knowledge base into `folder` (made if missing); the names written.

    Raises Refused, writing nothing, if any of its files exists already.
    """
    files = init_files()
    taken = sorted(name for name in files if (folder / name).exists())
    if taken:
        raise Refused(_("{folder} already has {files}; kb init never overwrites a file").format(
            folder=folder, files=", ".join(taken)))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    ignore = folder / ".gitignore"
    before = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    ignore.write_text(gitignore(before), encoding="utf-8")
    return [*files, ".gitignore"]


# --- kb new ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewNote:
    title: str
    url: str | None = None
    tags: tuple[str, ...] = ()
    kind: str = "paper"
    date: dt.date | None = None  # None: the paper's first version's date, else today
    paper: ArxivPaper | None = None  # what the arXiv API said about it

    def link(self) -> tuple[str | None, str | None]:
        """(url, arxiv_id): an arXiv id alone becomes its abs page; an arXiv link gives its id."""
        if not self.url:
            return None, None
        bare = BARE_ARXIV.fullmatch(self.url.strip())
        if bare:
            return f"https://arxiv.org/abs/{bare.group(1)}", bare.group(1)
        return self.url.strip(), arxiv_id_from_url(self.url)

    def day(self, today: dt.date) -> dt.date:
        return self.date or (self.paper.published if self.paper else today)

    def front_matter(self, day: dt.date) -> dict:
        url, arxiv_id = self.link()
        paper = self.paper
        fields = {"title": self.title, "kind": self.kind, "authors": list(paper.authors) if paper else [],
                  "year": paper.published.year if paper else None, "url": url, "arxiv_id": arxiv_id,
                  "issue_date": day, "tags": list(self.tags)}
        return {key: value for key, value in fields.items() if value is not None}

    def text(self, day: dt.date) -> str:
        meta = yaml.safe_dump(self.front_matter(day), allow_unicode=True, sort_keys=False,
                              default_flow_style=None, width=1000)
        sections = "\n".join(f"## {name}\n" for name in STANDARD_SECTIONS)
        return f"---\n{meta}{self.from_arxiv()}---\n{sections}{self.links()}"

    def from_arxiv(self) -> str:
        """The abstract as a folded YAML block, and the primary category as a tag to consider."""
        if not self.paper:
            return ""
        lines = "\n\n".join(f"  {part}" for part in self.paper.abstract.split("\n\n"))
        block = f"abstract: >-\n{lines}\n" if self.paper.abstract else ""
        category = self.paper.category
        hint = f"# arXiv's primary category is {category}: add it to tags if it fits\n" if category else ""
        return block + hint

    def links(self) -> str:
        return f"\n## リンク\n- PDF: {self.paper.pdf}\n" if self.paper and self.paper.pdf else ""


def arxiv_of(text: str) -> str | None:
    """The arXiv id when `text` is one (2402.12354, arXiv:2402.12354v2) or an arxiv.org link to one."""
    bare = BARE_ARXIV.fullmatch(text.strip())
    if bare:
        return bare.group(1)
    return arxiv_id_from_url(text) if text.strip().lower().startswith(("http://", "https://", "arxiv.org")) else None


def note_name(title: str, day: dt.date) -> str:
    return f"{day.isoformat()}-{slugify(title, max_len=60)}.md"


def new_note(notes_dir: Path, note: NewNote) -> Path:
    """Write the note as `<date>-<slug>.md` in notes_dir; Refused if that file exists."""
    day = note.day(dt.date.today())  # the one place kb reads the clock
    path = notes_dir / note_name(note.title, day)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(note.text(day))
    except FileExistsError:
        raise Refused(_("{path} exists; kb new never overwrites a note (give another title or --date)").format(
            path=path)) from None
    return path
