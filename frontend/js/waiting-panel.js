// What the waiting view adds while this person is alone in the meeting: the link's QR code,
// "sound on join" and the button that asks to allow notifications (never asked on load).
import {setSound, soundOn} from './arrival.js';
import {showQr} from './qr-view.js';
import {strings} from './strings.js';

/** The panel's elements, made once and put after the link to share. */
function makePanel() {
  const panel = document.createElement('div');
  panel.id = 'waiting-extras';
  panel.className = 'waiting-extras';
  panel.hidden = true;
  const figure = document.createElement('figure');
  figure.id = 'meeting-qr';
  figure.className = 'meeting-qr';
  const settings = document.createElement('div');
  settings.className = 'arrival-settings';
  const label = document.createElement('label');
  const sound = document.createElement('input');
  sound.type = 'checkbox';
  sound.id = 'join-sound';
  label.append(sound, ` ${strings.joinSound}`);
  const ask = document.createElement('button');
  ask.type = 'button';
  ask.id = 'notify-on-join';
  ask.textContent = strings.notifyJoin;
  const state = document.createElement('p');
  state.id = 'notify-state';
  state.setAttribute('aria-live', 'polite');
  settings.append(label, ask, state);
  panel.append(figure, settings);
  document.getElementById('share')?.after(panel);
  return {panel, figure, sound, ask, state};
}

/**
 * Show the panel while `session` waits for the other person.
 * @param {import('./session.js').CallSession} session
 * @param {() => Storage} storage localStorage, for "sound on join"
 */
export function bindWaitingPanel(session, storage) {
  const {panel, figure, sound, ask, state} = makePanel();
  const link = () => /** @type {HTMLInputElement} */ (document.getElementById('share-link')).value;

  sound.checked = soundOn(storage);
  sound.addEventListener('change', () => setSound(storage, sound.checked));

  const Notice = globalThis.Notification;
  const showPermission = () => {
    const permission = Notice?.permission;
    ask.hidden = permission !== 'default'; // asked once; the browser remembers the answer
    state.textContent = permission === 'granted' ? strings.notifyOn
      : permission === 'denied' ? strings.notifyBlocked : '';
  };
  ask.addEventListener('click', async () => {
    await Notice.requestPermission().catch(() => {});
    showPermission();
  });

  /** @param {boolean} alone */
  const show = (alone) => {
    const visible = alone && session.phase === 'in-room';
    if (visible === !panel.hidden) return;
    panel.hidden = !visible;
    if (!visible) return;
    showPermission();
    if (!Notice) ask.hidden = true;
    showQr(figure, link());
  };
  session.addEventListener('waiting', (event) => show(Boolean(/** @type {CustomEvent} */ (event).detail)));
  session.addEventListener('phase', () => show(!panel.hidden));
  session.addEventListener('meeting', () => {
    if (!panel.hidden) showQr(figure, link());
  });
  show(session.phase === 'in-room' && !session.peerConnection);
}
