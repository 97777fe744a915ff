"""Settings from the optional `kb.yaml` at the project root: one model, defaults here."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb import CONFIG_NAME
from kb.bounded_yaml import YamlProblem, load_mapping
from kb.i18n import N_, Message, Problem
from kb.models import Diagnostic, Severity
from kb.text import excerpt, terminal_safe
from kb.validation import closest, field_problems

# The paper-notes site's own filing labels: they say where a note was kept, not what it is about.
BOOKKEEPING_TAGS = ("Pocket", "read-later", "Admin'sPick", "Single", "Slide", "Article", "Blog", "Repository",
                    "Tutorial")


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
    bookkeeping_tags: list[str] = Field(
        default_factory=lambda: list(BOOKKEEPING_TAGS),
        description="tags that file a note rather than name a topic: kept on the record, out of the tag cloud",
    )
    formats: dict[str, str] = Field(
        default_factory=dict,
        description="force a format for notes matching a glob, e.g. {'notes/old/*.txt': listing}",
    )
    arxiv_api: str = Field("https://export.arxiv.org/api/query", description="the arXiv API kb new asks")

    @field_validator("base_url")
    @classmethod
    def web_address(cls, value: str) -> str:
        if urlsplit(value.strip()).scheme.lower() not in ("http", "https") or not urlsplit(value.strip()).netloc:
            raise Problem(N_("base_url must be an http(s) address like https://example.github.io/papers/, "
                             "not {value} (feeds, the sitemap and rel=canonical are built on it)",
                             value=repr(excerpt(value, 80))))
        return value


FOLDER_KEYS = ("notes_dir", "out_dir")


def outside_project(settings: Settings, root: Path, lines: dict[str, int]) -> list[Diagnostic]:
    """An error for notes_dir or out_dir leading out of the project folder: kb.yaml comes with a
    shared repository, so it must not make kb read or write elsewhere (--notes and --out can)."""
    home = root.resolve()
    found = []
    for key in FOLDER_KEYS:
        folder = (root / getattr(settings, key)).resolve()
        if folder != home and home not in folder.parents:
            flag = "--notes" if key == "notes_dir" else "--out"
            found.append(config_error(lines.get(key, 1), N_(
                "{key} {folder} is outside the project folder; kb.yaml may only name folders inside it "
                "(give {flag} DIR on the command line to use another)",
                key=key, folder=repr(terminal_safe(getattr(settings, key))), flag=flag)))
    return found


def unknown_setting(key, line: int) -> Diagnostic:
    guess = closest(str(key), Settings.model_fields)
    hint = N_("did you mean {guess}?", guess=repr(guess)) if guess else \
        N_("known: {names}", names=", ".join(Settings.model_fields))
    return Diagnostic(path=CONFIG_NAME, line=line, message=N_("unknown setting {key} ignored ({hint})",
                                                              key=repr(str(key)), hint=hint))


def config_error(line: int | None, message: Message) -> Diagnostic:
    return Diagnostic(path=CONFIG_NAME, line=line, severity=Severity.ERROR, message=message)


def load_settings(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """Settings from root/kb.yaml (defaults when absent), plus anything worth a warning.

    With an error in kb.yaml the settings are the defaults and the diagnostics say so: a build
    must then stop (kb.cli does) rather than publish a site made with the wrong settings."""
    path = root / CONFIG_NAME
    if not path.exists():
        return Settings(), []
    try:
        loaded = load_mapping(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return Settings(), [config_error(None, N_("kb.yaml is not UTF-8 text (byte offset {offset})",
                                                  offset=exc.start))]
    except OSError as exc:
        return Settings(), [config_error(None, N_("cannot read kb.yaml: {reason}", reason=str(exc.strerror)))]
    except YamlProblem as exc:
        return Settings(), [config_error(exc.line, N_("kb.yaml {problem}", problem=exc.message))]
    data = loaded.data if loaded.data is not None else {}
    if not isinstance(data, dict):
        return Settings(), [config_error(1, N_("kb.yaml must be a mapping (key: value)"))]
    warnings = [Diagnostic(path=CONFIG_NAME, line=again, message=N_(
                    "setting {key} is written twice (lines {first} and {again}); the value on line {again} is used",
                    key=repr(key), first=first, again=again))
                for key, first, again in loaded.duplicates]
    warnings += [unknown_setting(key, loaded.lines.get(str(key), 1)) for key in data
                 if key not in Settings.model_fields]
    known = {k: v for k, v in data.items() if k in Settings.model_fields}
    try:
        settings = Settings(**known)
    except ValidationError as exc:
        return Settings(), warnings + [config_error(loaded.lines.get(key, 1), N_("kb.yaml: {problem}",
                                                                                 problem=message))
                                       for key, message in field_problems(exc)]
    escapes = outside_project(settings, root, loaded.lines)
    return (Settings(), warnings + escapes) if escapes else (settings, warnings)
