// The apps panel: which programs moved the traffic today or this month,
// largest first (the top ten, the rest folded), and, for the app clicked,
// its last 30 days. Data: GET /api/apps and GET /api/apps/days. It loads
// and refreshes itself, apart from app.js.
//
// Per-app counting is off by default. Without it (method "off") and with
// no per-app traffic this month, the panel stays hidden: an empty card on
// every dashboard that never counts apps would only be clutter. With
// history but counting off now, or counting TCP only, a note says so and
// what to change.

import * as api from './api.js';
import * as fmt from './format.js';
import * as charts from './charts.js';
import { $, h } from './dom.js';

/** Rows shown before "Show N more". */
export const TOP = 10;
/** Days in an app's detail. */
export const DAYS = 30;

const state = {
  scope: 'month', // 'today' | 'month'
  all: false, // every app shown, not only the top
  shown: false, // the panel was shown once: it stays, whatever the period
  open: null, // the app whose days are shown
  data: null, // the last /api/apps answer shown
  seq: 0, // the latest list request; older answers are dropped
  daysSeq: 0,
  chart: null,
};

/** An app's identity in the page: its four fields, as the API matches them. */
export const appKey = (a) => JSON.stringify([a.name, a.path, a.unit, a.package]);

/** The local days of a period: today, or this month so far. */
function periodRange(scope, now = new Date()) {
  const to = fmt.today(now);
  return { from: scope === 'today' ? to : `${to.slice(0, 8)}01`, to };
}

/** The unattributed rest: the traffic no process is known for. */
const isUnattributed = (a) => a.name === 'unattributed' && !a.path && !a.unit && !a.package;

/** The line under an app's name: its service, package or executable. */
export function appWhere(a) {
  if (isUnattributed(a)) return 'no process known';
  return a.unit || a.package || a.path || 'exited before it was named';
}

/** What the unattributed rest holds. */
const UNATTRIBUTED = 'forwarded container and VM traffic, connections opened before pb started, other network namespaces';

/** The note for the counting method: how to count more, or nothing. */
function methodNote(method) {
  if (method === 'sock_diag') {
    return [
      h('strong', {}, 'TCP only: '),
      'apps are counted from the kernel’s socket diagnostics, so UDP (QUIC included) is booked as unattributed. ',
      'For every protocol, run ',
      h('code', {}, 'pb serve'),
      ' as root or with CAP_BPF and CAP_NET_ADMIN.',
    ];
  }
  if (method === 'off') {
    return [
      h('strong', {}, 'Per-app counting is off: '),
      'these are the numbers from when it was on. Turn it on with ',
      h('code', {}, '[apps] enabled = true'),
      ' in the config and run ',
      h('code', {}, 'pb serve'),
      ' as root or with CAP_BPF and CAP_NET_ADMIN (Linux only).',
    ];
  }
  return [];
}

/** The name cell: a button that opens the app's days. */
function appButton(a, total) {
  const k = appKey(a);
  const bar = h('i', { className: 'app-share-fill' });
  bar.style.width = total > 0 ? `${(100 * a.total_bytes) / total}%` : '0%';
  return h(
    'button',
    {
      type: 'button',
      className: 'app-open',
      dataset: { key: k },
      'aria-expanded': String(state.open !== null && appKey(state.open) === k),
      'aria-controls': 'app-days',
      title: isUnattributed(a) ? `Traffic no process is known for: ${UNATTRIBUTED}. Its last ${DAYS} days.` : `The last ${DAYS} days of ${a.path || a.name}`,
    },
    h('span', { className: 'app-name' }, a.name),
    h('span', { className: 'app-where' }, appWhere(a)),
    h('span', { className: 'app-share', 'aria-hidden': 'true' }, bar),
  );
}

export async function loadApps() {
  const seq = ++state.seq;
  const scope = state.scope;
  const d = await api.getJSON('apps', periodRange(scope));
  if (seq !== state.seq) return; // the period changed while this loaded
  $('apps').dataset.loaded = scope; // for the browser test: this period's answer is in
  const counting = d.method === 'ebpf' || d.method === 'sock_diag';
  if (!counting && d.apps.length === 0 && !state.shown) {
    $('apps').hidden = true;
    return;
  }
  state.shown = true;
  state.data = d;
  showApps(d, scope);
}

/** Show an /api/apps answer for the period scope. */
function showApps(d, scope) {
  $('apps').hidden = false;
  const note = $('apps-note');
  note.replaceChildren(...methodNote(d.method));
  note.hidden = note.childNodes.length === 0;
  note.dataset.method = d.method || '';

  const period = scope === 'today' ? 'today' : 'this month';
  $('apps-caption').textContent = `Traffic per application ${period}, largest first`;
  // A refresh rebuilds the rows: the focus stays on the same app.
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#app-rows .app-open');
  const total = d.total.total_bytes;
  const rows = d.apps.map((a, i) =>
    h(
      'tr',
      { className: isUnattributed(a) ? 'unattributed' : '', dataset: { app: a.name }, hidden: i >= TOP && !state.all },
      h('th', { scope: 'row' }, appButton(a, total)),
      h('td', { className: 'num', dataset: { label: 'Downloaded' } }, fmt.formatBytes(a.bytes_received)),
      h('td', { className: 'num', dataset: { label: 'Uploaded' } }, fmt.formatBytes(a.bytes_sent)),
      h('td', { className: 'num app-total', dataset: { label: 'Total' } }, fmt.formatBytes(a.total_bytes)),
    ),
  );
  $('app-rows').replaceChildren(
    ...(rows.length
      ? rows
      : [h('tr', { className: 'placeholder-row' }, h('td', { colSpan: 4 }, `No per-app traffic written ${period} yet.`))]),
  );
  markOpen();
  if (focused) buttonOf(focused.dataset.key)?.focus();
  const unattributed = d.apps.some(isUnattributed);
  $('apps-unattributed').hidden = !unattributed;
  $('apps-unattributed').textContent = unattributed
    ? `Unattributed is the traffic no process is known for (${UNATTRIBUTED}), so that the apps add up to the interfaces’ total.` +
      (d.method === 'sock_diag' ? ' Counting TCP only, it holds all UDP too.' : '')
    : '';
  $('app-foot').hidden = rows.length === 0;
  $('apps-total-rx').textContent = fmt.formatBytes(d.total.bytes_received);
  $('apps-total-tx').textContent = fmt.formatBytes(d.total.bytes_sent);
  $('apps-total').textContent = fmt.formatBytes(total);

  const more = $('apps-more');
  const folded = d.apps.length - TOP;
  more.hidden = folded <= 0;
  more.setAttribute('aria-expanded', String(state.all));
  more.textContent = state.all ? `Show the top ${TOP} only` : `Show ${folded} more app${folded === 1 ? '' : 's'}`;
}

/** The button of the app with this key, if it is listed. */
function buttonOf(k) {
  return [...document.querySelectorAll('#app-rows .app-open')].find((b) => b.dataset.key === k);
}

// ---- an app's days ----------------------------------------------------------

/** Open the days of app a (an /api/apps row), moving the focus to them. */
async function openApp(a) {
  state.open = { name: a.name, path: a.path, unit: a.unit, package: a.package };
  markOpen();
  const box = $('app-days');
  box.hidden = false;
  $('app-days-h').textContent = `${a.name}, the last ${DAYS} days`;
  $('app-days-id').textContent = [a.path, a.unit, a.package].filter(Boolean).join(' · ') || (isUnattributed(a) ? `Traffic no process is known for: ${UNATTRIBUTED}.` : '');
  $('app-days-summary').textContent = 'Loading…';
  box.focus({ preventScroll: true });
  box.scrollIntoView({ block: 'nearest' });
  await loadDays();
}

/** Close the days; focus goes back to the app's button when asked. */
function closeApp(refocus) {
  if (!state.open) return;
  const k = appKey(state.open);
  state.open = null;
  state.daysSeq++;
  $('app-days').hidden = true;
  markOpen();
  if (refocus) buttonOf(k)?.focus();
}

/** Mark the open app's row (aria-expanded on its button). */
function markOpen() {
  const k = state.open && appKey(state.open);
  for (const b of document.querySelectorAll('#app-rows .app-open')) {
    b.setAttribute('aria-expanded', String(b.dataset.key === k));
    b.closest('tr').classList.toggle('open', b.dataset.key === k);
  }
}

async function loadDays() {
  const a = state.open;
  if (!a) return;
  const seq = ++state.daysSeq;
  const to = fmt.today();
  const d = await api.getJSON('apps/days', { name: a.name, path: a.path, unit: a.unit, package: a.package, from: fmt.addDays(to, 1 - DAYS), to });
  if (seq !== state.daysSeq) return; // closed, or another app opened
  if (!state.chart) state.chart = charts.stackedBars($('app-days-chart'));
  state.chart.set(d.days.map((x) => ({ label: String(Number(x.date.slice(8))), title: fmt.dayLabel(x.date), rx: x.bytes_received, tx: x.bytes_sent })));
  const busiest = d.days.reduce((m, x) => (x.total_bytes > m.total_bytes ? x : m), d.days[0]);
  const active = d.days.filter((x) => x.total_bytes > 0).length;
  $('app-days-summary').replaceChildren(
    h('b', {}, fmt.formatBytes(d.total.total_bytes)),
    ` in ${DAYS} days · ${fmt.formatBytes(d.total.bytes_received)} down · ${fmt.formatBytes(d.total.bytes_sent)} up`,
    active ? ` · busiest ${fmt.dayLabel(busiest.date)} (${fmt.formatBytes(busiest.total_bytes)})` : ' · no traffic written',
  );
  $('app-days-caption').textContent = `Traffic of ${a.name} per day`;
  $('app-day-rows').replaceChildren(
    ...d.days.map((x) =>
      h(
        'tr',
        { className: x.total_bytes ? '' : 'zero', dataset: { date: x.date } },
        h('th', { scope: 'row' }, fmt.dayLabel(x.date)),
        h('td', {}, fmt.formatBytes(x.bytes_received)),
        h('td', {}, fmt.formatBytes(x.bytes_sent)),
        h('td', {}, fmt.formatBytes(x.total_bytes)),
      ),
    ),
  );
}

// ---- wiring -----------------------------------------------------------------

function report(err) {
  // app.js reports an unreachable daemon; the panel keeps its numbers.
  if (err && !err.unreachable) console.warn('PacketBuddy: apps:', err);
}

function refresh() {
  loadApps().catch(report);
  if (state.open) loadDays().catch(report);
}

function setup() {
  for (const r of document.querySelectorAll('input[name="apps-scope"]')) {
    r.checked = r.value === state.scope;
    r.addEventListener('change', () => {
      state.scope = r.value;
      loadApps().catch(report);
    });
  }
  $('apps-more').addEventListener('click', () => {
    state.all = !state.all;
    if (state.data) showApps(state.data, state.scope);
  });
  $('app-rows').addEventListener('click', (ev) => {
    const b = ev.target.closest('.app-open');
    if (!b) return;
    if (b.getAttribute('aria-expanded') === 'true') {
      closeApp(false);
      return;
    }
    const [name, path, unit, pkg] = JSON.parse(b.dataset.key);
    openApp({ name, path, unit, package: pkg }).catch((err) => {
      $('app-days-summary').textContent = `The days could not be loaded: ${err.message}`;
    });
  });
  $('app-days-close').addEventListener('click', () => closeApp(true));
  // Escape anywhere in the panel closes the days (the focus is there after
  // a click or Enter on an app).
  $('apps').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.open) {
      ev.preventDefault();
      closeApp(true);
    }
  });
}

setup();
refresh();
setInterval(() => {
  if (!document.hidden) refresh();
}, 60000);
