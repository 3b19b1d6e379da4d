// Shared by both pages: building DOM safely (text only, never HTML from the cluster), the live feed, clocks.

/** An element with properties, text and children; cluster data only ever goes in as text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/** The server's clock, so ages and durations agree with the cluster's timestamps. */
export const clock = {
  offset: 0,
  sync(serverNow) { this.offset = serverNow - Date.now() / 1000; },
  now() { return Date.now() / 1000 + this.offset; },
};

/** Follow a server feed: `handlers` maps event names to functions of the decoded payload. */
export function live(path, handlers) {
  const status = document.getElementById("live");
  const source = new EventSource(path);
  source.onopen = () => { status.textContent = "live"; status.className = "live on"; };
  source.onerror = () => {
    status.textContent = source.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…";
    status.className = "live off";
  };
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => handle(JSON.parse(event.data)));
  }
  return source;
}

/** `45s`, `3m 10s`, `2h 5m`, `4d 3h`. */
export function span(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const parts = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  for (let i = 0; i < parts.length; i++) {
    const [size, unit] = parts[i];
    if (s >= size || size === 1) {
      const first = `${Math.floor(s / size)}${unit}`;
      const [nextSize, nextUnit] = parts[i + 1] || [0, ""];
      const rest = nextSize ? Math.floor((s % size) / nextSize) : 0;
      return rest ? `${first} ${rest}${nextUnit}` : first;
    }
  }
  return "0s";
}

/** A time of day (with the date when it is not today). */
export function when(stamp) {
  if (!stamp) return "—";
  const date = new Date(stamp * 1000);
  const today = new Date().toDateString() === date.toDateString();
  const time = date.toLocaleTimeString([], { hour12: false });
  return today ? time : `${date.toLocaleDateString()} ${time}`;
}

/** The coloured badge of a job state. */
export function stateBadge(state) {
  const label = state || "New";
  return el("span", { class: `state s-${label.toLowerCase()}`, text: label, "data-state": label });
}

/** `Worker 1/2 ✓1` chips: running out of total, then succeeded and failed when there are any. */
export function replicaChips(replicas) {
  return replicas.map((r) => {
    const title = `${r.type}: ${r.active} running of ${r.total}, ${r.succeeded} succeeded, ${r.failed} failed`;
    return el(
      "span",
      { class: "replica", title },
      el("b", { text: r.type }),
      el("span", { class: "count", text: `${r.active}/${r.total}` }),
      r.succeeded ? el("span", { class: "ok", text: `✓${r.succeeded}` }) : null,
      r.failed ? el("span", { class: "bad", text: `✗${r.failed}` }) : null,
    );
  });
}

/** Age since creation and run time (start to finish, or to now while it runs). */
export function ageOf(job) { return job.created ? clock.now() - job.created : null; }
export function durationOf(job) {
  if (!job.started) return null;
  return (job.finished || clock.now()) - job.started;
}

/** The path of a job's page. */
export function jobPath(job) {
  return `/jobs/${[job.kind, job.namespace, job.name].map(encodeURIComponent).join("/")}`;
}
