// PacketBuddy fleet page: every device that syncs to the PostgreSQL
// database (/api/fleet), and this month's days stacked by device
// (/api/fleet/days). Re-read every minute and when the tab is shown again.

import * as api from './api.js';
import * as fmt from './format.js';
import * as charts from './charts.js';
import { $, h, setField } from './dom.js';

const state = {
  fleet: null,
  sort: { key: 'month', dir: -1 }, // busiest month first
  view: null, // {year, month} shown in the chart
};

let chart = null;

function failed(err, what) {
  const el = $('error');
  el.textContent = err && err.unreachable
    ? 'The PacketBuddy daemon is unreachable; this page retries every minute.'
    : `Could not load ${what}: ${err && err.message ? err.message : err}`;
  el.hidden = false;
  console.warn(`PacketBuddy: ${what}:`, err); // a warning: the page copes
}

const bytes = (block) => fmt.formatBytes(block.total_bytes);

/**
 * What tells devices apart where a host name is shared (two VMs named
 * "vm"): the first 8 characters of the device id; '' for a unique name.
 */
function deviceTags(devices) {
  const count = new Map();
  for (const d of devices) {
    const k = (d.hostname || d.device_id).toLowerCase();
    count.set(k, (count.get(k) || 0) + 1);
  }
  return new Map(devices.map((d) => [d.device_id, count.get((d.hostname || d.device_id).toLowerCase()) > 1 ? d.device_id.slice(0, 8) : '']));
}

/** A device's name for the chart legend: "vm (3f2a9c1e)" where needed. */
function deviceLabel(d, tags) {
  const tag = tags.get(d.device_id);
  return (d.hostname || d.device_id) + (tag ? ` (${tag})` : '');
}

/** "not seen for 5 h" / "… 3 d" for a silence in seconds. */
function silence(seconds) {
  const hours = Math.floor(seconds / 3600);
  return hours >= 48 ? `not seen for ${Math.floor(hours / 24)} d` : `not seen for ${hours} h`;
}

// ---- totals and devices -------------------------------------------------

async function loadFleet() {
  const f = await api.fleet();
  state.fleet = f;
  setField('fleet-today', bytes(f.today), f.today.total_bytes);
  setField('fleet-month', bytes(f.month), f.month.total_bytes);
  setField('fleet-life', bytes(f.lifetime), f.lifetime.total_bytes);
  setField('fleet-count', String(f.device_count), f.device_count);
  const stale = f.devices.filter((d) => d.stale).length;
  $('fleet-sub').textContent = `${f.device_count} ${f.device_count === 1 ? 'device' : 'devices'}` + (stale ? ` · ${stale} not seen lately` : '');
  $('at').textContent = `As of ${fmt.formatTime(f.at)}.`;
  showDevices();
}

const sortValue = {
  hostname: (d) => (d.hostname || d.device_id).toLowerCase(),
  os_type: (d) => d.os_type,
  time_zone: (d) => d.time_zone,
  last_seen: (d) => -d.last_seen_age_seconds,
  today: (d) => d.today.total_bytes,
  month: (d) => d.month.total_bytes,
  lifetime: (d) => d.lifetime.total_bytes,
};

function showDevices() {
  const { key, dir } = state.sort;
  const val = sortValue[key];
  const list = state.fleet.devices.slice().sort((a, b) => {
    const x = val(a);
    const y = val(b);
    return dir * (typeof x === 'string' ? x.localeCompare(y) : x - y) || a.hostname.localeCompare(b.hostname);
  });
  for (const th of document.querySelectorAll('#device-table th[data-sort]')) {
    if (th.dataset.sort === key) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  const tags = deviceTags(state.fleet.devices);
  const cell = (label, block) => h('td', { dataset: { label, value: String(block.total_bytes) } }, bytes(block));
  $('device-rows').replaceChildren(
    ...(list.length
      ? list.map((d) =>
          h(
            'tr',
            { className: d.stale ? 'stale' : '', dataset: { device: d.device_id } },
            h(
              'th',
              { scope: 'row' },
              d.hostname || d.device_id,
              tags.get(d.device_id) ? h('span', { className: 'dev-tag', title: `device id ${d.device_id}` }, ` · ${tags.get(d.device_id)}`) : null,
            ),
            h('td', { className: 'text', dataset: { label: 'OS' } }, d.os_type || '—'),
            h('td', { className: 'text', dataset: { label: 'Time zone' } }, d.time_zone),
            h(
              'td',
              { className: 'text', dataset: { label: 'Last seen' }, title: d.last_seen },
              fmt.formatTime(d.last_seen),
              d.stale ? h('span', { className: 'tag warn' }, silence(d.last_seen_age_seconds)) : null,
            ),
            cell('Today', d.today),
            cell('This month', d.month),
            cell('All time', d.lifetime),
          ),
        )
      : [h('tr', {}, h('td', { colSpan: 7, className: 'empty' }, 'No device has synced yet.'))]),
  );
}

function sortBy(key) {
  const s = state.sort;
  state.sort = { key, dir: s.key === key ? -s.dir : ['hostname', 'os_type', 'time_zone'].includes(key) ? 1 : -1 };
  if (state.fleet) showDevices();
}

// ---- month chart --------------------------------------------------------

function currentMonth() {
  const d = new Date();
  return { year: d.getFullYear(), month: d.getMonth() + 1 };
}

async function loadMonth() {
  const view = state.view;
  const days = fmt.monthDays(view.year, view.month);
  const data = await api.fleetDays(days[0], days[days.length - 1]);
  if (state.view !== view) return; // the user moved on while this loaded
  const tags = deviceTags(data.devices);
  chart.set(
    data.dates.map((d) => String(Number(d.slice(8)))),
    data.dates.map((d) => fmt.dayLabel(d)),
    data.devices.map((d) => ({ label: deviceLabel(d, tags), values: d.days.map((x) => x.total_bytes) })),
  );
  const cur = currentMonth();
  const isCurrent = view.year === cur.year && view.month === cur.month;
  $('month-h').textContent = isCurrent ? `This month · ${fmt.monthLabel(view.year, view.month)}` : fmt.monthLabel(view.year, view.month);
  const s = data.summary;
  $('month-summary').replaceChildren(
    h('b', { dataset: { field: 'days-total', value: String(s.total_bytes) } }, fmt.formatBytes(s.total_bytes)),
    ` in ${fmt.monthLabel(view.year, view.month)} on ${data.devices.length} ${data.devices.length === 1 ? 'device' : 'devices'} · `,
    `${fmt.formatBytes(s.bytes_received)} down · ${fmt.formatBytes(s.bytes_sent)} up`,
  );
  $('month-next').disabled = isCurrent;
  $('month-now').disabled = isCurrent;
}

function moveMonth(n) {
  const v = state.view;
  state.view = n === 0 ? currentMonth() : fmt.addMonths(v.year, v.month, n);
  loadMonth().catch((err) => failed(err, 'the month'));
}

// ---- start --------------------------------------------------------------

function refresh() {
  $('error').hidden = true;
  // /api/health names the byte units (the daemon's [display] units).
  const units = api.health().then((hl) => fmt.useUnits(hl.units), () => {});
  return units.then(() => Promise.all([loadFleet().catch((err) => failed(err, 'the fleet')), loadMonth().catch((err) => failed(err, 'the month'))]));
}

function start() {
  state.view = currentMonth();
  chart = charts.deviceBars($('fleet-chart'));
  for (const th of document.querySelectorAll('#device-table th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => sortBy(th.dataset.sort));
  }
  $('month-prev').addEventListener('click', () => moveMonth(-1));
  $('month-next').addEventListener('click', () => moveMonth(1));
  $('month-now').addEventListener('click', () => moveMonth(0));
  document.addEventListener('pb-theme', charts.retheme); // js/theme.js
  refresh().then(() => {
    document.body.dataset.ready = 'true'; // the browser test waits for this
  });
  setInterval(() => {
    if (!document.hidden) refresh();
  }, 60000);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
}

start();
