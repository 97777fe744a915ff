// kb search engine: reads the index kb build writes under search/ (kb.search_index) and answers
// queries exactly by kb's match rule (kb.search): fold the query and the text (NFKC + case fold),
// split the query at white space, keep a record when every word occurs in its text.
//
//   const engine = searchEngine(rootUrl);
//   const found = await engine.search(query, {tags, match, kind, year, meeting, sort});
//   found.count, found.docs (record numbers in order, one per paper), engine.pageItems(found, start, n)
//   found.records: every matching record's number, the notes of one paper too (kb search's list)
//
// A word of one or two characters is one entry of a `d` shard (records and the region of the
// first match), and so is a word of three or four characters made of common trigrams (those the
// base segment's `d` shards list); another word is covered by trigrams at known offsets, read
// from `p` shards with their positions, and kept where every trigram sits at its offset: every
// result is exact.
// The index is in segments (index.json lists them): the base's shard files, and the small
// segments' one file read by HTTP Range requests (the two offsets of an n-gram's bucket, then the
// bucket; a server without Range sends the whole file once); a posting of a record number that a
// later segment's deletion list names is dropped (kb.search_index.segments, kb.search_index.delta).
// No dependency, nothing fetched from outside the site.

const REGION_SPAN = 2 ** 26;  // kb.search_index.grams.REGION_BITS
const FNV_OFFSET = 2166136261, FNV_PRIME = 16777619;

export function searchEngine(root) {
  const cache = new Map();
  let meta = null;

  function get(path, kind) {
    if (!cache.has(path)) {
      const url = new URL(path, root).href;
      cache.set(path, fetch(url).then((response) => {
        if (!response.ok) throw new Error(`${response.status} ${url}`);
        return kind === "json" ? response.json() : response.arrayBuffer().then(decode);
      }));
      cache.get(path).catch(() => cache.delete(path));
    }
    return cache.get(path);
  }

  function index() {
    if (!meta) meta = get("search/index.json", "json");
    return meta;
  }

  function fold(text, table) {
    let out = "";
    for (const ch of String(text).normalize("NFKC")) out += table[ch] ?? ch.toLowerCase();
    return out;
  }

  async function words(query) {
    const info = await index();
    return fold(query, info.fold).split(/\s+/).filter(Boolean);
  }

  function shardOf(codes, count) {
    let h = FNV_OFFSET;
    for (const c of codes) h = Math.imul((h ^ c) >>> 0, FNV_PRIME) >>> 0;
    return h % count;
  }

  // Bytes start .. end-1 of a file by an HTTP Range request; a server that ignores Range (200)
  // sends the whole file, kept for the next ranges of it.
  function range(path, start, end) {
    const key = `${path}@${start}-${end}`;
    if (!cache.has(key)) {
      const url = new URL(path, root).href;
      const whole = cache.get(`whole:${path}`);
      cache.set(key, (whole || fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } }).then((response) => {
        if (!response.ok) throw new Error(`${response.status} ${url}`);
        const bytes = response.arrayBuffer().then((b) => new Uint8Array(b));
        if (response.status === 206) return bytes;
        cache.set(`whole:${path}`, bytes.then((b) => ({ whole: b })));
        return cache.get(`whole:${path}`);
      })).then((got) => (got.whole ? got.whole.subarray(start, end) : got)));
      cache.get(key).catch(() => cache.delete(key));
    }
    return cache.get(key);
  }

  // The n-gram's entries in the base (its shard file) and in the small segments' one file (the
  // two offsets of its bucket, then the bucket by range: a part per segment, oldest first), each
  // with the record numbers dead in it (listed by a later segment's deletion list) and whether
  // they are the base's.
  async function segmentFiles(kind, codes) {
    const info = await index();
    if (!info.dead) {
      let dead = new Set();
      info.dead = new Map();
      for (let k = info.segments.length - 1; k >= 0; k--) {
        info.dead.set(info.segments[k].id, dead);
        dead = new Set([...dead, ...info.segments[k].deleted]);
      }
    }
    const base = get(`search/${kind}/${shardOf(codes, info.base[kind])}.bin`);
    const parts = info.delta ? deltaParts(info.delta, kind, codes) : [];
    return [[await base, info.dead.get(0), true], ...(await parts).map(([id, ints]) => [ints, info.dead.get(id), false])];
  }

  async function deltaParts(delta, kind, codes) {
    const k = shardOf(codes, delta[kind]) + (kind === "p" ? delta.d : 0);
    const table = new DataView((await range(delta.path, 4 * k, 4 * k + 8)).slice().buffer);
    const start = table.getUint32(0, true), end = table.getUint32(4, true);
    if (start === end) return [];
    const bytes = await range(delta.path, start, end);
    const parts = [];
    for (let i = 0; i < bytes.length;) {
      const [id, afterId] = varintAt(bytes, i);
      const [length, at] = varintAt(bytes, afterId);
      parts.push([id, decodeBytes(bytes.subarray(at, at + length))]);
      i = at + length;
    }
    return parts;
  }

  function varintAt(bytes, i) {
    let value = 0, shift = 0;
    for (;;) {
      const byte = bytes[i++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return [value, i];
    }
  }

  // doc -> region of the first occurrence: a word of 1-2 characters, or a facet key. For a word of
  // three or four characters, `found.common` says whether the base segment has an entry for it:
  // then it is made of common trigrams and every segment's entries are complete.
  async function docs(key) {
    const codes = Array.from(key, (c) => c.codePointAt(0));
    const found = new Map();
    found.common = false;
    for (const [ints, dead, base] of await segmentFiles("d", codes)) {
      if (docEntries(ints, codes, dead, found) && base) found.common = true;
    }
    return found;
  }

  function docEntries(ints, codes, dead, found) {
    let i = 0, seen = false;
    while (i < ints.length) {
      const n = ints[i];
      const same = n === codes.length && codes.every((c, k) => ints[i + 1 + k] === c);
      const m = ints[i + 1 + n];
      i += n + 2;
      if (same) {
        seen = true;
        let doc = 0;
        for (let k = 0; k < m; k++) {
          doc += Math.floor(ints[i + k] / 4);
          if (!dead.has(doc)) found.set(doc, ints[i + k] % 4);
        }
      }
      i += m;
    }
    return seen;
  }

  // doc -> positions of a trigram.
  async function positions(codes) {
    const found = new Map();
    for (const [ints, dead] of await segmentFiles("p", codes)) positionEntries(ints, codes, dead, found);
    return found;
  }

  function positionEntries(ints, codes, dead, found) {
    let i = 0;
    while (i < ints.length) {
      const same = ints[i] === codes[0] && ints[i + 1] === codes[1] && ints[i + 2] === codes[2];
      const m = ints[i + 3];
      i += 4;
      let doc = 0;
      for (let d = 0; d < m; d++) {
        doc += ints[i];
        const k = ints[i + 1];
        if (same && !dead.has(doc)) {
          const list = found.get(doc) || [];
          let pos = 0;
          for (let j = 0; j < k; j++) { pos += ints[i + 2 + j]; list.push(pos); }
          found.set(doc, list);
        }
        i += 2 + k;
      }
    }
  }

  // doc -> region of the word's best match, computed once a page (a search and a prefetch share it).
  const wordMemo = new Map();
  function word(text) {
    if (!wordMemo.has(text)) {
      if (wordMemo.size >= 64) wordMemo.clear();  // (a long session types many words)
      wordMemo.set(text, wordNow(text));
      wordMemo.get(text).catch(() => wordMemo.delete(text));
    }
    return wordMemo.get(text);
  }

  // The files a query reads, fetched now, and with `n` those of its first n results (the search
  // page's first query, while the page is parsed and styled): a search then finds them asked for.
  async function prefetch(query, opts = {}, n = 0) {
    const info = await index();
    papersOf(info);
    await Promise.all((await words(query)).map(word));
    if (n) await Promise.all(pageItems(await search(query, opts), 0, n));
  }

  async function wordNow(text) {
    const codes = Array.from(text, (c) => c.codePointAt(0));
    if (codes.length <= 2) return docs(text);
    if (codes.length <= 4) {
      const found = await docs(text);  // common trigrams: one record-level entry, no positions
      if (found.common) return found;
    }
    const offsets = [];
    for (let k = 0; k + 3 <= codes.length; k += 3) offsets.push(k);
    if (offsets[offsets.length - 1] !== codes.length - 3) offsets.push(codes.length - 3);
    const lists = await Promise.all(offsets.map((k) => positions(codes.slice(k, k + 3))));
    const found = new Map();
    for (const [doc, starts] of lists[0]) {
      const others = lists.slice(1).map((list) => list.get(doc));
      if (others.some((list) => !list)) continue;
      const sets = others.map((list) => new Set(list));
      let best = -1;
      for (const p of starts) {
        if (p > best && sets.every((set, j) => set.has(p + offsets[j + 1]))) best = p;
      }
      if (best >= 0) found.set(doc, 3 - Math.floor(best / REGION_SPAN));
    }
    return found;
  }

  async function facet(prefix, values, all) {
    const lists = await Promise.all(values.map((v) => docs("\u0001" + prefix + v)));
    const keep = new Set(lists.length ? lists[0].keys() : []);
    for (const list of lists.slice(1)) {
      for (const doc of list.keys()) if (!all) keep.add(doc);
      if (all) for (const doc of [...keep]) if (!list.has(doc)) keep.delete(doc);
    }
    return keep;
  }

  // Every record matching the query and the filters, in the chosen order.
  async function search(query, opts = {}) {
    const info = await index();
    const list = await words(query);
    if (!list.length) return { query, words: list, count: 0, docs: [], regions: new Map() };
    const papers = papersOf(info);  // fetched alongside the postings
    const found = await Promise.all(list.map(word));
    let regions = new Map(found[0]);  // (the words' maps are kept for the next search)
    for (const other of found.slice(1)) {
      const next = new Map();
      for (const [doc, region] of regions) if (other.has(doc)) next.set(doc, Math.max(region, other.get(doc)));
      regions = next;
    }
    const filters = [];
    if (opts.tags && opts.tags.length) filters.push(facet("t", opts.tags, opts.match === "all"));
    if (opts.kind) filters.push(facet("k", [opts.kind], true));
    if (opts.year) filters.push(facet("y", [String(opts.year)], true));
    if (opts.meeting) filters.push(facet("m", [opts.meeting], true));
    for (const keep of await Promise.all(filters)) {
      for (const doc of [...regions.keys()]) if (!keep.has(doc)) regions.delete(doc);
    }
    const order = [...regions.keys()];
    if (opts.sort === "newest") order.sort((a, b) => a - b);
    else if (opts.sort === "oldest") order.sort((a, b) => ((a >= info.dated) - (b >= info.dated)) || b - a);
    else order.sort((a, b) => regions.get(a) - regions.get(b) || a - b);
    const docs = onePerPaper(order, await papers);
    return { query, words: list, count: docs.length, docs, records: order, regions };
  }

  // doc -> its paper's note count: search/papers.bin lists, for every paper noted in two or more
  // records, its note count and record numbers (the first, then differences).
  function papersOf(info) {
    if (!info.paperOf) {
      info.paperOf = info.papers ? get("search/papers.bin").then((ints) => {
        const paperOf = new Map();
        for (let i = 0; i < ints.length; i += 1 + ints[i]) {
          const paper = { notes: ints[i] };
          let doc = 0;
          for (let k = 1; k <= ints[i]; k++) { doc += ints[i + k]; paperOf.set(doc, paper); }
        }
        return paperOf;
      }) : Promise.resolve(new Map());
      info.paperOf.catch(() => { info.paperOf = null; });
    }
    return info.paperOf;
  }

  // The matching records with each paper's notes as one result: where its best-placed note stands.
  function onePerPaper(order, paperOf) {
    const seen = new Set();
    return order.filter((doc) => {
      const paper = paperOf.get(doc);
      if (!paper) return true;
      if (seen.has(paper)) return false;
      seen.add(paper);
      return true;
    });
  }

  // Record `doc`'s id, which names its t/ and b/ files: item doc - day * 2^bits of its day's r/
  // file (the undated records are one day, from `dated` on). A record keeps its files when the
  // numbers of its day move (kb.search_index.records.day_files).
  async function nameOf(doc) {
    const info = await index();
    const span = 2 ** info.bits;
    const day = Math.min(Math.floor(doc / span), info.dated / span);
    const ids = await get(`search/r/${day}.json`, "json");
    return encodeURIComponent(ids[doc - day * span]);
  }

  async function record(doc) {
    const [, , item] = await get(`search/t/${await nameOf(doc)}.json`, "json");
    return item;
  }

  // What a result shows: its record, or for a note of a paper noted more than once, the paper's
  // page and title (its item's `paper`) with its note count (the note's date, tags and excerpt:
  // the best match's).
  async function result(doc, item) {
    const [shown, paperOf] = await Promise.all([item || record(doc), index().then(papersOf)]);
    const paper = paperOf.get(doc);
    return paper ? { ...shown, url: shown.paper[0], title: shown.paper[1], notes: paper.notes } : shown;
  }

  // Results start .. start+n-1 of a search, as promises in order, each settled as soon as its
  // files are here: what a result shows, and its excerpt. A result's excerpt text (t/ or b/,
  // named by its id: its day's r/ file) also holds what it shows.
  function pageItems(found, start, n) {
    return found.docs.slice(start, start + n).map(async (doc) => {
      const { fold: table, labels = [] } = await index();
      const region = found.regions.get(doc);
      const text = await texts(doc, region, found.words, table, labels);
      const item = await result(doc, text.item);
      return { ...item, doc, region, excerpt: excerpt(text, region, found.words, table, labels) };
    });
  }

  // The regions an excerpt may come from: people and lead (t/), or the body (b/) for a match
  // there; each file holds what the result shows (its item).
  async function texts(doc, region, list, table, labels) {
    const name = await nameOf(doc);
    if (region !== 3) {
      const [people, lead, item] = await get(`search/t/${name}.json`, "json");
      if (region !== 0 || lead) return { 1: people, 2: lead, item };
    }
    return body(name, list, table, labels);
  }

  // A record's body from b/<id>.bin (kb.search_index.records.body_file: a head with the result item
  // and the body's byte length, then the body), read from its start in ranges growing by half until
  // the text read holds the first readable match with more than an excerpt's length after it, or
  // is the whole body: the excerpt is then the one the whole body gives (what the text cut short
  // changes, white space, a URL or a line cut at its end, lies past the excerpt; a label line is
  // shorter than an excerpt). A long note's match is mostly near its start: a result costs a few
  // kilobytes, not the whole note.
  const BODY_FIRST = 3072;
  async function body(name, list, table, labels) {
    const path = `search/b/${name}.bin`;
    let bytes = await range(path, 0, BODY_FIRST);
    const [size, at] = varintAt(bytes, 0);
    if (at + size > bytes.length) bytes = joinBytes([bytes, await range(path, bytes.length, at + size + BODY_FIRST)]);
    const [item, length, encoding] = JSON.parse(new TextDecoder().decode(bytes.subarray(at, at + size)));
    const start = at + size, end = start + length;
    let have = Math.min(bytes.length, end);
    const parts = [bytes.subarray(start, have)];
    for (;;) {
      const text = new TextDecoder(encoding).decode(joinBytes(parts));  // (a character cut at the end: U+FFFD)
      if (have >= end || readableMatch(text, list, table, labels)) return { 3: text, item };
      const next = Math.min(end, have + Math.max(BODY_FIRST, (have - start) >> 1));  // x1.5
      parts.push(await range(path, have, next));
      have = next;
    }
  }

  function joinBytes(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  // Whether a body's first lines hold the first readable match with an excerpt's length after it.
  function readableMatch(raw, list, table, labels) {
    const { text, anchor, readable } = firstMatch(raw, list, table, labels);
    return readable && anchor + LENGTH + 2 < text.length;
  }

  // ---- excerpts: from the sentence holding the first readable match, every query word marked ----
  // Never from inside a URL or a bookkeeping label line (元の掲載情報: index.json's `labels`): those
  // are "blocked"; an excerpt starts at the sentence start (after 。！？!? or a line break), or for a
  // long sentence at a space or 、 shortly before the match.

  function foldMap(text, table) {
    let folded = "";
    const from = [], to = [];
    let i = 0;
    for (const ch of text) {
      const f = fold(ch, table);
      for (let k = 0; k < f.length; k++) { from.push(i); to.push(i + ch.length); }
      folded += f;
      i += ch.length;
    }
    return { folded, from, to };
  }

  const URL_RE = /(?:https?:\/\/|www\.)[\x21-\x7e]+/g;

  function blockedSpans(text, labels) {
    const spans = [];
    for (const m of text.matchAll(URL_RE)) spans.push([m.index, m.index + m[0].length]);
    let at = 0;
    for (const line of text.split("\n")) {
      if (labels.includes(line.trim())) spans.push([at, at + line.length]);
      at += line.length + 1;
    }
    return spans;
  }

  const inside = (spans, i) => spans.some(([a, b]) => i >= a && i < b);

  // A window of the region holding the match (for a title match: the start of the lead).
  function excerpt(texts, region, list, table, labels) {
    const { text, map, blocked, anchor } = firstMatch(texts[region === 0 ? 2 : region] ?? texts[3], list, table, labels);
    if (!text) return [];
    return cut(text, map, list, startFor(text, blocked, anchor));
  }

  // The text as excerpts see it (white space runs as one space, lines trimmed), and where its
  // excerpt is anchored: the first match outside URLs and label lines (`readable`), else the
  // first match, else the first readable character.
  function firstMatch(raw, list, table, labels) {
    const text = String(raw ?? "").replace(/[^\S\n]+/g, " ").replace(/ *\n[\s]*/g, "\n").trim();
    const blocked = blockedSpans(text, labels);
    const map = foldMap(text, table);
    const hits = [];
    for (const w of list) {
      for (let at = map.folded.indexOf(w); at !== -1; at = map.folded.indexOf(w, at + 1)) hits.push(map.from[at]);
    }
    hits.sort((a, b) => a - b);
    let readable = 0;
    while (readable < text.length && (inside(blocked, readable) || text[readable] === "\n")) readable++;
    const match = hits.find((h) => !inside(blocked, h));
    const anchor = match ?? hits[0] ?? Math.min(readable, text.length - 1);
    return { text, map, blocked, anchor, readable: match !== undefined };
  }

  const BEFORE = 40, LENGTH = 160, SENTENCE = 60, CLAUSE = " 、，,・:：)）」』】";

  function startFor(text, blocked, anchor) {
    const holding = blocked.find(([a, b]) => anchor >= a && anchor < b);
    if (holding) return holding[0];  // a match only inside a URL: the whole URL
    let s = anchor;  // back to the sentence start, never into a blocked span
    while (s > 0 && !"。！？!?\n".includes(text[s - 1]) && !inside(blocked, s - 1)) s--;
    while (s < anchor && text[s] === " ") s++;
    if (anchor - s <= SENTENCE) return s;
    for (let b = Math.max(s, anchor - BEFORE); b < anchor; b++) {
      if (CLAUSE.includes(text[b]) && !inside(blocked, b + 1)) return b + 1;
    }
    let w = anchor;  // no boundary near: the start of the word holding the match
    while (w > 0 && anchor - w < 20 && /[0-9A-Za-z]/.test(text[w - 1]) && !inside(blocked, w - 1)) w--;
    return /[\uDC00-\uDFFF]/.test(text[w]) ? w - 1 : w;
  }

  function cut(text, map, list, start) {
    let end = Math.min(text.length, start + LENGTH);
    if (/[\uDC00-\uDFFF]/.test(text[end] || "")) end++;
    const spans = [];
    for (const w of list) {
      let at = map.folded.indexOf(w);
      while (at !== -1) {
        const s = map.from[at], e = map.to[at + w.length - 1];
        if (s >= start && e <= end) spans.push([s, e]);
        at = map.folded.indexOf(w, at + 1);
      }
    }
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const parts = [];
    let pos = start;
    const plain = (t) => t.replace(/\n/g, " ");
    for (const [s, e] of spans) {
      if (e <= pos) continue;
      const from = Math.max(s, pos);
      if (from > pos) parts.push({ text: plain(text.slice(pos, from)), mark: false });
      if (s < pos && parts.length && parts[parts.length - 1].mark) parts[parts.length - 1].text += plain(text.slice(pos, e));
      else parts.push({ text: plain(text.slice(from, e)), mark: true });
      pos = e;
    }
    if (end > pos) parts.push({ text: plain(text.slice(pos, end)), mark: false });
    if (start > 0) parts.unshift({ text: "…", mark: false });
    if (end < text.length) parts.push({ text: "…", mark: false });
    return parts;
  }

  return { index, search, prefetch, pageItems, record, result, words, fold: async (t) => fold(t, (await index()).fold) };
}

function decode(buffer) {
  return decodeBytes(new Uint8Array(buffer));
}

function decodeBytes(bytes) {
  const out = [];
  let value = 0, scale = 1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    value += (b & 0x7f) * scale;
    if (b < 0x80) { out.push(value); value = 0; scale = 1; } else scale *= 128;
  }
  return out;
}
