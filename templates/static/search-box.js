// The header search box of every page: `/` focuses it, the first results appear under it as you
// type (title, date), arrows move through them, Escape closes, Enter opens the search page.
// The engine (kb-search.js) is loaded on first use only.
const ROOT = new URL("../", import.meta.url);
const SHOWN = 6;
const DEBOUNCE_MS = 80;

const form = document.getElementById("site-search-form");
const input = document.getElementById("site-search");
const panel = document.getElementById("site-search-panel");
const count = document.getElementById("site-search-count");
const list = document.getElementById("site-search-results");
let engine = null, generation = 0, timer = null;

// The `/` key hint only where there is a keyboard to press it (not on touch screens).
if (matchMedia("(hover: hover) and (pointer: fine)").matches) input.placeholder = "検索（/ キー）";

function load() {
  if (!engine) engine = import("./kb-search.js").then((m) => m.searchEngine(ROOT));
  return engine;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function close() {
  panel.hidden = true;
  input.setAttribute("aria-expanded", "false");
}

async function update() {
  const mine = ++generation;
  const q = input.value;
  const search = await load();
  const found = await search.search(q);
  if (mine !== generation) return;
  if (!found.words.length) return close();
  const items = await Promise.all(found.docs.slice(0, SHOWN).map((doc) => search.result(doc)));
  if (mine !== generation) return;
  list.textContent = "";
  for (const item of items) {
    const li = el("li");
    const link = el("a", "", item.title);
    link.href = new URL(item.url, ROOT).href;
    if (item.date) link.appendChild(el("time", "", item.date));
    li.appendChild(link);
    list.appendChild(li);
  }
  count.textContent = found.count ? `${found.count} 件 — Enter ですべて表示` : "見つかりませんでした";
  panel.dataset.count = String(found.count);
  panel.hidden = false;
  input.setAttribute("aria-expanded", "true");
}

function links() {
  return Array.from(list.querySelectorAll("a"));
}

input.addEventListener("focus", load, { once: true });
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => update().catch(close), DEBOUNCE_MS);
});
form.addEventListener("keydown", (event) => {
  const all = links(), at = all.indexOf(document.activeElement);
  if (event.key === "Escape") {
    close();
    input.focus();
  } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !panel.hidden && all.length) {
    event.preventDefault();
    const next = event.key === "ArrowDown" ? Math.min(at + 1, all.length - 1) : at - 1;
    if (next < 0) input.focus();
    else all[next].focus();
  }
});
document.addEventListener("keydown", (event) => {
  const t = event.target;
  const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    input.focus();
    input.select();
  }
});
document.addEventListener("click", (event) => {
  if (!form.contains(event.target)) close();
});
