// The job page: header, why it failed, conditions, pods over time, logs and events, all pushed by the server.
import { clock, durationOf, ageOf, el, live, replicaChips, span, stateBadge, when } from "./common.js";
import { drawPods, extended, legend } from "./podchart.js";

const MAX_LOG_LINES = 5000; // lines kept in the page; older ones scroll away
const FAILURE_LINES = 40;
const [kind, namespace, name] = location.pathname.split("/").slice(2).map(decodeURIComponent);
const $ = (id) => document.getElementById(id);

let page = null;
let chart = null;
let choice = null; // {pod, container, previous}: what the log panel shows
let chosenByUser = false;
const log = { source: null, key: "", lines: 0 };
const failureLog = { source: null, key: "" };

document.title = `${name} · ${kind} · training-operator`;
$("crumb").textContent = `${kind} ${namespace}/${name}`;
$("name").textContent = name;
legend($("legend"));

function logPath(pod, container, previous, extra = {}) {
  const query = new URLSearchParams({ container, ...(previous ? { previous: "1" } : {}), ...extra });
  return `/events/logs/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}?${query}`;
}

function renderHead(job) {
  $("state").replaceChildren(stateBadge(job.state));
  const facts = [
    ["Kind", job.kind], ["Namespace", job.namespace], ["Created", when(job.created)],
    ["Age", span(ageOf(job))], ["Duration", span(durationOf(job))],
  ];
  if (job.finished) facts.push(["Finished", when(job.finished)]);
  $("facts").replaceChildren(...facts.map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: v, class: k.toLowerCase() }))));
  $("replicas").replaceChildren(...replicaChips(job.replicas));
}

function renderConditions(conditions, created) {
  const items = conditions.map((c) => el(
    "li",
    { class: `c-${c.type.toLowerCase()} ${c.status === "True" ? "true" : ""}`, title: `${c.type}=${c.status}` },
    el("div", { class: "type", text: c.type }),
    el("div", { class: "when", text: c.at ? `${when(c.at)} · +${span(c.at - created)}` : "" }),
    el("div", { class: "why", text: [c.reason, c.message].filter(Boolean).join(": ") }),
  ));
  $("conditions").replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: "No conditions yet: the operator has not seen the job." })]));
}

function renderEvents(events) {
  const rows = events.map((e) => el(
    "tr",
    { class: e.type === "Warning" ? "warning" : "" },
    el("td", { class: "time", text: when(e.at) }),
    el("td", { class: "type", text: e.type }),
    el("td", { text: e.reason }),
    el("td", { class: "object", text: e.object }),
    el("td", {}, e.message, e.count > 1 ? el("span", { class: "times", text: ` ×${e.count}` }) : null),
  ));
  $("events").tBodies[0].replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 5, class: "muted", text: "No events." }))]));
}

function mainContainer(pod) {
  const names = pod.containers.map((c) => c.name);
  return names.includes(page.defaultContainer) ? page.defaultContainer : names[0];
}

function choose() {
  const pods = page.pods;
  const f = page.failure;
  if (!chosenByUser && f) choice = { pod: f.pod, container: f.container, previous: f.previous };
  if (!choice || !pods.some((p) => p.name === choice.pod)) {
    const pod = pods.find((p) => p.phase !== "Pending") || pods[0];
    choice = pod ? { pod: pod.name, container: mainContainer(pod), previous: false } : null;
  }
}

function renderTabs() {
  const tabs = page.pods.map((pod) => {
    const restarts = pod.containers.reduce((n, c) => n + c.restarts, 0);
    const tab = el(
      "button",
      { class: "tab", role: "tab", "data-pod": pod.name, "aria-selected": String(choice?.pod === pod.name), title: `${pod.name}: ${pod.phase}` },
      el("span", { class: `dot p-${pod.phase.toLowerCase()}` }),
      pod.replica,
      restarts ? el("span", { class: "restarts", text: `↻${restarts}` }) : null,
    );
    tab.addEventListener("click", () => {
      chosenByUser = true;
      choice = { pod: pod.name, container: mainContainer(pod), previous: false };
      refresh();
    });
    return tab;
  });
  $("pods").replaceChildren(...tabs);
  renderTools();
}

function renderTools() {
  const pod = page.pods.find((p) => p.name === choice?.pod);
  if (!pod) { $("log-tools").replaceChildren(); return; }
  const parts = [el("span", { text: pod.name })];
  if (pod.containers.length > 1) {
    const select = el("select", { "aria-label": "Container" }, ...pod.containers.map((c) => el("option", { value: c.name, text: c.name })));
    select.value = choice.container;
    select.addEventListener("change", () => { chosenByUser = true; choice = { ...choice, container: select.value, previous: false }; refresh(); });
    parts.push(el("label", {}, "container", select));
  }
  const restarts = pod.containers.find((c) => c.name === choice.container)?.restarts || 0;
  if (restarts) {
    const box = el("input", { type: "checkbox", checked: choice.previous });
    box.addEventListener("change", () => { chosenByUser = true; choice = { ...choice, previous: box.checked }; refresh(); });
    parts.push(el("label", {}, box, "previous run"));
  }
  $("log-tools").replaceChildren(...parts);
}

function appendLog(target, lines, className) {
  const near = target.scrollHeight - target.scrollTop - target.clientHeight < 40;
  target.append(className ? el("span", { class: className, text: lines.join("\n") + "\n" }) : lines.join("\n") + "\n");
  if (target === $("log")) {
    log.lines += lines.length;
    while (log.lines > MAX_LOG_LINES && target.firstChild) {
      log.lines -= (target.firstChild.textContent.match(/\n/g) || []).length;
      target.firstChild.remove();
    }
  }
  if (near) target.scrollTop = target.scrollHeight;
}

function follow(state, target, path, { onEnd } = {}) {
  if (state.source) state.source.close();
  const source = new EventSource(path);
  state.source = source;
  source.addEventListener("reset", () => { target.replaceChildren(); if (state === log) log.lines = 0; });
  source.addEventListener("lines", (e) => appendLog(target, JSON.parse(e.data)));
  source.addEventListener("problem", (e) => appendLog(target, [JSON.parse(e.data)], "problem"));
  source.addEventListener("end", () => { source.close(); if (onEnd) onEnd(); });
}

function idle(message) {
  $("log").classList.add("idle");
  $("log").replaceChildren(el("span", { class: "info", text: message }));
}

function openLog() {
  const pod = page.pods.find((p) => p.name === choice?.pod);
  if (!pod) {
    const gone = page.job.finished ? "The job's pods have been deleted." : "No pods yet.";
    if (log.source) log.source.close();
    log.key = "";
    idle(gone);
    $("log-status").textContent = "";
    return;
  }
  const restarts = pod.containers.find((c) => c.name === choice.container)?.restarts || 0;
  if (pod.phase === "Pending" && !choice.previous) {
    if (log.key !== "pending") idle(`${pod.name} has not started yet.`);
    log.key = "pending";
    if (log.source) log.source.close();
    return;
  }
  const key = [pod.name, choice.container, choice.previous, choice.previous ? 0 : restarts].join("/");
  if (key === log.key) return;
  log.key = key;
  $("log").classList.remove("idle");
  $("log-status").textContent = choice.previous ? "previous run" : "following";
  follow(log, $("log"), logPath(pod.name, choice.container, choice.previous), {
    onEnd: () => { $("log-status").textContent = "log ended"; },
  });
}

function renderFailure(f) {
  $("failure").hidden = !f;
  if (!f) return;
  const what = $("failure-what");
  what.replaceChildren(
    el("code", { text: f.pod }), " container ", el("code", { text: f.container }),
    ` exited with code ${f.exitCode}`, f.reason ? ` (${f.reason})` : "", f.at ? ` at ${when(f.at)}` : "",
    f.message ? `: ${f.message}` : "", `. Its last lines:`,
  );
  const key = [f.pod, f.container, f.previous, f.at, Boolean(f.lines)].join("/");
  if (key === failureLog.key) return;
  failureLog.key = key;
  if (f.lines) { // read by the server as soon as the run failed: the pod may be gone by now
    if (failureLog.source) failureLog.source.close();
    $("failure-lines").replaceChildren(f.lines.length ? f.lines.join("\n") + "\n" : el("span", { class: "info", text: "(the container printed nothing)" }));
    return;
  }
  if (!page.pods.some((p) => p.name === f.pod)) {
    if (failureLog.source) failureLog.source.close();
    $("failure-lines").replaceChildren(el("span", { class: "info", text: "The pod was deleted before its log could be read." }));
    return;
  }
  follow(failureLog, $("failure-lines"), logPath(f.pod, f.container, f.previous, { follow: "0", tail: String(FAILURE_LINES) }));
}

function refresh() {
  choose();
  renderTabs();
  openLog();
}

function drawChart() {
  chart = drawPods(chart, $("chart"), $("chart-note"), extended(page.chart, clock.now()), page.job.state);
}

function render(data) {
  clock.sync(data.now);
  page = data;
  if (!data.job) {
    $("state").replaceChildren(stateBadge("Not found"));
    $("facts").replaceChildren(el("div", { class: "muted", text: "This job does not exist (yet, or any more); the page updates when it appears." }));
    return;
  }
  renderHead(data.job);
  renderFailure(data.failure);
  renderConditions(data.conditions, data.job.created);
  drawChart();
  renderEvents(data.events);
  refresh();
}

live(`/events/jobs/${[kind, namespace, name].map(encodeURIComponent).join("/")}`, { state: render });
// the clock moves in the page between pushes: ages grow, and bars of what is still going on reach "now"
setInterval(() => {
  if (!page?.job) return;
  document.querySelector("#facts .age")?.replaceChildren(span(ageOf(page.job)));
  document.querySelector("#facts .duration")?.replaceChildren(span(durationOf(page.job)));
  if (!page.job.finished) drawChart();
}, 1000);
