"""A deterministic synthetic corpus of N note *records* built from the real seed notes.

`generate(n, out_dir, seed=0)` writes `out_dir/notes/` and returns a Manifest listing every
record it meant to write (title, date, tags, body): the peers (Hugo, MkDocs) get one page per
manifest record, so all three tools build the same N pages (plus their tag pages).

N counts records, not files. About 80 % of the records are native notes (Markdown with YAML
front matter, one record per file, sections recombined from the 23 summaries of seed 001); the
rest come in the seed formats: eight-question summaries files (3-8 records each), copies of the
study-group minutes (4 records each, new date and talk titles), blog-style introductions
(1 record each, new title/date/arXiv link) and listing pages (a prefix of the seed tag page
with every entry renamed and re-dated). Titles are unique, dates spread over 2016-2025 (more
recent ones more frequent), tags come from a Zipf-like pool of ~300 names led by the seeds' own.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from seeds import ISSUE_DATE, Seeds, load_seeds

SHARES = (("summaries", 0.08), ("listing", 0.06), ("minutes", 0.04), ("blog", 0.02))  # the rest: native
MIN_RECORDS = {"minutes": 4, "listing": 10}  # fewer records than this make no file of that format
FIELDS = ("problem", "approach", "results", "limitations", "technical", "costs", "references", "tweet")
KEEP_FIELD = (1.0, 1.0, 1.0, 0.6, 0.5, 0.5, 0.4, 0.5)  # chance a native note has each of FIELDS
SYLLABLES = ("ka ro zen vi tor lu mi nex qua ra sol tri vo xa ly den pho ber gan ix "
             "mo ta shi ke ru na fal ori um sy").split()
START, END = dt.date(2016, 1, 1), dt.date(2025, 12, 31)
POOL_SIZE = 300


@dataclass
class PageRecord:
    """One record as the generator meant it: what the peers render as one page."""

    key: str
    title: str
    date: str | None
    tags: list[str]
    kind: str
    body: str
    format: str
    file: str


@dataclass
class Manifest:
    n: int
    seed: int
    records: list[PageRecord] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path below notes/ -> format

    def summary(self) -> dict:
        by_format: dict[str, dict[str, int]] = {}
        for fmt in self.files.values():
            by_format.setdefault(fmt, {"files": 0, "records": 0})["files"] += 1
        for record in self.records:
            by_format[record.format]["records"] += 1
        return {"n": self.n, "seed": self.seed, "files": len(self.files), "records": len(self.records),
                "by_format": dict(sorted(by_format.items()))}

    def to_json(self) -> str:
        return json.dumps({**self.summary(), "records": [asdict(r) for r in self.records]}, ensure_ascii=False)


def tag_pool(seeds: Seeds, size: int = POOL_SIZE) -> list[str]:
    """The seeds' tags by frequency, then made-up compounds of them: the long tail."""
    pool = list(seeds.tags)
    ascii_tags = [t for t in pool if t.isascii() and t.isalnum()]
    rng, seen = random.Random(12345), set(pool)
    while len(pool) < size:
        tag = f"{rng.choice(ascii_tags)}-{rng.choice(ascii_tags)}"
        if tag not in seen:
            seen.add(tag)
            pool.append(tag)
    return pool[:size]


class Maker:
    """The random choices, all from one random.Random(seed)."""

    def __init__(self, seeds: Seeds, seed: int):
        self.seeds, self.rng = seeds, random.Random(seed)
        self.pool = tag_pool(seeds)
        self.weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.pool))]
        self.names: set[str] = set()
        self.arxiv_ids: set[str] = set()
        self.earlier: list[str] = []  # names of records made so far (for mentions)

    def name(self) -> str:
        while True:
            word = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 3))).capitalize()
            if self.rng.random() < 0.2:
                word += f"-{self.rng.randint(2, 9)}"
            if word not in self.names:
                self.names.add(word)
                self.earlier.append(word)
                return word

    def title(self) -> str:
        phrase = self.rng.choice(self.seeds.title_phrases)
        if self.rng.random() < 0.5:  # splice two real phrases at a shared connective
            other = self.rng.choice(self.seeds.title_phrases)
            for joint in (" for ", " with ", " via ", " in ", " of "):
                if joint in phrase and joint in other:
                    phrase = phrase.split(joint, 1)[0] + joint + other.split(joint, 1)[1]
                    break
        return f"{self.name()}: {phrase}"

    def date(self) -> dt.date:
        span = (END - START).days
        return END - dt.timedelta(days=int(span * self.rng.random() ** 1.6))

    def tags(self, low: int = 1, high: int = 6) -> list[str]:
        chosen: list[str] = []
        for tag in self.rng.choices(self.pool, self.weights, k=self.rng.randint(low, high) + 2):
            if tag not in chosen:
                chosen.append(tag)
        return chosen[:high]

    def arxiv_id(self, date: dt.date) -> str:
        while True:
            candidate = f"{date:%y%m}.{self.rng.randint(1, 29999):05d}"
            if candidate not in self.arxiv_ids:
                self.arxiv_ids.add(candidate)
                return candidate

    def mention(self) -> str | None:
        if len(self.earlier) > 5 and self.rng.random() < 0.15:
            return self.rng.choice(self.earlier[:-1])
        return None


def yaml_value(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars and lists are valid YAML


def native_note(mk: Maker, key: str) -> tuple[str, PageRecord]:
    """One native note: front matter plus `## field` sections drawn from random summaries."""
    rng, date = mk.rng, mk.date()
    kind = rng.choices(("paper", "blog", "article", "talk"), (85, 8, 5, 2))[0]
    title, tags = mk.title(), mk.tags()
    meta = {"title": title, "kind": kind, "authors": rng.sample(mk.seeds.authors, rng.randint(1, 4)),
            "issue_date": date.isoformat(), "tags": tags}
    if kind == "paper":
        arxiv = mk.arxiv_id(date)
        meta |= {"venue": rng.choice(mk.seeds.venues), "url": f"https://arxiv.org/abs/{arxiv}"}
    else:
        meta["url"] = f"https://blog.example.invalid/{date:%Y/%m}/{key}"
    parts = [f"## summary\n\n{rng.choice(mk.seeds.listing_summaries)}"]
    for index, (name, keep) in enumerate(zip(FIELDS, KEEP_FIELD, strict=True)):
        if rng.random() < keep:
            heading, body = rng.choice(mk.seeds.summaries).sections[index]
            parts.append(f"## {name if rng.random() < 0.7 else heading}\n\n{body}")
    mentioned = mk.mention()
    if mentioned:
        parts.append(f"## comment\n\n{mentioned} と比較すると面白い。関連: {mentioned}")
    body = "\n\n".join(parts) + "\n"
    front = "\n".join(f"{k}: {yaml_value(v)}" for k, v in meta.items())
    path = f"{date.year}/{key}-{slugify(title)[:40]}.md"
    record = PageRecord(key, title, date.isoformat(), tags, kind, body, "native", path)
    return f"---\n{front}\n---\n{body}", record


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "note"


def summaries_file(mk: Maker, key: str, count: int) -> tuple[str, list[PageRecord]]:
    """An eight-question summaries file: random summaries, sections swapped, new titles/links/tags."""
    rng, docs, records = mk.rng, [], []
    path = f"imported/summaries-{key}.txt"
    for i in range(count):
        base = rng.choice(mk.seeds.summaries)
        sections = [rng.choice(mk.seeds.summaries).sections[j] if rng.random() < 0.3 else section
                    for j, section in enumerate(base.sections)]
        date, title, tags = mk.date().replace(day=1), mk.title(), mk.tags(2, 5)
        tweet_head, tweet = sections[-1]
        tweet = re.sub(r"\s*#\S+", "", tweet).rstrip() + " " + " ".join("#" + t for t in hashtags(tags))
        sections[-1] = (tweet_head, tweet)
        body = "\n\n".join(f"## {h}\n\n{b}" for h, b in sections)
        docs.append(f"\n# {title}\n\n[View Paper](http://arxiv.org/abs/{mk.arxiv_id(date)}v1)\n\n{body}\n")
        records.append(PageRecord(f"{key}-{i}", title, date.isoformat(), hashtags(tags), "paper", body,
                                  "summaries", path))
    return "\n\n---\n\n".join(docs), records


def hashtags(tags: list[str]) -> list[str]:
    """Tags that survive as tweet hashtags (no spaces or brackets)."""
    return [t for t in tags if re.fullmatch(r"[\w\-]+", t)] or ["AI"]


def minutes_file(mk: Maker, key: str) -> tuple[str, list[PageRecord]]:
    """A copy of the study-group minutes with a new date and new talk titles."""
    date, text = mk.date(), mk.seeds.minutes
    old_titles = mk.seeds.minutes_titles
    new_titles = [mk.title() for _ in old_titles]
    mapping = dict(zip(old_titles, new_titles, strict=True))
    pattern = "|".join(re.escape(t) for t in sorted(old_titles, key=len, reverse=True))
    text = re.sub(pattern, lambda m: mapping[m.group(0)], text)  # one pass: new titles may contain old ones
    lines = text.split("\n")
    lines[0] = re.sub(r"^\d{4}-\d{2}-\d{2}", date.isoformat(), lines[0])
    starts = [next(i for i in range(3, len(lines)) if lines[i].endswith(t)) for t in new_titles]
    path = f"imported/minutes-{key}.txt"
    records = []
    for i, title in enumerate(new_titles):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(lines)
        body = "\n".join(lines[starts[i] + 1:end]).strip() + "\n"
        kind = "blog" if "[blog]" in lines[starts[i]] else "paper"
        records.append(PageRecord(f"{key}-{i}", title, date.isoformat(), [], kind, body, "minutes", path))
    return "\n".join(lines), records


def blog_file(mk: Maker, key: str) -> tuple[str, list[PageRecord]]:
    """A copy of blog seed 002 (headline, date, arXiv link) or 003 (neither), retitled."""
    which = mk.rng.randrange(2)
    text, title, date = mk.seeds.blogs[which], mk.title(), mk.date()
    words = title.split()
    wrapped = " ".join(words[: len(words) // 2 + 1]) + "\n" + " ".join(words[len(words) // 2 + 1:])
    text = re.sub(r"(今回紹介する論文は).+?(\s?という論文です。)", lambda m: m.group(1) + wrapped + m.group(2),
                  text, count=1, flags=re.S)
    text = re.sub(r"^\d{4}\.\d{2}\.\d{2}$", f"{date:%Y.%m.%d}", text, count=1, flags=re.M)
    text = re.sub(r"https://arxiv\.org/pdf/\S+\.pdf", f"https://arxiv.org/pdf/{mk.arxiv_id(date)}v1.pdf", text)
    body = text.split("この論文を一言でまとめると", 1)[-1].strip() + "\n"
    path = f"imported/blog-{key}.txt"
    return text, [PageRecord(key, title, date.isoformat() if which == 0 else None, [], "paper", body, "blog", path)]


def listing_file(mk: Maker, key: str, count: int) -> tuple[str, list[PageRecord]]:
    """The first `count` distinct entries of the seed tag page, renamed and re-dated."""
    rng, source = mk.rng, mk.seeds.listing
    shift = dt.timedelta(days=rng.randint(0, 3000))
    names: dict[str, str] = {}
    cut = len(source)
    for match in ISSUE_DATE.finditer(source):
        entry = entry_key(source, match.end())
        if entry not in names:
            if len(names) == count:
                cut = match.start()
                break
            names[entry] = mk.name()
    text = re.sub(r"(\s*#[^\s#]+(?: \(\w+\))?)+\s*$", "", source[:cut]).rstrip() + "\n"
    rest = text.split("\n", 1)[1]
    page_tag = rng.choice(mk.pool[:60])

    def rename(match: re.Match) -> str:
        when = max(START, dt.date.fromisoformat(match.group(1)) - shift)
        new_name = names[entry_key(rest, match.end())]
        return f"Issue Date: {when.isoformat()}{match.group(2)}{match.group(3) or ''}{new_name} "

    text = page_tag + "\n" + ISSUE_DATE.sub(rename, rest)
    return text, listing_records(text, key, f"imported/listing-{key}.txt")


def entry_key(text: str, start: int) -> str:
    return " ".join(text[start:start + 60].split())


def listing_records(text: str, key: str, path: str) -> list[PageRecord]:
    matches = list(ISSUE_DATE.finditer(text))
    records, seen = [], set()
    for i, match in enumerate(matches):
        head = text[match.end():].split("\n", 1)[0]
        title = re.split(r", [A-Z][^,]{1,40}\+, |, [^,]{1,40}, \d{4}", head)[0][:200]
        if title in seen:
            continue
        seen.add(title)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        tags = re.findall(r"#([^\s#]+)", text[max(0, match.start() - 300):match.start()])[-4:]
        records.append(PageRecord(f"{key}-{len(records)}", title, match.group(1), tags, "paper",
                                  text[match.end():end].strip() + "\n", "listing", path))
    return records


def plan(n: int) -> dict[str, int]:
    """Records wanted per seed format; native takes the rest."""
    wanted = {fmt: int(n * share) for fmt, share in SHARES}
    if n >= 40:  # small corpora (tests) still get one file of each seed format
        wanted = {fmt: max(count, MIN_RECORDS.get(fmt, 1)) for fmt, count in wanted.items()}
    return wanted


def seed_format_files(mk: Maker, n: int):
    """(path, text, records) for the seed-format files, in a fixed order."""
    wanted, made = plan(n), 0
    for fmt, target in wanted.items():
        got = 0
        while target - got >= MIN_RECORDS.get(fmt, 1):
            key = f"{fmt[0]}{made:05d}"
            if fmt == "summaries":
                text, records = summaries_file(mk, key, min(target - got, mk.rng.randint(3, 8)))
            elif fmt == "listing":
                text, records = listing_file(mk, key, max(10, min(target - got, mk.rng.randint(10, 60))))
            elif fmt == "minutes":
                text, records = minutes_file(mk, key)
            else:
                text, records = blog_file(mk, key)
            got, made = got + len(records), made + 1
            yield records[0].file, text, records


def long_files(mk: Maker, n: int):
    """(path, text, records) of n eight-question summaries, one a file: the corpus of long notes
    (issue #23: about 11 KB a note, like the LLM-written summaries of seed 001)."""
    for i in range(n):
        text, records = summaries_file(mk, f"q{i:05d}", 1)
        yield records[0].file, text, records


def generate(n: int, out_dir: Path, seed: int = 0, seeds: Seeds | None = None, long: bool = False) -> Manifest:
    """Write out_dir/notes/ (replacing it) with about n records; the manifest lists them.
    `long`: n long notes instead (long_files), no other format."""
    mk = Maker(seeds or load_seeds(), seed)
    notes = Path(out_dir) / "notes"
    if notes.exists():
        shutil.rmtree(notes)
    manifest = Manifest(n=n, seed=seed)
    files = list(long_files(mk, n) if long else seed_format_files(mk, n))
    made = sum(len(records) for _, _, records in files)
    for i in range(max(0, n - made)):
        text, record = native_note(mk, f"n{i:06d}")
        files.append((record.file, text, [record]))
    for path, text, records in files:
        target = notes / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        manifest.files[path] = records[0].format
        manifest.records.extend(records)
    return manifest


def new_native_note(out_dir: Path, index: int, seed: int = 0) -> Path:
    """An extra native note (for the 'add one note' rebuild); distinct per index."""
    mk = Maker(load_seeds(), seed * 1_000_003 + index + 7)
    text, record = native_note(mk, f"added{index:04d}")
    path = Path(out_dir) / "notes" / record.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
