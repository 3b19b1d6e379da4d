// The pods-over-time chart, drawn by Chart.js (bundled at build time, see hatch_build.py): one row per
// replica, floating horizontal bars per phase, restarts and failures as point marks, and the moments the job
// became Running and finished as dashed lines across all rows.
import { el, span, when } from "./common.js";

export const PHASES = {
  Pending: "#cbd5e1",
  Running: "#3b82f6",
  Restarting: "#f59e0b",
  Succeeded: "#22c55e",
  Failed: "#ef4444",
};
const MARKS = {
  // a restart follows a failure at once, so the cross is drawn smaller, over the larger triangle
  restart: { label: "Restart", style: "triangle", color: "#b45309", fill: "#fbbf24", radius: 9 },
  failure: { label: "Failure", style: "crossRot", color: "#b91c1c", fill: "#b91c1c", radius: 6 },
};
const ROW_HEIGHT = 30;
const AXES_HEIGHT = 80;

// Dashed vertical lines with a label at the top; the list comes in as this plugin's options.
const moments = {
  id: "moments",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    for (const moment of options.list || []) {
      const x = scales.x.getPixelForValue(moment.at);
      if (x < chartArea.left - 1 || x > chartArea.right + 1) continue;
      ctx.strokeStyle = ctx.fillStyle = moment.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = "600 11px system-ui, sans-serif";
      ctx.textAlign = x > chartArea.left + chartArea.width * 0.85 ? "right" : x < chartArea.left + 40 ? "left" : "center";
      ctx.fillText(moment.label, x, chartArea.top - 7);
    }
    ctx.restore();
  },
};

// whole, readable steps (1s … 1d) so that about eight ticks span the run
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
function step(range) {
  return STEPS.find((s) => range / s <= 8) || Math.ceil(range / 8 / 86400) * 86400;
}

function offset(seconds) {
  return seconds <= 0 ? "0" : `+${span(seconds)}`;
}

export function legend(box) {
  box.replaceChildren(
    ...Object.entries(PHASES).map(([phase, color]) => el("span", {}, swatch(color), phase)),
    ...Object.values(MARKS).map((m) => el("span", {}, mark(m), m.label)),
    el("span", {}, line("#2563eb"), "became Running"),
    el("span", {}, line("#374151"), "finished"),
  );
}

function swatch(color) {
  const i = el("i");
  i.style.background = color;
  return i;
}

function mark(m) {
  const i = el("i", { class: "mark", text: m.style === "triangle" ? "▲" : "✕" });
  i.style.color = m.color;
  return i;
}

function line(color) {
  const i = el("i", { class: "line" });
  i.style.borderColor = color;
  return i;
}

function datasets(data) {
  const t0 = data.start;
  const bars = Object.entries(PHASES).map(([phase, color]) => ({
    type: "bar",
    label: phase,
    indexAxis: "y",
    grouped: false,
    backgroundColor: color,
    borderRadius: 3,
    borderSkipped: false,
    barPercentage: 0.62,
    categoryPercentage: 1,
    data: data.rows.flatMap((row) => row.segments.filter((s) => s.phase === phase)
      .map((s) => ({ x: [s.start - t0, s.end - t0], y: row.replica, segment: s }))),
  }));
  const marks = Object.entries(MARKS).map(([kind, m]) => ({
    type: "scatter",
    label: m.label,
    pointStyle: m.style,
    pointRadius: m.radius,
    pointHoverRadius: m.radius + 2,
    borderWidth: kind === "failure" ? 3 : 1,
    borderColor: m.color,
    backgroundColor: m.fill,
    clip: false, // a mark at the very start or end is drawn whole
    data: data.rows.flatMap((row) => row.marks.filter((mark) => mark.kind === kind)
      .map((mark) => ({ x: mark.at - t0, y: row.replica, mark }))),
  }));
  return [...marks.reverse(), ...bars]; // marks first, failures first of all: drawn on top
}

function momentList(data, state) {
  const list = [];
  if (data.running) list.push({ at: data.running - data.start, label: "Running", color: "#2563eb" });
  if (data.finished) list.push({ at: data.finished - data.start, label: state || "finished", color: state === "Failed" ? "#b91c1c" : "#374151" });
  return list;
}

function tooltip(item) {
  const raw = item.raw;
  if (raw.mark) return `${raw.mark.detail} at ${when(raw.mark.at)}`;
  const s = raw.segment;
  return `${s.phase}: ${when(s.start)} – ${when(s.end)} (${span(s.end - s.start)})`;
}

function options(data, state) {
  return {
    animation: false,
    maintainAspectRatio: false,
    responsive: true,
    interaction: { mode: "nearest", intersect: true },
    layout: { padding: { top: 20, right: 8 } }, // room for the moments' labels above the rows
    scales: {
      x: {
        type: "linear",
        min: 0,
        max: Math.max(1, data.end - data.start),
        position: "bottom",
        grid: { color: "#eef2f7" },
        border: { display: false },
        ticks: { callback: offset, color: "#6b7280", stepSize: step(data.end - data.start) },
        title: { display: true, text: "time since the job was created", color: "#9ca3af", font: { size: 11 } },
      },
      y: {
        type: "category",
        labels: data.rows.map((row) => row.replica),
        offset: true,
        grid: { display: false },
        border: { color: "#e5e7eb" },
        ticks: { color: "#374151", font: { family: "ui-monospace, monospace", size: 12 } },
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: { callbacks: { label: tooltip, title: (items) => items[0]?.raw?.y ?? "" } },
      moments: { list: momentList(data, state) },
    },
  };
}

/** A copy of the chart data whose open segments (those that reached the server's `now`) reach `now`. */
export function extended(data, now) {
  if (data.finished || now <= data.end) return data;
  const open = (s) => (s.end >= data.end ? { ...s, end: now } : s);
  return { ...data, end: now, rows: data.rows.map((row) => ({ ...row, segments: row.segments.map(open) })) };
}

/** Draw or update the chart in `canvas` (its parent sets the height); `note` explains what is not shown. */
export function drawPods(chart, canvas, note, data, state) {
  if (!window.Chart) {
    note.textContent = "This install has no chart library (it was built offline); the rows below are still live.";
    return chart;
  }
  const rows = data.rows.length;
  canvas.parentElement.style.height = `${Math.max(2, rows) * ROW_HEIGHT + AXES_HEIGHT}px`;
  note.textContent = rows === 0 ? "No pods yet." : data.hidden ? `${data.hidden} more replicas are not drawn.` : "";
  if (!chart) {
    return new window.Chart(canvas, { data: { datasets: datasets(data) }, options: options(data, state), plugins: [moments] });
  }
  chart.data.datasets = datasets(data);
  chart.options = options(data, state);
  chart.update("none");
  return chart;
}
