// The last numbers, for when the daemon cannot be reached (an installed app
// opened away from home, a stopped daemon): the dashboard keeps its last
// first-screen answer in localStorage and, while offline, shows today's
// totals from it with their age, under the "unreachable" banner. Only
// numbers are kept, nothing that authorises anything.

import { $, h } from './dom.js';
import * as fmt from './format.js';

const KEY = 'pb-last-dashboard';

/** Keep the first-screen answer (GET /api/dashboard) and when it came. */
export function remember(d) {
  try {
    const keep = { at: Date.now(), host: d.device && d.device.hostname, today: d.today, units: d.device && d.device.units };
    localStorage.setItem(KEY, JSON.stringify(keep));
  } catch {
    // storage full or disabled: nothing to show offline, no harm
  }
}

/** "5 minutes ago" */
export function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const hr = Math.round(m / 60);
  if (hr < 48) return `${hr} hour${hr === 1 ? '' : 's'} ago`;
  const d = Math.round(hr / 24);
  return `${d} days ago`;
}

/** Show the kept numbers in the offline banner (nothing when none). */
export function showLast() {
  const banner = $('offline');
  if (!banner) return;
  let last = null;
  try {
    last = JSON.parse(localStorage.getItem(KEY) || 'null');
  } catch {
    last = null;
  }
  banner.querySelector('.offline-last')?.remove();
  if (!last || !last.today) return;
  if (last.units) fmt.useUnits(last.units);
  const t = last.today;
  const when = new Date(last.at);
  banner.append(
    h('span', { className: 'offline-last', id: 'offline-last', dataset: { at: String(last.at) } },
      `Last numbers${last.host ? ` from ${last.host}` : ''}, ${age(Date.now() - last.at)} (${when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}): today ↓ ${fmt.formatBytes(t.bytes_received)} ↑ ${fmt.formatBytes(t.bytes_sent)}, ${fmt.formatBytes(t.total_bytes)} in all.`),
  );
}
