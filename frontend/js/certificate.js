// The DTLS certificate our connections use, made once while the person looks at the lobby
// instead of by each RTCPeerConnection as the call starts.

/** ECDSA P-256: what browsers make by default, and quick to make. */
export const KEY = Object.freeze({name: 'ECDSA', namedCurve: 'P-256'});
// Certificates last 30 days by default; a page open longer than a day makes a new one.
const RENEW_AFTER_MS = 24 * 60 * 60 * 1000;

export class Certificate {
  /** @type {RTCCertificate|null} */
  #made = null;
  /** @type {Promise<unknown>|null} */
  #making = null;
  #RTCPeerConnection;
  #now;

  /**
   * @param {typeof RTCPeerConnection|undefined} RTCPeerConnection none, or one without
   *   generateCertificate: connections make their own
   * @param {() => number} [now] epoch ms
   */
  constructor(RTCPeerConnection, now = Date.now) {
    this.#RTCPeerConnection = RTCPeerConnection;
    this.#now = now;
  }

  /** Start making one unless a fresh one is made or being made. */
  prepare() {
    const generate = this.#RTCPeerConnection?.generateCertificate;
    if (this.#making || this.current || !generate) return;
    this.#making = generate.call(this.#RTCPeerConnection, KEY)
      .then((certificate) => { this.#made = certificate; })
      .catch(() => {}) // connections then make their own, as without this
      .finally(() => { this.#making = null; });
  }

  /** The certificate if one is ready and valid for a day more, else null. */
  get current() {
    const made = this.#made;
    return made && made.expires - this.#now() > RENEW_AFTER_MS ? made : null;
  }
}
