"""YAML from notes and kb.yaml, read within bounds: a size limit, a limit on nodes once aliases
are expanded (a "billion laughs" document is refused before anything is built from it), and the
line of every top-level key, so each problem points at its key's own line.

    load_mapping(text, first_line) -> Loaded(data, lines, duplicates)   # raises YamlProblem
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from kb.i18n import N_, Message

MAX_BYTES = 256 * 1024  # front matter or kb.yaml larger than this is refused
MAX_NODES = 100_000  # nodes after alias expansion (the bundled notes use a few dozen)
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it (~10x faster)


class TextDates(_Base):
    """A safe loader that leaves dates as text, so the record model validates them by field name."""


TextDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlProblem(Exception):
    """YAML that cannot be read (or may not be): a 1-based line and a message to follow its file's name."""

    def __init__(self, line: int, message: Message) -> None:
        super().__init__(str(message))
        self.line = line
        self.message = message


@dataclass
class Loaded:
    data: object
    lines: dict[str, int] = field(default_factory=dict)  # top-level key -> 1-based line
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)  # key, first line, repeated line


def expanded_size(node: yaml.Node, limit: int) -> int:
    """Nodes the document would have with every alias expanded; stops counting past `limit`.

    Aliases share their node object, so each distinct node is sized once (memo by id)."""
    sizes: dict[int, int] = {}

    def size(item: yaml.Node) -> int:
        known = sizes.get(id(item))
        if known is not None:
            return known
        sizes[id(item)] = limit + 1  # a node inside itself (a recursive alias) counts as too many
        total = 1
        if isinstance(item, yaml.SequenceNode):
            children = item.value
        elif isinstance(item, yaml.MappingNode):
            children = [part for pair in item.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(item)] = total
        return total

    return size(node)


def too_large_at(node: yaml.Node, limit: int) -> int:
    """The 0-based line of the top-level key whose value takes the document past the limit."""
    if not isinstance(node, yaml.MappingNode):
        return node.start_mark.line
    total = 1
    for key, value in node.value:
        total += 1 + expanded_size(value, limit)
        if total > limit:
            return key.start_mark.line
    return node.start_mark.line


def yaml_error(exc: yaml.YAMLError, first_line: int) -> YamlProblem:
    """Point at where the broken construct starts (an unclosed quote), else where YAML gave up."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = mark.line + first_line if mark is not None else first_line
    what = " ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
    return YamlProblem(line, N_("is not valid YAML: {problem}", problem=what or str(exc)))


def key_lines(node: yaml.Node, first_line: int) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """Each top-level scalar key's line, and every key written twice (with both lines)."""
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int, int]] = []
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + first_line
                if key.value in lines:
                    duplicates.append((key.value, lines[key.value], line))
                else:
                    lines[key.value] = line
    return lines, duplicates


def load_mapping(text: str, first_line: int = 1, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> Loaded:
    """Read `text` (whose first line is line `first_line` of its file) within the bounds."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlProblem(first_line, N_("is {size} bytes; the limit is {limit}", size=format(size, ","),
                                         limit=format(max_bytes, ",")))
    loader = TextDates(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Loaded(None)
        if expanded_size(node, max_nodes) > max_nodes:
            raise YamlProblem(too_large_at(node, max_nodes) + first_line, N_(
                "has more than {limit} values once YAML aliases (&name / *name) are expanded; refused",
                limit=format(max_nodes, ",")))
        lines, duplicates = key_lines(node, first_line)
        return Loaded(loader.construct_document(node), lines, duplicates)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, first_line) from None
    except RecursionError:
        raise YamlProblem(first_line, N_("is nested too deeply; refused")) from None
    finally:
        loader.dispose()
