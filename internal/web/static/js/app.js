// PacketBuddy dashboard: wires the API (api.js) to the page (index.html)
// and the charts (charts.js).
//
// The first frame is honest: until the first answer the cards show
// placeholders (body.is-loading) and the charts no axes, and the first
// numbers come from one request (/api/dashboard) rather than a queue of
// them; "Connecting…" appears only when the daemon has not answered.
//
// How it stays current on a page people leave open for days:
//   - live speeds arrive once a second over Server-Sent Events;
//   - today's totals, the data plans and the interfaces are re-read every
//     10 s, the rest every minute, and everything at once after a reconnect
//     and when the tab becomes visible again;
//   - when the daemon stops answering, the numbers are hidden behind a
//     "daemon unreachable" banner rather than left looking current, and the
//     page keeps retrying by itself.
//
// All calendar work uses the viewer's local calendar (format.js).

import * as api from './api.js';
import * as fmt from './format.js';
import * as charts from './charts.js';
import { setupExport } from './export.js';
import { $, h, setField } from './dom.js';
import { loadPlans } from './plans.js';
import { loadTrends, setupMinuteZoom } from './trends.js';
import { remember, showLast } from './offline.js';

const state = {
  down: false, // daemon unreachable
  answered: false, // the daemon has answered at least once
  health: null,
  summary: null,
  today: null,
  monthView: null, // {year, month} shown in the month card
  monthData: null,
  yearView: 0,
  splitScope: 'month',
  liveByIface: new Map(),
};

const charts$ = {}; // Chart wrappers, created once

// ---- connection state ---------------------------------------------------

function setConn(kind, text) {
  const el = $('conn');
  el.classList.toggle('is-live', kind === 'live');
  el.classList.toggle('is-down', kind === 'down');
  $('conn-text').textContent = text;
}

/** The daemon stopped answering: hide numbers that would now be stale. */
function markDown() {
  if (state.down) return;
  state.down = true;
  document.body.classList.add('is-offline');
  $('main').setAttribute('aria-hidden', 'true'); // screen readers must not read the stale numbers either
  $('export-open').disabled = true;
  $('offline').hidden = false;
  $('error').hidden = true;
  setConn('down', 'Daemon unreachable');
  showLast();
  setField('live-rx', '—');
  setField('live-tx', '—');
  $('live-peak').textContent = '—';
  charts$.live?.clear();
}

/** The daemon answers again: show and refresh everything. */
function markUp() {
  if (!state.down) return;
  state.down = false;
  document.body.classList.remove('is-offline');
  $('main').removeAttribute('aria-hidden');
  $('export-open').disabled = false;
  $('offline').hidden = true;
  refreshAll();
}

/** Route a failed call: unreachable → the offline state; anything else → a visible message. */
function failed(err, what) {
  if (err && err.unreachable) {
    markDown();
    return;
  }
  const el = $('error');
  el.textContent = `Could not load ${what}: ${err && err.message ? err.message : err}`;
  el.hidden = false;
  console.warn(`PacketBuddy: ${what}:`, err); // a warning, not an error: the page copes
}

/** Run loaders in parallel; one failing does not stop the others. */
async function run(...loaders) {
  await Promise.all(loaders.map(([fn, what]) => fn().catch((err) => failed(err, what))));
}

// ---- header -------------------------------------------------------------

/** The daemon answered something: no "Connecting…" from now on. */
function answered() {
  state.answered = true;
  if (!$('conn').classList.contains('is-live') && !state.down) setConn('', 'Connected');
}

/** The header, from /api/health or /api/dashboard's device part. */
function showDevice(hl) {
  state.health = hl;
  fmt.useUnits(hl.units);
  markUp();
  const parts = [hl.hostname, hl.os_type].filter(Boolean);
  $('device').textContent = parts.join(' · ') || ' ';
  $('version').textContent = hl.version ? `PacketBuddy ${hl.version}` : '';
  // With sync on, a link to the whole fleet, once /api/fleet answers.
  if (hl.sync_enabled && $('fleet-link').hidden) {
    api.fleet().then(
      () => ($('fleet-link').hidden = false),
      () => {}, // the fleet cannot be read now: no link, this page is unaffected
    );
  }
}

// ---- today --------------------------------------------------------------

function showUsage(prefix, block, cost) {
  setField(`${prefix}-received`, fmt.formatBytes(block.bytes_received), block.bytes_received);
  setField(`${prefix}-sent`, fmt.formatBytes(block.bytes_sent), block.bytes_sent);
  setField(`${prefix}-total`, fmt.formatBytes(block.total_bytes), block.total_bytes);
  if (cost) setField(`${prefix}-cost`, cost.total.cost_formatted, cost.total.cost);
}

async function loadToday() {
  showToday(await api.today());
}

function showToday(t) {
  state.today = t;
  showUsage('today', t, t.cost);
  setField('today-peak', t.peak_speed ? fmt.formatSpeed(t.peak_speed) : '—', t.peak_speed || 0);
  $('today-date').textContent = t.date ? fmt.dayLabel(t.date, { weekday: 'long', day: 'numeric', month: 'long' }) : '';
  if (t.cost) {
    let rate = `${t.cost.cost_per_gb} ${t.cost.currency}`;
    try {
      rate = new Intl.NumberFormat(undefined, { style: 'currency', currency: t.cost.currency }).format(t.cost.cost_per_gb);
    } catch {
      // a currency code this browser does not know: keep the plain form
    }
    $('today-rate').textContent = `Priced at ${rate} per GB; set the rate with [cost] in the config.`;
  }

  // With sync on, /api/today also carries the whole fleet's numbers.
  const g = t.global;
  const two = Boolean(g);
  $('today-global').hidden = !two;
  $('today-local-h').hidden = !two;
  $('today-scopes').classList.toggle('two', two);
  if (two) {
    const n = g.device_count || (state.health && state.health.device_count);
    $('today-global-h').textContent = n ? `All devices (${n})` : 'All devices';
    showUsage('global', g, g.cost);
    setField('global-peak', g.peak_speed ? fmt.formatSpeed(g.peak_speed) : '—', g.peak_speed || 0);
  }
  if (state.splitScope === 'today') showSplit();
}

// ---- month --------------------------------------------------------------

function monthRows(view, data) {
  // The API lists the days up to today only; the chart shows the whole
  // month, so each day gets a bar (zero where nothing was counted yet).
  const byDate = new Map((data.days || []).map((d) => [d.date, d]));
  return fmt.monthDays(view.year, view.month).map((date) => {
    const d = byDate.get(date);
    return { date, rx: d ? d.bytes_received : 0, tx: d ? d.bytes_sent : 0, known: Boolean(d) };
  });
}

async function loadMonth() {
  const view = state.monthView;
  const data = await api.month(fmt.monthKey(view.year, view.month));
  if (state.monthView !== view) return; // the user moved on while this loaded
  showMonth(view, data);
}

function showMonth(view, data) {
  const key = fmt.monthKey(view.year, view.month);
  state.monthData = data;
  const rows = monthRows(view, data);
  charts$.month.set(rows.map((r) => ({ label: String(Number(r.date.slice(8))), title: fmt.dayLabel(r.date), rx: r.rx, tx: r.tx })));

  const now = new Date();
  const isCurrent = view.year === now.getFullYear() && view.month === now.getMonth() + 1;
  $('month-h').textContent = isCurrent ? `This month · ${fmt.monthLabel(view.year, view.month)}` : fmt.monthLabel(view.year, view.month);
  const s = data.summary;
  const tracked = rows.filter((r) => r.known).length;
  const summary = $('month-summary');
  summary.replaceChildren(
    h('b', { dataset: { field: 'month-total', value: String(s.total_bytes) } }, fmt.formatBytes(s.total_bytes)),
    ' in total · ',
    h('span', { dataset: { field: 'month-received' } }, fmt.formatBytes(s.bytes_received)),
    ' down · ',
    h('span', { dataset: { field: 'month-sent' } }, fmt.formatBytes(s.bytes_sent)),
    ' up',
    tracked ? ` · ${fmt.formatBytes(Math.round(s.total_bytes / tracked))} a day on average` : '',
  );
  $('month-caption').textContent = `Traffic per day, ${fmt.monthLabel(view.year, view.month)}`;
  $('month-rows').replaceChildren(
    ...rows.map((r) =>
      h(
        'tr',
        { className: r.rx + r.tx ? '' : 'zero' },
        h('th', { scope: 'row' }, fmt.dayLabel(r.date)),
        h('td', {}, fmt.formatBytes(r.rx)),
        h('td', {}, fmt.formatBytes(r.tx)),
        h('td', {}, fmt.formatBytes(r.rx + r.tx)),
      ),
    ),
  );
  // Navigation: not past the current month, not before the first tracked one.
  $('month-next').disabled = isCurrent;
  $('month-now').disabled = isCurrent;
  const first = state.summary && state.summary.first_date;
  $('month-prev').disabled = Boolean(first) && key <= first.slice(0, 7);
  if (state.splitScope === 'month') showSplit();
}

function moveMonth(n) {
  const v = state.monthView;
  state.monthView = n === 0 ? currentMonth() : fmt.addMonths(v.year, v.month, n);
  loadMonth().catch((err) => failed(err, 'the month'));
}

function currentMonth() {
  const d = new Date();
  return { year: d.getFullYear(), month: d.getMonth() + 1 };
}

// ---- year ---------------------------------------------------------------

async function loadYear() {
  const year = state.yearView;
  const last = year === new Date().getFullYear() ? fmt.today() : `${year}-12-31`; // no future days
  const data = await api.range(`${year}-01-01`, last);
  if (state.yearView !== year) return;
  const months = Array.from({ length: 12 }, () => ({ rx: 0, tx: 0 }));
  for (const d of data.days || []) {
    const m = Number(d.date.slice(5, 7)) - 1;
    months[m].rx += d.bytes_received;
    months[m].tx += d.bytes_sent;
  }
  charts$.year.set(months.map((m, i) => ({ label: fmt.monthShort(i + 1), title: fmt.monthLabel(year, i + 1), rx: m.rx, tx: m.tx })));
  $('year-h').textContent = `Year ${year}`;
  const s = data.summary;
  $('year-summary').replaceChildren(
    h('b', { dataset: { field: 'year-total', value: String(s.total_bytes) } }, fmt.formatBytes(s.total_bytes)),
    ` in ${year} · ${fmt.formatBytes(s.bytes_received)} down · ${fmt.formatBytes(s.bytes_sent)} up`,
  );
  $('year-rows').replaceChildren(
    ...months.map((m, i) =>
      h(
        'tr',
        { className: m.rx + m.tx ? '' : 'zero' },
        h('th', { scope: 'row' }, fmt.monthLabel(year, i + 1)),
        h('td', {}, fmt.formatBytes(m.rx)),
        h('td', {}, fmt.formatBytes(m.tx)),
        h('td', {}, fmt.formatBytes(m.rx + m.tx)),
      ),
    ),
  );
  $('year-next').disabled = year >= new Date().getFullYear();
  const first = state.summary && state.summary.first_date;
  $('year-prev').disabled = Boolean(first) && year <= Number(first.slice(0, 4));
}

function moveYear(n) {
  state.yearView += n;
  loadYear().catch((err) => failed(err, 'the year'));
}

// ---- heat map -----------------------------------------------------------

async function loadHeat() {
  const days = [];
  for (let i = 6; i >= 0; i--) days.push(fmt.addDays(fmt.today(), -i));
  const results = await Promise.all(days.map((d) => api.hours(d)));
  // A DST day has 23 or 25 hours; the map has 24 columns by clock hour, so
  // the repeated hour is added up and the skipped one stays empty.
  const grid = results.map((r) => {
    const row = new Array(24).fill(null);
    for (const hr of r.hours || []) row[hr.hour] = (row[hr.hour] || 0) + hr.total_bytes;
    return row;
  });
  const max = Math.max(0, ...grid.flat().map((v) => v || 0));
  const level = (v) => (v === null ? 'none' : v <= 0 || max === 0 ? 'l0' : `l${Math.min(5, 1 + Math.floor((4 * v) / max + 0.0001))}`);

  $('heat-head').replaceChildren(
    h(
      'tr',
      {},
      h('td', {}),
      ...Array.from({ length: 24 }, (_, i) => h('th', { scope: 'col', title: `${i}:00` }, i % 3 === 0 ? String(i) : '')),
    ),
  );
  const now = new Date();
  $('heat-rows').replaceChildren(
    ...grid.map((row, di) =>
      h(
        'tr',
        {},
        h(
          'th',
          { scope: 'row' },
          // a long and a short label; the CSS shows the one that fits
          h('span', { className: 'long' }, di === 6 ? 'Today' : fmt.dayLabel(days[di])),
          h('span', { className: 'short', 'aria-hidden': 'true' }, di === 6 ? 'Today' : fmt.dayLabel(days[di], { weekday: 'short' })),
        ),
        ...row.map((v, hr) => {
          const future = di === 6 && hr > now.getHours();
          const text = future ? 'not yet' : v === null ? 'no such hour' : fmt.formatBytes(v);
          return h(
            'td',
            // data-day/data-hour: trends.js zooms into the hour's minutes
            { className: future ? 'none' : level(v), title: `${fmt.dayLabel(days[di])} ${hr}:00–${hr + 1}:00: ${text}`, dataset: { day: days[di], hour: String(hr) } },
            h('span', {}, `${hr}:00 ${text}`),
          );
        }),
      ),
    ),
  );
}

// ---- lifetime -----------------------------------------------------------

async function loadSummary() {
  const [s, topDays] = await Promise.all([api.summary(), api.top(5)]);
  showSummary(s);
  showTopDays(topDays);
}

/** The lifetime card's totals (top days come separately). */
function showSummary(s) {
  state.summary = s;
  showUsage('life', s, s.cost);
  // With sync on, the lifetime of every device too.
  $('life-global').hidden = !s.global;
  if (s.global) {
    $('life-global-h').textContent = s.global.device_count ? `All devices (${s.global.device_count})` : 'All devices';
    setField('life-global-total', fmt.formatBytes(s.global.total_bytes), s.global.total_bytes);
  }
  const days = s.days_tracked || 0;
  setField('life-days', fmt.formatCount(days), days);
  // The true average: over the days actually tracked, not a nominal 30.
  // Rounded per direction like the API's exports, so the numbers agree.
  const perDay = (n) => Math.floor((n + Math.floor(days / 2)) / days);
  const avg = days ? perDay(s.bytes_received) + perDay(s.bytes_sent) : 0;
  setField('life-avg', days ? fmt.formatBytes(avg) : '—', avg);
  $('lifetime-since').textContent = s.first_date
    ? `since ${fmt.dayLabel(s.first_date, { day: 'numeric', month: 'long', year: 'numeric' })}`
    : 'nothing counted yet';
  if (state.splitScope === 'all') showSplit();
}

async function loadTopDays() {
  showTopDays(await api.top(5));
}

function showTopDays(topDays) {
  const list = $('top-days');
  const rows = (topDays.days || []).filter((d) => d.total_bytes > 0);
  list.replaceChildren(
    ...(rows.length
      ? rows.map((d) =>
          h(
            'li',
            {},
            h('span', { className: 'd' }, fmt.dayLabel(d.date, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })),
            h('span', { className: 'v', dataset: { value: String(d.total_bytes) } }, fmt.formatBytes(d.total_bytes)),
          ),
        )
      : [h('li', { className: 'empty' }, 'No traffic recorded yet.')]),
  );
}

// ---- split --------------------------------------------------------------

function showSplit() {
  let rx = 0;
  let tx = 0;
  let note = '';
  if (state.splitScope === 'today' && state.today) {
    rx = state.today.bytes_received;
    tx = state.today.bytes_sent;
    note = 'Today';
  } else if (state.splitScope === 'month' && state.monthData) {
    rx = state.monthData.summary.bytes_received;
    tx = state.monthData.summary.bytes_sent;
    note = fmt.monthLabel(state.monthView.year, state.monthView.month);
  } else if (state.splitScope === 'all' && state.summary) {
    rx = state.summary.bytes_received;
    tx = state.summary.bytes_sent;
    note = 'All time';
  }
  charts$.split.set(rx, tx);
  $('split-rx').replaceChildren(fmt.formatBytes(rx), h('small', {}, fmt.pct(rx, rx + tx)));
  $('split-tx').replaceChildren(fmt.formatBytes(tx), h('small', {}, fmt.pct(tx, rx + tx)));
  $('split-ratio').textContent = rx ? (tx / rx).toFixed(2) : '—';
  // The same labels as the reports' "personality" (api-contract.md).
  const r = rx ? tx / rx : 0;
  const kind =
    !rx && !tx ? '' : r < 0.3 ? 'mostly streaming' : r < 0.6 ? 'browsing' : r < 1 ? 'creating' : 'a power user (more up than down)';
  $('split-note').textContent = kind ? `${note}: ${kind}.` : `${note}: nothing counted.`;
}

// ---- interfaces ---------------------------------------------------------

async function loadInterfaces() {
  showInterfaces(await api.interfaces());
}

function showInterfaces(data) {
  const list = (data.interfaces || [])
    .slice()
    .sort((a, b) => Number(b.counted) - Number(a.counted) || b.today.total_bytes - a.today.total_bytes || a.name.localeCompare(b.name));
  $('iface-rows').replaceChildren(
    ...(list.length
      ? list.map((i) =>
          h(
            'tr',
            { className: i.counted ? '' : 'excluded', dataset: { iface: i.name } },
            h('th', { scope: 'row' }, i.name, h('span', { className: 'kind' }, i.kind || '')),
            h('td', { className: 'state' }, h('span', { className: i.counted ? 'tag yes' : 'tag no' }, i.counted ? 'Counted' : 'Excluded')),
            // data-label: the column name, shown on phones where the rows become cards
            h('td', { dataset: { value: String(i.today.bytes_received), label: 'Downloaded' } }, fmt.formatBytes(i.today.bytes_received)),
            h('td', { dataset: { value: String(i.today.bytes_sent), label: 'Uploaded' } }, fmt.formatBytes(i.today.bytes_sent)),
            h('td', { className: 'now', dataset: { label: 'Now' } }, ...liveText(i.name, i.live)),
          ),
        )
      : [h('tr', {}, h('td', { colSpan: 5, className: 'empty' }, 'No interface seen yet.'))]),
  );
}

/** An interface's live speed as nodes: "↓ 5.00 MB/s ↑ 1.25 MB/s", or "idle". */
function liveText(name, fallback) {
  const l = state.liveByIface.get(name) || fallback;
  if (!l || (!l.rx_per_sec && !l.tx_per_sec)) return ['idle'];
  return [
    h('span', { className: 'sp' }, `↓ ${fmt.formatSpeed(l.rx_per_sec)}`),
    ' ',
    h('span', { className: 'sp' }, `↑ ${fmt.formatSpeed(l.tx_per_sec)}`),
  ];
}

// ---- events -------------------------------------------------------------

const EVENT_NAMES = {
  spike: 'Spike discarded',
  reset: 'Counter reset',
  wrap: 'Counter wrapped',
  restart: 'Daemon restarted',
  reboot: 'After a reboot',
  first_run: 'First start',
  gap: 'Gap',
  appear: 'New interface',
  unusual: 'Unusual usage',
};

async function loadEvents() {
  const t = fmt.today();
  const data = await api.getJSON('events', { from: fmt.addDays(t, -29), to: t, limit: 50 });
  const evs = data.events || [];
  $('event-list').replaceChildren(
    ...(evs.length
      ? evs.map((e) =>
          h(
            'li',
            { className: `kind-${e.kind}` },
            h('span', { className: 'when' }, fmt.formatTime(e.time), e.interface ? ` · ${e.interface}` : ''),
            h('span', { className: 'kind-tag' }, EVENT_NAMES[e.kind] || e.kind),
            e.message || '',
          ),
        )
      : [h('li', { className: 'empty' }, 'Nothing unusual in the last 30 days.')]),
  );
}

// ---- live ---------------------------------------------------------------

function onLive(live) {
  markUp();
  if (!state.answered) answered();
  setConn('live', 'Live');
  const rx = live.total ? live.total.rx_per_sec : 0;
  const tx = live.total ? live.total.tx_per_sec : 0;
  setField('live-rx', fmt.formatSpeed(rx), rx);
  setField('live-tx', fmt.formatSpeed(tx), tx);
  const peak = Math.max(live.peak_today || 0, (state.today && state.today.peak_speed) || 0);
  $('live-peak').textContent = peak ? fmt.formatSpeed(peak) : '—';
  const t = Date.parse(live.time);
  charts$.live.push(Number.isFinite(t) ? t : Date.now(), rx, tx);

  state.liveByIface = new Map((live.interfaces || []).map((i) => [i.name, i]));
  for (const row of document.querySelectorAll('#iface-rows tr[data-iface]')) {
    row.querySelector('.now').replaceChildren(...liveText(row.dataset.iface));
  }
}

function onLiveState(s) {
  // 'connecting' says nothing about the daemon: the first request may well
  // be answering. "Connecting…" is shown by start() only when nothing has
  // answered for a while.
  if (s === 'down') {
    // A dropped stream alone may be a blip; the daemon is "unreachable" only
    // when it does not answer a plain request either.
    setConn('', 'Reconnecting…');
    api.health().then(
      () => markUp(),
      (err) => failed(err, 'the daemon status'),
    );
  }
}

// ---- refreshing ---------------------------------------------------------

/**
 * The first screen from one request: the header (with the byte units every
 * figure is shown in), today, this month, lifetime, the interfaces and the
 * current speed. On a busy machine each round trip costs, so the first
 * numbers wait for one, not six.
 */
async function loadFirstScreen() {
  const d = await api.dashboard();
  remember(d);
  showDevice(d.device);
  answered();
  showToday(d.today);
  showSummary(d.summary);
  const cur = currentMonth();
  if (state.monthView.year === cur.year && state.monthView.month === cur.month && d.month.month === fmt.monthKey(cur.year, cur.month)) {
    showMonth(state.monthView, d.month);
  } else {
    await loadMonth(); // the viewer's month differs from the daemon's (zones)
  }
  showInterfaces(d.interfaces);
  // Every first-screen card has its numbers now: the placeholders go, in
  // the same task, so no frame shows an empty card as if it were filled.
  document.body.classList.remove('is-loading');
  if (d.live && d.live.timestamp && !$('conn').classList.contains('is-live')) {
    const rx = d.live.bytes_received;
    const tx = d.live.bytes_sent;
    setField('live-rx', fmt.formatSpeed(rx), rx);
    setField('live-tx', fmt.formatSpeed(tx), tx);
  }
  performance.mark('pb-first-numbers');
}

function refreshAll() {
  $('error').hidden = true; // shown again below if something still fails
  return run([loadFirstScreen, 'the dashboard']).then(() => run(
    [() => loadPlans(true), 'the data plans'],
    [loadTopDays, 'the top days'],
    [loadYear, 'the year'],
    [loadHeat, 'the hourly map'],
    [loadEvents, 'the events'],
    [loadTrends, 'the trends'],
  ));
}

function startTimers() {
  let ticks = 0;
  setInterval(() => {
    if (document.hidden || state.down) return;
    ticks++;
    const slow = ticks % 6 === 0; // every minute
    const jobs = [
      [loadToday, 'today'],
      [loadPlans, 'the data plans'],
      [loadInterfaces, 'the interfaces'],
    ];
    if (slow) {
      jobs.push([loadSummary, 'the totals'], [loadHeat, 'the hourly map'], [loadEvents, 'the events'], [loadTrends, 'the trends']);
      const cur = currentMonth();
      if (state.monthView.year === cur.year && state.monthView.month === cur.month) jobs.push([loadMonth, 'the month']);
      if (state.yearView === cur.year) jobs.push([loadYear, 'the year']);
    }
    run(...jobs);
  }, 10000);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !state.down) refreshAll();
  });
}

// ---- start --------------------------------------------------------------

function start() {
  state.monthView = currentMonth();
  state.yearView = state.monthView.year;

  charts$.live = charts.liveChart($('live-chart'));
  charts$.month = charts.stackedBars($('month-chart'));
  charts$.year = charts.stackedBars($('year-chart'), {
    // Clicking a month in the year chart opens it in the month chart.
    onClick: (i) => {
      state.monthView = { year: state.yearView, month: i + 1 };
      loadMonth().catch((err) => failed(err, 'the month'));
      $('month').scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  });
  charts$.split = charts.splitChart($('split-chart'));

  $('month-prev').addEventListener('click', () => moveMonth(-1));
  $('month-next').addEventListener('click', () => moveMonth(1));
  $('month-now').addEventListener('click', () => moveMonth(0));
  $('year-prev').addEventListener('click', () => moveYear(-1));
  $('year-next').addEventListener('click', () => moveYear(1));
  for (const r of document.querySelectorAll('input[name="split-scope"]')) {
    r.addEventListener('change', () => {
      state.splitScope = r.value;
      showSplit();
    });
  }
  document.addEventListener('pb-theme', charts.retheme); // js/theme.js
  setupExport();
  setupMinuteZoom();

  // "Connecting…" only when the daemon has not answered anything for a
  // while; a slow first answer on a busy machine is not a lost daemon.
  setTimeout(() => {
    if (!state.answered && !state.down) setConn('', 'Connecting…');
  }, 8000);
  refreshAll().then(() => {
    // First data is on the page: the browser test waits for this, and
    // reports the mark as the time to a useful page.
    performance.mark('pb-ready');
    document.body.dataset.ready = 'true';
  });
  api.followLive(onLive, onLiveState);
  startTimers();

  // Installable app: the service worker caches the page's files (never the
  // API) so the dashboard opens offline and then says the daemon is down.
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch((err) => console.warn('PacketBuddy: service worker:', err));
  }
}

start();
