// The networks panel: this month's traffic per network (the default
// gateway's hardware address, and the Wi-Fi SSID where the OS gives it),
// and the network each interface is on now. Data: GET /api/networks.
// It loads and refreshes itself, apart from app.js.

import * as api from './api.js';
import * as fmt from './format.js';
import { $, h } from './dom.js';

const pad = (n) => String(n).padStart(2, '0');

/** This month so far, as local days. */
function monthRange(d = new Date()) {
  const ym = `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
  return { from: `${ym}-01`, to: `${ym}-${pad(d.getDate())}` };
}

/** The SSID column: the SSID, "wired", or says it could not be read. */
export function ssidText(n) {
  if (n.id === 0) return '';
  if (n.ssid_status === 'read') return n.ssid;
  if (n.ssid_status === 'wired') return 'wired';
  return 'SSID not available';
}

export async function loadNetworks() {
  const d = await api.getJSON('networks', monthRange());
  const section = $('networks');
  section.hidden = d.networks.length === 0 && d.attached.length === 0;
  if (section.hidden) return;
  const byFingerprint = new Map();
  for (const n of d.networks) for (const f of n.fingerprints) byFingerprint.set(f, n.name);
  $('networks-now').textContent = d.attached.length
    ? 'Now: ' + d.attached.map((a) => `${a.interface} on ${byFingerprint.get(a.fingerprint) ?? `gateway ${a.gateway_mac}`}`).join(', ')
    : 'Now: no interface is on an identifiable network.';
  $('network-rows').replaceChildren(
    ...d.networks.map((n) =>
      h(
        'tr',
        { dataset: { network: n.name } },
        h('th', { scope: 'row', title: n.gateway ? `gateway ${n.gateway} (${n.gateway_mac})` : '' }, n.name),
        h('td', { className: n.ssid_available ? 'net-ssid' : 'net-ssid hint' }, ssidText(n)),
        h('td', { className: 'net-metered' }, n.metered ? 'metered' : ''),
        h('td', { className: 'num' }, fmt.formatBytes(n.bytes_received)),
        h('td', { className: 'num' }, fmt.formatBytes(n.bytes_sent)),
        h('td', { className: 'num net-total' }, fmt.formatBytes(n.total_bytes)),
      ),
    ),
  );
  const noSSID = d.networks.some((n) => n.id !== 0 && n.ssid_status === 'not available') ||
    d.attached.some((a) => a.ssid_status === 'not available');
  $('networks-ssid').hidden = !noSSID;
}

function refresh() {
  loadNetworks().catch(() => {
    // app.js reports an unreachable daemon; the panel keeps its numbers.
  });
}

refresh();
setInterval(() => {
  if (!document.hidden) refresh();
}, 60000);
