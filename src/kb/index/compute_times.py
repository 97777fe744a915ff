"""GPU-hours, GPU-days and wall-clock times in a sentence, in time linear in the sentence.

They were three patterns (kept in tests/test_linear_time.py, which compares both forms):

    GPU-hours  (?<!\\d)(\\d++(?:\\.\\d+)?)\\s*(?:\\S+\\s)?GPU\\s*[-‐]?\\s*(?:時間|hours?)     (ignoring case)
    GPU-days   (?<!\\d)(\\d++(?:\\.\\d+)?)\\s*(?:[A-Z]\\w*\\s)?(?:GPU\\s*)?days              (ignoring case)
    wall       (?<!\\d)(\\d++(?:\\.\\d+)?)\\s*(日間?|時間|days?|hours?)(?!\\S*GPU)

Each let a number look to the end of a token (the token after it, its word, or its own token
for `GPU`): a token holding many numbers (`1a1a1a…`, `1日1日…`) was read again for every
number, quadratic in the token. Here a number is found by a pattern, and the end of the token
(or word), and where `GPU` last occurs in it, are worked out once per token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"(?<!\d)(\d++(?:\.\d+)?)\s*+")
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"\w*")
_WORD_START = re.compile(r"[A-Z]", re.IGNORECASE)
_HOURS_TAIL = re.compile(r"GPU\s*+(?:[-‐]\s*+)?(?:時間|hours?)", re.IGNORECASE)
_DAYS_TAIL = re.compile(r"(?:GPU\s*+)?days", re.IGNORECASE)
_WALL_UNIT = re.compile(r"日間?|時間|days?|hours?")


@dataclass(frozen=True)
class Found:
    """A number and its unit (`unit` for wall-clock times only), where the old pattern matched."""

    start: int
    end: int
    number: str
    unit: str = ""


class Runs:
    """The end of the run (token or word) around a position, each run read once: positions come in order.

    `tail_after(position)`: the `tail` pattern after the run and one space, each place tried once."""

    def __init__(self, text: str, run: re.Pattern, tail: re.Pattern | None = None) -> None:
        self.text, self.run, self.tail = text, run, tail
        self.start = self.end = -1
        self.gpu = -1  # where `GPU` last starts in the run, from `start` on
        self.tails: dict[int, re.Match | None] = {}

    def end_at(self, position: int) -> int:
        if not self.start <= position < self.end:
            self.start, self.end = position, self.run.match(self.text, position).end()
            self.gpu = self.text.rfind("GPU", position, self.end)
        return self.end

    def tail_after(self, position: int) -> re.Match | None:
        after = self.end_at(position)
        if after >= len(self.text) or not self.text[after].isspace():
            return None
        if after + 1 not in self.tails:
            self.tails[after + 1] = self.tail.match(self.text, after + 1)
        return self.tails[after + 1]


def _scan(text: str, unit_after) -> list[Found]:
    """Each number and the unit `unit_after(position after the number and its spaces)` finds, if any."""
    found: list[Found] = []
    position = 0
    while (number := _NUMBER.search(text, position)) is not None:
        unit = unit_after(number.end())
        if unit is None:
            position = number.end()
            continue
        found.append(Found(number.start(), unit.end(), number.group(1), unit.group()))
        position = unit.end()
    return found


def gpu_hours(text: str) -> list[Found]:
    """`744 H800 GPU時間`, `1,000 GPU hours`: a number, at most one token, then GPU-hours."""
    tokens = Runs(text, _TOKEN, _HOURS_TAIL)

    def unit_after(at: int):
        word = at < len(text) and not text[at].isspace()
        return (word and tokens.tail_after(at)) or _HOURS_TAIL.match(text, at)

    return _scan(text, unit_after)


def gpu_days(text: str) -> list[Found]:
    """`2 TPU days`, `3 GPU days`: a number, at most one word, then (GPU) days."""
    words = Runs(text, _WORD, _DAYS_TAIL)

    def unit_after(at: int):
        return (_WORD_START.match(text, at) and words.tail_after(at + 1)) or _DAYS_TAIL.match(text, at)

    return [Found(f.start, f.end, f.number) for f in _scan(text, unit_after)]


def wall_times(text: str) -> list[Found]:
    """`3日`, `12 hours`: a number and a unit, unless `GPU` follows in the same token (`3日GPU`)."""
    tokens = Runs(text, _TOKEN)

    def unit_after(at: int):
        unit = _WALL_UNIT.match(text, at)
        if unit is None or unit.end() >= len(text) or text[unit.end()].isspace():
            return unit
        tokens.end_at(unit.end())
        return None if tokens.gpu >= unit.end() else unit

    return _scan(text, unit_after)
