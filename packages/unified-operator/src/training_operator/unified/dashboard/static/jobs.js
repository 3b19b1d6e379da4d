// The jobs page: every job of every kind, filtered in the page, updated by the server's pushes.
import { ageOf, clock, durationOf, el, jobPath, live, replicaChips, span, stateBadge } from "./common.js";

const STATES = ["New", "Created", "Running", "Restarting", "Succeeded", "Failed", "Suspended"];
const jobs = new Map();
const rows = new Map();
let kinds = {};

const body = document.querySelector("#jobs tbody");
const empty = document.getElementById("empty");
const filters = {
  namespace: document.getElementById("namespace"),
  kind: document.getElementById("kind"),
  state: document.getElementById("state"),
  q: document.getElementById("search"),
};

// filters live in the URL, so a filtered view can be bookmarked or shared
const wanted = new URLSearchParams(location.search);
for (const [name, input] of Object.entries(filters)) {
  input.value = wanted.get(name) || "";
  input.addEventListener("input", () => {
    const query = new URLSearchParams();
    for (const [key, field] of Object.entries(filters)) if (field.value) query.set(key, field.value);
    history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
    render();
  });
}

function options(select, values) {
  const chosen = select.value || new URLSearchParams(location.search).get(select.id) || "";
  const all = [...new Set([...values, ...(chosen ? [chosen] : [])])].sort();
  const current = [...select.options].slice(1).map((o) => o.value);
  if (current.join("\n") === all.join("\n")) return;
  select.replaceChildren(el("option", { value: "", text: "all" }), ...all.map((v) => el("option", { value: v, text: v })));
  select.value = chosen;
}

function matches(job) {
  const state = job.state || "New";
  return (!filters.namespace.value || job.namespace === filters.namespace.value)
    && (!filters.kind.value || job.kind === filters.kind.value)
    && (!filters.state.value || state === filters.state.value)
    && (!filters.q.value || job.name.includes(filters.q.value));
}

function row(job) {
  let tr = rows.get(job.key);
  if (!tr) {
    tr = el("tr", { "data-key": job.key });
    rows.set(job.key, tr);
  }
  const cells = [
    el("td", { class: "name" }, el("a", { href: jobPath(job), text: job.name })),
    el("td", { text: job.kind }),
    el("td", { text: job.namespace }),
    el("td", { class: "state-cell" }, stateBadge(job.state)),
    el("td", {}, el("span", { class: "replicas" }, ...replicaChips(job.replicas))),
    el("td", { class: "num age", text: span(ageOf(job)) }),
    el("td", { class: "num duration", text: span(durationOf(job)) }),
  ];
  // replace cells only when something shown changed, so hovering and selecting text survive updates
  const signature = JSON.stringify([job.state, job.replicas, job.started, job.finished]);
  if (tr.dataset.signature !== signature) {
    tr.replaceChildren(...cells);
    tr.dataset.signature = signature;
  }
  return tr;
}

function render() {
  options(filters.namespace, [...jobs.values()].map((j) => j.namespace));
  options(filters.kind, [...Object.keys(kinds), ...[...jobs.values()].map((j) => j.kind)]);
  options(filters.state, STATES);
  const shown = [...jobs.values()].filter(matches).sort((a, b) => (b.created || 0) - (a.created || 0) || a.key.localeCompare(b.key));
  const keep = new Set(shown.map((j) => j.key));
  for (const [key, tr] of rows) if (!keep.has(key)) { tr.remove(); rows.delete(key); }
  shown.forEach((job, index) => {
    const tr = row(job);
    if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
  });
  empty.hidden = shown.length > 0;
  empty.textContent = jobs.size ? "No job matches these filters." : "No jobs yet. They appear here as soon as they are created.";
  totals();
  kindsLine();
}

function totals() {
  const counts = new Map();
  for (const job of jobs.values()) if (matches(job)) counts.set(job.state || "New", (counts.get(job.state || "New") || 0) + 1);
  const box = document.getElementById("totals");
  box.replaceChildren(...STATES.filter((s) => counts.has(s)).map((s) => {
    const badge = stateBadge(s);
    badge.textContent = `${counts.get(s)} ${s}`;
    return badge;
  }));
}

function kindsLine() {
  const parts = Object.entries(kinds).sort().map(([kind, scope]) => `${kind}: ${scope}`);
  document.getElementById("kinds").textContent = parts.length ? `Watching ${parts.join(" · ")}` : "";
}

function tick() {
  for (const [key, tr] of rows) {
    const job = jobs.get(key);
    if (!job) continue;
    tr.querySelector(".age").textContent = span(ageOf(job));
    tr.querySelector(".duration").textContent = span(durationOf(job));
  }
}

live("/events/jobs", {
  snapshot(data) {
    clock.sync(data.now);
    jobs.clear();
    for (const job of data.jobs) jobs.set(job.key, job);
    kinds = data.kinds;
    render();
  },
  changes(data) {
    clock.sync(data.now);
    for (const job of data.upserts) jobs.set(job.key, job);
    for (const key of data.deletes) jobs.delete(key);
    if (data.kinds) kinds = data.kinds;
    render();
  },
});
setInterval(tick, 1000); // ages tick in the page; data only ever arrives pushed
