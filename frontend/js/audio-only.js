// Audio only: a call where neither side sends video. One side switches it on: its camera
// stops and the other side is asked, on the control channel, to stop its own; that side
// complies at once. Switching video back on is each person's own choice: the request tells
// the other side, whose camera stays off until its person switches it on too (nobody
// turns on someone else's camera). No DOM; loaded with audio-view.js.

/**
 * The control-channel message (docs/protocol.md): `on` true asks the other side to stop
 * sending video, false says this side sends video again.
 * @typedef {{type: 'audio-only', on: boolean}} AudioOnlyMessage
 */

/**
 * Events: `change` (detail: {on: boolean, by: 'me'|'them'}: the call is audio only or not,
 * by whose switch), `videoback` (the other side sends video again while this one stays
 * audio only).
 */
export class AudioOnly extends EventTarget {
  /** Whether this side sends no video because the call is audio only. */
  on = false;
  #media;
  /** @type {import('./peer.js').Peer|null} */
  #peer = null;
  #followed = new WeakSet();

  /** @param {import('./local-media.js').LocalMedia} media this browser's camera and mic */
  constructor(media) {
    super();
    this.#media = media;
  }

  /**
   * The call's connection is now `peer`: tell its other side when its control channel
   * opens (a reloaded page learns the call is audio only), and hear their requests.
   * @param {import('./peer.js').Peer} peer
   */
  follow(peer) {
    this.#peer = peer;
    if (this.#followed.has(peer)) return;
    this.#followed.add(peer);
    const current = () => this.#peer === peer;
    peer.addEventListener('controlopen', () => {
      if (current() && this.on) peer.sendControl({type: 'audio-only', on: true});
    });
    peer.addEventListener('control', (event) => {
      const message = /** @type {CustomEvent} */ (event).detail;
      if (current() && message.type === 'audio-only') this.#heard(message.on === true);
    });
    if (this.on && peer.controlOpen) peer.sendControl({type: 'audio-only', on: true});
  }

  /**
   * The person's switch: audio only on (the camera stops, the other side is asked to stop
   * theirs), or video back on (the camera opens again; the other side is told).
   * @param {boolean} on @returns {Promise<void>}
   */
  async set(on) {
    if (on === this.on) return;
    this.on = on;
    if (on) this.#media.stopCamera();
    this.#peer?.sendControl({type: 'audio-only', on});
    this.#emit('change', {on, by: 'me'});
    if (!on) await this.#media.startCamera();
  }

  /** The call ended: the next one starts with video. */
  reset() {
    this.#peer = null;
    if (!this.on) return;
    this.on = false;
    this.#emit('change', {on: false, by: 'me'});
  }

  /** @param {boolean} on the other side's request */
  #heard(on) {
    if (!on) {
      if (this.on) this.#emit('videoback', null);
      return;
    }
    if (this.on) return;
    this.on = true;
    this.#media.stopCamera();
    this.#emit('change', {on: true, by: 'them'});
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
