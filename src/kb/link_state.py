"""What linking keeps in the build state (kb.cache, kb.store), so that a new process relinks
only what a change can reach, as kb serve does in memory (kb.index.links).

    rows(memo, context, stored, held) -> the store's changes for this build's LinkMemo
    restored(rows, meta, features) -> (the context they were written in, the LinkMemo they hold)

Entries, written only where they changed:
- `link/<id>`: a record's digest (as linked), its same-paper block keys, its text's digest and
  its links (kb.index.links.LINKS);
- `linkfeat/<id>`: its related-record features (tags and terms): a changed record's old ones say
  which other records to rank again, the others' are taken as they are (not worked out again
  from every record's texts: 0.7 s at 10,000 notes);
- `link/` (the empty name): the context (kb's code and the settings), the pairs of every
  title block that has any, and the linking's generation (kb.index.links.LinkMemo).
A memo of another context is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from kb.cache import LINK_META
from kb.digests import model_json
from kb.index.links import LINKS, LinkMemo


class LinkRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digest: str
    keys: list[tuple[str, ...]]
    text: str
    same_as: list[str]
    mentions: list[str]
    mentioned_by: list[str]
    related: list[str]
    related_reasons: list[str]


class LinkMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    context: str
    pairs: list[tuple[tuple[str, ...], list[tuple[str, str]]]]
    generation: str = ""  # the linking's (kb.index.links.LinkMemo.generation)


class FeatureRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: list[str]


def row(memo: LinkMemo, record_id: str) -> bytes:
    values = {name: memo.values[name][record_id] for name in LINKS}
    return model_json(LinkRow(digest=memo.digests.get(record_id, ""), keys=memo.keys[record_id],
                              text=memo.texts.get(record_id, ""), **values))


def meta(memo: LinkMemo, context: str) -> bytes:
    pairs = sorted((key, sorted(found)) for key, found in memo.blocks.items() if found)
    return model_json(LinkMeta(context=context, pairs=pairs, generation=memo.generation))


def rows(memo: LinkMemo, context: str, stored: Iterable[str], held: bytes | None,
         ) -> dict[tuple[str, str], bytes | None]:
    """The entries to write for `memo` (None: one to remove), given the ids the state holds rows
    of and its meta entry as stored."""
    changes: dict[tuple[str, str], bytes | None] = {}
    for record_id in sorted(memo.dirty):
        changes[("link", record_id)] = row(memo, record_id)
        changes[("linkfeat", record_id)] = model_json(FeatureRow(features=sorted(memo.features_of(record_id))))
    for record_id in set(stored) - memo.keys.keys():
        changes[("link", record_id)] = changes[("linkfeat", record_id)] = None
    if (value := meta(memo, context)) != held:
        changes[LINK_META] = value
    return changes


def restored(entries: Mapping[str, bytes], held: bytes | None, features: Callable[[str], frozenset[str]],
             all_features: Callable[[], dict[str, frozenset[str]]] | None = None) -> tuple[str, LinkMemo] | None:
    """The context and LinkMemo of the stored rows (`entries`: id -> row); `features(id)` reads a
    record's stored features, `all_features()` every record's (kb.cache.BuildCache). Raises
    ValueError (pydantic's ValidationError) on anything malformed."""
    if held is None or not entries:
        return None
    head = LinkMeta.model_validate_json(held)
    lines = {record_id: LinkRow.model_validate_json(value) for record_id, value in entries.items()}
    keys = {record_id: line.keys for record_id, line in lines.items()}
    paired = {key: frozenset(found) for key, found in head.pairs}
    return head.context, LinkMemo(digests={i: line.digest for i, line in lines.items() if line.digest}, keys=keys,
                    blocks={key: paired.get(key, frozenset()) for found in keys.values() for key in found},
                    texts={i: line.text for i, line in lines.items() if line.text},
                    values={name: {i: getattr(line, name) for i, line in lines.items()} for name in LINKS},
                    stored_features=features, all_features=all_features, generation=head.generation)


def stored_features(value: bytes | None) -> frozenset[str]:
    return frozenset(FeatureRow.model_validate_json(value).features) if value is not None else frozenset()
