"""What is new since the last meeting: records by the date they were added (kb.index.added).

    meeting_dates(meetings)            each meeting's date (its name starts with it)
    since(added, after, until)         ids added in (after, until], newest first
    by_topic(items)                    (tag, items) groups, a record under its first topic tag

Each meeting page lists the records added since the previous meeting (after the previous
meeting's day, up to and including its own; the first meeting: everything added up to it),
grouped by topic tag. `next-meeting/` lists what was added after the last meeting, `added/`
the newest records by added date, and `added.xml` is their Atom feed.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from kb.index.groups import Group
from kb.render.feeds import Feed, atom_feed
from kb.render.inputs import Scope
from kb.render.pages import Page, page
from kb.render.site import Site
from kb.render.views import Item
from kb.urls import url_for

UNTAGGED = "タグなし"
ADDED_LIST = 50  # records on the added/ page and in added.xml


def meeting_day(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(name[:10])
    except ValueError:
        return None


def dated_meetings(meetings: list[Group]) -> list[tuple[dt.date, Group]]:
    """The meetings whose name starts with a date, oldest first."""
    dated = [(day, g) for g in meetings if (day := meeting_day(g.name))]
    return sorted(dated, key=lambda pair: (pair[0], pair[1].key))


def newest_added(added: dict[str, dt.date], ids=None) -> list[str]:
    """Ids by added date, newest first (then by id), of `ids` or of every record with a date."""
    chosen = added if ids is None else [i for i in ids if i in added]
    return sorted(chosen, key=lambda i: (-added[i].toordinal(), i))


_LATEST: list = [None, {}]  # the added dates last asked about, and their latest_added


def latest_added(added: dict[str, dt.date]) -> dict[str, dt.date]:
    """The added dates of the ADDED_LIST records added last (added/ and added.xml show no other),
    worked out once per build (as added_order)."""
    if _LATEST[0] is not added:
        _LATEST[:] = [added, {i: added[i] for i in newest_added(added)[:ADDED_LIST]}]
    return _LATEST[1]


def since(added: dict[str, dt.date], after: dt.date | None, until: dt.date | None) -> list[str]:
    """The ids added after `after` (None: from the start) up to and including `until` (None: to now)."""
    order = added_order(added)
    start = 0 if after is None else bisect_right(order, after, key=first)
    end = len(order) if until is None else bisect_right(order, until, key=first)
    return newest_added({i: d for d, i in order[start:end]})


_ORDER: list = [None, []]  # the added dates last asked about, and their (date, id) pairs in order


def added_order(added: dict[str, dt.date]) -> list[tuple[dt.date, str]]:
    """(date, id) of every dated record, oldest first: sorted once per build, not once per meeting
    (each meeting's window read all 10,000 dates: 0.1 s of planning)."""
    if _ORDER[0] is not added:
        _ORDER[:] = [added, sorted((d, i) for i, d in added.items())]
    return _ORDER[1]


def first(pair: tuple):
    return pair[0]


def window(meetings: list[Group], key: str | None) -> tuple[dt.date | None, dt.date | None]:
    """(after, until) of a meeting's digest; key None: the next meeting (after the last one)."""
    dated = dated_meetings(meetings)
    if key is None:
        return (dated[-1][0] if dated else None), None
    for n, (day, group) in enumerate(dated):
        if group.key == key:
            return (dated[n - 1][0] if n else None), day
    return None, None


def neighbours(meetings: list[Group], key: str) -> tuple[Group | None, Group | None]:
    """The meetings just before and after this one, by date."""
    groups = [g for _, g in dated_meetings(meetings)]
    keys = [g.key for g in groups]
    if key not in keys:
        return None, None
    n = keys.index(key)
    return (groups[n - 1] if n else None), (groups[n + 1] if n + 1 < len(groups) else None)


def by_topic(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """The items under their first topic tag (タグなし when none), most records first, then by name."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.tags[0].name if item.tags else UNTAGGED].append(item)
    return sorted(groups.items(), key=lambda pair: (pair[0] == UNTAGGED, -len(pair[1]), pair[0]))


# --- the pages: a meeting's digest, the next meeting, the added order, its feed ------------------

def digest_ids(site: Site, key: str | None) -> list[str]:
    return since(site.added, *window(site.kb.meetings, key))


def window_name(after: dt.date | None, until: dt.date | None) -> str:
    """The input of the records added in (after, until]: a note added today keys anew the next
    meeting's digest alone, not every meeting page (all of them read every added date before)."""
    return f"window:{after.isoformat() if after else ''}..{until.isoformat() if until else ''}"


def window_of(name_key: str) -> tuple[dt.date | None, dt.date | None]:
    """window_name's dates back from its key (what follows `window:`)."""
    after, _, until = name_key.partition("..")
    return (dt.date.fromisoformat(after) if after else None), (dt.date.fromisoformat(until) if until else None)


def digest_inputs(site: Site, key: str | None) -> list[str]:
    """What a digest reads: the meetings (its window), the records added in it, their list entries."""
    return ["groups:meetings", window_name(*window(site.kb.meetings, key)),
            *(f"item:{i}" for i in digest_ids(site, key))]


def digest_context(scope: Scope, key: str | None) -> dict:
    """A meeting's digest (key None: the next meeting's), and the meetings before and after it."""
    meetings = scope.groups("meetings")
    after, until = window(meetings, key)
    previous, following = neighbours(meetings, key) if key else ((dated_meetings(meetings) or [(None, None)])[-1][1],
                                                                 None)
    return {"digest": by_topic(scope.items(scope.added_between(after, until))), "digest_after": after,
            "previous_meeting": previous, "next_meeting": following}


def next_meeting_context(scope: Scope) -> dict:
    return {**digest_context(scope, None), "nav": "meetings"}


def added_context(scope: Scope, ids: tuple[str, ...]) -> dict:
    return {"records": scope.items(ids), "added": scope.latest_added(), "nav": "home"}


def digest_pages(site: Site) -> list[Page]:
    """次の勉強会 (next-meeting/) and the records in the order they were added (added/)."""
    newest = tuple(latest_added(site.added))
    return [page(url_for("next_meeting"), "next_meeting.html", digest_inputs(site, None), next_meeting_context),
            page(url_for("added"), "added.html", ["latest_added", *(f"item:{i}" for i in newest)], added_context,
                 ids=newest)]


def added_feed(scope: Scope, ids: tuple[str, ...]) -> bytes:
    """The newest added records as an Atom feed, each dated by when it was added."""
    added = scope.latest_added()
    records = [r.model_copy(update={"issue_date": added[r.id]}) for r in scope.entries(ids)]
    feed = Feed("added.xml", url_for("added"), f"{scope.settings.title}: 追加された記録", "urn:kb:added")
    return atom_feed(scope, feed, records, max(added.values(), default=None))
