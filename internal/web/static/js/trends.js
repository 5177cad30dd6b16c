// The trends panel (how this month, week and year compare with the past;
// weekday and hour-of-day profiles; unusual hours) and the minute view the
// hour map zooms into. Data: GET /api/trends and GET /api/minutes.

import * as api from './api.js';
import * as fmt from './format.js';
import * as charts from './charts.js';
import { $, h } from './dom.js';

const trendsAPI = () => api.getJSON('trends');
const minutesAPI = (from, to) => api.getJSON('minutes', { from, to });

/** "+12%", "−8%", "not counted" or "–" for a comparison. */
export function changeText(c) {
  if (c.change_percent !== null && c.change_percent !== undefined) {
    const v = Math.round(c.change_percent);
    return v > 0 ? `+${v}%` : v < 0 ? `−${-v}%` : '±0%';
  }
  return c.counted ? '–' : 'not counted';
}

/** A row of bars, one per value, widths relative to the largest. */
function profile(el, rows) {
  const top = Math.max(0, ...rows.map((r) => r.value));
  el.replaceChildren(
    ...rows.map((r) => {
      const fill = h('i', { className: 'trend-fill' });
      fill.style.width = top > 0 ? `${(100 * r.value) / top}%` : '0%';
      return h(
        'li',
        { title: `${r.label}: ${fmt.formatBytes(r.value)} on average` },
        h('span', { className: 'trend-label' }, r.short),
        h('span', { className: 'trend-bar' }, fill),
        h('span', { className: 'trend-value' }, fmt.formatBytes(r.value)),
      );
    }),
  );
}

export async function loadTrends() {
  const t = await trendsAPI();
  $('trends').hidden = false;
  const rows = [
    ['This month', t.month, 'last month to the same day'],
    ['This week', t.week, `the average of ${t.week.samples} week${t.week.samples === 1 ? '' : 's'}`],
    ['This year', t.year, 'last year to the same day'],
  ];
  $('trends-rows').replaceChildren(
    ...rows.map(([name, c, vs]) =>
      h(
        'tr',
        { dataset: { trend: name } },
        h('th', { scope: 'row' }, name),
        h('td', { className: 'num trend-now' }, fmt.formatBytes(c.current.total_bytes)),
        h('td', { className: 'num trend-before' }, fmt.formatBytes(c.previous.total_bytes)),
        h('td', { className: 'num trend-change' }, changeText(c)),
        h('td', { className: 'hint trend-vs' }, vs),
      ),
    ),
  );
  profile(
    $('trends-weekdays'),
    t.weekdays.map((w) => ({ label: w.weekday, short: w.weekday.slice(0, 3), value: w.average_bytes })),
  );
  profile(
    $('trends-hours'),
    t.hours.map((x) => ({ label: `${x.hour}:00`, short: String(x.hour).padStart(2, '0'), value: x.average_bytes })),
  );
  $('trends-unusual').replaceChildren(
    ...(t.unusual.length ? t.unusual.map((u) => h('li', { className: `kind-unusual-${u.kind}` }, u.message)) : [h('li', { className: 'hint' }, 'Nothing unusual in the last 7 days.')]),
  );
}

// ---- the minute view --------------------------------------------------------

let minuteChart = null;

/** Show the minutes of one local hour (day "YYYY-MM-DD", hour 0-23). */
export async function showMinutes(day, hour) {
  const [y, m, d] = day.split('-').map(Number);
  const from = new Date(y, m - 1, d, hour);
  const to = new Date(from.getTime() + 3600 * 1000);
  const r = await minutesAPI(from.toISOString(), to.toISOString());
  const box = $('minutes');
  box.hidden = false;
  box.dataset.from = r.from;
  $('minutes-h').textContent = `${fmt.dayLabel(day)}, ${hour}:00–${hour + 1}:00, minute by minute`;
  $('minutes-summary').textContent = `${r.summary.human_readable.total} in the hour (${r.summary.human_readable.received} down, ${r.summary.human_readable.sent} up)`;
  if (!minuteChart) minuteChart = charts.stackedBars($('minutes-chart'));
  minuteChart.set(
    r.minutes.map((p) => {
      const t = new Date(p.start);
      const label = `${t.getHours()}:${String(t.getMinutes()).padStart(2, '0')}`;
      return { label, title: label, rx: p.bytes_received, tx: p.bytes_sent };
    }),
  );
  box.scrollIntoView({ block: 'nearest' });
}

/** Clicking an hour of the hour map (or Enter on it) opens its minutes. */
export function setupMinuteZoom() {
  const open = (ev) => {
    const td = ev.target.closest('td[data-hour]');
    if (!td || td.classList.contains('none')) return;
    showMinutes(td.dataset.day, Number(td.dataset.hour)).catch((err) => {
      $('minutes-summary').textContent = `The minutes could not be loaded: ${err.message}`;
    });
  };
  $('heat-rows').addEventListener('click', open);
  $('minutes-close').addEventListener('click', () => {
    $('minutes').hidden = true;
  });
}
