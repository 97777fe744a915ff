"""The search index stage of a build (kb.build): the site's records and the previous build's
search state in, the index files and the new state out; the state lives in the build state
(kb.cache), as bytes SearchState.dumps made and SearchState.loads checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kb.cache import STATE_PATH, BuildCache, SiteState
from kb.i18n import N_
from kb.models import Diagnostic

if TYPE_CHECKING:
    from kb.build import Progress
    from kb.index.links import LinkMark
    from kb.render import Site


def search_index(site: Site, state: BuildCache, previous: SiteState | None, progress: Progress | None = None,
                 links: LinkMark | None = None):
    """The search index files of this build, updating the previous build's index when it can
    (a stored search state that is unusable is reported once and the index is made from scratch).
    This build's linking (`links`) tells which records are as the previous index had them."""
    from kb.search_index import search_outputs

    if progress:
        progress("search index", 0, 1)
    old = load_search_state(state) if previous else None
    index = search_outputs(site.kb.records, old, Path(previous.site) if previous else None,
                           previous.keys if previous else None, site.bookkeeping_tags, tuple(site.papers), links)
    state.problems.extend(Diagnostic(path=STATE_PATH, message=problem) for problem in index.problems)
    if progress:
        progress("search index", 1, 1)
    return index


def load_search_state(state: BuildCache):
    """The previous build's search state (kb.search_index.SearchState) from the build state, or None:
    only bytes SearchState.loads accepts (else one warning). A process that saved it (kb serve)
    takes the object it saved while the state holds exactly those bytes: reading them again
    took 0.7 s of a rebuild at 10,000 notes. It is taken once: a build that fails after the
    index updated it in place leaves nothing to take."""
    from kb.search_index import SearchState, StateCorrupt

    if state.search is None:
        return None
    kept, state.search_read = state.search_read, None
    if kept is not None and kept[0] is state.search:
        return kept[1]
    try:
        return SearchState.loads(state.search)
    except StateCorrupt as exc:
        state.problems.append(Diagnostic(path=STATE_PATH, message=N_("search state discarded and the index "
                                                                     "rebuilt: {reason}", reason=str(exc))))
        return None


def save_search_state(index, state: BuildCache) -> None:
    """The search state goes into the build state (written with the rest, in one transaction)."""
    state.search = index.state.dumps()
    state.search_read = (state.search, index.state)
