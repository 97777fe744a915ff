"""Every digest a build computes to tell what changed: content hashes, never times.

    sha(*parts)             sha256 of the parts, each followed by a NUL (the one hash of keys)
    code_digest()           kb's version and every source file of the package
    theme_digest(dirs)      every file of the template folders, in lookup order
    settings_digest(s)      the settings as JSON
    digest(*values)         JSON-able values (models, dataclasses, dates), canonical JSON
    record_digest(r, origin) a record from the digest of it as parsed and what changed since
    model_text(m), model_json(m) a model's JSON (str, UTF-8 bytes), as kb hashes and stores models

A key made of these changes whenever anything it names changes, so equal keys mean equal output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb import __version__

if TYPE_CHECKING:  # never imported here: kb.stamps and kb.replay use this module before pydantic is loaded
    from pydantic import BaseModel

STATE_FORMAT = "kb-state-1"  # bump whenever a stored model changes shape (it is in the code digest)


def sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The kb version, every source file of the package and its message catalogs (so a changed kb
    never reuses a state, nor kb.replay an output printed in other words)."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{STATE_FORMAT}\x00{__version__}\x00".encode())  # the version is in kb/__init__.py too
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.mo")):
        h.update(path.relative_to(package).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


def theme_digest(dirs: tuple[Path, ...]) -> str:
    """Every file of the template folders, in lookup order (any template edit changes it)."""
    h = hashlib.sha256()
    for folder in dirs:
        h.update(str(folder).encode() + b"\x01")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(folder).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


def settings_digest(settings: BaseModel) -> str:
    return sha(model_text(settings))


def encode(value):
    if hasattr(value, "model_dump"):  # a pydantic model
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot digest {type(value).__name__}")


def digest(*values) -> str:
    text = json.dumps(values, default=encode, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text_digest(text)


def model_text(model: BaseModel) -> str:
    """A model's JSON, what model_dump_json gives, made without pydantic's serialiser: that one
    asks each string for its UTF-8 form, which CPython then keeps inside every non-ASCII string
    for as long as the string lives. Serialising the records once kept a second copy of their
    Japanese texts (~80 MB at 10,000 notes)."""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def model_json(model: BaseModel) -> bytes:
    """model_text in UTF-8, as the build state stores it."""
    return model_text(model).encode("utf-8", "surrogatepass")


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def record_digest(record: BaseModel, origin: tuple[str, BaseModel] | None) -> str:
    """A digest of every field of the record, made from its origin where known: (the digest of
    the record as parsed, kept with its note in the build state, and that parsed record). Only
    the fields set or changed since are serialised (at 10,000 notes, serialising each whole
    record at every build took 1 s of a one-note rebuild). The id is given apart: it is assigned
    across all notes (kb.records.assign_ids)."""
    if origin is None:
        return hashlib.blake2b(model_json(record), digest_size=16).hexdigest()
    key, parsed = origin
    base = parsed.__dict__
    changed = {name: value for name, value in record.__dict__.items()
               if name not in base or (value is not base[name] and value != base[name])}
    return digest(key, record.id, changed)
