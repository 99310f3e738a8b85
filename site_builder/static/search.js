// 搜索 / Search: the site's only script. Pagefind's API (static index, no server), our own
// small UI: facets (OR within a facet, AND across facets), ranked results, highlighted
// excerpts. Record text is only ever inserted as text, never as HTML.
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

const state = { selected: Object.fromEntries(FACETS.map((k) => [k, new Set()])), results: [], shown: 0 };
let pagefind;
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
  for (const key of FACETS) if (state.selected[key].size) filters[key] = { any: [...state.selected[key]] };
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

// Pagefind's excerpt is entity-encoded text with <mark> around matches: rebuild it as nodes.
function excerptNodes(excerpt) {
  const out = [];
  const decode = (s) => new DOMParser().parseFromString(`<!doctype html><body>${s}`, "text/html").body.textContent;
  let marked = false;
  for (const part of excerpt.split(/(<\/?mark>)/)) {
    if (part === "<mark>") { marked = true; continue; }
    if (part === "</mark>") { marked = false; continue; }
    const text = document.createTextNode(decode(part.replace(/<[^>]*>/g, "")));
    if (marked) {
      const m = document.createElement("mark");
      m.append(text);
      out.push(m);
    } else out.push(text);
  }
  return out;
}

async function showMore(gen) {
  const slice = state.results.slice(state.shown, state.shown + PAGE);
  const data = await Promise.all(slice.map((r) => r.data()));
  if (gen !== generation) return;
  for (const d of data) {
    const li = document.createElement("li");
    const title = document.createElement("a");
    title.className = "result-title";
    title.href = d.url;
    title.textContent = d.meta.title || d.url;
    li.append(title);
    const info = document.createElement("p");
    info.className = "muted";
    const bits = [d.meta.code, (d.filters.type || [])[0], (d.filters.department || [])[0], (d.filters.status || [])[0]];
    info.textContent = bits.filter(Boolean).join(" · ");
    li.append(info);
    const p = document.createElement("p");
    p.append(...excerptNodes(d.excerpt || ""));
    li.append(p);
    list.append(li);
  }
  state.shown += slice.length;
  moreButton.hidden = state.shown >= state.results.length;
}

async function run() {
  writeUrl();
  const gen = ++generation;
  const term = input.value.trim();
  const filters = filterArg();
  const anyFilter = Object.keys(filters).length > 0;
  if (!term && !anyFilter) {
    list.replaceChildren();
    moreButton.hidden = true;
    statusEl.textContent = "输入关键词或选择筛选条件。Type a search or choose a filter.";
    renderFacets(await pagefind.filters());
    return;
  }
  statusEl.textContent = "正在搜索… Searching…";
  const search = await pagefind.debouncedSearch(term || null, { filters }, 150);
  if (search === null || gen !== generation) return;
  state.results = search.results;
  state.shown = 0;
  list.replaceChildren();
  const n = search.results.length;
  renderFacets(search.filters);
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
    // The index lives in a content-addressed folder named by shards.json (see
    // site_builder/search_index.py); more than one bundle is merged.
    const manifest = await (await fetch("/pagefind/shards.json")).json();
    const [primary, ...others] = manifest.bundles;
    pagefind = await import(`${primary}pagefind.js`);
    await pagefind.options({ basePath: primary, excerptLength: 40 });
    for (const bundle of others) await pagefind.mergeIndex(bundle);
    pagefind.init();
    await pagefind.filters(); // loads the facet data: searches then count by facet
  } catch (e) {
    statusEl.textContent = "搜索索引无法加载。The search index could not be loaded.";
    return;
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  input.addEventListener("input", () => run());
  moreButton.addEventListener("click", () => showMore(generation));
  clearButton.addEventListener("click", () => {
    for (const k of FACETS) state.selected[k].clear();
    run();
  });
  await run();
}

start();
