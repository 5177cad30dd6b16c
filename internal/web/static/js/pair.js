// Pairing a phone (pb pair) and the paired sessions, kept apart from the
// dashboard's own code (app.js) so each can change without the other.
//
// On pair.html (the page a phone opens from the QR code): the code comes in
// the URL's fragment (#ABCD-EFGH, never sent to the server or logged), is
// posted to /api/pair/claim, and the daemon answers with the session cookie
// (HttpOnly: this script never sees it); then the dashboard opens.
//
// On the dashboard and the fleet page: when opened on this computer
// (loopback), a "Pair a phone" button opens a dialog with a new code, its
// QR code and the paired sessions, each with Revoke. Opened from elsewhere
// without a session, the API answers 401 and the page goes to pair.html.

import { $, h } from './dom.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** POST to the API; resolves to [status, body]. */
async function post(path, body) {
  const res = await fetch(`../api/${path}`, {
    method: 'POST',
    cache: 'no-store',
    headers: body ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // not JSON: a proxy's page
  }
  return [res.status, json];
}

// ---- the phone's pairing page -------------------------------------------

function setupPairPage() {
  const form = $('pair-form');
  const input = $('pair-code');
  const status = $('pair-status');
  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle('is-error', error);
  };
  const submit = async () => {
    const code = input.value.trim();
    if (!code) return;
    $('pair-submit').disabled = true;
    say('Pairing…');
    try {
      const [st, body] = await post('pair/claim', { code });
      if (st === 200) {
        say('Paired. Opening the dashboard…');
        location.replace('./');
        return;
      }
      say((body && body.error) || `The daemon answered ${st}.`, true);
    } catch {
      say('PacketBuddy did not answer: is this phone on the same network?', true);
    } finally {
      $('pair-submit').disabled = false;
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  const fromLink = decodeURIComponent(location.hash.slice(1));
  if (fromLink) {
    input.value = fromLink;
    // The code leaves the address bar and the history at once.
    history.replaceState(null, '', location.pathname);
    submit();
  }
}

// ---- the dashboard: pair a phone, list and revoke sessions ---------------

function fmtTime(iso) {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

async function loadSessions(list) {
  const res = await fetch('../api/sessions', { cache: 'no-store', headers: { Accept: 'application/json' } });
  const body = await res.json();
  list.replaceChildren();
  if (!res.ok) {
    list.append(h('li', {}, body.error || `HTTP ${res.status}`));
    return;
  }
  if (body.sessions.length === 0) {
    list.append(h('li', { className: 'hint' }, 'No paired browsers yet.'));
  }
  for (const s of body.sessions) {
    const btn = h('button', { type: 'button', className: 'btn', dataset: { session: s.id } }, 'Revoke');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      await post(`sessions/revoke?id=${encodeURIComponent(s.id)}`);
      loadSessions(list);
    });
    list.append(
      h('li', { dataset: { session: s.id } },
        h('span', {}, `${s.name}${s.current ? ' (this browser)' : ''}`,
          h('small', {}, `paired ${fmtTime(s.created_at)} · last used ${fmtTime(s.last_seen_at)}`)),
        btn),
    );
  }
}

function buildDialog() {
  const qr = h('div', { className: 'pair-qr', id: 'pair-qr' });
  const note = h('p', { className: 'hint', id: 'pair-note', role: 'status' });
  const list = h('ul', { className: 'sessions-list', id: 'sessions-list' });
  const revokeAll = h('button', { type: 'button', className: 'btn', id: 'sessions-revoke-all' }, 'Revoke all');
  const close = h('button', { type: 'button', className: 'btn primary', id: 'pair-close' }, 'Close');
  const dlg = h('dialog', { id: 'pair-dialog', 'aria-labelledby': 'pair-h' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'pair-h' }, 'Pair a phone'),
      qr,
      note,
      h('h2', {}, 'Paired browsers'),
      list,
      h('div', { className: 'dialog-actions' }, revokeAll, close)),
  );
  close.addEventListener('click', () => dlg.close());
  revokeAll.addEventListener('click', async () => {
    await post('sessions/revoke?all=true');
    loadSessions(list);
  });
  document.body.append(dlg);
  return { dlg, qr, note, list };
}

async function openPairDialog(parts) {
  const { dlg, qr, note, list } = parts;
  qr.replaceChildren();
  note.textContent = 'Making a code…';
  dlg.showModal();
  loadSessions(list).catch(() => {});
  try {
    const [st, body] = await post('pair');
    if (st !== 201) {
      note.textContent = (body && body.error) || `The daemon answered ${st}.`;
      return;
    }
    const mins = Math.round(body.expires_in_seconds / 60);
    qr.append(
      h('img', { src: body.qr_png, alt: `QR code of ${body.url}`, width: 192, height: 192 }),
      h('span', { className: 'pair-code', id: 'pair-code-shown' }, body.code),
      h('a', { className: 'pair-url', href: body.url, rel: 'noreferrer' }, body.url),
    );
    note.textContent = `Scan the code with the phone's camera, or open ${body.url.split('#')[0]} there and type the code. It works once, for ${mins} minute${mins === 1 ? '' : 's'}.`;
  } catch {
    note.textContent = 'The daemon did not answer.';
  }
}

function setupDashboard() {
  if (LOOPBACK.test(location.hostname)) {
    const bar = document.querySelector('.top-actions');
    if (!bar) return;
    let parts = null;
    const btn = h('button', { type: 'button', className: 'btn', id: 'pair-open', 'aria-haspopup': 'dialog' }, 'Pair a phone');
    btn.addEventListener('click', () => {
      parts = parts || buildDialog();
      openPairDialog(parts);
    });
    bar.append(btn);
    return;
  }
  // Elsewhere: without a session the API refuses; go and pair.
  fetch('../api/health', { cache: 'no-store', headers: { Accept: 'application/json' } }).then(
    (res) => {
      if (res.status === 401) location.replace('pair.html');
    },
    () => {}, // unreachable: the page's own offline state says so
  );
}

if ($('pair-form')) setupPairPage();
else setupDashboard();
