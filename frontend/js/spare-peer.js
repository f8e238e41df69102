// A connection made before it is needed: in the lobby, the guest's (local tracks attached,
// waiting for an offer); while alone in the room, the host's (its offer made and its
// candidates gathered). Everything it would send is held until someone is there
// (Peer's `hold`), so nothing reaches anyone before Join, and nobody sees an offer before
// they take the other seat. The DTLS certificate is made once, ahead, for every connection.
import {Certificate} from './certificate.js';
import {Peer} from './peer.js';

/**
 * @typedef {object} PeerTerms what a connection is made with
 * @property {boolean} polite the negotiation role (`joined.polite`)
 * @property {import('./signaling.js').IceServer[]} iceServers `joined.ice_servers`
 * @property {MediaStream|null} localStream the tracks to send
 * @property {boolean} waitForOffer the other side offers first (we are the newcomer)
 */

export class SparePeer {
  /** @type {Peer|null} */
  #spare = null;
  #certificate;
  #RTCPeerConnection;
  #relayOnly;
  #send;

  /**
   * @param {object} options
   * @param {typeof RTCPeerConnection} options.RTCPeerConnection
   * @param {boolean} options.relayOnly
   * @param {(data: object) => void} options.send a `signal` payload to the other peer
   */
  constructor({RTCPeerConnection, relayOnly, send}) {
    this.#RTCPeerConnection = RTCPeerConnection;
    this.#relayOnly = relayOnly;
    this.#send = send;
    this.#certificate = new Certificate(RTCPeerConnection);
  }

  /** Start making the certificate (the lobby opened): connections made later use it. */
  warmUp() {
    this.#certificate.prepare();
  }

  /**
   * A new connection, sending at once unless `hold`.
   * @param {PeerTerms} terms @param {boolean} [hold]
   * @returns {Peer}
   */
  make({polite, iceServers, localStream, waitForOffer}, hold = false) {
    this.#certificate.prepare(); // for the next one, if this one had to go without
    return new Peer({polite, iceServers, localStream, waitForOffer, hold,
      relayOnly: this.#relayOnly, send: this.#send, certificate: this.#certificate.current,
      RTCPeerConnection: this.#RTCPeerConnection});
  }

  /**
   * Make the spare for these terms, in place of any other; one that fits them is kept
   * unless `again` (new ICE servers for the candidates it gathered).
   * @param {PeerTerms} terms @param {boolean} [again]
   */
  prepare(terms, again = false) {
    const spare = this.#spare;
    if (!again && spare && this.#fits(spare, terms.waitForOffer, terms.localStream)) return;
    this.discard();
    if (this.#RTCPeerConnection) this.#spare = this.make(terms, true);
  }

  /**
   * The spare, if it fits (same role in the offer, the same tracks), for the caller to
   * release() once it listens to it; otherwise null and the spare is dropped.
   * @param {boolean} waitForOffer @param {MediaStream|null} localStream
   * @returns {Peer|null}
   */
  take(waitForOffer, localStream) {
    const spare = this.#spare;
    this.#spare = null;
    if (spare && this.#fits(spare, waitForOffer, localStream)) return spare;
    spare?.close();
    return null;
  }

  /** The role given by the seat. @param {boolean} polite */
  set polite(polite) {
    if (this.#spare) this.#spare.polite = polite;
  }

  /**
   * New ICE servers (a seat's, or fresh TURN credentials). A spare that already gathered
   * candidates with the old ones (an offer made while alone) is made again: candidates
   * held for an hour would point at TURN allocations made with expired credentials.
   * @param {PeerTerms} terms the terms with the new servers
   */
  iceServersChanged(terms) {
    const spare = this.#spare;
    if (!spare) return;
    // A browser that cannot change them (older ones throw) gets a new connection instead.
    if (!spare.waitsForOffer || !spare.setIceServers(terms.iceServers)) this.prepare(terms, true);
  }

  /** @param {Peer} spare @param {boolean} waitForOffer @param {MediaStream|null} stream */
  #fits(spare, waitForOffer, stream) {
    return spare.waitsForOffer === waitForOffer && spare.sends(stream);
  }

  discard() {
    this.#spare?.close();
    this.#spare = null;
  }
}
