// The other person as the call sees them: whether the server says they are here, the
// sentence while we wait for them, and one Peer at a time with what its events mean for
// the person (remote media, name, chat, verification code, facts, ICE giving up). No
// DOM; the call session (session.js) decides when a connection starts.
import {onDetail} from './events.js';
import {FULL_SIZE_AFTER_MS} from './media.js';
import {FactsWatch} from './facts.js';
import {StallWatch} from './media-stall.js';
import {SparePeer} from './spare-peer.js';
import {verificationCode} from './verification.js';

const MAX_NAME = 40;
// The status line's strings.js key for a connection state; any other state: 'connecting'.
const CONNECTION_STATUS = {connected: 'connected', disconnected: 'reconnecting',
  failed: 'reconnecting'};

/** @param {import('./signaling.js').IceServer[]} iceServers */
export const hasRelay = (iceServers) => iceServers.some(({urls}) =>
  [urls].flat().some((url) => /^turns?:/i.test(url)));

/**
 * @typedef {object} LinkHost what the link needs from its call session
 * @property {(type: string, detail?: any) => void} emit one of the session's events
 * @property {() => void} statusChanged the status line may read differently now
 * @property {(data: object) => void} send a `signal` payload to the other peer
 */

export class PeerLink {
  /** @type {import('./peer.js').Peer|null} */
  peer = null;
  #present = false;
  // The server said they left while our connection to them still worked: the call goes on.
  #serverLostThem = false;
  /** Our name for the other person ('' for none), sent on the control channel. */
  name = '';
  #waiting = ''; // the status key while nobody else is here
  #polite = false;
  /** @type {import('./signaling.js').IceServer[]} */
  #iceServers = [];
  #iceError = false; // the error line says why ICE gave up
  #remoteName = '';
  #facts;
  #stall = new StallWatch();
  #host;
  #media;
  #spares;

  /**
   * @param {LinkHost} host
   * @param {object} options
   * @param {typeof RTCPeerConnection} options.RTCPeerConnection
   * @param {{setInterval: typeof setInterval, clearInterval: typeof clearInterval}} options.clock
   * @param {boolean} options.relayOnly
   * @param {import('./local-media.js').LocalMedia} options.media
   */
  constructor(host, {RTCPeerConnection, clock, relayOnly, media}) {
    this.#host = host;
    this.#facts = new FactsWatch(clock, (facts) => {
      host.emit('facts', facts);
      if (this.#stall.sample(facts.counters, this.peer?.connectionState === 'connected')) {
        this.peer?.mediaStalled();
      }
    });
    this.#media = media;
    this.#spares = new SparePeer({RTCPeerConnection, relayOnly, send: host.send});
  }

  /** The server's word on the other seat. */
  get present() {
    return this.#present;
  }

  set present(present) {
    this.#present = present;
    if (present) this.#serverLostThem = false;
  }

  /** The status line's key: waiting, or the connection's state ('' when the error says why). */
  get statusKey() {
    if (!this.peer) return this.#waiting;
    if (this.#iceError) return '';
    const state = this.peer.connectionState;
    if (this.#serverLostThem && state === 'connected') return 'serverLostPeer';
    return CONNECTION_STATUS[state] ?? 'connecting';
  }

  /**
   * Whether a working connection survives a change of seat: it is connected end to end
   * (the control channel is open) and our negotiation role is the same.
   * @param {boolean} polite the role of the seat the server gives now
   */
  worksOn(polite) {
    const peer = this.peer;
    return Boolean(peer && peer.connectionState === 'connected' && peer.controlOpen &&
      peer.polite === polite);
  }

  /** The server says the other seat is taken again (`peer-joined`). */
  arrived() {
    this.present = true;
    // A connection that negotiated may still be good (only their socket came back): tell
    // them which one is ours; if they reloaded, their fresh connection answers with a new one.
    if (this.peer?.negotiated) this.greet();
    else this.start(false);
  }

  /**
   * A `signal` payload from the other side (docs/protocol.md, what `data` holds).
   * @param {import('./peer.js').SignalPayload} data
   */
  relayed(data) {
    if (!this.peer) {
      // Late candidates or an answer belong to a negotiation that `peer-joined` restarts.
      if (data.candidate || data.description?.type === 'answer') return;
      // A hello or an offer: someone holds the other seat without a `peer-joined`. A copy
      // of their tab took their seat over (it never emptied) and their old tab's `bye`
      // came first, which closed our connection: answer the new one.
      this.present = true;
      this.start(data.description?.type === 'offer');
    } else if (this.peer.isFromAnotherConnection(data)) {
      // A payload from a connection we never negotiated with: the other page reloaded.
      this.start(data.description?.type === 'offer');
    }
    /** @type {import('./peer.js').Peer} */ (this.peer).handleSignal(data);
  }

  /**
   * The server says the other seat is free (`peer-left`). The media path is the truth:
   * while our connection to them works, their server socket died, not their page, and the
   * call goes on until they come back or the connection ends.
   */
  serverSaysLeft() {
    // Also sent after a server restart when the other seat's holder never came back, which
    // tells a person who was waiting alone nothing new.
    if (!this.peer && !this.present) return;
    this.present = false;
    const peer = this.peer;
    if (peer && peer.connectionState === 'connected' && peer.controlOpen) {
      this.#serverLostThem = true;
      this.#host.statusChanged();
    } else {
      this.wait('peerLeft');
    }
  }

  /** They said goodbye (`bye`), or their end of the connection closed: they are gone. */
  departed() {
    this.#serverLostThem = false;
    this.wait('peerLeft');
  }

  /**
   * Nobody to talk to: close any connection and say so; prepare the offer for whoever
   * comes next. @param {'waiting'|'peerLeft'} key
   */
  wait(key) {
    this.close();
    this.#waiting = key;
    this.#host.statusChanged();
    this.#host.emit('waiting', key);
    this.prepare(false);
  }

  /**
   * Make the next connection ahead, holding what it would send (spare-peer.js).
   * @param {boolean} waitForOffer true in the lobby: a newcomer lets the other side offer
   */
  prepare(waitForOffer) {
    this.#spares.prepare(this.#terms(waitForOffer));
  }

  /** The lobby opened: make the DTLS certificate while the person looks at it. */
  warmUp() {
    this.#spares.warmUp();
  }

  /** After our socket or theirs came back: tell them which connection is ours, re-offer. */
  greet() {
    this.peer?.hello();
    this.peer?.recover();
    this.#host.statusChanged();
  }

  /** This page is going away (closed, reloaded, navigated): tell the other side at once. */
  sayBye() {
    this.peer?.sendControl({type: 'bye'});
    this.peer?.closeControl();
  }

  /**
   * Our seat's terms from `joined`: the negotiation role and the ICE servers, for this
   * connection and the next.
   * @param {boolean} polite @param {import('./signaling.js').IceServer[]} iceServers
   */
  seat(polite, iceServers) {
    this.#polite = polite;
    if (this.peer) this.peer.polite = polite;
    this.#spares.polite = polite;
    this.setIceServers(iceServers);
  }

  /** New TURN credentials, for this connection's next gathering and the next connection. */
  setIceServers(iceServers) {
    this.#iceServers = iceServers;
    this.peer?.setIceServers(iceServers);
    this.#spares.iceServersChanged(this.#terms(false));
  }

  /**
   * A new Peer in place of any old one.
   * @param {boolean} waitForOffer true for the newcomer: the peer already there offers
   * @returns {import('./peer.js').Peer} the new one
   */
  start(waitForOffer) {
    const media = this.#media;
    const peer = this.#spares.take(waitForOffer, media.stream) ??
      this.#spares.make(this.#terms(waitForOffer));
    this.close();
    this.#host.emit('waiting', null);
    const name = this.name;
    const current = () => this.peer === peer;
    const emit = this.#host.emit;
    onDetail(peer, 'remotestream', (stream) => emit('remotestream', stream));
    onDetail(peer, 'connectionstatechange', (state) => {
      if (!current()) return;
      // The first frames have gone out at the start size by then (media.js).
      if (state === 'connected' && !media.full) {
        setTimeout(() => current() && media.goFullSize(), FULL_SIZE_AFTER_MS);
      }
      if (state === 'connected' && this.#iceError) {
        this.#iceError = false;
        emit('callerror', {key: null, fatal: false});
      }
      this.#host.statusChanged();
    });
    onDetail(peer, 'gaveup', (/** @type {'network'|'security'} */ reason) => {
      if (current()) this.#gaveUp(reason);
    });
    // Shown as soon as both descriptions are set, so a tampered one shows even if DTLS fails.
    onDetail(peer, 'negotiated', async ({local, remote}) => {
      const code = await verificationCode(local, remote);
      if (current()) emit('verification', code);
    });
    peer.addEventListener('controlopen', () => {
      peer.sendControl(media.state);
      if (name) peer.sendControl({type: 'name', name});
    });
    onDetail(peer, 'control', (message) => {
      if (current()) this.#control(message);
    });
    peer.addEventListener('controlclose', () => {
      if (current()) this.departed();
    });
    onDetail(peer, 'error', (error) => console.warn('visavis:', error));
    if (media.screen) peer.replaceTrack('video', media.screen, media.stream);
    this.peer = peer;
    emit('peer', peer); // features loaded later (audio-view.js) follow each connection
    this.#stall = new StallWatch();
    this.#facts.watch(peer);
    this.#host.statusChanged();
    peer.release(); // a spare's offer and candidates, held until now
    return peer;
  }

  /** @param {boolean} waitForOffer @returns {import('./spare-peer.js').PeerTerms} */
  #terms(waitForOffer) {
    return {polite: this.#polite, iceServers: this.#iceServers,
      localStream: this.#media.stream, waitForOffer};
  }

  /** The call is over: close the Peer and any spare. */
  end() {
    this.close();
    this.#spares.discard();
  }

  /** Close the Peer, if any, and clear everything it showed. */
  close() {
    const emit = this.#host.emit;
    this.#facts.stop();
    this.peer?.close();
    this.peer = null;
    if (this.#iceError) emit('callerror', {key: null, fatal: false});
    this.#iceError = false;
    this.#serverLostThem = false;
    this.#remoteName = '';
    for (const type of ['remotestream', 'remotemedia', 'remotename', 'verification', 'facts',
      'file']) {
      emit(type, null);
    }
  }

  /** @param {'network'|'security'} reason */
  #gaveUp(reason) {
    if (!this.present) {
      // Nobody to reach (e.g. they never came back after a server restart): just wait.
      this.wait(this.#serverLostThem ? 'peerLeft' : 'waiting');
      return;
    }
    this.#iceError = true;
    this.#host.statusChanged();
    this.#host.emit('callerror', {fatal: false, key: reason === 'security' ? 'securityFailed'
      : hasRelay(this.#iceServers) ? 'blockedRelay' : 'blockedNoRelay'});
  }

  // Messages on the peer-to-peer control channel, by `type`.
  #control(message) {
    const emit = this.#host.emit;
    if (message.type === 'bye') {
      this.departed();
    } else if (message.type === 'media') {
      this.#stall.remoteMedia(message);
      emit('remotemedia', {mic: message.mic, camera: message.camera});
    } else if (message.type === 'chat') {
      emit('chat', {text: String(message.text), mine: false, name: this.#remoteName || null});
    } else if (message.type === 'name') {
      this.#remoteName = String(message.name ?? '').slice(0, MAX_NAME);
      emit('remotename', this.#remoteName);
    } else if (message.type.startsWith('file-')) {
      emit('file', message); // file-transfer.js's, loaded when needed
    }
  }
}
