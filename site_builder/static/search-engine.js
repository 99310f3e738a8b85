// 搜索引擎 / The search engine of the static site: reads /search-index/ (written by
// site_builder/search_index.py) and cuts text exactly as site_builder/search_terms.py does.
// No DOM here: search.js draws the page.

const RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+/g;
const KIND_TOMBSTONE = 4;
const MAX_QUERY = 200; // characters of a query that count (a pasted paragraph is cut)
const TOMBSTONE_FACTOR = 0.5; // abolished powers rank below those in force
const LOOSE_FACTOR = 0.5; // words found apart rank below words found together

export function normalize(text) {
  return text.normalize("NFKC").toLowerCase();
}

export function runs(text) {
  return normalize(text).match(RUN) || [];
}

const isCjk = (run) => run[0] >= "\u3400";

function bigrams(run) {
  const out = [];
  for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  return out;
}

// The terms of a document's text: the same list as search_terms.text_terms.
export function textTerms(text, { unigrams = false, prefixes = false } = {}) {
  const out = [];
  for (const run of runs(text)) {
    if (isCjk(run)) {
      if (run.length === 1) out.push(run);
      else {
        out.push(...bigrams(run));
        if (unigrams) out.push(...run);
      }
    } else {
      out.push(run);
      if (prefixes && /^[0-9]+$/.test(run)) for (let n = 4; n < run.length; n++) out.push(run.slice(0, n));
    }
  }
  return out;
}

export function fnv1a(term) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(term)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

// A query: one group per run. A group matches a document holding all its bigrams (the run
// stands there as written: "strict") or at least its two-character pieces (驾驶培训 →
// 驾驶 + 培训, so 驾驶员培训 is found too: "loose", ranked lower).
export function parseQuery(text) {
  const groups = [];
  for (const run of new Set(runs(text))) {
    if (isCjk(run) && run.length > 1) {
      const strict = [...new Set(bigrams(run))];
      const loose = new Set();
      for (let i = 0; i + 1 < run.length; i += 2) loose.add(run.slice(i, i + 2));
      if (run.length % 2) loose.add(run.slice(-2));
      groups.push({ run, strict, loose: [...loose] });
    } else groups.push({ run, strict: [run], loose: [run] });
  }
  return groups;
}

function decodeBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

// The index was rebuilt under this page (its meta.json is another index's).
export class StaleIndex extends Error {}

function decodeShard(buffer, token) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== "PWS2") throw new Error("not a search shard");
  if (String.fromCharCode(...bytes.subarray(4, 12)) !== token.padEnd(8, "-")) throw new StaleIndex();
  const count = view.getUint32(12, true);
  const decoder = new TextDecoder();
  const terms = new Map();
  let pos = 16;
  for (let t = 0; t < count; t++) {
    const n = bytes[pos];
    const term = decoder.decode(bytes.subarray(pos + 1, pos + 1 + n));
    pos += 1 + n;
    const width = bytes[pos];
    const size = view.getUint32(pos + 1, true);
    pos += 5;
    const ids = new Uint32Array(size);
    let id = 0;
    for (let i = 0; i < size; i++) {
      const gap = width === 1 ? bytes[pos + i] : width === 2 ? view.getUint16(pos + 2 * i, true)
        : view.getUint32(pos + 4 * i, true);
      id += gap;
      ids[i] = id;
    }
    pos += width * size;
    terms.set(term, { ids, weights: bytes.subarray(pos, pos + size) });
    pos += size;
  }
  return terms;
}

export class SearchIndex {
  constructor(base, meta) {
    this.base = base;
    this.load(meta);
  }

  load(meta) {
    this.meta = meta;
    this.table = decodeBase64(meta.table);
    this.view = new DataView(this.table.buffer);
    this.order = meta.order ? new Uint32Array(decodeBase64(meta.order).buffer) : null;
    this.shards = new Map();
    this.fragments = new Map();
  }

  // "no-cache" revalidates; after a stale shard, "reload" skips the browser's cache (a
  // server that knows only seconds may call a meta.json rewritten within one unmodified)
  static async fetchMeta(base, cache = "no-cache") {
    const response = await fetch(`${base}meta.json`, { cache });
    if (!response.ok) throw new Error(`search index: HTTP ${response.status}`);
    return response.json();
  }

  static async open(base = "/search-index/") {
    return new SearchIndex(base, await SearchIndex.fetchMeta(base));
  }

  get size() {
    return this.meta.ids;
  }

  kind(id) {
    return this.table[8 * id];
  }

  // value index (1-based, 0: none) of a single-valued facet, or the bit mask of levels
  facetCode(id, facet) {
    const o = 8 * id;
    switch (facet) {
      case "status": return this.table[o + 1];
      case "type": return this.table[o + 2];
      case "stars": return this.table[o + 3];
      case "level": return this.view.getUint16(o + 4, true);
      case "department": return this.view.getUint16(o + 6, true);
      default: return 0;
    }
  }

  async shard(n) {
    if (!this.shards.has(n)) {
      const loading = (async () => {
        const r = await fetch(`${this.base}s/${n}.bin?g=${this.meta.generation}`);
        if (!r.ok) throw new Error(`search index: HTTP ${r.status}`);
        return decodeShard(await r.arrayBuffer(), this.meta.token);
      })();
      this.shards.set(n, loading);
      loading.catch(() => this.shards.delete(n)); // a failed fetch is tried again next time
    }
    return this.shards.get(n);
  }

  async postings(term) {
    const shard = await this.shard(fnv1a(term) % this.meta.shards);
    return shard.get(term) || null;
  }

  // {u: URL, t: title, i: info line, x: excerpt text}, or {} when it cannot be had
  async fragment(id) {
    if (!this.fragments.has(id)) {
      const loading = fetch(`${this.base}f/${id}.json?g=${this.meta.generation}`)
        .then((r) => (r.ok ? r.json() : {}))
        .then((d) => (d.k === this.meta.token ? d : {}))
        .catch(() => ({}));
      this.fragments.set(id, loading);
      loading.then((d) => { if (!d.u) this.fragments.delete(id); });
    }
    return this.fragments.get(id);
  }

  // A search; when the index was rebuilt under the page, meta.json is read again once.
  async search(text, filters = {}) {
    try {
      return await this.searchOnce(text, filters);
    } catch (e) {
      if (!(e instanceof StaleIndex)) throw e;
      this.load(await SearchIndex.fetchMeta(this.base, "reload"));
      return this.searchOnce(text, filters);
    }
  }

  // filters: {facet: Set of value labels}. Returns ranked results, facet counts (each
  // facet counted as if its own choice were empty, so its other values stay offered).
  async searchOnce(text, filters = {}) {
    text = text.slice(0, MAX_QUERY);
    const groups = parseQuery(text);
    const n = this.size;
    let alive = new Uint8Array(n);
    const score = new Float64Array(n);
    // a query of punctuation alone matches nothing (no query at all browses by facet)
    const nothing = !groups.length && text.trim() !== "";
    if (!nothing) for (let id = 0; id < n; id++) alive[id] = this.kind(id) ? 1 : 0;
    if (groups.length) {
      const terms = [...new Set(groups.flatMap((g) => g.strict))];
      const lists = new Map(await Promise.all(terms.map(async (t) => [t, await this.postings(t)])));
      const documents = this.meta.documents;
      for (const g of groups) {
        const gscore = new Float64Array(n);
        const strictHits = new Uint16Array(n);
        const looseHits = new Uint16Array(n);
        const loose = new Set(g.loose);
        for (const t of g.strict) {
          const list = lists.get(t);
          if (!list) continue;
          const df = list.ids.length;
          const idf = Math.log(1 + (documents - df + 0.5) / (df + 0.5));
          const inLoose = loose.has(t);
          for (let i = 0; i < df; i++) {
            const id = list.ids[i];
            gscore[id] += idf * list.weights[i] / 255;
            strictHits[id]++;
            if (inLoose) looseHits[id]++;
          }
        }
        const next = new Uint8Array(n);
        for (let id = 0; id < n; id++) {
          if (!alive[id] || looseHits[id] < loose.size) continue;
          next[id] = 1;
          score[id] += gscore[id] * (strictHits[id] === g.strict.length ? 1 : LOOSE_FACTOR);
        }
        alive = next;
      }
    }
    // facets
    const facets = this.meta.facets;
    const chosen = {};
    for (const f of facets) {
      const wanted = filters[f] && filters[f].size ? filters[f] : null;
      if (!wanted) continue;
      const values = this.meta.values[f];
      if (f === "level") {
        let mask = 0;
        values.forEach((v, i) => { if (wanted.has(v)) mask |= 1 << i; });
        chosen[f] = { mask };
      } else {
        const codes = new Set();
        values.forEach((v, i) => { if (wanted.has(v)) codes.add(i + 1); });
        chosen[f] = { codes };
      }
    }
    const passes = (id, f) => {
      const c = chosen[f];
      if (!c) return true;
      const code = this.facetCode(id, f);
      return c.mask !== undefined ? (code & c.mask) !== 0 : c.codes.has(code);
    };
    const counts = Object.fromEntries(facets.map((f) => [f, new Map()]));
    const bump = (id, f) => {
      const code = this.facetCode(id, f);
      const m = counts[f];
      if (f === "level") {
        for (let bit = 0; bit < 16; bit++) if (code & (1 << bit)) m.set(bit + 1, (m.get(bit + 1) || 0) + 1);
      } else if (code) m.set(code, (m.get(code) || 0) + 1);
    };
    const results = [];
    const active = facets.filter((f) => chosen[f]);
    const ids = this.order && !groups.length ? this.order : null;
    for (let k = 0; k < n; k++) {
      const id = ids ? ids[k] : k;
      if (id === undefined || !alive[id]) continue;
      const failing = active.filter((f) => !passes(id, f));
      if (failing.length === 0) {
        results.push(id);
        for (const f of facets) bump(id, f);
      } else if (failing.length === 1) bump(id, failing[0]);
    }
    for (const id of results) if (this.kind(id) === KIND_TOMBSTONE) score[id] *= TOMBSTONE_FACTOR;
    if (groups.length) results.sort((a, b) => (score[b] - score[a]) || (a - b));
    const labelled = {};
    for (const f of facets) {
      labelled[f] = {};
      for (const [code, count] of counts[f]) labelled[f][this.meta.values[f][code - 1]] = count;
    }
    return { results, counts: labelled, groups };
  }
}

// Text split into plain and marked parts: the query's runs where they stand in the text,
// else its two-character pieces. ``window`` cuts an excerpt around the first match.
export function highlight(text, groups, window = 0) {
  const lower = text.toLowerCase();
  const marked = new Uint8Array(text.length);
  const mark = (needles) => {
    let any = false;
    for (const needle of needles) {
      if (!needle) continue;
      for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
        marked.fill(1, at, at + needle.length);
        any = true;
      }
    }
    return any;
  };
  if (!mark(groups.map((g) => g.run))) mark(groups.flatMap((g) => g.loose));
  let start = 0;
  let end = text.length;
  if (window && text.length > window) {
    const first = marked.indexOf(1);
    start = Math.max(0, (first === -1 ? 0 : first) - Math.floor(window / 3));
    end = Math.min(text.length, start + window);
  }
  const parts = [];
  if (start > 0) parts.push({ text: "…", mark: false });
  for (let i = start; i < end;) {
    let j = i;
    while (j < end && marked[j] === marked[i]) j++;
    parts.push({ text: text.slice(i, j), mark: marked[i] === 1 });
    i = j;
  }
  if (end < text.length) parts.push({ text: "…", mark: false });
  return parts;
}
