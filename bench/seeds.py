"""Raw material for the synthetic corpus, cut out of the five real seed notes in notes/.

Nothing here is random: it only splits the seeds into reusable pieces (summaries and their
sections, listing entries, talk titles, tag names, title phrases, authors, venues).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

NOTES_DIR = Path(__file__).resolve().parent.parent / "notes"
ISSUE_DATE = re.compile(r"Issue Date: (\d{4}-\d{2}-\d{2})(\s*)(\[Paper Note\]\s*)?")
LISTING_TAG = re.compile(r"#([A-Za-z][\w\-\.\+]*(?:\([^)\s#]*\)?)?)")
AUTHOR_VENUE = re.compile(r", ([A-Z][\w\.\-\u00c0-\u024f ]{2,40}?)\+, ([A-Za-z]+'\d\d)")
LISTING_SUMMARY = re.compile(r"Summary(.{40,}?)(?=\s*Comment|\s#[A-Za-z]|\n#|$)", re.S)
TWEET_TAG = re.compile(r"#(\S+)")


@dataclass(frozen=True)
class Summary:
    """One of the 23 eight-question summaries of seed 001."""

    title: str
    url: str
    sections: tuple[tuple[str, str], ...]  # (heading line without '## ', body)

    @property
    def tweet_tags(self) -> list[str]:
        return TWEET_TAG.findall(self.sections[-1][1]) if self.sections else []


@dataclass(frozen=True)
class Seeds:
    summaries: tuple[Summary, ...]
    minutes: str
    minutes_titles: tuple[str, ...]
    blogs: tuple[str, ...]
    listing: str
    listing_summaries: tuple[str, ...]
    tags: tuple[str, ...]
    title_phrases: tuple[str, ...]
    authors: tuple[str, ...]
    venues: tuple[str, ...]
    extra: dict = field(default_factory=dict)


def seed_text(notes_dir: Path, number: str) -> str:
    paths = sorted(notes_dir.glob(f"{number}_*.txt"))
    if not paths:
        raise FileNotFoundError(f"seed {number}_*.txt not found in {notes_dir}")
    return paths[0].read_text(encoding="utf-8")


def split_summaries(text: str) -> list[Summary]:
    """The `# title` documents of seed 001, split on their `---` separators."""
    found = []
    for doc in re.split(r"\n---\n", text):
        title = re.search(r"^# (.+)$", doc, re.M)
        url = re.search(r"\[View Paper\]\((\S+?)\)", doc)
        if not title:
            continue
        parts = re.split(r"^## ", doc, flags=re.M)[1:]
        sections = tuple((p.split("\n", 1)[0].strip(), p.split("\n", 1)[1].strip() if "\n" in p else "")
                         for p in parts)
        found.append(Summary(title.group(1).strip(), url.group(1) if url else "", sections))
    return found


def minutes_titles(text: str) -> list[str]:
    """Talk titles (the line after each `@presenter`) and the main topic (after メインTOPIC)."""
    lines = text.split("\n")
    titles = []
    for i, line in enumerate(lines[:-1]):
        nxt = lines[i + 1].strip()
        if line.startswith("@") and nxt.startswith("["):
            titles.append(re.sub(r"^\[[^\]]+\]\s*", "", nxt))
        elif line.strip() == "メインTOPIC" and nxt:
            titles.append(nxt)
    return titles


def title_phrases(titles: list[str]) -> list[str]:
    """The descriptive part of real titles (after 'Name:'), the raw material of new titles."""
    phrases = []
    for title in titles:
        _, _, rest = title.partition(": ")
        rest = rest.strip() or title.strip()
        if 3 <= len(rest.split()) <= 16 and rest.isascii():
            phrases.append(rest.rstrip("."))
    return sorted(set(phrases))


def listing_titles(listing: str) -> list[str]:
    titles = []
    for match in ISSUE_DATE.finditer(listing):
        head = listing[match.end():match.end() + 200].split("\n")[0]
        title = re.split(r", [A-Z][^,]{1,40}\+, ", head)[0]
        if title != head:
            titles.append(title)
    return titles


def real_tags(listing: str, summaries: list[Summary]) -> list[str]:
    """Tag names from the listing's `#Tag` tokens and the summaries' tweet hashtags, by frequency."""
    counts: dict[str, int] = {}
    for tag in LISTING_TAG.findall(listing) + [t for s in summaries for t in s.tweet_tags]:
        tag = tag.rstrip(".,。、")
        if 1 < len(tag) <= 40 and not tag.startswith("http"):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))


@cache
def load_seeds(notes_dir: Path = NOTES_DIR) -> Seeds:
    summaries = split_summaries(seed_text(notes_dir, "001"))
    minutes = seed_text(notes_dir, "000")
    listing = seed_text(notes_dir, "004")
    all_titles = [s.title for s in summaries] + listing_titles(listing) + minutes_titles(minutes)
    pairs = AUTHOR_VENUE.findall(listing)
    return Seeds(
        summaries=tuple(summaries),
        minutes=minutes,
        minutes_titles=tuple(minutes_titles(minutes)),
        blogs=(seed_text(notes_dir, "002"), seed_text(notes_dir, "003")),
        listing=listing,
        listing_summaries=tuple(sorted({m.strip() for m in LISTING_SUMMARY.findall(listing)})),
        tags=tuple(real_tags(listing, summaries)),
        title_phrases=tuple(title_phrases(all_titles)),
        authors=tuple(sorted({a.strip() for a, _ in pairs})),
        venues=tuple(sorted({v for _, v in pairs})),
    )
