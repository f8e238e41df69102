// Data saver: the video this browser sends, capped with RTCRtpSender.setParameters on every
// connection of the call. No DOM; loaded with audio-view.js when a lobby or call opens.
//
// The cap lives in the sender's encoding parameters, which a replaceTrack (camera back on,
// another camera, the screen), a track's applyConstraints (the 720p step, media.js), an ICE
// restart and a renegotiation all leave alone; it is set again after every negotiation
// anyway (a sender that starts sending later, a browser that resets it) and on each new
// connection (a reload on the other side, recovery).

/**
 * What data saver lets the video use. 300 kbit/s is what a 360p picture needs to stay clear;
 * 15 frames per second spends those bits on sharper frames rather than more of them (a face
 * in a call moves little). No scaleResolutionDownBy: the browser lowers the resolution
 * itself to fit the bitrate, and a fixed factor would shrink an already small picture
 * further (the camera starts at 640x360).
 */
export const DATA_SAVER = Object.freeze({maxBitrate: 300_000, maxFramerate: 15});

/** localStorage key of the data saver switch ('on' or 'off'; none: off). */
export const DATA_SAVER_KEY = 'visavis.dataSaver';

/**
 * The senders of video on a connection, also those with no track now (audio only).
 * @param {RTCPeerConnection} pc @returns {RTCRtpSender[]}
 */
export function videoSenders(pc) {
  return pc.getTransceivers()
    .filter((transceiver) => transceiver.receiver.track.kind === 'video' &&
      transceiver.currentDirection !== 'stopped')
    .map((transceiver) => transceiver.sender);
}

/**
 * Cap one sender's first encoding at DATA_SAVER, or lift the cap.
 * @param {RTCRtpSender} sender @param {boolean} on
 * @returns {Promise<boolean>} whether the browser took it (a sender not negotiated yet may
 *   have no encodings: the next `negotiated` tries again)
 */
export async function capSender(sender, on) {
  const parameters = sender.getParameters();
  const encoding = parameters.encodings?.[0];
  if (!encoding) return false;
  if (on) {
    Object.assign(encoding, DATA_SAVER);
  } else {
    delete encoding.maxBitrate;
    delete encoding.maxFramerate;
  }
  try {
    await sender.setParameters(parameters);
    return true;
  } catch {
    return false;
  }
}

/** The data saver switch: remembered on this device, applied to each Peer of the call. */
export class DataSaver {
  #on = false;
  #storage;
  /** @type {import('./peer.js').Peer|null} */
  #peer = null;
  #followed = new WeakSet();

  /** @param {() => Storage} [storage] this device's storage (may throw when blocked) */
  constructor(storage = () => globalThis.localStorage) {
    this.#storage = storage;
    try {
      this.#on = storage()?.getItem(DATA_SAVER_KEY) === 'on';
    } catch {
      // storage blocked: off
    }
  }

  get on() {
    return this.#on;
  }

  /**
   * Switch it, remember it, and apply it at once to the call's connection, if any.
   * @param {boolean} on @returns {Promise<void>}
   */
  async set(on) {
    this.#on = on;
    try {
      this.#storage()?.setItem(DATA_SAVER_KEY, on ? 'on' : 'off');
    } catch {
      // storage blocked: this page still uses it
    }
    if (this.#peer) await this.#apply(this.#peer);
  }

  /**
   * The call's connection is now `peer`: apply the switch to it now and after each of its
   * negotiations. @param {import('./peer.js').Peer} peer @returns {Promise<void>}
   */
  follow(peer) {
    this.#peer = peer;
    if (!this.#followed.has(peer)) {
      this.#followed.add(peer);
      peer.addEventListener('negotiated', () => {
        if (this.#peer === peer) this.#apply(peer);
      });
    }
    return this.#apply(peer);
  }

  /** @param {import('./peer.js').Peer} peer */
  async #apply(peer) {
    for (const sender of videoSenders(peer.connection)) await capSender(sender, this.#on);
  }
}
