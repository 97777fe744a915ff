"""Where every page of the site lives: one `url_for`, used by Python and by the templates.

    url_for("record", "2503.04504")          -> "records/2503.04504/index.html"
    url_for("links", record_id, "mentions")  -> "records/<id>/mentions/index.html"
    url_for("tag", slug) / ("author", slug) / ("venue", slug) / ("meeting", slug) / ("note", slug)
    url_for("year", 2025) / ("year", "undated")
    url_for("paper", "2402.12354") / ("papers")
    url_for("home") / ("tags") / ("authors") / ("venues") / ("meetings") / ("notes") / ("archive")
            / ("compute") / ("search") / ("404")

A path is relative to the site root; a page links to it through its own `root` prefix
("../../"), so the site works under any sub-path and from file://. Slugs come from the index
stage (kb.index.groups.unique_slugs, kb.text.slugify): Unicode kept, capped in bytes, stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kb.i18n import _

if TYPE_CHECKING:
    from kb.config import Settings

PATHS = {
    "home": "index.html",
    "record": "records/{}/index.html",
    "links": "records/{}/{}/index.html",
    "tags": "tags/index.html",
    "tag": "tags/{}/index.html",
    "authors": "authors/index.html",
    "author": "authors/{}/index.html",
    "venues": "venues/index.html",
    "venue": "venues/{}/index.html",
    "meetings": "meetings/index.html",
    "meeting": "meetings/{}/index.html",
    "notes": "notes/index.html",
    "note": "notes/{}/index.html",
    "archive": "archive/index.html",
    "year": "archive/{}/index.html",
    "compute": "compute/index.html",
    "papers": "papers/index.html",
    "next_meeting": "next-meeting/index.html",
    "added": "added/index.html",
    "paper": "papers/{}/index.html",
    "search": "search/index.html",
    "404": "404.html",
}


def url_for(kind: str, *keys: object) -> str:
    """The site path of the page of that kind and key(s); a wrong kind or key count is a bug."""
    pattern = PATHS[kind]
    if pattern.count("{}") != len(keys):
        raise ValueError(f"url_for({kind!r}) takes {pattern.count('{}')} key(s), got {len(keys)}")
    return pattern.format(*keys)


GROUP_PAGE = {"tags": "tag", "authors": "author", "venues": "venue", "meetings": "meeting"}


def group_url(kind: str, slug: str) -> str:
    """A group's own page: url_for("tag", slug) for kind "tags", and so on."""
    return url_for(GROUP_PAGE[kind], slug)


# --- the site's own address (feeds and the sitemap need it absolute) ---------------------------

PLACEHOLDER_HOST = "example.invalid"


def absolute_base(settings: Settings) -> str | None:
    """kb.yaml's base_url, or None while it is unset (the built-in placeholder)."""
    base = (settings.base_url or "").strip()
    if not base or PLACEHOLDER_HOST in base:
        return None
    return base if base.endswith("/") else base + "/"


def github_pages_url(env: Mapping[str, str]) -> str | None:
    """The GitHub Pages address of the repository a GitHub Actions run builds, else None:
    `OWNER/REPO` -> https://owner.github.io/REPO/, `OWNER/OWNER.github.io` -> https://owner.github.io/."""
    owner, _, repo = env.get("GITHUB_REPOSITORY", "").partition("/")
    if env.get("GITHUB_ACTIONS") != "true" or not owner or not repo:
        return None
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if repo.lower() == host else f"https://{host}/{repo}/"


def with_base_url(settings: Settings, env: Mapping[str, str]) -> tuple[Settings, str | None]:
    """Settings whose base_url is known when it can be: kb.yaml's, else GitHub Pages' in GitHub
    Actions. The message says what was decided (None when kb.yaml sets it)."""
    if absolute_base(settings):
        return settings, None
    inferred = github_pages_url(env)
    if inferred:
        return settings.model_copy(update={"base_url": inferred}), _("base_url not set in kb.yaml: using {url}").format(
            url=inferred)
    return settings, _("base_url is not set in kb.yaml: feed.xml and sitemap.xml need the site's absolute address, "
                       "so they were not written (set base_url: https://USER.github.io/REPO/)")
