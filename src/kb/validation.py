"""Plain messages for values that do not fit a model: one formatter for every format and kb.yaml.

    field_problems(ValidationError) -> [(field, "kind 'papr' is not one of ... (did you mean 'paper'?)")]
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from pydantic import ValidationError
from rapidfuzz import fuzz, process

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# The other ways a date is written in Japanese notes: 2024/3/5, 2024.3.5, 2024年3月5日.
_OTHER_DATES = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})|(\d{4})\.(\d{1,2})\.(\d{1,2})|(\d{4})\s*年\s*(\d{1,2})\s*月\s*"
                          r"(\d{1,2})\s*日")
SIMILAR = 70  # rapidfuzz ratio (0-100) for a did-you-mean
TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
              dict: "a mapping (key: value)", type(None): "empty"}
EXPECTED = {  # pydantic error type -> what the value should have been
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "a mapping (key: value)", "model_type": "a mapping (key: value)", "date_type": "a date (YYYY-MM-DD)",
}


def closest(word: str, choices) -> str | None:
    """The choice most like `word` (for a did-you-mean), or None when none is close."""
    found = process.extractOne(str(word), list(choices), scorer=fuzz.ratio, score_cutoff=SIMILAR)
    return found[0] if found else None


def parse_date(name: str, value):
    """A date from YYYY-MM-DD text (or a date); a plain message saying which part is wrong."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    match = _DATE.fullmatch(text[:10]) if len(text) == 10 or text[10:11] in ("T", " ") else None
    other = _OTHER_DATES.fullmatch(text) if match is None else None
    if match is None and other is None:
        raise ValueError(f"{name} {text[:40]!r} is not a date: expected YYYY-MM-DD (or 2024/3/5, 2024.3.5, "
                         "2024年3月5日)")
    year, month, day = map(int, match.groups() if match else [g for g in other.groups() if g is not None])
    if not 1 <= month <= 12:
        raise ValueError(f"{name} {text[:40]!r} is not a date: month {month}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(f"{name} {text[:40]!r} is not a date: day {day} ({year}-{month:02d} has {last} days)")
    return dt.date(year, month, day)


def type_name(value) -> str:
    return TYPE_NAMES.get(type(value), type(value).__name__)


def describe(error: dict) -> str:
    """One pydantic error as a sentence naming the field and what was expected."""
    where = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error") or error["msg"].removeprefix("Value error, "))
    if kind == "missing":
        return f"{where} is missing"
    if kind in EXPECTED:
        return f"{where} should be {EXPECTED[kind]}, not {type_name(error.get('input'))}"
    return f"{where}: {error['msg']}"


def field_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(top-level field, message) for every error, in the model's order."""
    return [(str(error["loc"][0]) if error["loc"] else "", describe(error)) for error in exc.errors()]
