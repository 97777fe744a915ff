"""The plan a one-shot build leaves for the next: each input's digest and the reverse map from
each input to the outputs reading it, so that a rebuild lists the inputs of, and keys anew,
only the outputs a change reaches (kb.cache entries `plan/` and `reads/<input name>`).

    StoredPlan       build     the build it was made by (kb.unchanged.build_id): used only while
                               the last site's entry is that build's, whose keys it takes over
                     base      kb's code and the settings (kb.render.outputs.Planner's base)
                     templates each template's digest (kb.render.templates.TemplateDigests)
                     digests   each input name's digest (kb.render.inputs)
                     inputs    each planned output's path -> the digest of its input names
    reads/<name>     the paths of the outputs reading that input, NUL-joined

A rebuild with the plan of the last build, under the same code, settings and templates, works
out every stored input's digest again (kb.render.inputs.Digests: a record's views by its
fingerprint). The outputs reading an input whose digest changed, or whose source is gone, are
planned anew, as are outputs new to the site; every other output keeps its key without its
inputs being listed. That is sound because an output's inputs are a function of what its
inputs hold (a page lists the records its boxes, lists and graph read from inputs it declares):
an output none of whose inputs changed reads the same names, with the same digests.

The rows are a superset of the true readers: a path is added to the row of each input of an
output planned anew whose names changed, and dropped only when that row is written again and
the output is gone; a row is written only when it changes (an added note plans anew the tag
pages listing it, whose thousands of inputs' rows mostly hold them already: writing them all
again took 0.45 s of the rebuild at 10,000 notes). A plan made without a stored one writes every
row afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

SEPARATOR = "\x00"  # between paths in a reads/ row (a site path never holds it)
KEPT = 32  # hex digits kept of each input's digest (128 bits)


class StoredPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    build: str
    base: dict[str, str]
    templates: dict[str, str]
    digests: dict[str, str]
    inputs: dict[str, str]
    links: str = ""  # the generation of the linking planned (kb.index.links.LinkMemo.generation)


def names_digest(names: Iterable[str]) -> str:
    """The digest of a set of input names (an output's `inputs` entry)."""
    return hashlib.sha256(SEPARATOR.join(sorted(names)).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def row_of(paths: Iterable[str]) -> bytes:
    return SEPARATOR.join(sorted(paths)).encode("utf-8", "surrogatepass")


def paths_of(row: bytes) -> list[str]:
    return row.decode("utf-8", "surrogatepass").split(SEPARATOR) if row else []


Readers = Callable[[Iterable[str]], dict[str, list[str]]]  # input names -> their rows' paths (kb.cache)


@dataclass(frozen=True)
class PlanBasis:
    """What planning reads of the last build: its stored plan, the keys its site was written with,
    and the rows of the reverse map, fetched by name."""

    stored: StoredPlan
    keys: Mapping[str, str]
    readers: Readers

    @property
    def links(self) -> str:
        """The generation of the linking the plan was made from."""
        return self.stored.links

    def fits(self, base: Mapping[str, str], templates: Mapping[str, str]) -> bool:
        """The plan was made by the same code, settings and templates (else every output is planned anew)."""
        return self.stored.base == dict(base) and self.stored.templates == dict(templates)


@dataclass
class Reuse:
    """The outputs whose key a rebuild takes over: every output of the last build but those
    reading an input that changed (`affected`)."""

    keys: Mapping[str, str]
    planned: Mapping[str, str]  # the stored plan's outputs (their rows are in the reverse map)
    affected: frozenset[str]
    changed: frozenset[str]  # input names whose digest differs from the stored one
    gone: frozenset[str]  # input names whose source is no longer there

    def key(self, path: str) -> str | None:
        return None if path in self.affected or path not in self.planned else self.keys.get(path)


def reuse(basis: PlanBasis, digest_of: Callable[[str], str]) -> Reuse:
    """The outputs a change reaches: the readers of every stored input whose digest moved."""
    changed, gone = set(), set()
    for name, before in basis.stored.digests.items():
        try:
            now = digest_of(name)
        except LookupError:  # its record, group, note or paper is gone
            gone.add(name)
            continue
        if now[:KEPT] != before:
            changed.add(name)
    rows = basis.readers(sorted(changed | gone))
    affected = frozenset(path for paths in rows.values() for path in paths)
    return Reuse(basis.keys, basis.stored.inputs, affected, frozenset(changed), frozenset(gone))


@dataclass
class NextPlan:
    """The plan this build leaves: its entry, and the reads/ rows to write (None: remove one)."""

    stored: StoredPlan
    rows: dict[str, bytes | None] = field(default_factory=dict)
    fresh: bool = False  # every row is written afresh (the old ones are dropped first)


def next_plan(build: str, base: Mapping[str, str], templates: Mapping[str, str], digests: Mapping[str, str],
              planned: Mapping[str, frozenset[str]], kept: Iterable[str], used: Reuse | None,
              before: StoredPlan | None, readers: Readers | None, links: str = "") -> NextPlan:
    """The plan after this build: `planned` are the outputs it listed the inputs of, `kept` the
    ones it took over (`used`, from `before`); `links`: the generation of the linking planned."""
    inputs = {path: names_digest(names) for path, names in planned.items()}
    if used is None or before is None or readers is None:
        rows: dict[str, set[str]] = {}
        for path, names in planned.items():
            for name in names:
                rows.setdefault(name, set()).add(path)
        stored = StoredPlan(build=build, base=dict(base), templates=dict(templates), digests=shortened(digests),
                            inputs=inputs, links=links)
        return NextPlan(stored, {name: row_of(paths) for name, paths in rows.items()}, fresh=True)
    inputs |= {path: before.inputs[path] for path in kept if path in before.inputs}
    moved = {path: names for path, names in planned.items() if before.inputs.get(path) != inputs[path]}
    names = sorted({name for found in moved.values() for name in found})
    stored = {name: set(paths) for name, paths in readers(names).items()}
    current = {name: set(paths) for name, paths in stored.items()}
    for path, found in moved.items():
        for name in found:
            current.setdefault(name, set()).add(path)
    rows = {name: row_of(kept) for name, paths in current.items()
            if (kept := {path for path in paths if path in inputs}) != stored.get(name, set())}
    rows |= {name: None for name in used.gone}
    stored = StoredPlan(build=build, base=dict(base), templates=dict(templates), digests=shortened(digests),
                        inputs=inputs, links=links)
    return NextPlan(stored, rows)


def shortened(digests: Mapping[str, str]) -> dict[str, str]:
    return {name: value[:KEPT] for name, value in digests.items()}


@dataclass
class HeldPlan:
    """kb serve's plan between its builds, as the stored plan holds it but in memory: each input
    name's digest, each output's input names and key, and the reverse map from names to outputs,
    updated with the outputs a build planned anew (every output after a full planning)."""

    base: dict[str, str]
    templates: dict[str, str]
    digests: dict[str, str]
    names: dict[str, frozenset[str]]
    keys: dict[str, str]
    readers: dict[str, set[str]] = field(default_factory=dict)
    links: str = ""  # the generation of the linking planned (kb.index.links.LinkMemo.generation)

    def basis(self) -> PlanBasis:
        stored = StoredPlan.model_construct(build="", base=self.base, templates=self.templates, digests=self.digests,
                                            inputs=self.names, links=self.links)
        return PlanBasis(stored, self.keys, lambda names: {name: sorted(self.readers.get(name, ())) for name in names})

    def moved(self, path: str, names: frozenset[str]) -> None:
        old = self.names.get(path, frozenset())
        for name in old - names:
            self.readers[name].discard(path)
        for name in names - old:
            self.readers.setdefault(name, set()).add(path)
        self.names[path] = names


def held_plan(before: HeldPlan | None, base: Mapping[str, str], templates: Mapping[str, str],
              digests: Mapping[str, str], planned: Mapping[str, frozenset[str]], keys: Mapping[str, str],
              used: Reuse | None, links: str = "") -> HeldPlan:
    """The plan kb serve holds after a build that listed the inputs of `planned` and keyed `keys`
    (every output); `used`: what it took over from `before` (None: it planned every output)."""
    held = before if used is not None and before is not None else HeldPlan(dict(base), dict(templates), {}, {}, {})
    for path, names in planned.items():
        held.moved(path, names)
    for path in held.names.keys() - keys.keys():
        held.moved(path, frozenset())
        del held.names[path]
    held.digests, held.keys, held.links = shortened(digests), dict(keys), links
    return held
