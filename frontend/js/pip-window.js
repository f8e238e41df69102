// The Document Picture-in-Picture window's content: the other person's video, and mute and
// hang-up buttons that act on the call. Built in that window's own document.
import {strings} from './strings.js';

/**
 * @typedef {object} PipWindowParts
 * @property {(stream: MediaStream|null) => void} setStream the other person's stream changed
 * @property {(off: boolean) => void} setMicOff our microphone was muted or unmuted
 */

/**
 * Fill `win` (from `documentPictureInPicture.requestWindow`).
 * @param {Window} win
 * @param {object} options
 * @param {string} options.stylesheet absolute URL of the window's styles
 * @param {MediaStream|null} options.stream the other person's stream; the page's own video
 *   keeps playing their sound, so this one is muted
 * @param {boolean} options.micOff
 * @param {() => void} options.onMute @param {() => void} options.onHangUp
 * @returns {PipWindowParts}
 */
export function fillPipWindow(win, {stylesheet, stream, micOff, onMute, onHangUp}) {
  const doc = win.document;
  doc.documentElement.lang = strings.lang;
  doc.title = strings.appName;
  const link = doc.createElement('link');
  link.rel = 'stylesheet';
  link.href = stylesheet;
  doc.head.append(link);
  doc.body.className = 'pip-window';

  const video = doc.createElement('video');
  video.id = 'pip-video';
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true;
  video.setAttribute('aria-label', strings.remoteVideo);

  const button = (id, text, onClick) => {
    const element = doc.createElement('button');
    element.type = 'button';
    element.id = id;
    element.textContent = text;
    element.addEventListener('click', onClick);
    return element;
  };
  const mute = button('pip-mute', strings.toggleMic, onMute);
  const hangUp = button('pip-hang-up', strings.hangUp, onHangUp);
  hangUp.className = 'danger';
  const bar = doc.createElement('div');
  bar.className = 'pip-controls';
  bar.append(mute, hangUp);
  doc.body.append(video, bar);

  const parts = {
    setStream(/** @type {MediaStream|null} */ next) {
      video.srcObject = next;
      video.play().catch(() => {}); // muted: allowed without a gesture
    },
    setMicOff(/** @type {boolean} */ off) {
      mute.setAttribute('aria-pressed', String(off));
    },
  };
  parts.setStream(stream);
  parts.setMicOff(micOff);
  return parts;
}
