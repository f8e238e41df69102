// This browser's own camera, microphone and shared screen, without the DOM: asking for
// them (again, with chosen devices), muting, switching devices, sharing the screen. The
// current peer connection gets each change at once, without renegotiating.
import {DEFAULT_AUDIO, fullSize, getLocalMedia, getTrack, stopMedia} from './media.js';

/** localStorage key of the noise-suppression switch ('on' or 'off'; none: on). */
export const NOISE_SUPPRESSION_KEY = 'visavis.noiseSuppression';

/** @typedef {{stream: MediaStream|null, problem: string|null}} MediaResult */

// The strings.js key for what became of a device that went away or could not be switched to.
const NOTICES = {
  audio: {switched: 'micSwitched', lost: 'micLost', kept: 'micSwitchFailed'},
  video: {switched: 'cameraSwitched', lost: 'cameraLost', kept: 'cameraSwitchFailed'},
};

/**
 * Events: `toggle` (detail: the stream; a track was muted or unmuted, or is gone), `track`
 * (detail: {kind: 'audio'|'video', track}; another device now feeds the stream), `screen`
 * (detail: the shared screen's MediaStream, or null when sharing stopped), `notice` (detail:
 * a strings.js key: a device went away or a switch failed, and what was done about it).
 */
export class LocalMedia extends EventTarget {
  /** @type {MediaStream|null} the camera and microphone in use */
  stream = null;
  /** @type {MediaStreamTrack|null} the shared screen, sent instead of the camera */
  screen = null;
  /** @type {Promise<MediaResult>|null} */
  #request = null;
  // The camera at its full size (the call connected), not the start size (media.js).
  #full = false;
  /** @type {{deviceId: string, enabled: boolean, had: boolean}|null} stopped for audio only */
  #parked = null;
  /** @type {import('./media.js').AudioProcessing} the microphone's, for every request */
  audio;
  #mediaDevices;
  #peer;
  #storage;

  /**
   * @param {object} options
   * @param {MediaDevices} [options.mediaDevices]
   * @param {() => import('./peer.js').Peer|null} [options.peer] the call's current peer
   * @param {() => Storage} [options.storage] this device's storage, for the remembered
   *   noise suppression (may throw when blocked)
   */
  constructor({mediaDevices = globalThis.navigator?.mediaDevices, peer = () => null,
    storage = () => globalThis.localStorage} = {}) {
    super();
    this.#mediaDevices = mediaDevices;
    this.#peer = peer;
    this.#storage = storage;
    let saved = null;
    try {
      saved = storage()?.getItem(NOISE_SUPPRESSION_KEY) ?? null;
    } catch {
      // storage blocked: the default
    }
    this.audio = {...DEFAULT_AUDIO, noiseSuppression: saved !== 'off'};
  }

  /** The request still in flight or last answered; null after stop(). */
  get pending() {
    return this.#request;
  }

  /** Which of camera and microphone are on, as the control channel's `media` message. */
  get state() {
    const on = (kind) => Boolean(this.stream?.getTracks()
      .some((track) => track.kind === kind && track.enabled && track.readyState !== 'ended'));
    return {type: 'media', mic: on('audio'), camera: on('video')};
  }

  /**
   * Ask for camera and microphone; the stream in use stops first.
   * @param {{audio?: string, video?: string}} [choice] device ids
   * @returns {Promise<MediaResult>} hand the answer to settle()
   */
  request(choice) {
    stopMedia(this.stream);
    this.stream = null;
    this.#request = getLocalMedia(this.#mediaDevices, choice, this.audio);
    return this.#request;
  }

  /**
   * Take the stream a request gave, unless a newer request or stop() came since: then the
   * stream stops and the answer is false.
   * @param {Promise<MediaResult>} request @param {MediaStream|null} stream
   */
  settle(request, stream) {
    if (request !== this.#request) {
      stopMedia(stream);
      return false;
    }
    this.stream = stream;
    for (const track of stream?.getTracks() ?? []) this.#watch(track);
    return true;
  }

  /** Whether the camera is at its full size (media.js), not the start size. */
  get full() {
    return this.#full;
  }

  /** The call is connected: the camera at its full size from now on (media.js fullSize). */
  async goFullSize() {
    this.#full = true;
    for (const track of this.stream?.getVideoTracks() ?? []) await fullSize(track);
  }

  /** Stop the screen, the camera and the microphone, and forget any request. */
  stop() {
    this.#full = false;
    this.#parked = null;
    this.stopScreen();
    stopMedia(this.stream);
    this.stream = null;
    this.#request = null;
  }

  /** @param {'audio'|'video'} kind */
  hasTrack(kind) {
    return Boolean(this.stream?.getTracks().some((track) => track.kind === kind));
  }

  /** Mute or unmute every track of `kind`; nothing without one. @param {'audio'|'video'} kind */
  toggle(kind) {
    const tracks = this.stream?.getTracks().filter((track) => track.kind === kind) ?? [];
    if (!tracks.length) return;
    const enabled = !tracks[0].enabled;
    for (const track of tracks) track.enabled = enabled;
    this.#peer()?.sendControl(this.state);
    this.#emit('toggle', this.stream);
  }

  /**
   * Feed `kind` from another device; the new track keeps the old one's mute state. Without
   * a track of `kind` (its device went away) the new one is added. A device that opens one
   * camera at a time refuses a second: the old track then stops first, and when the new
   * device still refuses, the old one is opened again (a `notice` says so).
   * @param {'audio'|'video'} kind @param {string} deviceId
   * @param {{reopen?: boolean}} [options] reopen: stop the old track first even if the
   *   device allows two (Chromium hands a second track of a device its first one's
   *   processing, so new processing needs the old one gone)
   * @returns {Promise<boolean>} true when `deviceId` now feeds the stream
   */
  async switchDevice(kind, deviceId, {reopen = false} = {}) {
    const stream = this.stream;
    if (!stream) return false;
    if (kind === 'video' && this.#parked) {
      // Audio only: the camera picked opens when video comes back (startCamera).
      this.#parked = {...this.#parked, deviceId, had: true};
      return true;
    }
    const old = stream.getTracks().find((track) => track.kind === kind);
    let track = reopen ? null : await getTrack(kind, deviceId, this.#mediaDevices, this.#full,
      this.audio);
    let switched = Boolean(track);
    if (!track && old) {
      old.stop();
      track = await getTrack(kind, deviceId, this.#mediaDevices, this.#full,
      this.audio);
      switched = Boolean(track);
      track ??= await getTrack(kind, old.getSettings().deviceId ?? '', this.#mediaDevices,
        this.#full, this.audio);
    }
    if (this.stream !== stream) {
      track?.stop();
      return false;
    }
    if (track) this.#use(kind, track, old);
    else if (old) this.#drop(old);
    if (!switched) this.#emit('notice', NOTICES[kind][track ? 'kept' : 'lost']);
    return switched;
  }

  /**
   * Share the screen; the browser's own "Stop sharing" ends it too.
   * @param {() => boolean} stillWanted asked once the person has picked: false drops it
   */
  async startScreen(stillWanted) {
    let display;
    try {
      display = await this.#mediaDevices.getDisplayMedia({video: true, audio: false});
    } catch {
      return; // the person cancelled the picker
    }
    const track = display.getVideoTracks()[0];
    if (this.screen || !stillWanted()) {
      track.stop();
      return;
    }
    this.screen = track;
    track.addEventListener('ended', () => this.stopScreen());
    this.#peer()?.replaceTrack('video', track, this.stream);
    this.#emit('screen', display);
  }

  stopScreen() {
    const track = this.screen;
    if (!track) return;
    this.screen = null;
    track.stop();
    this.#peer()?.replaceTrack('video', this.stream?.getVideoTracks()[0] ?? null);
    this.#emit('screen', null);
  }

  /**
   * Noise suppression on or off, remembered on this device. A microphone in use is stopped
   * and opened again with it (switchDevice, no renegotiation; a gap of a few tens of ms):
   * Chromium ignores the change in applyConstraints, and gives a second track of a device
   * that is still open the first one's processing.
   * @param {boolean} on @returns {Promise<boolean>} false when the microphone refused
   */
  async setNoiseSuppression(on) {
    this.audio = {...this.audio, noiseSuppression: on};
    try {
      this.#storage()?.setItem(NOISE_SUPPRESSION_KEY, on ? 'on' : 'off');
    } catch {
      // storage blocked: this page still uses it
    }
    const mic = this.stream?.getAudioTracks()[0];
    if (!mic || mic.readyState === 'ended') return true;
    return this.switchDevice('audio', mic.getSettings().deviceId ?? '', {reopen: true});
  }

  /** Whether the camera is stopped for audio only (stopCamera). */
  get cameraStopped() {
    return this.#parked !== null;
  }

  /**
   * Audio only: stop the camera, so its light goes off, and any shared screen. The video
   * sender gets no track (replaceTrack(null)): nothing is renegotiated, and startCamera()
   * resumes with one replaceTrack once the camera is open.
   */
  stopCamera() {
    if (this.#parked) return;
    this.stopScreen();
    const track = this.stream?.getVideoTracks()[0];
    this.#parked = {deviceId: track?.getSettings().deviceId ?? '',
      enabled: track?.enabled ?? true, had: Boolean(track)};
    if (track) this.#drop(track);
  }

  /**
   * Open again the camera stopped by stopCamera(): the same device and mute state.
   * @returns {Promise<boolean>} false when it did not open (a `notice` says so) or the
   *   call ended meanwhile
   */
  async startCamera() {
    const parked = this.#parked;
    const stream = this.stream;
    if (!parked) return true;
    this.#parked = null;
    if (!parked.had || !stream) return true;
    const track = await getTrack('video', parked.deviceId, this.#mediaDevices, this.#full);
    if (this.stream !== stream || this.#parked) {
      track?.stop();
      return false;
    }
    if (!track) {
      this.#emit('notice', 'cameraResumeFailed');
      return false;
    }
    track.enabled = parked.enabled;
    this.#use('video', track);
    return true;
  }

  /** The track's device went away (unplugged, switched off, permission revoked). */
  #watch(track) {
    track.addEventListener('ended', () => this.#ended(track), {once: true});
  }

  /** @param {MediaStreamTrack} ended */
  async #ended(ended) {
    const stream = this.stream;
    if (!stream?.getTracks().includes(ended)) return; // replaced or stopped on purpose
    const kind = /** @type {'audio'|'video'} */ (ended.kind);
    const track = await getTrack(kind, '', this.#mediaDevices, this.#full,
      this.audio); // the default
    if (this.stream !== stream || !stream.getTracks().includes(ended)) {
      track?.stop();
      return;
    }
    if (track) this.#use(kind, track, ended);
    else this.#drop(ended);
    this.#emit('notice', NOTICES[kind][track ? 'switched' : 'lost']);
  }

  /**
   * `track` feeds the stream and the call instead of `old` (if any), with its mute state.
   * @param {'audio'|'video'} kind @param {MediaStreamTrack} track
   * @param {MediaStreamTrack} [old]
   */
  #use(kind, track, old) {
    const stream = /** @type {MediaStream} */ (this.stream);
    if (old) {
      track.enabled = old.enabled;
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
    this.#watch(track);
    if (!(kind === 'video' && this.screen)) this.#peer()?.replaceTrack(kind, track, stream);
    this.#peer()?.sendControl(this.state);
    this.#emit('track', {kind, track});
    this.#emit('toggle', stream);
  }

  /** `track` is gone with no device to replace it: the call goes on without its kind. */
  #drop(track) {
    const stream = /** @type {MediaStream} */ (this.stream);
    stream.removeTrack(track);
    track.stop();
    if (!(track.kind === 'video' && this.screen)) {
      this.#peer()?.replaceTrack(/** @type {'audio'|'video'} */ (track.kind), null);
    }
    this.#peer()?.sendControl(this.state);
    this.#emit('toggle', stream);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
