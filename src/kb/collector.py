"""Python's cyclic garbage collector, paused while a build runs.

A rebuild at 10,000 notes holds millions of long-lived objects (records, links, each output's
declared inputs); every full collection walks all of them, and a build allocates enough to
trigger many: about 1 s of a 6.4 s `kb serve` rebuild and of a 12 s one-note rebuild in a fresh
process went to collections that found nothing, and a collection falling on a small step (the
stat of 10,000 notes) made it 0.5 s slower now and then. The build's own process makes no
reference cycles of its own (plain records, dicts and tuples; reference counting frees them): it
runs with the collector paused (kb.build.pipeline; parsing, linking and planning say so too, for
callers of those stages alone) and leaves it as it was found afterwards. Forked rendering
workers, which run Jinja over thousands of pages, collect their own (kb.writers.start_worker).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def without_collector(stage: Callable[P, T]) -> Callable[P, T]:
    """The stage, run with the cyclic collector paused (and restored to what it was after)."""

    @wraps(stage)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return stage(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()
    return run
