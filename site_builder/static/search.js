// 搜索 / Search: the site's only script. The static index in /search-index/ (no server;
// search-engine.js reads it), our own small UI: facets (OR within a facet, AND across
// facets), ranked results, highlighted matches. Record text is only ever inserted as
// text, never as HTML.
import { SearchIndex, highlight } from "./search-engine.js";

const PAGE = 20;
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusEl = document.getElementById("status");
const list = document.getElementById("results");
const moreButton = document.getElementById("more");
const clearButton = document.getElementById("clear-filters");
const facetSets = [...document.querySelectorAll("fieldset[data-facet]")];
const facetBox = document.getElementById("facet-box");
const facetCount = document.getElementById("facet-count");
// filters open beside the results on wide screens, folded above them on phones
if (window.matchMedia("(min-width: 52rem)").matches) facetBox.open = true;
const FACETS = facetSets.map((f) => f.dataset.facet);

const state = { selected: Object.fromEntries(FACETS.map((k) => [k, new Set()])), results: [], groups: [], shown: 0 };
const DEBOUNCE_MS = 150;
const EXCERPT = 90; // characters of an excerpt
let index;
let generation = 0;

function readUrl() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const key of FACETS) state.selected[key] = new Set(params.getAll(key));
}

function writeUrl() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  for (const key of FACETS) for (const v of state.selected[key]) params.append(key, v);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function filterArg() {
  const filters = {};
  for (const key of FACETS) if (state.selected[key].size) filters[key] = state.selected[key];
  return filters;
}

function facetLabel(key, value) {
  return key === "stars" ? `${"★".repeat(Number(value) || 0)} ${value} 星` : value;
}

function sortValues(key, counts) {
  const values = Object.keys(counts);
  if (key === "stars") return values.sort((a, b) => Number(b) - Number(a));
  return values.sort((a, b) => (counts[b] - counts[a]) || a.localeCompare(b, "zh"));
}

function renderFacets(counts) {
  for (const fs of facetSets) {
    const key = fs.dataset.facet;
    const values = counts[key] || {};
    const ul = fs.querySelector(".facet-options");
    ul.replaceChildren();
    // values with no result left are hidden (unless chosen, so they can be unticked)
    const keys = new Set([...sortValues(key, values).filter((v) => values[v] > 0),
      ...state.selected[key]]);
    for (const value of keys) {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = value;
      box.checked = state.selected[key].has(value);
      box.addEventListener("change", () => {
        if (box.checked) state.selected[key].add(value);
        else state.selected[key].delete(value);
        run();
      });
      const text = document.createElement("span");
      text.textContent = facetLabel(key, value);
      const n = document.createElement("span");
      n.className = "n";
      n.textContent = String(values[value] ?? 0);
      label.append(box, text, n);
      li.append(label);
      ul.append(li);
    }
    fs.hidden = keys.size === 0;
  }
  const chosen = FACETS.reduce((n, k) => n + state.selected[k].size, 0);
  clearButton.hidden = chosen === 0;
  facetCount.textContent = chosen ? `（${chosen}）` : "";
}

// Plain and marked parts of a text as nodes (textContent only: never parsed as HTML).
function markedNodes(parts) {
  return parts.map((part) => {
    const text = document.createTextNode(part.text);
    if (!part.mark) return text;
    const m = document.createElement("mark");
    m.append(text);
    return m;
  });
}

async function showMore(gen) {
  const slice = state.results.slice(state.shown, state.shown + PAGE);
  const data = await Promise.all(slice.map((id) => index.fragment(id)));
  if (gen !== generation) return;
  for (const d of data) {
    if (!d.u) continue;
    const li = document.createElement("li");
    const title = document.createElement("a");
    title.className = "result-title";
    title.href = d.u;
    title.append(...markedNodes(highlight(d.t || d.u, state.groups)));
    li.append(title);
    const info = document.createElement("p");
    info.className = "muted";
    info.textContent = d.i || "";
    li.append(info);
    if (d.x) {
      const p = document.createElement("p");
      p.append(...markedNodes(highlight(d.x, state.groups, EXCERPT)));
      li.append(p);
    }
    list.append(li);
  }
  state.shown += slice.length;
  moreButton.hidden = state.shown >= state.results.length;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function run({ debounce = false } = {}) {
  writeUrl();
  const gen = ++generation;
  const term = input.value.trim();
  const filters = filterArg();
  const anyFilter = Object.keys(filters).length > 0;
  if (!term && !anyFilter) {
    list.replaceChildren();
    moreButton.hidden = true;
    statusEl.textContent = "输入关键词或选择筛选条件。Type a search or choose a filter.";
    try {
      renderFacets((await index.search("", {})).counts);
    } catch (e) {
      statusEl.textContent = "搜索出错，请稍后重试。Search failed; please try again.";
    }
    return;
  }
  statusEl.textContent = "正在搜索… Searching…";
  if (debounce) await pause(DEBOUNCE_MS);
  if (gen !== generation) return;
  let search;
  try {
    search = await index.search(term, filters);
  } catch (e) {
    if (gen === generation) statusEl.textContent = "搜索出错，请稍后重试。Search failed; please try again.";
    return;
  }
  if (gen !== generation) return;
  state.results = search.results;
  state.groups = search.groups;
  state.shown = 0;
  list.replaceChildren();
  const n = search.results.length;
  renderFacets(search.counts);
  await showMore(gen);
  if (gen !== generation) return;
  // announced last, once results and facets are on the page
  statusEl.textContent = n
    ? `找到 ${n.toLocaleString("zh-CN")} 项结果。${n} result${n === 1 ? "" : "s"}.`
    : "没有找到结果。No results.";
}

async function start() {
  readUrl();
  try {
    index = await SearchIndex.open("/search-index/");
  } catch (e) {
    statusEl.textContent = "搜索索引无法加载。The search index could not be loaded.";
    return;
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  input.addEventListener("input", () => run({ debounce: true }));
  moreButton.addEventListener("click", () => showMore(generation));
  clearButton.addEventListener("click", () => {
    for (const k of FACETS) state.selected[k].clear();
    run();
  });
  await run();
}

start();
