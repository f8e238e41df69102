// The call, loaded by main.js when a meeting is near: one call session (session.js), the
// views that render it, the controls, routing and shortcuts that drive it, and the browser
// tests' handle.
import {holdCallLock} from './call-lock.js';
import {bindConnectionCheck} from './connection-view.js';
import {bindControls} from './controls.js';
import {byId} from './dom.js';
import {onDetail} from './events.js';
import {renderSession} from './render.js';
import {routeSession} from './routing.js';
import {CallSession} from './session.js';
import {bindShortcuts} from './shortcuts.js';
import {serverAnswers, socketUrl} from './signaling.js';
import * as ui from './ui.js';

/**
 * Start the call session and bind its views and controls to the page (once).
 * @param {ReturnType<import('./host-view.js').bindHosts>} hosts the home page's host bar
 * @returns {{session: CallSession, router: ReturnType<typeof routeSession>}}
 */
export function startCall(hosts) {
  const session = new CallSession({
    url: socketUrl(location),
    probe: serverAnswers, // tells a refused socket (wrong VISAVIS_PUBLIC_URL) from a lost one
    // Test and debug only: `?relay=1` allows relayed candidates alone (forces the TURN path).
    relayOnly: new URLSearchParams(location.search).get('relay') === '1',
  });

  renderSession(session, location.origin);
  const router = routeSession(session, {location, history, window});
  bindControls(session, router);
  hosts.watch(session, router);
  bindShortcuts(document, () => session.inCall);
  bindConnectionCheck(session, () => router.room);
  holdCallLock(session); // the service worker updates between calls only

  // Picture-in-picture, the QR code and the arrival alerts: fetched with the first lobby or
  // call, never on the home page's first load.
  let extras = null;
  session.addEventListener('phase', () => {
    if (session.phase === 'home' || extras) return;
    extras = import('./call-extras.js').then(({bindCallExtras}) => bindCallExtras(session));
  });
  // Audio only, data saver, noise suppression: loaded when a lobby or a call first opens.
  let audio = null;
  onDetail(session, 'phase', ({phase}) => {
    if (phase !== 'lobby' && phase !== 'joining') return;
    audio ??= import('./audio-view.js').then((view) => view.bindAudio(session));
  });

  // Sending files (file-view.js) loads when the chat opens, a file is dragged over the call
  // or an offer arrives. Dropped outside a call, a file is left to the browser.
  /** @type {Promise<ReturnType<import('./file-view.js').bindFiles>>|undefined} */
  let fileView;
  const files = () => (fileView ??= import('./file-view.js').then((view) => view.bindFiles(session)));
  ui.onClick('toggle-chat', files);
  onDetail(session, 'file', (message) => {
    if (message || fileView) files().then((view) => view.message(message));
  });
  const callView = byId('call-view');
  callView.addEventListener('dragover', (event) => {
    if (!session.inCall || !event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault(); // lets the drop happen here instead of the browser opening the file
    callView.classList.add('dropping');
    files();
  });
  callView.addEventListener('dragleave', () => callView.classList.remove('dropping'));
  callView.addEventListener('drop', (event) => {
    callView.classList.remove('dropping');
    const dropped = [...(session.inCall && event.dataTransfer?.files) || []];
    if (!dropped.length) return;
    event.preventDefault();
    files().then((view) => dropped.forEach(view.send));
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
  return {session, router};
}
