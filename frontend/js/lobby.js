// The lobby and the device pickers: camera preview, microphone level, the lists of
// cameras, microphones and speakers, and the optional name. No call logic.
import {buttonById, byId, inputById, meterById, selectById, videoById} from './dom.js';
import {fill, strings} from './strings.js';

const PICKERS = {videoinput: 'camera-select', audioinput: 'mic-select', audiooutput: 'speaker-select'};
let meter = null;

export function showLobby(room) {
  byId('lobby-meeting').textContent = room ? fill(strings.lobbyJoin, {code: room}) : strings.lobbyNew;
  setLobbyError();
  buttonById('join-now').disabled = false;
}

export function setLobbyError(text = '', {fatal = false} = {}) {
  byId('lobby-error').textContent = text;
  if (fatal) buttonById('join-now').disabled = true;
}

/** The preview and the microphone meter; null stops both. */
export function showPreview(stream) {
  const video = videoById('lobby-video');
  video.srcObject = stream;
  video.hidden = !stream?.getVideoTracks().length;
  clearInterval(meter?.timer);
  meter?.context.close();
  meter = null;
  meterById('mic-level').value = 0;
  const audio = stream?.getAudioTracks()[0];
  if (!audio || !globalThis.AudioContext) return;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(new MediaStream([audio])).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
    meterById('mic-level').value = audio.enabled ? peak / 128 : 0;
  }, 100);
  meter = {context, timer};
}

/** A page opened from a link has no gesture yet: the meter's audio starts on the first. */
export function resumeMeter() {
  meter?.context.resume().catch(() => {});
}

/** Fill the pickers; the devices in use are selected. Pickers with nothing to pick hide. */
export async function listDevices(stream) {
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) ?? [];
  const inUse = (stream?.getTracks() ?? []).map((track) => track.getSettings().deviceId);
  for (const [kind, id] of Object.entries(PICKERS)) {
    const select = selectById(id);
    const list = devices.filter((device) => device.kind === kind && device.deviceId);
    // The device in use wins over the last pick: a pick the browser refused is not in use.
    const current = list.find((device) => inUse.includes(device.deviceId))?.deviceId ??
      select.value;
    select.replaceChildren(...list.map((device, index) => new Option(
      device.label || `${select.previousElementSibling?.textContent} ${index + 1}`,
      device.deviceId, false, device.deviceId === current)));
    /** @type {HTMLElement} */ (select.parentElement).hidden = !list.length ||
      (kind === 'audiooutput' && !('setSinkId' in HTMLMediaElement.prototype));
  }
}

export function onDeviceChosen(handler) {
  for (const [kind, id] of Object.entries(PICKERS)) {
    const select = selectById(id);
    select.addEventListener('change', () => handler(kind, select.value));
  }
}

/** The pickers live in the lobby before the call and in the settings panel during it. */
export function placeDevices(where) {
  byId(where === 'lobby' ? 'lobby-devices' : 'settings').append(byId('devices'));
}

export function displayName() {
  return inputById('display-name').value.trim();
}

export function setDisplayName(name) {
  inputById('display-name').value = name ?? '';
}
