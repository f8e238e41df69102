// What to do when a negotiated connection carries no media: let a `disconnected` heal for
// a moment, restart ICE, and give up after a few restarts in a row. The policy only; the
// connection and its negotiation are peer.js's.

// `disconnected` may heal by itself; past this, an ICE restart is faster.
const DISCONNECTED_GRACE_MS = 3000;
// Not connected this long after negotiating counts as failed (with no candidate pair at
// all, Chromium never says `failed`).
const CONNECT_TIMEOUT_MS = 10000;
// ICE restarts in a row before giving up (one for a call that never connected).
const MAX_ICE_RESTARTS = 2;

/**
 * Why ICE recovery gave up: 'network' (no candidate pair works), or 'security' (ICE
 * worked, DTLS did not).
 * @typedef {'network'|'security'} GiveUpReason
 */

export class IceRecovery {
  #pc;
  #restartIce;
  #gaveUp;
  #restarts = 0;
  #everConnected = false;
  /** @type {ReturnType<typeof setTimeout>|0} */
  #disconnectedTimer = 0;
  /** @type {ReturnType<typeof setTimeout>|0} */
  #connectTimer = 0;

  /**
   * @param {RTCPeerConnection} pc the connection watched (its states are only read)
   * @param {object} actions
   * @param {() => void} actions.restartIce asks the connection for an ICE restart
   * @param {(reason: GiveUpReason) => void} actions.gaveUp no restart left
   */
  constructor(pc, {restartIce, gaveUp}) {
    this.#pc = pc;
    this.#restartIce = restartIce;
    this.#gaveUp = gaveUp;
  }

  /** Both descriptions are set: a connection must follow within CONNECT_TIMEOUT_MS. */
  negotiated() {
    if (this.#pc.connectionState !== 'connected' && !this.#connectTimer) this.#expectConnection();
  }

  /** Restart ICE now (counted; a connection must follow within CONNECT_TIMEOUT_MS). */
  restart() {
    if (this.#pc.signalingState === 'closed') return;
    clearTimeout(this.#disconnectedTimer);
    this.#restarts += 1;
    this.#restartIce(); // a browser without it: the timer below still gives up in the end
    this.#expectConnection();
  }

  /**
   * Media stopped arriving while the connection says connected (media-stall.js): restart
   * ICE from this side, whose offer recovers. Not counted against giving up: the
   * connection itself works, and it stays `connected` meanwhile.
   */
  mediaStalled() {
    const pc = this.#pc;
    if (pc.connectionState !== 'connected' || pc.signalingState !== 'stable') return;
    this.#restartIce();
  }

  /** @param {RTCPeerConnectionState} state the connection's new state */
  connectionChanged(state) {
    clearTimeout(this.#disconnectedTimer);
    if (state === 'connected') {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = 0;
      this.#restarts = 0;
      this.#everConnected = true;
    }
    if (state === 'disconnected') {
      this.#disconnectedTimer = setTimeout(() => this.restart(), DISCONNECTED_GRACE_MS);
    }
    if (state === 'failed') this.#failed();
  }

  /** The connection is closing: no more timers. */
  stop() {
    clearTimeout(this.#disconnectedTimer);
    clearTimeout(this.#connectTimer);
  }

  #expectConnection() {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = 0;
      if (this.#pc.connectionState !== 'connected') this.#failed();
    }, CONNECT_TIMEOUT_MS);
  }

  #failed() {
    const pc = this.#pc;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = 0;
    if (pc.signalingState === 'closed') return;
    if (this.#restarts < (this.#everConnected ? MAX_ICE_RESTARTS : 1)) {
      this.restart();
      return;
    }
    const iceUp = ['connected', 'completed'].includes(pc.iceConnectionState);
    this.#gaveUp(iceUp ? 'security' : 'network');
  }
}
