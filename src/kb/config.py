"""Settings from the optional `kb.yaml` at the project root: one model, defaults here."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.models import Diagnostic, Severity

CONFIG_NAME = "kb.yaml"


class Settings(BaseModel):
    """Everything a user can set. Unknown keys are reported, not fatal."""

    model_config = ConfigDict(extra="forbid")

    title: str = "論文ノート"
    description: str = "論文・記事・勉強会のノートを集めた知識ベース"
    language: str = "ja"
    base_url: str = "https://example.invalid/"
    notes_dir: str = "notes"
    out_dir: str = "site"
    tag_aliases: dict[str, str] = Field(default_factory=dict)
    formats: dict[str, str] = Field(
        default_factory=dict,
        description="force a format for notes matching a glob, e.g. {'notes/old/*.txt': listing}",
    )


def _unknown_keys(data: dict) -> list[str]:
    return sorted(str(k) for k in data if k not in Settings.model_fields)


def load_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """Settings from root/kb.yaml (defaults when absent), plus anything worth a warning."""
    path = root / CONFIG_NAME
    if not path.exists():
        return Settings(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1 or None
        return Settings(), [Diagnostic(path=CONFIG_NAME, line=line, severity=Severity.ERROR,
                                       message=f"kb.yaml is not valid YAML: {exc}")]
    if not isinstance(data, dict):
        return Settings(), [Diagnostic(path=CONFIG_NAME, line=1, severity=Severity.ERROR,
                                       message="kb.yaml must be a mapping (key: value)")]
    warnings = [Diagnostic(path=CONFIG_NAME, message=f"unknown setting {key!r} ignored (known: "
                           f"{', '.join(Settings.model_fields)})") for key in _unknown_keys(data)]
    known = {k: v for k, v in data.items() if k in Settings.model_fields}
    try:
        return Settings(**known), warnings
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return Settings(), warnings + [Diagnostic(path=CONFIG_NAME, severity=Severity.ERROR,
                                                  message=f"kb.yaml: {problems}")]
