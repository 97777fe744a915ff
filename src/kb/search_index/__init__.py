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
    search/r/<day>.json     the ids of a day's records in slot order: which record a number is
    search/t/<id>.json      a record's people, tags and lead (headline, summary) and what its result
                            shows (title, date, kind, tags, people, page, paper): excerpts
    search/b/<id>.bin       a record's result item and body, fetched (by HTTP Range, from its start and
                            only as far as needed) for an excerpt of a match there

Records are numbered newest first (undated last, then by id): day << bits | slot among that day's
records, so "newest first" is number order; a record keeps its number when records of other days
are added or removed (ordered.record_numbers), and its t/ and b/ files, named by its id, when its
own day's numbers move: an added note writes its own files and its day's r/ file. The match rule, the
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
