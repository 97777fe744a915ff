"""Python's cyclic garbage collector, paused while a build stage makes its objects.

A rebuild at 10,000 notes holds millions of long-lived objects (records, links, each output's
declared inputs); every full collection walks all of them, and the parse, link and plan stages
allocate enough to trigger many: about 1 s of a 6.4 s `kb serve` rebuild and of a 12 s one-note
rebuild in a fresh process went to collections that found nothing. These stages make no reference
cycles of their own (plain records, dicts and tuples; reference counting frees them), so the
collector is paused while they run and left as it was found afterwards; so is the reading of a
site folder's listing (kb.listing: 100,000 small strings and dicts, 1 s of collections in kb
serve at 10,000 notes). Rendering is not paused: it runs Jinja templates, in forked workers for a
large change (kb.writers freezes what they inherit).
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
