// This browser's own camera, microphone and shared screen, without the DOM: asking for
// them (again, with chosen devices), muting, switching devices, sharing the screen. The
// current peer connection gets each change at once, without renegotiating.
import {getLocalMedia, getTrack, stopMedia} from './media.js';

/** @typedef {{stream: MediaStream|null, problem: string|null}} MediaResult */

/**
 * Events: `toggle` (detail: the stream; a track was muted or unmuted), `track` (detail:
 * {kind: 'audio'|'video', track}; another device now feeds the stream), `screen` (detail:
 * the shared screen's MediaStream, or null when sharing stopped).
 */
export class LocalMedia extends EventTarget {
  /** @type {MediaStream|null} the camera and microphone in use */
  stream = null;
  /** @type {MediaStreamTrack|null} the shared screen, sent instead of the camera */
  screen = null;
  /** @type {Promise<MediaResult>|null} */
  #request = null;
  #mediaDevices;
  #peer;

  /**
   * @param {object} options
   * @param {MediaDevices} [options.mediaDevices]
   * @param {() => import('./peer.js').Peer|null} [options.peer] the call's current peer
   */
  constructor({mediaDevices = globalThis.navigator?.mediaDevices, peer = () => null} = {}) {
    super();
    this.#mediaDevices = mediaDevices;
    this.#peer = peer;
  }

  /** The request still in flight or last answered; null after stop(). */
  get pending() {
    return this.#request;
  }

  /** Which of camera and microphone are on, as the control channel's `media` message. */
  get state() {
    const on = (kind) => Boolean(this.stream?.getTracks()
      .some((track) => track.kind === kind && track.enabled));
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
    this.#request = getLocalMedia(this.#mediaDevices, choice);
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
    return true;
  }

  /** Stop the screen, the camera and the microphone, and forget any request. */
  stop() {
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
   * Feed `kind` from another device; the new track keeps the old one's mute state.
   * @param {'audio'|'video'} kind @param {string} deviceId
   * @returns {Promise<boolean>} false when there was no track to replace or the browser refused
   */
  async switchDevice(kind, deviceId) {
    const stream = this.stream;
    const old = stream?.getTracks().find((track) => track.kind === kind);
    if (!stream || !old) return false;
    const track = await getTrack(kind, deviceId, this.#mediaDevices);
    if (!track || this.stream !== stream) {
      track?.stop();
      return false;
    }
    track.enabled = old.enabled;
    stream.removeTrack(old);
    stream.addTrack(track);
    old.stop();
    if (!(kind === 'video' && this.screen)) this.#peer()?.replaceTrack(kind, track);
    this.#emit('track', {kind, track});
    return true;
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

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
