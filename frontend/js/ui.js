// The DOM: views, texts and videos. No call logic; main.js decides what to show.
import {buttonById, byId, inputById, videoById} from './dom.js';
import {strings} from './strings.js';

const VIEWS = ['home', 'lobby', 'call', 'left'];
let feedbackTimer = 0;

/**
 * Fill every `data-text`, `data-label` and `data-placeholder` from strings.js.
 * @param {Document|HTMLElement} [root]
 */
export function localize(root = document) {
  document.documentElement.lang = strings.lang;
  document.title = strings.title;
  for (const el of root.querySelectorAll('[data-text]')) {
    el.textContent = strings[/** @type {HTMLElement} */ (el).dataset.text];
  }
  for (const el of root.querySelectorAll('[data-label]')) {
    el.setAttribute('aria-label', strings[/** @type {HTMLElement} */ (el).dataset.label]);
  }
  for (const el of root.querySelectorAll('[data-placeholder]')) {
    const field = /** @type {HTMLInputElement} */ (el);
    field.placeholder = strings[field.dataset.placeholder];
  }
}

/** Show one view; moving focus to its heading tells screen readers the page changed. */
export function showView(name, {focus = true} = {}) {
  for (const view of VIEWS) byId(`${view}-view`).hidden = view !== name;
  if (focus) byId(`${name}-title`).focus();
}

export function setHomeError(text = '') {
  byId('home-error').textContent = text;
}

export function setStatus(text = '') {
  byId('call-status').textContent = text;
}

/** A fatal error also offers the way home, since the call cannot go on. */
export function setCallError(text = '', {fatal = false} = {}) {
  byId('call-error').textContent = text;
  byId('error-home').hidden = !fatal;
}

export function setMeeting(code = '', link = '') {
  byId('meeting-code').textContent = code;
  inputById('share-link').value = link;
  byId('copy-link').hidden = !link;
  byId('share-meeting').hidden = !link || !navigator.share;
}

/** The system's share sheet, where the browser has one. */
export function shareLink() {
  navigator.share({title: strings.shareTitle, url: inputById('share-link').value}).catch(() => {});
}

export function showPeerLeftActions(visible) {
  byId('peer-left-actions').hidden = !visible;
}

/** The name the other person gave (DataChannel only); empty hides it. */
export function showRemoteName(name) {
  const label = byId('remote-name');
  label.textContent = name ?? '';
  label.hidden = !name;
}

export function showShare(visible) {
  byId('share').hidden = !visible;
}

/** Your own picture: the camera (mirrored) or the screen you share. */
export function showLocal(stream, {screen = false} = {}) {
  const video = videoById('local-video');
  video.muted = true;
  video.srcObject = stream;
  video.classList.toggle('screen', screen);
}

export function showRemote(stream) {
  const video = videoById('remote-video');
  const unmute = byId('unmute-remote');
  if (video.srcObject === stream) return;
  video.srcObject = stream;
  unmute.hidden = true;
  if (!stream) return;
  video.muted = false;
  video.play().catch((error) => {
    // Autoplay with sound needs a gesture (e.g. a deep link opened cold): play muted
    // and offer a button that unmutes.
    if (error.name !== 'NotAllowedError') return;
    video.muted = true;
    video.play().catch(() => {});
    unmute.hidden = false;
  });
}

/** Play the other person on this speaker, where the browser can choose (setSinkId). */
export function setSpeaker(deviceId) {
  videoById('remote-video').setSinkId?.(deviceId).catch(() => {});
}

export function unmuteRemote() {
  const video = videoById('remote-video');
  video.muted = false;
  video.play().catch(() => {});
  byId('unmute-remote').hidden = true;
}

/** The mic and camera toggles (lobby and call) as the tracks are; no track, no toggle. */
export function setMediaControls(stream) {
  const controls = {mic: 'getAudioTracks', camera: 'getVideoTracks'};
  for (const [name, getTracks] of Object.entries(controls)) {
    const track = stream?.[getTracks]()[0];
    for (const id of [`toggle-${name}`, `lobby-${name}`]) {
      buttonById(id).disabled = !track;
      setPressed(id, !track || track.enabled === false); // no device: shown off
    }
  }
  // Phones and tablets cannot share their screen: no button rather than a dead one.
  buttonById('toggle-screen').hidden = !navigator.mediaDevices?.getDisplayMedia;
}

export function setPressed(id, pressed) {
  byId(id).setAttribute('aria-pressed', String(pressed));
}

/** Copy the meeting link; without clipboard access, select it for the person to copy. */
export async function copyLink() {
  const input = inputById('share-link');
  const feedback = byId('copy-feedback');
  try {
    await navigator.clipboard.writeText(input.value);
    feedback.textContent = strings.copied;
  } catch {
    byId('share').hidden = false;
    input.focus();
    input.select();
    feedback.textContent = strings.copyByHand;
  }
  clearTimeout(feedbackTimer);
  feedbackTimer = setTimeout(() => { feedback.textContent = ''; }, 4000);
}

export function onClick(id, handler) {
  byId(id).addEventListener('click', handler);
}

/** Call `handler(text)` when the join form is sent. */
export function onJoin(handler) {
  byId('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    handler(inputById('join-code').value);
  });
}

export function focusJoinCode() {
  byId('join-code').focus();
}

/** The connection's verdict next to the meeting code; null hides it. */
export function setQuality(quality) {
  const badge = byId('quality');
  badge.hidden = !quality;
  if (!quality) return;
  badge.dataset.quality = quality;
  badge.textContent = strings[`quality${quality[0].toUpperCase()}${quality.slice(1)}`];
}

/** Fill the details panel from facts.js's summary (null: no connection yet). */
export function showFacts(facts) {
  const {path, protocol, rttMs, lossPercent, kbps, width, height} = facts ?? {};
  const show = (id, known, text) => { byId(id).textContent = known != null ? text : '–'; };
  show('fact-path', path, `${strings[path === 'relayed' ? 'pathRelayed' : 'pathDirect']}${
    protocol ? ` (${protocol})` : ''}`);
  show('fact-rtt', rttMs, `${rttMs} ms`);
  show('fact-loss', lossPercent, `${lossPercent} %`);
  show('fact-bitrate', kbps, kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${kbps} kbit/s`);
  show('fact-resolution', width, `${width}×${height}`);
  setQuality(facts?.quality);
}

export function toggleFacts() {
  const panel = byId('facts');
  panel.hidden = !panel.hidden;
  byId('toggle-facts').setAttribute('aria-expanded', String(!panel.hidden));
}

export function setVerificationCode(code) {
  byId('verification-code').textContent = code ?? '–';
}

/** What the other side says about its microphone and camera; null hides both notes. */
export function showRemoteMedia(media) {
  byId('remote-mic-off').hidden = media?.mic !== false;
  byId('remote-camera-off').hidden = media?.camera !== false;
}
