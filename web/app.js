// NBA Trade Tracker news page: talks only to the public API (GET /stories, /teams, /sources) of
// its own origin (`tracker serve`, or CloudFront in front of the page bucket and the API), so it
// runs under a CSP of connect-src 'self'. One card per story (its first report, then "also
// reported by" the others), filters (category, source or team; a team chip filters by its team),
// cursor paging, JST switch, evidence on hover/focus, a feed status line, and an auto-refresh
// that prepends new stories (and updates shown ones) without moving what the reader is looking
// at. Feed text is only ever set as text, and a link becomes an href only when it is http(s).
"use strict";

const PAGE = 20;
const REFRESH_MS = 60_000;

const list = document.getElementById("news");
const more = document.getElementById("load-more");
const statusLine = document.getElementById("status");
const sourcesLine = document.getElementById("sources");
const sourceSelect = document.getElementById("source");
const teamSelect = document.getElementById("team");
const zoneSelect = document.getElementById("zone");
const template = document.getElementById("card");

// shown: story id -> its card.
const state = { category: "", source: "", team: "", cursor: null, shown: new Map(), sources: new Set(), loading: false };

function query(extra = {}) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (state.category) q.set("category", state.category);
  if (state.source) q.set("source", state.source);
  if (state.team) q.set("team", state.team);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return `/stories?${q}`;
}

async function fetchPage(cursor) {
  const response = await fetch(query({ cursor }), { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

function formatTime(iso) {
  if (!iso) return "time unknown";
  const zone = zoneSelect.value === "local" ? undefined : zoneSelect.value;
  const text = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone }).format(new Date(iso));
  return zone === "Asia/Tokyo" ? `${text} JST` : text;
}

function evidenceText(item) {
  if (!item.evidence?.length) return `${item.category}: no feature stood out`;
  const parts = item.evidence.map((e) => `${e.weight > 0 ? "+" : ""}${e.weight} ${e.category} "${e.phrase}" (${e.in})`);
  return `${item.category} because: ${parts.join("; ")}`;
}

// The link as an absolute http(s) URL, or null: never a javascript:, data: or other scheme.
function safeLink(link) {
  try {
    const url = new URL(link);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function card(story) {
  const item = story.item;
  const node = template.content.firstElementChild.cloneNode(true);
  node.dataset.id = item.id;
  node.dataset.story = story.story_id;
  node.dataset.version = JSON.stringify(story);
  const badge = node.querySelector(".badge");
  badge.textContent = item.category;
  badge.dataset.category = item.category;
  badge.title = evidenceText(item);
  badge.setAttribute("aria-label", badge.title);
  node.querySelector(".source").textContent = item.source;
  const time = node.querySelector("time");
  const when = item.published_at ?? item.fetched_at;
  time.dateTime = when;
  time.dataset.iso = when;
  time.textContent = formatTime(when);
  const link = node.querySelector(".title");
  link.textContent = item.title || "(untitled)";
  const href = item.link ? safeLink(item.link) : null;
  if (href) link.href = href; else link.removeAttribute("href");
  node.querySelector(".summary").textContent = item.summary;
  const others = (story.reports ?? []).filter((r) => r.id !== item.id);
  if (others.length) {
    const reporters = node.querySelector(".reporters");
    others.forEach((report, n) => {
      const href = report.link ? safeLink(report.link) : null;
      const name = document.createElement(href ? "a" : "span");
      name.textContent = report.source;
      name.title = report.title;
      if (href) { name.href = href; name.rel = "noopener"; name.target = "_blank"; }
      reporters.append(...(n ? [", ", name] : [name]));
    });
    node.querySelector(".also").hidden = false;
  }
  const teams = node.querySelector(".teams");
  for (const code of item.teams ?? []) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.team = code;
    chip.textContent = code;
    chip.title = `Only ${teamSelect.querySelector(`option[value="${CSS.escape(code)}"]`)?.textContent ?? code} news`;
    const entry = document.createElement("li");
    entry.append(chip);
    teams.append(entry);
  }
  return node;
}

// The 30 teams for the filter; the page works without them (chips still filter).
async function loadTeams() {
  try {
    const response = await fetch("/teams", { headers: { accept: "application/json" } });
    if (!response.ok) return;
    for (const team of await response.json()) teamSelect.append(new Option(`${team.name} (${team.code})`, team.code));
  } catch {
    // The select keeps "All teams" only.
  }
}

// A team and a source cannot be combined (the API answers each with an index): choosing one
// clears the other.
function applyFilters(changed) {
  if (changed === teamSelect && teamSelect.value) sourceSelect.value = "";
  if (changed === sourceSelect && sourceSelect.value) teamSelect.value = "";
  state.category = document.querySelector('input[name="category"]:checked').value;
  state.source = sourceSelect.value;
  state.team = teamSelect.value;
  state.cursor = null;
  load(true);
}

function rememberSources(names) {
  for (const name of names) {
    if (!name || state.sources.has(name)) continue;
    state.sources.add(name);
    sourceSelect.append(new Option(name, name));
  }
}

function ago(iso) {
  if (!iso) return "never";
  const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

// One entry per feed: its name, status and last success (the error when failing).
async function loadSources() {
  try {
    const response = await fetch("/sources", { headers: { accept: "application/json" } });
    if (!response.ok) return;
    const feeds = await response.json();
    rememberSources(feeds.map((f) => f.source));
    sourcesLine.replaceChildren(...feeds.map((feed) => {
      const entry = document.createElement("span");
      entry.dataset.status = feed.status;
      entry.dataset.feed = feed.feed;
      const name = feed.source ?? feed.feed;
      const detail = feed.status === "failing"
        ? `failing (${feed.consecutive_failures}): ${feed.last_error ?? "unknown error"}`
        : `${feed.status === "ok" ? "ok" : "stale"}, updated ${ago(feed.last_success_at)}`;
      entry.textContent = `${name}: ${detail}`;
      return entry;
    }));
  } catch {
    // The status line stays as it was.
  }
}

function setStatus(text) { statusLine.textContent = text; }

function shownStatus() {
  setStatus(state.shown.size ? `${state.shown.size} stories shown` : "No news yet for these filters.");
}

// Each listing is asked under the filters of its generation: a filter change starts a new one,
// and an answer to an older one is dropped (it holds stories of other filters).
let generation = 0;

async function load(reset) {
  if (reset) generation += 1;
  else if (state.loading) return;
  const mine = generation;
  state.loading = true;
  more.disabled = true;
  try {
    const page = await fetchPage(reset ? null : state.cursor);
    if (mine !== generation) return;
    if (reset) { list.replaceChildren(); state.shown.clear(); }
    const fresh = page.items.filter((s) => !state.shown.has(s.story_id));
    const cards = fresh.map((s) => { const node = card(s); state.shown.set(s.story_id, node); return node; });
    list.append(...cards);
    rememberSources(page.items.flatMap((s) => s.sources ?? []));
    state.cursor = page.next_cursor;
    more.hidden = !state.cursor;
    shownStatus();
  } catch (err) {
    if (mine === generation) setStatus(`Could not load news: ${err.message}`);
  } finally {
    if (mine === generation) {
      state.loading = false;
      more.disabled = false;
    }
  }
}

// New stories go on top and changed ones are redrawn in place (a new report joins its card;
// an unchanged card stays, and keeps the focus); the page is scrolled by the height they add,
// so the reader stays put.
async function refresh() {
  loadSources();
  if (state.loading || document.hidden) return;
  const mine = generation;
  try {
    const page = await fetchPage(null);
    if (mine !== generation || state.loading) return;
    const before = document.documentElement.scrollHeight;
    const atTop = window.scrollY < 10;
    const fresh = [];
    for (const story of page.items) {
      const node = card(story);
      const shown = state.shown.get(story.story_id);
      if (shown?.dataset.version === node.dataset.version) continue;
      if (shown) shown.replaceWith(node); else fresh.push(node);
      state.shown.set(story.story_id, node);
    }
    rememberSources(page.items.flatMap((s) => s.sources ?? []));
    if (!fresh.length) {
      if (statusLine.textContent.startsWith("Refresh failed")) shownStatus();
      return;
    }
    list.prepend(...fresh);
    if (!atTop) window.scrollBy(0, document.documentElement.scrollHeight - before);
    setStatus(`${fresh.length} new stor${fresh.length === 1 ? "y" : "ies"} · ${state.shown.size} shown`);
  } catch (err) {
    if (mine === generation) setStatus(`Refresh failed: ${err.message}`);
  }
}

document.getElementById("controls").addEventListener("change", (event) => {
  if (event.target.name === "category" || event.target === sourceSelect || event.target === teamSelect) {
    applyFilters(event.target);
  } else if (event.target === zoneSelect) {
    for (const time of list.querySelectorAll("time")) time.textContent = formatTime(time.dataset.iso);
  }
});
list.addEventListener("click", (event) => {
  const chip = event.target.closest(".chip");
  if (!chip) return;
  if (!teamSelect.querySelector(`option[value="${CSS.escape(chip.dataset.team)}"]`)) {
    teamSelect.append(new Option(chip.dataset.team, chip.dataset.team));
  }
  teamSelect.value = chip.dataset.team;
  applyFilters(teamSelect);
});
more.addEventListener("click", () => load(false));
loadTeams();
loadSources();
setInterval(refresh, REFRESH_MS);
load(true);
