// The "Data plans" section: one card per configured plan (/api/plans) with
// where its cycle stands, a bar of used/cap with the alert thresholds, the
// safe daily budget, the forecast, the cost and a chart of the cycle; then
// the latest alerts.
//
// The section stays hidden without plans, and on a daemon older than
// /api/plans (404), which is then not asked again until the next full
// refresh (a reconnect may be to a newer daemon).
//
// Cards are kept by plan name and updated in place, so a refresh every 10 s
// does not rebuild the charts or close an open tooltip.

import * as api from './api.js';
import * as fmt from './format.js';
import { planChart } from './charts.js';
import { $, h } from './dom.js';

const ALERTS_SHOWN = 5;

let missing = false; // the daemon has no /api/plans
const cards = new Map(); // plan name → {el, body, box, chart}

/**
 * Load and show the plans. force asks again even after a 404 (the full
 * refresh after a reconnect or when the tab is shown again).
 */
export async function loadPlans(force = false) {
  if (force) missing = false;
  if (missing) return;
  let data;
  try {
    data = await api.plans(ALERTS_SHOWN);
  } catch (err) {
    if (err.status !== 404) throw err;
    missing = true;
    data = { plans: [], alerts: [] };
  }
  const plans = data.plans || [];
  $('plans').hidden = plans.length === 0;

  const today = (data.generated_at || '').slice(0, 10) || fmt.today();
  const els = plans.map((p) => showPlan(p, today));
  for (const [name, c] of cards) {
    if (!plans.some((p) => p.name === name)) {
      c.chart?.destroy();
      cards.delete(name);
    }
  }
  $('plan-cards').replaceChildren(...els);
  // Charts after the cards are in the page, so they get their real size.
  for (const p of plans) chartPlan(cards.get(p.name), p);
  $('plan-legend').hidden = !plans.some((p) => cards.get(p.name).chart);
  showAlerts(plans.length ? data.alerts || [] : []);
}

// ---- one plan -----------------------------------------------------------

/** "60%", "102.2%": one decimal at most. */
export const percent = (x) => `${Math.round(Number(x) * 10) / 10}%`;

/** "Apr 1" style label of a "YYYY-MM-DD" day. */
const shortDay = (d) => fmt.dayLabel(d, { day: 'numeric', month: 'short' });

/**
 * ok, warn (past the first alert threshold of 80 % or more) or over (the
 * cap reached).
 */
export function level(p) {
  if (!p.cap_bytes) return 'ok';
  if (p.percent >= 100) return 'over';
  const warnAt = Math.min(100, ...(p.thresholds || []).filter((t) => t >= 80));
  return p.percent >= warnAt ? 'warn' : 'ok';
}

function showPlan(p, today) {
  let c = cards.get(p.name);
  if (!c) {
    const body = h('div', { className: 'plan-body' });
    c = { el: h('article', { className: 'plan', dataset: { plan: p.name } }, body), body, box: null, chart: null };
    cards.set(p.name, c);
  }
  const state = p.active ? level(p) : 'inactive';
  c.el.className = `plan is-${state}`;
  c.el.setAttribute('aria-label', `Data plan ${p.name}`);
  c.body.replaceChildren(...(p.active ? activeBody(p, state) : inactiveBody(p, today)));
  return c.el;
}

function head(p, tag) {
  return h('div', { className: 'plan-head' }, h('h3', {}, p.name), tag && h('span', { className: `tag ${tag[0]}` }, tag[1]));
}

/** A row of the plan's key/value list; cls names the value for the tests. */
const row = (label, cls, text) => h('div', {}, h('dt', {}, label), h('dd', { className: cls }, text));

function activeBody(p, state) {
  const hasCap = p.cap_bytes > 0;
  const tags = { over: ['bad', 'Over the cap'], warn: ['warn', 'Nearly used up'] };
  const out = [head(p, tags[state]), h('p', { className: 'hint plan-cycle' }, cycleText(p))];
  const rows = [row('Used', 'plan-used', fmt.formatBytes(p.used_bytes))];
  if (hasCap) {
    out.push(
      h(
        'p',
        { className: 'plan-share' },
        h('b', { className: 'plan-pct' }, percent(p.percent)),
        ` of ${fmt.formatBytes(p.cap_bytes)}`,
      ),
      bar(p),
    );
    rows.push(
      row('Remaining', 'plan-remaining', fmt.formatBytes(p.remaining_bytes)),
      row('Safe daily budget', 'plan-budget', fmt.formatBytes(p.daily_budget_bytes)),
    );
  }
  if (p.currency) {
    rows.push(row('Cost so far', 'plan-cost', p.cost_formatted || String(p.cost)));
    if (hasCap) rows.push(row('Forecast cost', 'plan-forecast-cost', p.forecast_cost_formatted || String(p.forecast_cost)));
  }
  out.push(h('dl', { className: 'kv compact' }, ...rows));
  if (hasCap) out.push(h('p', { className: 'plan-forecast' }, forecastText(p)));
  return out;
}

function inactiveBody(p, today) {
  const cy = p.cycle || {};
  let when = 'Not in its validity period.';
  if (cy.kind === 'once' && cy.start > today) when = `Starts on ${shortDay(cy.start)}.`;
  else if (cy.kind === 'once' && cy.expires) when = `Ended on ${shortDay(cy.expires)}.`;
  const cap = p.cap_bytes ? `${fmt.formatBytes(p.cap_bytes)} pack. ` : '';
  return [head(p, ['no', 'Not active']), h('p', { className: 'hint plan-cycle' }, cap + when)];
}

/** "resets on Apr 1 · 24 days left" */
function cycleText(p) {
  const next = shortDay(fmt.addDays(p.cycle_last_day, 1));
  const n = p.whole_days_left;
  const left = n <= 1 ? 'last day' : `${n} days left`;
  const verb = p.cycle && p.cycle.kind === 'once' ? `ends after ${shortDay(p.cycle_last_day)}` : `resets on ${next}`;
  return `${verb} · ${left}`;
}

/** "On track for 10.77 GB — cap reached around Mar 30", or "… — stays under the cap". */
function forecastText(p) {
  const total = fmt.formatBytes(p.forecast_bytes);
  if (p.used_bytes >= p.cap_bytes) {
    const since = p.cap_date ? ` since ${shortDay(p.cap_date)}` : '';
    return `Over the cap${since} by ${fmt.formatBytes(p.used_bytes - p.cap_bytes)}; on track for ${total}.`;
  }
  const likely = p.forecast_low_bytes !== p.forecast_high_bytes && p.forecast_high_bytes
    ? ` (likely between ${fmt.formatBytes(p.forecast_low_bytes)} and ${fmt.formatBytes(p.forecast_high_bytes)})`
    : '';
  if (p.cap_date) return `On track for ${total}${likely} — cap reached around ${shortDay(p.cap_date)}.`;
  return `On track for ${total}${likely} — stays under the cap.`;
}

/**
 * The used/cap bar with a tick at each alert threshold. Widths are set
 * through the CSSOM (element.style), which a strict CSP allows, unlike
 * style attributes.
 */
function bar(p) {
  const fill = h('div', { className: 'plan-fill' });
  fill.style.width = `${Math.min(100, Math.max(0, p.percent))}%`;
  const ticks = (p.thresholds || [])
    .filter((t) => t > 0 && t < 100)
    .map((t) => {
      const tick = h('i', { className: 'plan-tick', title: `alert at ${t}%` });
      tick.style.left = `${t}%`;
      return tick;
    });
  return h(
    'div',
    {
      className: 'plan-bar',
      role: 'progressbar',
      'aria-label': `${p.name}: share of the cap used`,
      'aria-valuemin': '0',
      'aria-valuemax': String(Math.max(100, p.percent)),
      'aria-valuenow': String(p.percent),
      'aria-valuetext': `${percent(p.percent)}: ${fmt.formatBytes(p.used_bytes)} of ${fmt.formatBytes(p.cap_bytes)}`,
    },
    fill,
    ...ticks,
  );
}

// ---- the chart ------------------------------------------------------------

/** The chart's series: one point per day of the cycle. */
export function planSeries(p) {
  const days = [];
  for (let d = p.cycle_start; d && d <= p.cycle_last_day; d = fmt.addDays(d, 1)) days.push(d);
  const at = new Map(days.map((d, i) => [d, i]));
  const used = days.map(() => null);
  const forecast = days.map(() => null);
  let total = p.offset_bytes || 0;
  let last = -1;
  for (const d of p.daily || []) {
    total += d.bytes;
    const i = at.get(d.date);
    if (i === undefined) continue;
    used[i] = Math.max(0, total);
    last = i;
  }
  // The dashed line starts where the solid one ends, then follows the
  // forecast running total of each later day.
  if (last >= 0) forecast[last] = used[last];
  for (const d of p.projection || []) {
    const i = at.get(d.date);
    if (i !== undefined && i > last) forecast[i] = d.bytes;
  }
  // The band widens from today's use to the likely range at the cycle's end.
  const low = days.map(() => null);
  const high = days.map(() => null);
  if (last >= 0) low[last] = high[last] = used[last];
  for (const d of p.projection_band || []) {
    const i = at.get(d.date);
    if (i !== undefined && i > last) [low[i], high[i]] = [d.low_bytes, d.high_bytes];
  }
  return {
    labels: days.map((d) => String(Number(d.slice(8)))),
    titles: days.map((d) => fmt.dayLabel(d)),
    used,
    forecast,
    low,
    high,
    cap: p.cap_bytes,
  };
}

function chartPlan(c, p) {
  const want = p.active && p.cap_bytes > 0;
  if (!want) {
    c.chart?.destroy();
    c.box?.remove();
    c.chart = c.box = null;
    return;
  }
  if (!c.chart) {
    const canvas = h('canvas', { 'aria-hidden': 'true' });
    c.box = h('div', { className: 'chart chart-plan' }, canvas);
    c.el.append(c.box);
    c.chart = planChart(canvas);
  }
  c.chart.set(planSeries(p));
}

// ---- alerts ---------------------------------------------------------------

function showAlerts(alerts) {
  $('plan-alerts').hidden = alerts.length === 0;
  $('plan-alert-list').replaceChildren(
    ...alerts
      .slice(0, ALERTS_SHOWN)
      .map((a) =>
        h('li', { className: `kind-plan-${a.kind}` }, h('span', { className: 'when' }, fmt.formatTime(a.time)), h('span', { className: 'kind-tag' }, a.title)),
      ),
  );
}
