// Boot: the home page (new meeting, join by code, hosts). The call itself (call.js and the
// session, peer, socket, lobby it imports) is fetched when a meeting is opened directly, or
// when the person points at or focuses "New meeting" or the code field: the home page's
// first load stays small (docs/performance.md) and starting a call does not wait for it.
import {parseRoomCode} from './codes.js';
import {byId} from './dom.js';
import {bindHosts} from './host-view.js';
import {strings} from './strings.js';
import * as ui from './ui.js';

// call.js's static graph minus what the home page already has: preloaded together, so the
// call does not wait one round trip per import level (tests/frontend/preload.test.mjs).
const CALL_MODULES = ['call.js', 'call-lock.js', 'connection-view.js', 'controls.js', 'chat.js', 'session.js',
  'link.js', 'media.js', 'facts.js', 'media-stall.js', 'spare-peer.js', 'certificate.js', 'peer.js',
  'control-channel.js', 'ice-recovery.js', 'signal-post.js', 'verification.js', 'phases.js',
  'local-media.js', 'seat-claim.js', 'seat-store.js', 'server-frames.js', 'errors.js',
  'signaling.js', 'heartbeat.js', 'lobby.js', 'render.js', 'routing.js', 'shortcuts.js'];

const page = {location, history};
const hosts = bindHosts(page);
/** @type {Promise<{session: import('./session.js').CallSession, router: ReturnType<import('./routing.js').routeSession>}>|null} */
let call = null;

/** The call, started once: its modules fetched all at once, then the session created. */
function loadCall() {
  if (call) return call;
  for (const name of CALL_MODULES) {
    document.head.append(Object.assign(document.createElement('link'),
      {rel: 'modulepreload', href: `/js/${name}`}));
  }
  call = import('./call.js').then(({startCall}) => startCall(hosts));
  call.catch(() => {
    call = null; // offline or a failed fetch: the next click tries again
  });
  return call;
}

/** Run `action` once the call is loaded; a call that cannot load says so on the home page. */
async function withCall(action) {
  try {
    action(await loadCall());
  } catch {
    ui.setHomeError(strings.callLoadFailed);
  }
}

// Pointing at, touching or tabbing to the way into a call starts fetching it.
for (const id of ['new-meeting', 'join-code']) {
  for (const intent of ['pointerenter', 'touchstart', 'focus']) {
    byId(id).addEventListener(intent, loadCall);
  }
}
ui.onClick('new-meeting', () => withCall(({session}) => session.openLobby(null)));
ui.onJoin((text) => {
  const room = parseRoomCode(text);
  if (!room) {
    ui.setHomeError(strings.badCode);
    ui.focusJoinCode();
    return;
  }
  ui.setHomeError();
  withCall(({router}) => router.lobby(room));
});

ui.localize();
// The person's language: i18n.js and the language's file are fetched only when the page is
// not to stay English (a choice stored on this device, a browser not in English, a pick).
const languages = (picked) => import('./i18n.js').then((i18n) => i18n.startLanguages(picked));
for (const picker of document.querySelectorAll('.language select')) {
  const select = /** @type {HTMLSelectElement} */ (picker);
  select.addEventListener('change', () => languages(select.value), {once: true});
}
let storedLanguage = null;
try {
  storedLanguage = localStorage.getItem('visavis.language');
} catch {
  // Storage off: the browser's language decides.
}
if (storedLanguage || !/^en\b/i.test(navigator.languages?.[0] ?? 'en')) languages();
const deepLink = parseRoomCode(location.href);
if (deepLink) {
  withCall(({session}) => session.open(deepLink)).then(() => {
    if (!call) ui.showView('home', {focus: false}); // could not load: the home page says why
  });
} else {
  ui.showView('home', {focus: false});
}

// The service worker (sw.js): the app shell offline. Registered after the page has loaded,
// so it takes nothing from the first load. A new version waiting is told to take over from
// the home page only, and refuses while any tab is in a call (sw.js, call-lock.js).
addEventListener('load', () => {
  navigator.serviceWorker?.register('/sw.js').then((registration) => {
    if (deepLink) return;
    const takeover = () => registration.waiting?.postMessage('takeover');
    takeover();
    // A new version found by this very load is not waiting yet: ask once it has installed.
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed') takeover();
      });
    });
  }, () => {});
});
