// Picture-in-picture: the control in the call's bar that floats the other person's video
// above other windows. Document Picture-in-Picture (a window with mute and hang-up) where
// the browser has it, the video element's own picture-in-picture otherwise, no control where
// neither exists. Chromium may also enter it by itself when the person switches tabs.
import {pipMode, setAutoPip} from './pip-support.js';
import {fillPipWindow} from './pip-window.js';
import {strings} from './strings.js';

// The window's first size, in CSS pixels: 4:3 with room for the buttons below.
const WINDOW = {width: 360, height: 310};
const ICON = 'M2 4h20v16H2zm2 2v12h16V6zm7 5h8v6h-8z';

function makeButton() {
  const button = document.createElement('button');
  button.id = 'toggle-pip';
  button.type = 'button';
  button.hidden = true;
  button.setAttribute('aria-pressed', 'false');
  button.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${ICON}"/></svg>`;
  const label = document.createElement('span');
  label.textContent = strings.togglePip;
  button.append(label);
  document.getElementById('hang-up')?.before(button);
  return button;
}

/**
 * Add the picture-in-picture control to the call's bar and keep it in step with `session`.
 * @param {import('./session.js').CallSession} session
 * @param {string} stylesheet absolute URL of the styles for the Document PiP window
 */
export function bindPip(session, stylesheet) {
  const mode = pipMode(window);
  const button = makeButton();
  const video = /** @type {HTMLVideoElement} */ (document.getElementById('remote-video'));
  /** @type {Window|null} */
  let pipWindow = null;
  /** @type {import('./pip-window.js').PipWindowParts|null} */
  let parts = null;
  let autoPip = false;

  const micOff = () => {
    const track = session.media.stream?.getAudioTracks()[0];
    return !track || !track.enabled;
  };
  const remote = () => /** @type {MediaStream|null} */ (video.srcObject);
  const floating = () => Boolean(pipWindow && !pipWindow.closed) ||
    document.pictureInPictureElement === video;
  const setPressed = () => button.setAttribute('aria-pressed', String(floating()));

  async function enter() {
    if (floating() || !remote()) return;
    if (mode === 'document') {
      // Document Picture-in-Picture is missing from TypeScript's DOM types.
      const pip = /** @type {any} */ (window).documentPictureInPicture;
      const win = /** @type {Window} */ (await pip.requestWindow(WINDOW));
      if (!session.inCall) { // hung up while the window opened
        win.close();
        return;
      }
      pipWindow = win;
      parts = fillPipWindow(win, {stylesheet, stream: remote(), micOff: micOff(),
        onMute: () => session.media.toggle('audio'), onHangUp: () => session.hangUp()});
      // Closed by the person, by us, or by hanging up: the page's video never left.
      const closed = () => {
        if (pipWindow !== win) return;
        pipWindow = null;
        parts = null;
        setPressed();
      };
      win.addEventListener('pagehide', closed);
      if (win.closed) closed(); // closed before we listened: no pagehide will come
      if (!pipWindow) return;
    } else {
      await video.requestPictureInPicture();
    }
    setPressed();
  }

  function leave() {
    pipWindow?.close();
    if (document.pictureInPictureElement === video) document.exitPictureInPicture().catch(() => {});
  }

  function refresh() {
    const connected = session.phase === 'in-room' &&
      session.peerConnection?.connectionState === 'connected';
    const hasVideo = Boolean(remote()?.getVideoTracks().length);
    if (!floating()) button.hidden = !mode || !connected || !hasVideo;
    // Offered for the whole connected call: Chromium calls it when the tab is left.
    const wantAuto = Boolean(mode) && connected;
    if (wantAuto !== autoPip) {
      autoPip = wantAuto;
      setAutoPip(navigator.mediaSession, wantAuto ? () => { enter().catch(() => {}); } : null);
    }
    if (!session.inCall) leave();
  }

  // A refusal (no user gesture, the browser said no) leaves the call as it was.
  button.addEventListener('click', () => (floating() ? leave() : enter().catch(() => {})));
  video.addEventListener('enterpictureinpicture', setPressed);
  video.addEventListener('leavepictureinpicture', setPressed);
  for (const type of ['status', 'phase', 'waiting']) session.addEventListener(type, refresh);
  session.addEventListener('remotestream', () => {
    parts?.setStream(remote());
    refresh();
  });
  session.media.addEventListener('toggle', () => parts?.setMicOff(micOff()));
  refresh();
}
