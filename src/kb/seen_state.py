"""What discovery knew of each note file, kept in the build state (kb.cache, entry `seen/`), so
that a new process reads only the notes whose stamp changed, as kb serve does in memory
(kb.discover.discover_since): reading and hashing the 96 MB of 10,000 notes was 0.5 s of every
one-note rebuild.

    rows(seen) -> bytes            the entry for a Seen (only files, never errors)
    restored(value) -> Stamped     name -> (stamp, digest, encoding, control-character warnings)

A stamp is (size, modification time, change time, inode), recorded only once older than
kb.discover.SETTLE_NS; a note's text is then read only when a stage asks for it, and must still
have the recorded digest (kb.discover.SourceFile.text).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kb.digests import model_json
from kb.discover import Seen, SourceFile, Stamped
from kb.models import Diagnostic


class SeenFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stamp: tuple[int, int, int, int]
    digest: str
    encoding: str
    warnings: list[Diagnostic]


class SeenData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, SeenFile]


def rows(seen: Seen) -> bytes:
    files = {name: SeenFile(stamp=stamp, digest=found.digest, encoding=found.encoding, warnings=warnings)
             for name, (stamp, found, warnings) in sorted(seen.items()) if isinstance(found, SourceFile)}
    return model_json(SeenData(files=files))


def restored(value: bytes | None) -> Stamped:
    """Raises ValueError (pydantic's ValidationError) on anything malformed."""
    if value is None:
        return {}
    files = SeenData.model_validate_json(value).files
    return {name: (f.stamp, f.digest, f.encoding, f.warnings) for name, f in files.items()}
