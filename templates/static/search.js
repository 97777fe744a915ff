// The search page (search/index.html): query, filters (tag, kind, year) and order in the URL,
// the exact count at once, results a page at a time with excerpts. Keyboard: type, arrows move
// through the results, Enter opens one. window.kbSearch is the hook the tests and benchmark use.
import { searchEngine } from "./kb-search.js";

const PAGE = 10;
const CHIPS = 3;  // tag chips per result; the others as "+N" (a phone screen shows several results)
const DEBOUNCE_MS = 120;
const KIND_LABELS = { paper: "論文", blog: "ブログ", article: "記事", talk: "発表", repository: "リポジトリ", other: "その他" };

// The query in the address is searched at once, its files fetched while the page is still parsed
// and styled (search.html runs this module from its head); the page is drawn once it is ready.
const engine = searchEngine(new URL("../", import.meta.url));
const initial = readState();
if (initial.q) engine.prefetch(initial.q, initial, PAGE).catch(() => {});
if (document.readyState === "loading") {
  await new Promise((ready) => document.addEventListener("DOMContentLoaded", ready, { once: true }));
}

const box = document.getElementById("search");
const $ = (id) => document.getElementById(id);
const input = $("search-input"), form = $("search-form"), list = $("search-list"), status = $("search-status");
const more = $("search-more"), sortSelect = $("search-sort"), kindSelect = $("search-kind"), yearSelect = $("search-year");
const meetingSelect = $("search-meeting");
const tagBox = $("search-tags"), tagOptions = $("search-tag-options"), tagCount = $("search-tag-count");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- state in the URL ----

function readState() {
  const params = new URLSearchParams(location.search);
  const pick = (name, allowed) => (allowed.includes(params.get(name)) ? params.get(name) : "");
  return {
    q: params.get("q") || "", tags: params.getAll("tag").filter(Boolean),
    match: params.get("match") === "all" ? "all" : "any", sort: pick("sort", ["newest", "oldest"]),
    kind: params.get("kind") || "", year: params.get("year") || "", meeting: params.get("meeting") || "",
  };
}

function currentState() {
  const checked = tagOptions.querySelectorAll("input[type=checkbox]:checked");
  const mode = box.querySelector("input[name=match]:checked");
  return {
    q: input.value, tags: Array.from(checked, (c) => c.value), match: mode && mode.value === "all" ? "all" : "any",
    sort: sortSelect.value, kind: kindSelect.value, year: yearSelect.value, meeting: meetingSelect.value,
  };
}

function writeState(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  state.tags.forEach((t) => params.append("tag", t));
  if (state.tags.length > 1 && state.match === "all") params.set("match", "all");
  for (const name of ["kind", "year", "meeting", "sort"]) if (state[name]) params.set(name, state[name]);
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
}

// ---- results ----

function resultItem(result) {
  const li = el("li", "search-result");
  li.dataset.id = result.id;
  const link = el("a", "record-title", result.title);
  link.href = (box.dataset.root || "") + result.url;
  li.appendChild(link);
  const meta = el("div", "record-meta");
  meta.appendChild(el("span", "kind", KIND_LABELS[result.kind] || result.kind));
  if (result.date) {
    const time = el("time", "", result.date);
    time.setAttribute("datetime", result.date);
    meta.appendChild(time);
  } else {
    meta.appendChild(el("span", "undated", "日付なし"));
  }
  if (result.notes) meta.appendChild(el("span", "notes", `ノート ${result.notes} 件`));  // a paper's page
  if (result.people) meta.appendChild(el("span", "people", result.people));
  const topics = result.tags.filter((t) => !hiddenTags.has(t));  // topic tags only, as the list pages show
  if (topics.length) {
    const chips = el("span", "chips");  // one line: long tags are cut with an ellipsis
    topics.slice(0, CHIPS).forEach((t) => chips.appendChild(el("span", "tag", t)));
    if (topics.length > CHIPS) {
      const more = el("span", "tag tag-more", `+${topics.length - CHIPS}`);
      more.title = topics.slice(CHIPS).join(", ");
      chips.appendChild(more);
    }
    meta.appendChild(chips);
  }
  li.appendChild(meta);
  const p = el("p", "excerpt");
  result.excerpt.forEach((part) => p.appendChild(part.mark ? el("mark", "", part.text) : document.createTextNode(part.text)));
  li.appendChild(p);
  return li;
}

function showEmpty(state) {
  const div = el("div", "search-empty");
  div.id = "search-empty";
  div.appendChild(el("p", "", `「${state.q}」を含む記録は見つかりませんでした。`));
  const tips = el("ul");
  tips.appendChild(el("li", "", "検索では、入力した語がそのまま（大文字・小文字と全角・半角の違いは無視して）含まれる記録だけを表示します。"));
  if (state.q.trim().split(/\s+/).length > 1) tips.appendChild(el("li", "", "複数の語はすべてを含む記録を探します。語を減らすと見つかるかもしれません。"));
  if (state.tags.length || state.kind || state.year || state.meeting) tips.appendChild(el("li", "", "絞り込みを外すと見つかるかもしれません。"));
  tips.appendChild(el("li", "", "別の表記（カタカナ・英語・略語）や、より短い語を試してください。"));
  div.appendChild(tips);
  const li = el("li");
  li.appendChild(div);
  list.appendChild(li);
}

function showProblem() {
  box.dataset.state = "error";
  status.textContent = "";
  list.textContent = "";
  const li = el("li");
  const div = el("div", "search-empty");
  div.appendChild(el("p", "", "検索インデックスを読み込めませんでした。サイトを検索付きでビルドしたか（kb build、--no-search なし）確認してください。"));
  li.appendChild(div);
  list.appendChild(li);
}

let generation = 0, found = null, shown = 0, timer = null, hiddenTags = new Set();

function updateStatus() {
  const n = found ? found.count : 0;
  status.textContent = found && found.words.length ? (n ? `${n} 件` : "") : "";
  if (found && found.words.length) status.dataset.count = String(n);
  else delete status.dataset.count;
  more.hidden = !found || shown >= n;
  box.dataset.state = !found || !found.words.length ? "idle" : n ? "done" : "empty";
}

// The next page of results, each drawn as soon as it and those before it are here (the list's space
// is reserved: nothing below moves into view).
async function showNext(mine) {
  const items = engine.pageItems(found, shown, PAGE);
  items.forEach((pending) => pending.catch(() => {}));  // (settled below, or left once a newer search runs)
  for (const pending of items) {
    const item = await pending;
    if (mine !== generation) return;
    list.appendChild(resultItem(item));
    shown += 1;
    if (api.firstResultMs === null) {
      api.firstResultAt = performance.now();
      api.firstResultMs = api.firstResultAt - api.started;
    }
  }
}

async function run(state) {
  const mine = ++generation;
  writeState(state);
  api.started = performance.now();
  api.firstResultMs = null;
  box.dataset.state = "loading";
  try {
    const result = await engine.search(state.q, state);
    if (mine !== generation) return;
    found = result;
    shown = 0;
    list.textContent = "";
    if (found.count) await showNext(mine);
    else if (found.words.length) showEmpty(state);
    if (mine === generation) updateStatus();
  } catch (error) {
    if (mine === generation) showProblem(error);
  }
}

async function loadMore() {
  if (!found || shown >= found.count) return;
  const mine = generation, first = list.children.length;
  more.disabled = true;
  box.dataset.state = "loading";
  try {
    await showNext(mine);
  } finally {
    more.disabled = false;
  }
  updateStatus();
  const link = list.children[first] && list.children[first].querySelector("a");
  if (link) link.focus();
}

// ---- filters ----

function option(select, value, label) {
  const o = el("option", "", label);
  o.value = value;
  select.appendChild(o);
}

function renderFilters(info, state) {
  hiddenTags = new Set(info.bookkeeping || []);
  for (const [kind, n] of info.kinds) option(kindSelect, kind, `${KIND_LABELS[kind] || kind} (${n})`);
  for (const [year, n] of info.years) option(yearSelect, year, `${year} 年 (${n})`);
  for (const [meeting, n] of info.meetings || []) option(meetingSelect, meeting, `${meeting} (${n})`);
  meetingSelect.closest("label").style.visibility = (info.meetings || []).length ? "" : "hidden";
  kindSelect.value = state.kind;
  yearSelect.value = state.year;
  meetingSelect.value = state.meeting;
  tagOptions.textContent = "";
  const names = info.tags.map(([name, n]) => [name, n]);
  state.tags.forEach((t) => { if (!names.some(([name]) => name === t)) names.push([t, 0]); });
  tagBox.hidden = names.length === 0;
  tagBox.classList.remove("pending");
  // The tag list (hundreds of boxes) is made when first opened: made at once, it held up the
  // first query's requests by ~20 ms at 10,000 notes (the page's work shares the thread).
  if (state.tags.length) {
    tagChecks(names, state);
    tagBox.open = true;
  } else {
    tagBox.addEventListener("toggle", () => tagChecks(names, state), { once: true });
  }
  updateTagCount();
}

function tagChecks(names, state) {
  for (const [name, n] of names) {
    const label = el("label", "tag-option");
    const check = el("input");
    check.type = "checkbox";
    check.name = "tag";
    check.value = name;
    check.checked = state.tags.includes(name);
    label.appendChild(check);
    label.appendChild(document.createTextNode(name));
    label.appendChild(el("span", "count", `(${n})`));
    tagOptions.appendChild(label);
  }
}

function updateTagCount() {
  const n = tagOptions.querySelectorAll("input:checked").length;
  tagCount.textContent = n ? `（${n} 個選択中）` : "";
}

// ---- keyboard: arrows move between the box and the results ----

function onKey(event) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const links = Array.from(list.querySelectorAll(".search-result > a.record-title"));
  const at = links.indexOf(document.activeElement);
  if (!links.length || (at === -1 && document.activeElement !== input)) return;
  event.preventDefault();
  const next = event.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : at - 1;
  if (next < 0) input.focus();
  else links[next].focus();
}

// ---- the hook for tests and the benchmark ----

const api = {
  started: 0, firstResultMs: null, firstResultAt: null, ready: null,
  // Every matching record of a search (ids in the page's order, a paper's notes each) without
  // touching the page: kb search's list.
  all: async (query, opts = {}) => {
    const result = await engine.search(query, opts);
    const items = await Promise.all(result.records.map((doc) => engine.record(doc)));
    return { ids: items.map((item) => item.id), dates: items.map((item) => item.date || ""), count: items.length };
  },
  // What the page lists: one result per paper (its page's address and note count), in order.
  results: async (query, opts = {}) => {
    const result = await engine.search(query, opts);
    const items = await Promise.all(result.docs.map((doc) => engine.result(doc)));
    return { count: result.count, items: items.map(({ id, url, title, notes }) => ({ id, url, title, notes: notes || 1 })) };
  },
  run: (state) => run({ ...currentState(), ...state }),
  more: loadMore,
};
window.kbSearch = api;

// ---- wiring ----

input.value = initial.q;
sortSelect.value = initial.sort;
const modeInput = box.querySelector(`input[name=match][value=${initial.match}]`);
if (modeInput) modeInput.checked = true;
$("search-controls").classList.remove("pending");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  run(currentState());
});
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => run(currentState()), DEBOUNCE_MS);
});
box.addEventListener("change", (event) => {
  if (event.target === input) return;
  if (event.target.name === "tag") updateTagCount();
  run(currentState());
});
box.addEventListener("keydown", onKey);
more.addEventListener("click", loadMore);

api.ready = engine.index().then((info) => {
  renderFilters(info, initial);
  return initial.q ? run(currentState()) : undefined;
}).catch(showProblem);
if (!initial.q) input.focus();
