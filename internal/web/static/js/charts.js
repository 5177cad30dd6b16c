// The dashboard's charts, drawn with the vendored Chart.js (window.Chart,
// loaded by a classic <script> before the modules run).
//
// Colours come from the CSS custom properties in app.css, so the charts
// follow the light/dark theme; retheme() re-reads them when the theme
// setting changes. Every colour option is a function of `theme` rather than
// a fixed string: Chart.js caches resolved plain options between updates,
// and a cached dark colour would survive the switch back to light.
//
// Until a chart has data its axes are hidden: an empty Chart.js scale runs
// from 0 to 1, which would read "1 B" or, on the live chart's time axis,
// "1796397627s" (the seconds since 1970) — numbers that look real and are
// not. The card's placeholder (app.css) stands in until then.
//
// Every chart also has a text equivalent in the page (a table or a summary
// line) for screen readers, so the canvases are aria-hidden decoration.

import { formatBytes, formatBytesShort, formatSpeed } from './format.js';

const { Chart } = window;

const charts = new Set();

// Bars and the doughnut animate their changes unless the viewer asked the
// system for less motion.
const motion = () => (window.matchMedia('(prefers-reduced-motion: reduce)').matches ? false : { duration: 250 });

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function palette() {
  return {
    fg: css('--fg'),
    muted: css('--muted'),
    grid: css('--grid'),
    down: css('--down'),
    up: css('--up'),
    downFill: css('--down-fill'),
    upFill: css('--up-fill'),
    bad: css('--bad'),
    font: css('--font-sans'),
  };
}

let theme = null; // the current palette(); read by the colour functions below

function applyDefaults() {
  theme = palette();
  Chart.defaults.color = theme.muted;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = theme.font;
  Chart.defaults.font.size = 12;
}

// Colour options: functions, so Chart.js asks for the current theme's colour at every draw.
const c = {
  fg: () => theme.fg,
  muted: () => theme.muted,
  grid: () => theme.grid,
  down: () => theme.down,
  up: () => theme.up,
  downFill: () => theme.downFill,
  upFill: () => theme.upFill,
  bad: () => theme.bad,
};

/** Re-read the theme colours and redraw every chart (the theme changed: js/theme.js). */
export function retheme() {
  applyDefaults();
  for (const chart of charts) chart.update('none');
}

function make(canvas, config) {
  if (!theme) applyDefaults();
  const chart = new Chart(canvas, config);
  charts.add(chart);
  return chart;
}

// Tooltips show exact values in the API's format.
const bytesTooltip = {
  callbacks: {
    label: (ctx) => `${ctx.dataset.label}: ${formatBytes(ctx.parsed.y ?? ctx.parsed)}`,
  },
};

/**
 * Options of the charts with one point (or bar) per label: sized by their
 * box, no legend, and a tooltip for all datasets at the hovered label, in
 * bytes, headed by the label's title (chart.$pbTitles, set with the data).
 * tooltip adds options and callbacks to that tooltip.
 */
const titledOptions = (getChart, animation, tooltip = {}) => ({
  animation,
  responsive: true,
  maintainAspectRatio: false,
  interaction: { mode: 'index', intersect: false },
  plugins: {
    legend: { display: false },
    tooltip: {
      ...bytesTooltip,
      ...tooltip,
      callbacks: {
        ...bytesTooltip.callbacks,
        title: (items) => items[0] && getChart().$pbTitles[items[0].dataIndex],
        ...tooltip.callbacks,
      },
    },
  },
});

// Whole bytes only (precision 0: no "0.2 B" ticks rounded to "0 B", "1 B"
// repeated), and an all-zero period still gets a readable 0–1 KB scale.
const bytesAxis = () => ({
  beginAtZero: true,
  suggestedMax: 1000,
  ticks: { color: c.muted, callback: (v) => formatBytesShort(v), maxTicksLimit: 6, precision: 0 },
  grid: { color: c.grid },
});

/** Show a chart's axes: it has data now. */
function showAxes(chart) {
  for (const scale of Object.values(chart.options.scales)) scale.display = true;
}

// ---- live speed ---------------------------------------------------------

/**
 * The rolling 60-second live chart. x is epoch milliseconds on a linear
 * axis (no date adapter needed); the tick labels say how long ago.
 */
export function liveChart(canvas, windowMs = 60000) {
  let latest = Date.now(); // time of the newest sample, for the "Ns ago" ticks
  const chart = make(canvas, {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'Download',
          data: [],
          borderColor: c.down,
          backgroundColor: c.downFill,
          fill: 'origin',
          tension: 0.25,
          pointRadius: 0,
          borderWidth: 2,
        },
        {
          label: 'Upload',
          data: [],
          borderColor: c.up,
          backgroundColor: c.upFill,
          fill: 'origin',
          tension: 0.25,
          pointRadius: 0,
          borderWidth: 2,
        },
      ],
    },
    options: {
      animation: false, // redrawn every second; animating would never settle
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatSpeed(ctx.parsed.y)}`, title: () => '' } },
      },
      scales: {
        x: {
          type: 'linear',
          display: false, // until the first sample
          ticks: {
            color: c.muted,
            stepSize: 15000,
            callback: (v) => {
              const ago = Math.round((latest - v) / 1000);
              return ago <= 0 ? 'now' : `${ago}s`;
            },
          },
          grid: { color: c.grid },
        },
        // suggestedMax: an idle link still gets a readable 0–1 KB/s scale
        y: { ...bytesAxis(), display: false, ticks: { color: c.muted, maxTicksLimit: 5, precision: 0, callback: (v) => `${formatBytesShort(v)}/s` } },
      },
    },
  });
  return {
    chart,
    /** Add one sample (bytes/s) at time t (ms) and drop what scrolled out. */
    push(t, rx, tx) {
      const [down, up] = chart.data.datasets;
      down.data.push({ x: t, y: rx });
      up.data.push({ x: t, y: tx });
      const from = t - windowMs;
      while (down.data.length && down.data[0].x < from - 2000) down.data.shift();
      while (up.data.length && up.data[0].x < from - 2000) up.data.shift();
      latest = t;
      showAxes(chart);
      chart.options.scales.x.min = from;
      chart.options.scales.x.max = t;
      chart.update('none');
    },
    clear() {
      for (const ds of chart.data.datasets) ds.data = [];
      for (const scale of Object.values(chart.options.scales)) scale.display = false;
      chart.update('none');
    },
  };
}

// ---- bars ---------------------------------------------------------------

/** Options of a stacked bar chart with the given legend options. */
function barOptions(getChart, legend) {
  const o = titledOptions(getChart, motion(), {
    callbacks: { footer: (items) => `Total: ${formatBytes(items.reduce((s, i) => s + i.parsed.y, 0))}` },
  });
  o.plugins.legend = legend;
  return {
    ...o,
    scales: {
      // hidden until set() brings data
      x: { display: false, stacked: true, ticks: { color: c.muted, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
      y: { ...bytesAxis(), display: false, stacked: true },
    },
  };
}

/**
 * A stacked download/upload bar chart: one bar per label.
 * rows: [{label, title, rx, tx}] (title is the tooltip heading).
 */
export function stackedBars(canvas, { onClick } = {}) {
  const chart = make(canvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'Download', data: [], backgroundColor: c.down, borderRadius: 2, stack: 's' },
        { label: 'Upload', data: [], backgroundColor: c.up, borderRadius: 2, stack: 's' },
      ],
    },
    options: {
      ...barOptions(() => chart, { display: false }),
      onClick: onClick && ((_, elems) => elems[0] && onClick(elems[0].index)),
    },
  });
  chart.$pbTitles = [];
  return {
    chart,
    set(rows) {
      chart.data.labels = rows.map((r) => r.label);
      chart.$pbTitles = rows.map((r) => r.title || r.label);
      chart.data.datasets[0].data = rows.map((r) => r.rx);
      chart.data.datasets[1].data = rows.map((r) => r.tx);
      showAxes(chart);
      chart.update();
    },
  };
}

/**
 * Bars stacked by device: one dataset (stack part) per device, one bar per
 * label. set(labels, titles, devices) with devices [{label, values}].
 */
export function deviceBars(canvas) {
  const chart = make(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: barOptions(() => chart, { display: true, position: 'bottom', labels: { color: c.fg, boxWidth: 12 } }),
  });
  chart.$pbTitles = [];
  return {
    chart,
    set(labels, titles, devices) {
      chart.data.labels = labels;
      chart.$pbTitles = titles;
      chart.data.datasets = devices.map((d, i) => ({
        label: d.label,
        data: d.values,
        // Golden-angle hues: neighbours differ, and the nth device keeps its colour.
        backgroundColor: `hsl(${Math.round((210 + i * 137.508) % 360)} 62% 52%)`,
        borderRadius: 2,
        stack: 'devices',
      }));
      showAxes(chart);
      chart.update();
    },
  };
}

// ---- split --------------------------------------------------------------

/** The upload/download split as a doughnut. */
export function splitChart(canvas) {
  const chart = make(canvas, {
    type: 'doughnut',
    data: {
      labels: ['Download', 'Upload'],
      datasets: [{ data: [0, 0], backgroundColor: (ctx) => (ctx.dataIndex === 0 ? theme.down : theme.up), borderWidth: 0 }],
    },
    options: {
      animation: motion(),
      responsive: true,
      maintainAspectRatio: false,
      cutout: '62%',
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => `${ctx.label}: ${formatBytes(ctx.parsed)}` } },
      },
    },
  });
  return {
    chart,
    set(rx, tx) {
      chart.data.datasets[0].data = [rx, tx];
      chart.update();
    },
  };
}

// ---- data plan ------------------------------------------------------------

/**
 * A data plan's cycle: the use so far as a running total per day (solid),
 * the forecast from today to the cycle's last day (dashed) inside its
 * likely range (a shaded band between low and high) and the cap
 * (a thin horizontal line; left out when the plan has none).
 * set({labels, titles, used, forecast, cap}): one entry per day of the
 * cycle in used and forecast, null where a line has no point.
 */
export function planChart(canvas) {
  const line = { pointRadius: 0, pointHoverRadius: 3, borderWidth: 2, tension: 0 };
  const chart = make(canvas, {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        { ...line, label: 'Used', data: [], borderColor: c.down, backgroundColor: c.downFill, fill: 'origin' },
        { ...line, label: 'Forecast', data: [], borderColor: c.down, borderDash: [5, 4], fill: false },
        { ...line, label: 'Cap', data: [], borderColor: c.bad, borderWidth: 1, pointHoverRadius: 0, fill: false },
        // the forecast's likely range: the area between its two edges
        { ...line, label: 'Likely high', data: [], borderWidth: 0, pointHoverRadius: 0, backgroundColor: c.downFill, fill: '+1' },
        { ...line, label: 'Likely low', data: [], borderWidth: 0, pointHoverRadius: 0, fill: false },
      ],
    },
    options: {
      // not animated: re-set every 10 s with barely changed numbers
      ...titledOptions(() => chart, false, { filter: (item) => item.parsed.y !== null }),
      scales: {
        x: { ticks: { color: c.muted, autoSkip: true, maxRotation: 0, maxTicksLimit: 8 }, grid: { display: false } },
        y: { ...bytesAxis(), ticks: { color: c.muted, callback: (v) => formatBytesShort(v), maxTicksLimit: 4 } },
      },
    },
  });
  chart.$pbTitles = [];
  return {
    chart,
    set({ labels, titles, used, forecast, cap, low = [], high = [] }) {
      chart.data.labels = labels;
      chart.$pbTitles = titles;
      const [u, f, k, hi, lo] = chart.data.datasets;
      u.data = used;
      f.data = forecast;
      hi.data = high;
      lo.data = low;
      k.data = cap ? labels.map(() => cap) : [];
      chart.update('none');
    },
    destroy() {
      charts.delete(chart);
      chart.destroy();
    },
  };
}
