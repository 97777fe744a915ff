"""kb's own search index: written by the build (no Node), in segments, read by the theme's
dependency-free ES module (templates/static/kb-search.js). Files below `search/` in the site:

    search/index.json       the segments (deletion lists), the base's shard counts, the small segments'
                            file and buckets, record count, facets, fold table
    search/d/<n>.bin        the base segment's unigram and bigram postings with the region of the first
                            match                                                            (grams.py)
    search/p/<n>.bin        the base segment's trigram postings with positions               (grams.py)
    search/s/<id>.bin       every small segment's postings: a table of bucket offsets, then d and p
                            buckets (a part per segment), read by HTTP Range requests    (delta.py)
    search/papers.bin       the record numbers of each paper noted in two or more records (records.py)
    search/r/<g>.json       title, date, kind, tags, people, page (and paper) of records g*4 .. g*4+3
                            (a file per used group: record numbers are sparse)
    search/t/<n>.json       record n's people, tags and lead (headline, summary) and r/ item: excerpts
    search/b/<n>.bin        record n's r/ item and body, fetched (by HTTP Range, from its start and
                            only as far as needed) for an excerpt of a match there

Records are numbered newest first (undated last, then by id): day << bits | slot among that day's
records, so "newest first" is number order, a page of results reads few `r/` files, and a record
keeps its number when others are added or removed (records.record_numbers). The match rule, the
regions and the order are kb.search's; `kb search` and the site agree on every query (tests/test_search_browser.py).

    search_outputs(records, state, old_site, old_keys, bookkeeping) -> SearchIndex   (.outputs go to the
        site like pages, .state is the SearchState to keep: SearchState.dumps() /
        SearchState.loads(bytes), which raises StateCorrupt, a ValueError, on any problem)

An edit, an added or a removed note adds one small segment and a deletion list, never touching the
base: it rewrites the small segments' one file (kb.search_index.segments, .delta, .update).
"""

import os

# numpy's OpenBLAS starts a thread per core when imported, and the thread spins for about 0.1 s of
# CPU (measured: 9-12 ticks in /proc/self/task): kb uses no BLAS, so none is started (a process
# that imported numpy before keeps its own setting).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from kb.search_index.state import SearchState, StateCorrupt  # noqa: E402
from kb.search_index.update import SearchIndex, search_outputs  # noqa: E402

__all__ = ["SearchIndex", "SearchState", "StateCorrupt", "search_outputs"]
