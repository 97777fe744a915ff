"""Small text rules shared by parsers and the index: arXiv ids, slugs, folding."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}")
# An http(s) address as written in a note: URL characters only, so it ends where Japanese text
# (or a space) follows it without a break.
URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
SLUG_MAX = 80  # characters
SLUG_MAX_BYTES = 120  # UTF-8 bytes: a file name is at most 255 bytes on ext4, APFS and NTFS
_SEPARATORS = re.compile(r"[\s._/\-]+")


def arxiv_id_from_url(url: str | None) -> str | None:
    """The bare arXiv id (no version) of an arxiv.org abs/pdf/html link, else None."""
    if not url:
        return None
    match = _ARXIV_URL.search(url)
    return match.group(1) if match else None


SHORT = 64


@lru_cache(maxsize=1)
def compat_table() -> dict[int, str]:
    """Characters of the Basic Multilingual Plane that NFKC changes on their own (full-width
    letters and punctuation, half-width katakana, ligatures...), and what NFKC makes of them."""
    table = {}
    for code in (c for c in range(0x10000) if not 0xD800 <= c < 0xE000):
        normal = unicodedata.normalize("NFKC", chr(code))
        if normal != chr(code):
            table[code] = normal
    return table


_HYPHEN_BEFORE_ALNUM = re.compile(r"-(?=[0-9a-zA-Z])")
ASCII_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def drop_inner_hyphens(text: str) -> str:
    """The text without its hyphens between two ASCII letters or digits (`LLaMA-2` -> `LLaMA2`, the
    token rule of kb.index.names): re.sub(r"(?<=[0-9a-zA-Z])-(?=[0-9a-zA-Z])", "", text), 3x sooner
    on notes, as the search stops only at hyphens (the look-behind was tried at every character)."""
    if "-" not in text:
        return text
    kept, start = [], 0
    for hit in _HYPHEN_BEFORE_ALNUM.finditer(text):
        at = hit.start()
        if at and text[at - 1] in ASCII_ALNUM:
            kept.append(text[start:at])
            start = at + 1
    return "".join(kept) + text[start:] if kept else text


def fold(text: str) -> str:
    """NFKC + case fold: the one notion of 'the same text' for matching and search.

    Computed as casefold(NFKC(text)), faster: each character is first replaced by its own NFKC
    form (NFKC of the result is the same), and the full normalization runs only when that is not
    yet normal (a half-width ﾞ to compose, a character outside the table). Japanese text is
    mostly full-width punctuation away from normal, so this is ~3x faster on notes."""
    if len(text) < SHORT:  # a name or a word: one call is cheaper than the table
        return unicodedata.normalize("NFKC", text).casefold()
    mapped = text.translate(compat_table())
    if not unicodedata.is_normalized("NFKC", mapped):
        mapped = unicodedata.normalize("NFKC", mapped)
    return mapped.casefold()


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def cap_bytes(text: str, limit: int) -> str:
    """The longest prefix of text that is at most `limit` bytes in UTF-8 (never half a character)."""
    data = text.encode("utf-8", "surrogatepass")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def slugify(text: str, max_len: int = SLUG_MAX, max_bytes: int = SLUG_MAX_BYTES) -> str:
    """A URL-safe slug that keeps Unicode letters (kanji stay kanji).

    Runs of anything that is not a letter, digit or underscore become one '-'; the slug has at
    most `max_len` characters and `max_bytes` UTF-8 bytes, so it is a valid file name anywhere.
    Text with no letters at all gets a short hash so the slug is never empty.
    """
    folded = fold(text)
    slug = _NON_WORD.sub("-", folded).strip("-_")
    slug = slug.replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug)
    if len(slug) > max_len:
        slug = slug[:max_len].rstrip("-")
    slug = cap_bytes(slug, max_bytes).rstrip("-")
    if not slug:
        slug = "h" + short_hash(text, 10)
    return slug


def keyed_slug(key: str) -> str:
    """A slug that depends on `key` alone: plain when it keeps the key's letters (`llm`,
    `edward-j-hu`), else the slug plus a short hash of the key (`C#` -> `c-1b5a2e`), so keys
    that lose different characters (`C`, `C#`, `C++`) never share or trade a slug."""
    slug = slugify(key, max_bytes=SLUG_MAX_BYTES - 7)
    natural = _SEPARATORS.sub("-", fold(key)).strip("-")
    return slug if slug == natural else f"{slug}-{short_hash(key)}"


EXCERPT = 200  # characters of offending text a diagnostic keeps


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """At most `limit` characters of text (a diagnostic never carries a whole huge value)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Characters a note should not contain: C0 controls but tab and newline, U+FFFE/U+FFFF, lone
# surrogates (XML forbids them all; ESC and friends also drive terminals).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff"
                       "\ud800-\udfff]")


def control_characters(text: str) -> list[tuple[int, str]]:
    """(1-based line, 'U+001B') for every line holding a character CONTROL matches (first one per line).
    One search of the whole text first: almost every note has none (10,000 notes: 0.3 s line by line)."""
    if CONTROL.search(text) is None:
        return []
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        match = CONTROL.search(line)
        if match:
            found.append((number, f"U+{ord(match.group()):04X}"))
    return found


def terminal_safe(text: str) -> str:
    """Text to print on a terminal: control characters (ESC sequences, C1, bidi overrides) shown as
    visible escapes like `\\x1b`, never sent raw."""
    return _TERMINAL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                         else f"\\u{ord(m.group()):04x}", text)


def printable_path(path: str) -> str:
    """A file name to print on one line: terminal_safe, and newlines and tabs as `\\n`, `\\t` too (a
    file named with a newline printed one diagnostic on two lines)."""
    return terminal_safe(path).replace("\n", "\\n").replace("\t", "\\t")


class Taken(set):
    """Names already given out, and per wanted name the last suffix `first_free` gave it."""

    def __init__(self, names=()) -> None:
        super().__init__(names)
        self.last_suffix: dict[str, int] = {}


def first_free(wanted: str, taken: Taken) -> str:
    """`wanted`, or `wanted-2`, `-3`... : the first not in `taken`, which it is then added to.

    Linear in the calls: a name asked for again starts after the suffix it last got (every
    name below it is still taken), so 20,000 sections headed `## x` cost 20,000 steps, not
    200 million. Each taken `x-5` is stepped over at most once, by `x` only."""
    candidate, n = wanted, taken.last_suffix.get(wanted, 1)
    if candidate in taken:
        n, candidate = n + 1, f"{wanted}-{n + 1}"
        while candidate in taken:
            n += 1
            candidate = f"{wanted}-{n}"
        taken.last_suffix[wanted] = n
    taken.add(candidate)
    return candidate
