"""Python's cyclic garbage collector, paused while a build runs.

A rebuild at 10,000 notes holds millions of long-lived objects (records, links, each output's
declared inputs); every full collection walks all of them, and a build allocates enough to
trigger many: about 1 s of a 6.4 s `kb serve` rebuild and of a 12 s one-note rebuild in a fresh
process went to collections that found nothing, and a collection falling on a small step (the
stat of 10,000 notes) made it 0.5 s slower now and then. The build's own process makes no
reference cycles of its own (plain records, dicts and tuples; reference counting frees them): it
runs with the collector paused (kb.build.pipeline) and leaves it as it was found afterwards, or,
for kb serve, gives it back once idle (hold_until_idle, resume). Forked rendering workers, which
run Jinja over thousands of pages, collect their own (kb.writers.start_worker).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


HELD = {"resume": False}  # hold_until_idle was called: the collector waits for resume()


def without_collector(stage: Callable[P, T]) -> Callable[P, T]:
    """The stage, run with the cyclic collector paused (and restored to what it was after, unless
    the stage called hold_until_idle)."""

    @wraps(stage)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        collecting = gc.isenabled() or HELD["resume"]
        gc.disable()
        HELD["resume"] = False
        held = False
        try:
            result = stage(*args, **kwargs)
            held = HELD["resume"]
            return result
        finally:
            HELD["resume"] = held and collecting
            if collecting and not held:
                gc.enable()
    return run


def hold_until_idle() -> None:
    """Keep the collector paused after this build, until resume(): the first collection once it is
    back walks every object the build made (0.2 s at 10,000 notes), and kb serve would pay it
    between the end of a build and the page's reload. kb serve resumes it once idle; a one-shot
    `kb` never does (its process ends: kb.exits)."""
    HELD["resume"] = True


def resume() -> None:
    """The collector back, after hold_until_idle, and what the build made collected now: the young
    generations, or all of them when the build forked its rendering workers (kb.writers.fork_pool
    froze and unfroze every object, which put them in the oldest generation)."""
    if HELD["resume"]:
        HELD["resume"] = False
        gc.enable()
        gc.collect(2 if HELD.pop("unfrozen", False) else 1)


def unfrozen() -> None:
    """kb.writers.fork_pool gave the collector back the objects it froze (in its oldest generation)."""
    HELD["unfrozen"] = True
