// Service worker: keeps the dashboard's own files so the installed app
// opens without the daemon (it then shows "daemon unreachable" with the last
// numbers it saw and their age, js/offline.js, and waits).
//
// Network first, cache as fallback: a new pb binary serves new files, and a
// page that is online always gets them; the cache only stands in when the
// daemon is not answering. API calls are never cached: stale numbers that
// look current are worse than none.

const CACHE = 'pb-shell-v5';
const SHELL = [
  './',
  'app.css',
  'js/app.js',
  'fleet.html',
  'js/fleet.js',
  'js/api.js',
  'js/charts.js',
  'js/dom.js',
  'js/export.js',
  'js/format.js',
  'js/plans.js',
  'js/networks.js',
  'js/apps.js',
  'js/theme.js',
  'docs.html',
  'js/docs.js',
  'js/trends.js',
  'trends.css',
  'pair.html',
  'pair.css',
  'js/pair.js',
  'js/offline.js',
  'vendor/chart.js-4.6.1/chart.umd.min.js',
  'manifest.webmanifest',
  'icons/icon.svg',
  'icons/icon-192.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  // Only this app's own files; the API (../api/), the live stream and
  // anything else go straight to the network.
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(new URL('./', self.location).pathname)) {
    return;
  }
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      // ignoreVary: the daemon answers "Vary: Origin", and module scripts
      // are requested with an Origin header that the cached copy lacks.
      .catch(() => caches.match(req, { ignoreSearch: true, ignoreVary: true }))
      .then((res) => res || (req.mode === 'navigate' ? caches.match('./', { ignoreVary: true }) : undefined))
      .then((res) => res || Response.error()),
  );
});
