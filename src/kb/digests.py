"""Every digest a build computes to tell what changed: content hashes, never times.

    sha(*parts)             sha256 of the parts, each followed by a NUL (the one hash of keys)
    code_digest()           kb's version and every source file of the package
    theme_digest(dirs)      every file of the template folders, in lookup order
    settings_digest(s)      the settings as JSON

A key made of these changes whenever anything it names changes, so equal keys mean equal output.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from kb import DISTRIBUTION

STATE_FORMAT = "kb-state-1"  # bump whenever a stored model changes shape (it is in the code digest)


def sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The kb version and every source file of the package (so a changed kb never reuses a state)."""
    package = Path(__file__).resolve().parent
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = "unknown"
    h = hashlib.sha256(f"{STATE_FORMAT}\x00{version}\x00".encode())
    for path in sorted(package.rglob("*.py")):
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
    return sha(settings.model_dump_json())
