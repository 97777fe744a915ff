"""Compute, structured: GPU model, count and time from a record's `costs` text.

Only statements count: a sentence that guesses (例えば, 推測, 可能性, e.g. ...) or says
nothing is stated (明記されていません ...) gives no entry. Each statement (a line, a list
item) is a run of its own: two runs on the same hardware with different descriptions (SFT
and the profile generator, each on 4 A100s) stay two. Mentions of one GPU model within one
statement merge (the first count wins, times take the largest figure given), and a mention
that states nothing but the model (no count, no time) joins the record's run of that model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.index.compute_times import gpu_days, gpu_hours, wall_times
from kb.models import Compute, Record

_GPU = re.compile(
    r"(?:NVIDIA\s+|Nvidia\s+)?(?:GeForce\s+)?"
    r"(?P<model>RTX\s?A?\d{4}(?:\s?Ti)?|(?<![A-Za-z0-9-])(?:[AHVBL]\d{2,3}S?|H20|A40|T4|L4|GB200|TPU\s?v\d+[a-z]?)(?![A-Za-z0-9-])"
    r"|(?<![A-Za-z0-9.])[234]0[5-9]0(?=\s?GPU))"
)
_GUESS = re.compile(
    r"例えば|例:|例：|e\.g\.|推測|可能性|必要とな|必要です|一般的|明記されて(?:い)?ません|記載されて(?:い)?ません|不明"
)
_SENTENCE = re.compile(r"(?<=。)")
_COUNT_BEFORE = re.compile(r"(\d+)\s*(?:つの|台の|基の|枚の|個の|x|×)?\s*(?:NVIDIA\s+|Nvidia\s+)?(?:GeForce\s+)?$")
_COUNT_AFTER = re.compile(
    r"^\s*(?:GPUs?\s*)?(?:[(（]\s*\d+\s*GB[^)）]*[)）]\s*)?(?:[x×]\s*(\d+)|[(（](\d+)\s*[基台枚個])"
)
_ONE = re.compile(r"(?:単一の?|個別の|1つの|single\s)\s*(?:NVIDIA\s+)?$|^\s*(?:GPU\s*)?[(（]単一[)）]")
_TWO = re.compile(r"(?:デュアル|dual\s)\s*$", re.IGNORECASE)
_TIME_AFTER = re.compile(r"\s*(?:GPU\s*[-‐]?\s*)?(?:時間|hours?|days)", re.IGNORECASE)
HOURS_PER = {"日": 24.0, "日間": 24.0, "day": 24.0, "days": 24.0, "時間": 1.0, "hour": 1.0, "hours": 1.0}


def normalise_model(model: str) -> str:
    model = re.sub(r"\s+", " ", model.strip())
    model = re.sub(r"^RTX\s?", "RTX ", model)
    return f"RTX {model}" if model.isdigit() else model


NEAR = 100  # characters either side of a GPU's name where its count is looked for
COUNT_DIGITS = 6  # a longer number is no count of GPUs


def count_near(sentence: str, start: int, end: int) -> int | None:
    """The count stated next to the GPU's name (within NEAR characters: a sentence naming thousands
    of GPUs is read once per name, not once per name and character)."""
    before, after = sentence[max(0, start - NEAR):start], sentence[end:end + NEAR]
    if _TIME_AFTER.match(after):  # `744 H800 GPU時間`: 744 is time, not a count
        return None
    for pattern, text in ((_COUNT_BEFORE, before), (_COUNT_AFTER, after)):
        match = pattern.search(text)
        if match:
            count = next(g for g in match.groups() if g)
            return int(count) if len(count) <= COUNT_DIGITS else None
    if _ONE.search(before) or _ONE.search(after):
        return 1
    return 2 if _TWO.search(before) else None


def times_in(sentence: str) -> tuple[float | None, float | None]:
    """(wall-clock hours, GPU-hours) stated in a sentence; GPU-hours, when given, stand alone."""
    hours = [float(f.number) for f in gpu_hours(sentence)] + [float(f.number) * 24 for f in gpu_days(sentence)]
    if hours:
        return None, round(max(hours), 1)
    wall = [float(f.number) * HOURS_PER[f.unit.lower()] for f in wall_times(sentence)]
    return (max(wall) if wall else None), None


def statements(text: str) -> list[str]:
    """One statement per line (a list item), less its sentences that guess."""
    found = []
    for line in text.split("\n"):
        kept = "".join(s for s in _SENTENCE.split(line) if not _GUESS.search(s)).strip()
        if kept:
            found.append(kept)
    return found


MODELS_PER_STATEMENT = 8  # each run carries its statement: 4,950 models in 24 KB were 120 MB of runs


def entries_in(sentence: str) -> list[Compute]:
    """The mentions of the statement's first MODELS_PER_STATEMENT GPU models (a longer list is no run)."""
    hours, gpu_hours = times_in(sentence)
    found, models = [], set()
    for m in _GPU.finditer(sentence):
        gpu = normalise_model(m.group("model"))
        if gpu not in models and len(models) == MODELS_PER_STATEMENT:
            continue
        models.add(gpu)
        found.append(Compute(gpu=gpu, count=count_near(sentence, m.start(), m.end()), hours=hours,
                             gpu_hours=gpu_hours, text=sentence))
    return found


def states_figures(entry: Compute) -> bool:
    return (entry.count, entry.hours, entry.gpu_hours) != (None, None, None)


def merge(entries: list[Compute]) -> list[Compute]:
    """One run per (GPU model, statement); a bare mention of a model another run states figures for is dropped."""
    merged: dict[tuple[str, str], Compute] = {}
    for entry in entries:
        key = (entry.gpu, entry.text)
        seen = merged.get(key)
        if seen is None:
            merged[key] = entry
            continue
        merged[key] = seen.model_copy(update={
            "count": seen.count if seen.count is not None else entry.count,
            "hours": max(filter(None, (seen.hours, entry.hours)), default=None),
            "gpu_hours": max(filter(None, (seen.gpu_hours, entry.gpu_hours)), default=None)})
    stated = {gpu for (gpu, _), run in merged.items() if states_figures(run)}
    return [run for (gpu, _), run in merged.items() if states_figures(run) or gpu not in stated]


def extract_compute(costs: str | None) -> list[Compute]:
    if not costs:
        return []
    text = re.sub(r"[*`]", "", costs)
    return merge([entry for sentence in statements(text) for entry in entries_in(sentence)])


@lru_cache(maxsize=50_000)
def runs_of(costs: str | None) -> tuple[Compute, ...]:
    """extract_compute, kept by costs text: a long-running `kb serve` reads a record's costs again
    only after they changed (Compute is frozen, so the runs are shared safely)."""
    return tuple(extract_compute(costs))


def link_compute(records: list[Record]) -> dict[str, list]:
    """Each record's compute, from its costs text."""
    return {record.id: list(runs_of(record.costs)) for record in records}
