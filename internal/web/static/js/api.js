// The daemon's REST API, as the dashboard uses it.
//
// Every URL is relative to the page (/dashboard/ → ../api/...), so the page
// works on any host and port the daemon listens on, and behind a proxy that
// mounts it under a prefix. The shapes are described in
// shared/api-contract.md and /api/openapi.json.

const BASE = '../api/';

/** An API call that failed. unreachable is true when no answer came at all. */
export class ApiError extends Error {
  constructor(message, { status = 0, unreachable = false } = {}) {
    super(message);
    this.status = status;
    this.unreachable = unreachable;
  }
}

/** The URL of an API path with its query parameters (empty ones left out). */
export function apiURL(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return BASE + path + (s ? `?${s}` : '');
}

/**
 * GET a JSON endpoint. Rejects with ApiError: unreachable when the daemon did
 * not answer (stopped, restarting) or the request timed out, otherwise with
 * the API's own error sentence.
 */
export async function getJSON(path, params = {}, { timeoutMs = 15000 } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    // no-store: the numbers change every second; a cached answer would be stale.
    res = await fetch(apiURL(path, params), { cache: 'no-store', signal: ctl.signal, headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new ApiError('The PacketBuddy daemon did not answer.', { unreachable: true });
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // A proxy's HTML error page, or a daemon that died mid-answer.
    throw new ApiError(`The daemon answered ${res.status} without JSON.`, { status: res.status, unreachable: res.status >= 500 });
  }
  if (!res.ok) {
    // The daemon's own JSON error (e.g. the fleet database is down: 502) is
    // an answer, not an unreachable daemon; a gateway's 502-504 is not.
    const own = Boolean(body && body.error);
    throw new ApiError(own ? body.error : `HTTP ${res.status}`, {
      status: res.status,
      unreachable: !own && (res.status === 502 || res.status === 503 || res.status === 504),
    });
  }
  return body;
}

// ---- endpoints ----------------------------------------------------------
// Thin wrappers, one per endpoint, so the rest of the code names what it
// wants rather than URL strings.

export const health = () => getJSON('health');
/** The first screen in one answer: device, today, month, summary, interfaces, live. */
export const dashboard = () => getJSON('dashboard');
export const today = () => getJSON('today');
export const summary = () => getJSON('summary');
/** month: "YYYY-MM" */
export const month = (m) => getJSON('month', { month: m });
/** from, to: "YYYY-MM-DD", inclusive */
export const range = (from, to) => getJSON('range', { from_date: from, to_date: to });
/** day: "YYYY-MM-DD" */
export const hours = (day) => getJSON('hours', { date: day });
export const top = (limit) => getJSON('top', { limit });
export const events = (limit) => getJSON('events', { limit });
export const interfaces = () => getJSON('interfaces');
/** The data plans and their latest alerts (404 on a daemon older than plans). */
export const plans = (alerts) => getJSON('plans', { alerts });
export const exportJSON = () => getJSON('export', { format: 'json' });
/** The whole fleet (sync on; 404 otherwise). */
export const fleet = () => getJSON('fleet');
/** Every device's days, from, to: "YYYY-MM-DD", inclusive. */
export const fleetDays = (from, to) => getJSON('fleet/days', { from, to });

/**
 * Follows /api/live/stream (Server-Sent Events, one JSON event per poll).
 *
 * EventSource reconnects by itself after a dropped connection, but gives up
 * for good after an HTTP error, and a half-open connection (laptop asleep,
 * daemon killed -9 behind a proxy) can stay silent without an error at all.
 * So this wrapper owns the reconnecting: it closes the source on any error
 * or after `staleMs` without an event (the daemon sends one per poll, every
 * second by default; its heartbeats are SSE comments, which EventSource does
 * not surface), and opens a new one with a growing delay (1 s, 2 s, 4 s …
 * 10 s).
 *
 * onData(live) gets each event as {time, total:{rx_per_sec, tx_per_sec},
 * interfaces:[{name, kind, counted, rx_per_sec, tx_per_sec}], peak_today}; onState(state) gets "connecting",
 * "open" or "down". Returns a function that stops everything.
 */
export function followLive(onData, onState, { staleMs = 30000 } = {}) {
  let source = null;
  let retryTimer = 0;
  let staleTimer = 0;
  let delay = 1000;
  let stopped = false;

  const armStale = () => {
    clearTimeout(staleTimer);
    staleTimer = setTimeout(reconnect, staleMs);
  };

  const connect = () => {
    if (stopped) return;
    onState('connecting');
    source = new EventSource(apiURL('live/stream'));
    armStale();
    source.onopen = () => {
      delay = 1000;
      onState('open');
    };
    // The daemon names its events "live" (one per poll) and sends "close"
    // when it shuts down; unnamed events are accepted too.
    const handle = (ev) => {
      armStale();
      let live;
      try {
        live = JSON.parse(ev.data);
      } catch {
        return; // a malformed event is skipped, not fatal
      }
      onData(normalizeLive(live));
    };
    source.addEventListener('live', handle);
    source.onmessage = handle;
    source.addEventListener('close', () => reconnect());
    source.onerror = () => reconnect();
  };

  const reconnect = () => {
    if (stopped) return;
    clearTimeout(staleTimer);
    if (source) {
      source.onopen = source.onmessage = source.onerror = null;
      source.close();
      source = null;
    }
    onState('down');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    clearTimeout(staleTimer);
    if (source) source.close();
  };
}

/**
 * The stream's events have /api/live's shape (a usage block whose byte
 * counts are speeds, plus timestamp, peak_today and interfaces); the
 * monitor's own shape has total and time. Accept both, hand out one.
 */
function normalizeLive(l) {
  const total = l.total || { rx_per_sec: l.bytes_received || 0, tx_per_sec: l.bytes_sent || 0 };
  return {
    time: l.time || l.timestamp || '',
    total,
    interfaces: l.interfaces || [],
    peak_today: l.peak_today || 0,
  };
}
