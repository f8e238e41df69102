// The service worker: installs visavis as an app and opens its home page offline.
//
// It caches the APP SHELL ONLY, the static files listed below, copied at install into a
// cache named after VERSION. Nothing else is ever cached or answered from a cache: not the
// socket (/ws), /healthz, /ice-servers, /auth/*, nor any response fetched later, so no
// credential or meeting data lands on the disk. Online, every file comes from the network
// (the cache is only the fallback), so a page never mixes two versions of the client.
//
// Update rule: a new sw.js (a new VERSION: any shell file changed) installs in the
// background and waits. It takes over when the old one's tabs are all closed, or when a
// page opened at the home page asks (main.js, on load) and no tab is in a call: a tab in a
// call holds the Web Lock 'visavis-call' (js/call-lock.js). Then the old caches go.

// shell: written by `make shell` (tools/shell.mjs): do not edit by hand.
const VERSION = 'afa9ec294609';
const SHELL = [
  '/',
  '/offline.html',
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/css/app.css',
  '/css/extras.css',
  '/css/file-send.css',
  '/js/arrival-alerts.js',
  '/js/arrival.js',
  '/js/audio-only.js',
  '/js/audio-view.js',
  '/js/bandwidth.js',
  '/js/call-extras.js',
  '/js/call-lock.js',
  '/js/call.js',
  '/js/certificate.js',
  '/js/chat.js',
  '/js/codes.js',
  '/js/connection-check.js',
  '/js/connection-view.js',
  '/js/control-channel.js',
  '/js/controls.js',
  '/js/dom.js',
  '/js/errors.js',
  '/js/events.js',
  '/js/facts.js',
  '/js/file-offer.js',
  '/js/file-pump.js',
  '/js/file-transfer.js',
  '/js/file-view.js',
  '/js/heartbeat.js',
  '/js/host-view.js',
  '/js/i18n.js',
  '/js/ice-recovery.js',
  '/js/languages.js',
  '/js/link.js',
  '/js/lobby.js',
  '/js/local-media.js',
  '/js/main.js',
  '/js/media-stall.js',
  '/js/media.js',
  '/js/offline.js',
  '/js/passkeys.js',
  '/js/peer.js',
  '/js/phases.js',
  '/js/pip-support.js',
  '/js/pip-view.js',
  '/js/pip-window.js',
  '/js/qr-code.js',
  '/js/qr-view.js',
  '/js/render.js',
  '/js/routing.js',
  '/js/seat-claim.js',
  '/js/seat-store.js',
  '/js/server-frames.js',
  '/js/session.js',
  '/js/shortcuts.js',
  '/js/signal-post.js',
  '/js/signaling.js',
  '/js/spare-peer.js',
  '/js/strings.js',
  '/js/ui.js',
  '/js/verification.js',
  '/js/waiting-panel.js',
  '/js/i18n/ar.js',
  '/js/i18n/de.js',
  '/js/i18n/es.js',
  '/js/i18n/fr.js',
  '/js/i18n/hi.js',
  '/js/i18n/ja.js',
  '/js/i18n/pt-BR.js',
  '/js/vendor/qrcode.js',
];
// end of shell

const CACHE = `visavis-shell-${VERSION}`;
const CALL_LOCK = 'visavis-call'; // js/call-lock.js
// Navigations offline: the home page from the cache, any other address the offline page.
const OFFLINE_HOME = new Set(['/', '/enrol']);

self.addEventListener('install', (event) => {
  // `reload`: the files as the server has them now, not an older copy from the HTTP cache.
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(SHELL.map((path) => new Request(path, {cache: 'reload'})))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((name) => name.startsWith('visavis-shell-') && name !== CACHE)
    .map((name) => caches.delete(name)))));
});

self.addEventListener('message', (event) => {
  if (event.data === 'takeover') event.waitUntil(takeOver());
});

/** Become the active worker unless some tab is in a call (holds or waits for CALL_LOCK). */
async function takeOver() {
  const {held = [], pending = []} = await self.navigator.locks?.query() ?? {};
  if ([...held, ...pending].some((lock) => lock.name === CALL_LOCK)) return;
  await self.skipWaiting();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() =>
      fromShell(OFFLINE_HOME.has(url.pathname) ? '/' : '/offline.html')));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => fromShell(url.pathname)));
  }
  // Anything else (/ws, /healthz, /ice-servers, /auth/...) is not touched: the network's.
});

/** A shell file from this version's cache; a network error if it is missing. */
async function fromShell(path) {
  const cached = await caches.match(path, {cacheName: CACHE});
  return cached ?? Response.error();
}
