"""Plain messages for values that do not fit a model: one formatter for every format and kb.yaml.

    field_problems(ValidationError) -> [(field, "kind 'papr' is not one of ... (did you mean 'paper'?)")]
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from pydantic import ValidationError

from kb.i18n import N_, Message, Problem

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# The other ways a date is written in Japanese notes: 2024/3/5, 2024.3.5, 2024年3月5日.
_OTHER_DATES = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})|(\d{4})\.(\d{1,2})\.(\d{1,2})|(\d{4})\s*年\s*(\d{1,2})\s*月\s*"
                          r"(\d{1,2})\s*日")
SIMILAR = 70  # rapidfuzz ratio (0-100) for a did-you-mean
TEXT, WHOLE, NUMBER, BOOLEAN = N_("text"), N_("a whole number"), N_("a number"), N_("true or false")
LIST, MAPPING = N_("a list"), N_("a mapping (key: value)")
TYPE_NAMES = {str: TEXT, int: WHOLE, float: NUMBER, bool: BOOLEAN, list: LIST, dict: MAPPING, type(None): N_("empty")}
EXPECTED = {  # pydantic error type -> what the value should have been
    "string_type": TEXT, "int_type": WHOLE, "int_parsing": WHOLE, "int_from_float": WHOLE, "float_type": NUMBER,
    "float_parsing": NUMBER, "bool_type": BOOLEAN, "bool_parsing": BOOLEAN, "list_type": LIST, "dict_type": MAPPING,
    "model_type": MAPPING, "date_type": N_("a date (YYYY-MM-DD)"),
}


def closest(word: str, choices) -> str | None:
    """The choice most like `word` (for a did-you-mean), or None when none is close."""
    from rapidfuzz import fuzz, process  # only when something is misspelt: never on a no-change rebuild

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
        raise Problem(N_("{name} {value} is not a date: expected YYYY-MM-DD (or 2024/3/5, 2024.3.5, 2024年3月5日)",
                         name=name, value=repr(text[:40])))
    year, month, day = map(int, match.groups() if match else [g for g in other.groups() if g is not None])
    if not 1 <= month <= 12:
        raise Problem(N_("{name} {value} is not a date: month {month}", name=name, value=repr(text[:40]),
                         month=month))
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise Problem(N_("{name} {value} is not a date: day {day} ({month} has {last} days)", name=name,
                         value=repr(text[:40]), day=day, month=str(year) + "-" + format(month, "02d"), last=last))
    return dt.date(year, month, day)


def type_name(value) -> Message | str:
    return TYPE_NAMES.get(type(value), type(value).__name__)


def describe(error: dict) -> Message | str:
    """One pydantic error as a sentence naming the field and what was expected."""
    where = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "value_error":
        raised = error.get("ctx", {}).get("error")
        return getattr(raised, "said", None) or str(raised or error["msg"].removeprefix("Value error, "))
    if kind == "missing":
        return N_("{field} is missing", field=where)
    if kind in EXPECTED:
        return N_("{field} should be {expected}, not {actual}", field=where, expected=EXPECTED[kind],
                  actual=type_name(error.get("input")))
    return f"{where}: {error['msg']}"


def field_problems(exc: ValidationError) -> list[tuple[str, Message | str]]:
    """(top-level field, message) for every error, in the model's order."""
    return [(str(error["loc"][0]) if error["loc"] else "", describe(error)) for error in exc.errors()]
