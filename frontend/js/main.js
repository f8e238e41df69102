// Boot: one call session (session.js), the views that render it, the controls, routing
// and shortcuts that drive it, and the browser tests' handle.
import {bindConnectionCheck} from './connection-view.js';
import {bindControls} from './controls.js';
import {bindHosts} from './host-view.js';
import {renderSession} from './render.js';
import {routeSession} from './routing.js';
import {CallSession} from './session.js';
import {bindShortcuts} from './shortcuts.js';
import {serverAnswers, socketUrl} from './signaling.js';
import * as ui from './ui.js';

const session = new CallSession({
  url: socketUrl(location),
  probe: serverAnswers, // tells a refused socket (wrong VISAVIS_PUBLIC_URL) from a lost one
  // Test and debug only: `?relay=1` allows relayed candidates alone (forces the TURN path).
  relayOnly: new URLSearchParams(location.search).get('relay') === '1',
});

ui.localize();
renderSession(session, location.origin);
const router = routeSession(session, {location, history, window});
bindControls(session, router);
bindHosts(session, router, {location, history});
bindShortcuts(document, () => session.inCall);
bindConnectionCheck(session, () => router.room);
// Picture-in-picture, the QR code and the arrival alerts: fetched with the first lobby or
// call, never on the home page's first load.
let extras = null;
session.addEventListener('phase', () => {
  if (session.phase === 'home' || extras) return;
  extras = import('./call-extras.js').then(({bindCallExtras}) => bindCallExtras(session));
});

/** @type {{type?: string, addEventListener?: Function}|undefined} Network Information API */
const connection = /** @type {any} */ (navigator).connection;
let networkType = connection?.type;
/**
 * Back online, or on another network (Wi-Fi to mobile). Chromium also reports mere speed
 * estimates as a change: those restart ICE only when the call is not connected.
 */
function networkChanged({type: event}) {
  const moved = event === 'online' || connection?.type !== networkType;
  networkType = connection?.type;
  session.networkChanged(moved);
}
window.addEventListener('online', networkChanged);
connection?.addEventListener?.('change', networkChanged);
// After sleep or a long time in the background the socket may be dead yet OPEN: ask now.
window.addEventListener('pageshow', () => session.checkServer());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') session.checkServer();
});
window.addEventListener('pagehide', () => session.pageHidden());

// Read-only handle for the browser tests (tests/browser/), not an API: the current
// RTCPeerConnection, whether the server holds our seat, and a forced ICE restart.
Object.defineProperty(window, 'visavis', {
  value: Object.freeze({
    get peerConnection() {
      return session.peerConnection;
    },
    get seated() {
      return session.seated;
    },
    restartIce: () => session.restartIce(),
  }),
});

const deepLink = router.room;
if (deepLink) session.open(deepLink);
else ui.showView('home', {focus: false});
