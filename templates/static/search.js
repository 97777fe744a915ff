// kb site search: a small UI on Pagefind's JS API (no default UI bundle).
//
// Pagefind finds candidates (it splits Japanese queries into pieces and matches them anywhere);
// each candidate is then checked against the one match rule shared with `kb search`
// (kb.search.matches): fold the query and the page text (NFKC + lower case), split the query at
// white space, keep the page when every word occurs in its text. Candidates are checked lazily,
// ~10 fragments at a time, until a page of verified results is filled; "もっと見る" goes on.
//
// window.kbSearch.all(query, {tags, match, sort}) checks every candidate with the same code and
// resolves to the complete verified list (the tests use it); the page's #search element carries
// data-state="loading" | "partial" | "done" | "empty" | "error".
(function () {
  "use strict";

  var PAGE = 10;          // verified results per page
  var BATCH = 10;         // fragments loaded at once
  var DEBOUNCE_MS = 200;
  var TERMS_ID = "kb-search-terms";  // the hidden extra-text block of record pages
  var EXCERPT_BEFORE = 40, EXCERPT_LENGTH = 150;

  var box = document.getElementById("search");
  if (!box) return;
  var root = box.getAttribute("data-root") || "";
  var input = document.getElementById("search-input");
  var form = document.getElementById("search-form");
  var list = document.getElementById("search-list");
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  var sortSelect = document.getElementById("search-sort");
  var controls = document.getElementById("search-controls");
  var tagBox = document.getElementById("search-tags");
  var tagOptions = document.getElementById("search-tag-options");
  var tagCount = document.getElementById("search-tag-count");
  var headerInput = document.getElementById("site-search");

  // ---- the match rule (kb.search.matches) ----

  function fold(text) {
    return String(text).normalize("NFKC").toLowerCase();
  }

  function queryWords(query) {
    return fold(query).split(/\s+/).filter(Boolean);
  }

  function pageText(data) {
    // Pagefind marks its word boundaries with U+200B; the page text has none.
    return (data.content || "").replace(/\u200b/g, "");
  }

  function matches(words, text) {
    var folded = fold(text);
    return words.length > 0 && words.every(function (w) { return folded.indexOf(w) !== -1; });
  }

  // ---- Pagefind ----

  var pagefindPromise = null;

  function loadPagefind() {
    if (!pagefindPromise) {
      if (location.protocol === "file:") {
        pagefindPromise = Promise.reject(new Error("file"));
      } else {
        var url = new URL(root + "pagefind/pagefind.js", document.baseURI).href;
        pagefindPromise = import(url).then(function (pagefind) {
          return Promise.resolve(pagefind.options({ excerptLength: 0 })).then(function () {
            return Promise.resolve(pagefind.init()).then(function () { return pagefind; });
          });
        });
      }
      pagefindPromise.catch(function () { /* shown by whoever awaits it */ });
    }
    return pagefindPromise;
  }

  function searchOptions(opts) {
    var options = {};
    var tags = (opts && opts.tags) || [];
    if (tags.length) {
      var mode = opts.match === "all" ? "all" : "any";
      options.filters = { tag: {} };
      options.filters.tag[mode] = tags.slice();
    }
    if (opts && opts.sort === "newest") options.sort = { date: "desc" };
    if (opts && opts.sort === "oldest") options.sort = { date: "asc" };
    return options;
  }

  // A search: Pagefind's candidates, verified lazily in batches.
  function Session(pagefind, query, opts) {
    this.query = query;
    this.words = queryWords(query);
    this.opts = opts || {};
    this.candidates = null;
    this.pos = 0;
    this.verified = [];
    this.fragments = 0;
    this.pagefind = pagefind;
  }

  Session.prototype.start = function () {
    var self = this;
    if (!this.words.length) {
      this.candidates = [];
      return Promise.resolve(this);
    }
    return this.pagefind.search(this.words.join(" "), searchOptions(this.opts)).then(function (found) {
      self.candidates = (found && found.results) || [];
      return self;
    });
  };

  Session.prototype.done = function () {
    return this.candidates !== null && this.pos >= this.candidates.length;
  };

  // Verify candidates until `wanted` more results are found or none are left; resolves to the new ones.
  Session.prototype.more = function (wanted) {
    var self = this, found = [];
    function step() {
      if (found.length >= wanted || self.done()) {
        Array.prototype.push.apply(self.verified, found);
        return Promise.resolve(found);
      }
      var batch = self.candidates.slice(self.pos, self.pos + BATCH);
      self.pos += batch.length;
      return Promise.all(batch.map(function (r) { return r.data(); })).then(function (datas) {
        self.fragments += datas.length;
        datas.forEach(function (data) {
          if (matches(self.words, pageText(data))) found.push(describe(data, self.words));
        });
        return step();
      });
    }
    return step();
  };

  function recordHref(url) {
    var path = String(url || "").replace(/^\//, "");
    if (path === "" || /\/$/.test(path)) path += "index.html";
    return root + path;
  }

  function describe(data, words) {
    var filters = data.filters || {};
    var meta = data.meta || {};
    return {
      url: data.url,
      href: recordHref(data.url),
      title: meta.title || data.url,
      date: meta.date || "",
      tags: filters.tag || [],
      kind: (filters.kind || [])[0] || "",
      excerpt: excerpt(data, words)
    };
  }

  // ---- excerpts: around the first match in the visible text, every query word marked ----

  function visibleText(data) {
    var text = pageText(data);
    var anchors = data.anchors || [];
    for (var i = 0; i < anchors.length; i++) {
      if (anchors[i].id === TERMS_ID) {
        var head = String(anchors[i].text || "").replace(/\u200b/g, "").slice(0, 40);
        var at = head ? text.lastIndexOf(head) : -1;
        if (at > 0) return text.slice(0, at).replace(/[\s.]+$/, "");
      }
    }
    return text;
  }

  // Fold character by character, remembering where each folded unit came from.
  function foldWithMap(text) {
    var folded = "", from = [], to = [], i = 0;
    for (var ch of text) {
      var f = fold(ch);
      for (var k = 0; k < f.length; k++) { from.push(i); to.push(i + ch.length); }
      folded += f;
      i += ch.length;
    }
    return { folded: folded, from: from, to: to };
  }

  function excerpt(data, words) {
    var text = visibleText(data).replace(/\s+/g, " ").trim();
    var title = ((data.meta || {}).title || "").replace(/\s+/g, " ").trim();
    if (title && text.indexOf(title) === 0) text = text.slice(title.length).replace(/^[\s.]+/, "");  // the title is shown above
    var map = foldWithMap(text);
    var first = -1;
    words.forEach(function (w) {
      var at = map.folded.indexOf(w);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    });
    var start = first === -1 ? 0 : Math.max(0, map.from[first] - EXCERPT_BEFORE);
    var end = Math.min(text.length, start + EXCERPT_LENGTH);
    var spans = [];  // [start, end) in text, inside the window
    words.forEach(function (w) {
      var at = map.folded.indexOf(w);
      while (at !== -1) {
        var s = map.from[at], e = map.to[at + w.length - 1];
        if (s >= start && e <= end) spans.push([s, e]);
        at = map.folded.indexOf(w, at + Math.max(1, w.length));
      }
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var parts = [], pos = start;
    spans.forEach(function (sp) {
      if (sp[0] < pos) {  // overlaps the previous mark: extend it
        if (parts.length && parts[parts.length - 1].mark && sp[1] > pos) {
          parts[parts.length - 1].text += text.slice(pos, sp[1]);
          pos = sp[1];
        }
        return;
      }
      if (sp[0] > pos) parts.push({ text: text.slice(pos, sp[0]), mark: false });
      parts.push({ text: text.slice(sp[0], sp[1]), mark: true });
      pos = sp[1];
    });
    if (end > pos) parts.push({ text: text.slice(pos, end), mark: false });
    if (start > 0) parts.unshift({ text: "…", mark: false });
    if (end < text.length) parts.push({ text: "…", mark: false });
    return parts;
  }

  // ---- state in the URL ----

  function readState() {
    var params = new URLSearchParams(location.search);
    return {
      q: params.get("q") || "",
      tags: params.getAll("tag").filter(Boolean),
      match: params.get("match") === "all" ? "all" : "any",
      sort: ["newest", "oldest"].indexOf(params.get("sort")) !== -1 ? params.get("sort") : ""
    };
  }

  function currentState() {
    var checked = tagOptions.querySelectorAll("input[type=checkbox]:checked");
    var matchInput = box.querySelector("input[name=match]:checked");
    return {
      q: input.value,
      tags: Array.prototype.map.call(checked, function (c) { return c.value; }),
      match: matchInput && matchInput.value === "all" ? "all" : "any",
      sort: sortSelect.value
    };
  }

  function writeState(state) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    state.tags.forEach(function (t) { params.append("tag", t); });
    if (state.tags.length > 1 && state.match === "all") params.set("match", "all");
    if (state.sort) params.set("sort", state.sort);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  // ---- rendering ----

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function resultItem(result) {
    var li = el("li", "search-result");
    li.setAttribute("data-url", result.url);
    var link = el("a", "record-title", result.title);
    link.href = result.href;
    li.appendChild(link);
    var meta = el("div", "record-meta");
    if (result.kind) meta.appendChild(el("span", "kind", result.kind));
    if (result.date && result.date !== "0000-00-00") {
      var time = el("time", "", result.date);
      time.setAttribute("datetime", result.date);
      meta.appendChild(time);
    } else {
      meta.appendChild(el("span", "undated", "日付なし"));
    }
    result.tags.forEach(function (t) { meta.appendChild(el("span", "tag", t)); });
    li.appendChild(meta);
    var p = el("p", "excerpt");
    result.excerpt.forEach(function (part) { p.appendChild(part.mark ? el("mark", "", part.text) : document.createTextNode(part.text)); });
    li.appendChild(p);
    return li;
  }

  function setState(name) {
    box.setAttribute("data-state", name);
  }

  function showEmpty(state) {
    var div = el("div", "search-empty");
    div.id = "search-empty";
    div.appendChild(el("p", "", "「" + state.q + "」を含む記録は見つかりませんでした。"));
    var tips = el("ul");
    var words = queryWords(state.q);
    tips.appendChild(el("li", "", "検索では、入力した語がそのまま（大文字・小文字と全角・半角の違いは無視して）含まれる記録だけを表示します。"));
    if (words.length > 1) tips.appendChild(el("li", "", "複数の語はすべてを含む記録を探します。語を減らすと見つかるかもしれません。"));
    if (state.tags.length) tips.appendChild(el("li", "", "タグで絞り込んでいます。絞り込みを外すと見つかるかもしれません。"));
    tips.appendChild(el("li", "", "別の表記（カタカナ・英語・略語）や、より短い語を試してください。"));
    div.appendChild(tips);
    var li = el("li");
    li.appendChild(div);
    list.appendChild(li);
  }

  function showProblem(error) {
    setState("error");
    status.textContent = "";
    list.textContent = "";
    var div = el("div", "search-empty");
    if (location.protocol === "file:" || (error && error.message === "file")) {
      div.appendChild(el("p", "", "このページはファイルとして直接開かれているため、検索できません。検索にはウェブサーバーが必要です。"));
      div.appendChild(el("p", "", "例: サイトのフォルダで python -m http.server を実行し、http://127.0.0.1:8000/search/ を開いてください。"));
    } else {
      div.appendChild(el("p", "", "検索インデックスを読み込めませんでした。サイトを検索付きでビルドしたか（kb build、--no-search なし）確認してください。"));
    }
    var li = el("li");
    li.appendChild(div);
    list.appendChild(li);
  }

  // ---- the running search ----

  var generation = 0;
  var session = null;
  var timer = null;
  var timing = { started: 0, firstResult: null };

  function updateStatus() {
    if (!session) return;
    var n = session.verified.length;
    if (session.done()) {
      status.textContent = n ? n + " 件見つかりました" : "";
      status.setAttribute("data-count", String(n));
      setState(n ? "done" : "empty");
      more.hidden = true;
    } else {
      status.textContent = n + " 件以上見つかりました";
      status.removeAttribute("data-count");
      setState("partial");
      more.hidden = false;
    }
  }

  function appendResults(found) {
    found.forEach(function (r) { list.appendChild(resultItem(r)); });
    if (found.length && timing.firstResult === null) {
      timing.firstResult = performance.now();
      api.firstResultMs = timing.firstResult - timing.started;
      api.firstResultAt = timing.firstResult;
    }
  }

  function run(state) {
    var mine = ++generation;
    writeState(state);
    if (headerInput) headerInput.value = state.q;
    more.hidden = true;
    if (!queryWords(state.q).length) {
      session = null;
      list.textContent = "";
      status.textContent = "";
      status.removeAttribute("data-count");
      setState("idle");
      return Promise.resolve();
    }
    setState("loading");
    status.textContent = "検索中…";
    timing = { started: performance.now(), firstResult: null };
    return loadPagefind().then(function (pagefind) {
      return new Session(pagefind, state.q, state).start();
    }).then(function (s) {
      if (mine !== generation) return;
      session = s;
      return s.more(PAGE).then(function (found) {
        if (mine !== generation) return;
        list.textContent = "";
        appendResults(found);
        if (!found.length && s.done()) showEmpty(state);
        updateStatus();
      });
    }).catch(function (error) {
      if (mine === generation) showProblem(error);
    });
  }

  function loadMore() {
    if (!session || session.done()) return Promise.resolve();
    var mine = generation, s = session;
    more.disabled = true;
    setState("loading");
    return s.more(PAGE).then(function (found) {
      if (mine !== generation) return;
      var firstNew = list.children.length;
      appendResults(found);
      updateStatus();
      var link = list.children[firstNew] && list.children[firstNew].querySelector("a");
      if (link && document.activeElement === more) link.focus();
    }).finally(function () { more.disabled = false; });
  }

  function schedule() {
    clearTimeout(timer);
    var q = input.value;
    if (queryWords(q).length) {
      loadPagefind().then(function (pagefind) { pagefind.preload(queryWords(q).join(" ")); }).catch(function () {});
    }
    timer = setTimeout(function () { run(currentState()); }, DEBOUNCE_MS);
  }

  // ---- tag filters ----

  function renderTags(filters, selected) {
    var counts = (filters && filters.tag) || {};
    var names = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || a.localeCompare(b, "ja"); });
    selected.forEach(function (t) { if (names.indexOf(t) === -1) names.push(t); });
    tagOptions.textContent = "";
    names.forEach(function (name) {
      var label = el("label", "tag-option");
      var box = el("input");
      box.type = "checkbox";
      box.name = "tag";
      box.value = name;
      box.checked = selected.indexOf(name) !== -1;
      label.appendChild(box);
      label.appendChild(document.createTextNode(name));
      if (counts[name] !== undefined) label.appendChild(el("span", "count", "(" + counts[name] + ")"));
      tagOptions.appendChild(label);
    });
    tagBox.hidden = names.length === 0;
    if (selected.length) tagBox.open = true;
    updateTagCount();
  }

  function updateTagCount() {
    var n = tagOptions.querySelectorAll("input:checked").length;
    tagCount.textContent = n ? "（" + n + " 個選択中）" : "";
  }

  // ---- keyboard: arrows move between the box and the results, Enter opens ----

  function resultLinks() {
    return Array.prototype.slice.call(list.querySelectorAll(".search-result > a.record-title"));
  }

  function onKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = resultLinks();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next;
    if (event.key === "ArrowDown") next = at === -1 ? 0 : Math.min(at + 1, links.length - 1);
    else next = at <= 0 ? -1 : at - 1;
    if (at === -1 && document.activeElement !== input) return;
    event.preventDefault();
    if (next === -1) input.focus();
    else links[next].focus();
  }

  // ---- the hook for tests and scripts ----

  var api = {
    firstResultMs: null,
    firstResultAt: null,
    ready: null,
    // Every verified result of a search (all candidates checked), in Pagefind's order.
    all: function (query, opts) {
      return loadPagefind().then(function (pagefind) {
        return new Session(pagefind, query, opts || {}).start();
      }).then(function (s) {
        return s.more(Infinity).then(function () {
          return { results: s.verified, candidates: s.candidates.length, fragments: s.fragments };
        });
      });
    },
    matches: function (query, text) { return matches(queryWords(query), text); },
    run: function (state) { return run(state); },
    more: loadMore
  };
  window.kbSearch = api;

  // ---- wiring ----

  var initial = readState();
  input.value = initial.q;
  sortSelect.value = initial.sort;
  var modeInput = box.querySelector("input[name=match][value=" + initial.match + "]");
  if (modeInput) modeInput.checked = true;
  controls.hidden = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run(currentState());
  });
  input.addEventListener("input", schedule);
  sortSelect.addEventListener("change", function () { run(currentState()); });
  box.addEventListener("change", function (event) {
    var t = event.target;
    if (t.name === "tag" || t.name === "match") {
      updateTagCount();
      run(currentState());
    }
  });
  box.addEventListener("keydown", onKey);
  more.addEventListener("click", loadMore);

  if (location.protocol === "file:") {
    api.ready = Promise.resolve();
    showProblem(new Error("file"));
    return;
  }
  renderTags({}, initial.tags);
  api.ready = (initial.q ? run(initial) : Promise.resolve()).then(function () {
    return loadPagefind().then(function (pagefind) { return pagefind.filters(); }).then(function (filters) {
      renderTags(filters, currentState().tags.length ? currentState().tags : initial.tags);
    });
  }).catch(function (error) { showProblem(error); });
  if (!initial.q) input.focus();
})();
