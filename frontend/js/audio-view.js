// The call's audio-only button, the data saver and noise suppression switches (lobby and
// call settings), their sentences, and the other person's avatar while no video comes.
// Loaded by main.js when a lobby or a call first opens: the home page does not need it.
import {AudioOnly} from './audio-only.js';
import {DATA_SAVER, DataSaver} from './bandwidth.js';
import {buttonById, byId, inputById} from './dom.js';
import {onDetail} from './events.js';
import {fill, strings} from './strings.js';

/**
 * Wire the three controls to a call session; the handles are for the browser tests.
 * @param {import('./session.js').CallSession} session
 * @returns {{audioOnly: AudioOnly, dataSaver: DataSaver}}
 */
export function bindAudio(session) {
  const media = session.media;
  const audioOnly = new AudioOnly(media);
  const dataSaver = new DataSaver();
  let remoteName = '';
  let remoteCameraOff = false;
  let hasRemote = false;

  const button = buttonById('toggle-audio-only');
  const note = byId('audio-only-note');
  const saverNote = byId('data-saver-note');
  const saverSwitch = inputById('data-saver');
  const noiseSwitch = inputById('noise-suppression');
  const who = () => remoteName || strings.otherPerson;

  const showSaver = () => {
    saverSwitch.checked = dataSaver.on;
    saverNote.hidden = !dataSaver.on;
    saverNote.textContent = fill(strings.dataSaverOn, {kbps: DATA_SAVER.maxBitrate / 1000,
      fps: DATA_SAVER.maxFramerate});
  };
  const showAvatar = () => {
    byId('remote-avatar').hidden = !hasRemote || !remoteCameraOff;
    byId('remote-initial').textContent = remoteName.trim().charAt(0).toUpperCase();
    byId('local-video').hidden = media.cameraStopped; // no picture of ours to show
  };
  const say = (text) => {
    note.textContent = text;
    note.hidden = !text;
  };

  onDetail(audioOnly, 'change', ({on, by}) => {
    button.setAttribute('aria-pressed', String(on));
    if (!on) say('');
    else say(by === 'me' ? strings.audioOnlyMine : fill(strings.audioOnlyThem, {name: who()}));
    showAvatar();
  });
  audioOnly.addEventListener('videoback', () => say(fill(strings.videoBackThem, {name: who()})));
  button.addEventListener('click', () => audioOnly.set(!audioOnly.on));

  saverSwitch.addEventListener('change', () => {
    dataSaver.set(saverSwitch.checked);
    showSaver();
  });
  noiseSwitch.checked = media.audio.noiseSuppression;
  noiseSwitch.addEventListener('change', () => media.setNoiseSuppression(noiseSwitch.checked));

  const follow = (/** @type {import('./peer.js').Peer|null} */ peer) => {
    if (!peer) return;
    audioOnly.follow(peer);
    dataSaver.follow(peer);
  };
  onDetail(session, 'peer', follow);
  follow(session.peer); // a call that started before this module loaded
  onDetail(session, 'remotename', (name) => {
    remoteName = name ?? '';
    showAvatar();
  });
  onDetail(session, 'remotemedia', (state) => {
    remoteCameraOff = state?.camera === false;
    showAvatar();
  });
  onDetail(session, 'remotestream', (stream) => {
    hasRemote = Boolean(stream);
    showAvatar();
  });
  onDetail(session, 'phase', ({phase}) => {
    if (phase === 'ended') audioOnly.reset();
  });
  media.addEventListener('toggle', showAvatar);
  showSaver();
  return {audioOnly, dataSaver};
}
