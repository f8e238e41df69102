// One RTCPeerConnection with the perfect-negotiation pattern (webrtc/samples). No DOM:
// descriptions and candidates go out through `send`, media comes back as events. When to
// restart ICE is ice-recovery.js's; the control DataChannel is control-channel.js's.
import {ControlChannel} from './control-channel.js';
import {IceRecovery} from './ice-recovery.js';
import {SignalPost} from './signal-post.js';

/**
 * A `signal` payload between the two peers: a description or a candidate, from the
 * connection `session`, for the connection `to` (once known).
 * @typedef {{session?: string, to?: string, description?: RTCSessionDescriptionInit,
 *   candidate?: RTCIceCandidateInit}} SignalPayload
 */

/**
 * Payloads are addressed by signal-post.js. Events: `remotestream`, `track`, `connectionstatechange`, `negotiated` ({local, remote}
 * SDP once stable), `control` (a control-channel message), `controlopen`, `controlclose`
 * (the other side closed the channel: it hung up or its page went away), `gaveup`
 * ('network', or 'security': ICE worked, DTLS did not), `error`.
 */
export class Peer extends EventTarget {
  #pc;
  #send;
  /** @type {ControlChannel} */
  #control;
  /** @type {IceRecovery} */
  #recovery;
  #makingOffer = false;
  #ignoreOffer = false;
  #srdAnswerPending = false;
  // Candidates that arrive before the remote description, with whether an offer was
  // being ignored when they came (their failure is then expected).
  #pendingCandidates = [];
  #post;
  /** @type {MediaStreamTrack[]} */
  #tracks;
  polite;
  /** Whether the other peer makes the first offer (the `waitForOffer` option). */
  waitsForOffer;

  /**
   * @param {object} options
   * @param {boolean} options.polite `joined.polite`: the polite peer yields on glare
   * @param {RTCIceServer[]} [options.iceServers] `joined.ice_servers`, and nothing else
   * @param {boolean} [options.relayOnly] only relayed candidates (test and debug: `?relay=1`)
   * @param {MediaStream|null} [options.localStream]
   * @param {(data: object) => void} options.send delivers a `signal` payload to the other peer
   * @param {boolean} [options.waitForOffer] let the other peer make the first offer: when both
   *   start at once, Chromium's rollback of the polite offer can leave ICE without candidates
   * @param {typeof RTCPeerConnection} [options.RTCPeerConnection]
   * @param {boolean} [options.hold] prepared ahead: keep every payload (the offer, our
   *   candidates) until release(), so nothing leaves before someone is there to see it
   * @param {RTCCertificate|null} [options.certificate] a DTLS certificate made ahead
   *   (certificate.js), so the connection need not make one
   */
  constructor({polite, iceServers = [], relayOnly = false, localStream = null, send,
    waitForOffer = false, RTCPeerConnection = globalThis.RTCPeerConnection, hold = false,
    certificate = null}) {
    super();
    this.polite = polite;
    this.waitsForOffer = waitForOffer;
    this.#post = new SignalPost(send, hold);
    this.#send = (payload) => this.#post.send(payload);
    const pc = new RTCPeerConnection({iceServers,
      ...(relayOnly ? {iceTransportPolicy: 'relay'} : {}),
      ...(certificate ? {certificates: [certificate]} : {})});
    this.#pc = pc;
    this.#recovery = new IceRecovery(pc, {
      restartIce: () => {
        try {
          pc.restartIce();
        } catch (error) {
          this.#fail(error);
        }
      },
      gaveUp: (reason) => this.#emit('gaveup', reason),
    });

    pc.ontrack = (event) => {
      this.#emit('track', event);
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.#emit('remotestream', stream);
    };
    pc.onicecandidate = ({candidate}) => {
      if (candidate) this.#send({candidate});
    };
    pc.onconnectionstatechange = () => {
      this.#recovery.connectionChanged(pc.connectionState);
      this.#emit('connectionstatechange', pc.connectionState);
    };
    pc.onsignalingstatechange = () => {
      const local = pc.localDescription?.sdp;
      const remote = pc.remoteDescription?.sdp;
      if (pc.signalingState === 'stable' && local && remote) {
        this.#recovery.negotiated();
        this.#emit('negotiated', {local, remote});
      }
    };
    pc.onnegotiationneeded = async () => {
      // The event comes again once the awaited offer is answered, if still needed.
      if (waitForOffer && !pc.remoteDescription) return;
      try {
        this.#makingOffer = true;
        await pc.setLocalDescription();
        this.#send({description: pc.localDescription});
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#makingOffer = false;
      }
    };

    this.#control = new ControlChannel(pc, {open: () => this.#emit('controlopen'),
      close: () => this.#emit('controlclose'),
      message: (message) => this.#emit('control', message)});

    const tracks = localStream ? localStream.getTracks() : [];
    this.#tracks = tracks;
    for (const track of tracks) pc.addTrack(track, /** @type {MediaStream} */ (localStream));
    // Without a camera or microphone we still want to see and hear the other person.
    for (const kind of ['audio', 'video']) {
      if (!tracks.some((track) => track.kind === kind)) {
        pc.addTransceiver(kind, {direction: 'recvonly'});
      }
    }
  }

  /** This connection's id (`session` in its payloads). */
  get session() {
    return this.#post.session;
  }

  /** Someone is there now: send what was held (`hold`), and from now on at once. */
  release() {
    this.#post.release();
  }

  /** Whether it sends exactly the tracks `stream` holds now (a device may have changed). */
  sends(stream) {
    const now = stream ? stream.getTracks() : [];
    return now.length === this.#tracks.length && now.every((track) => this.#tracks.includes(track));
  }

  get connectionState() {
    return this.#pc.connectionState;
  }

  /** The RTCPeerConnection itself, for stats and for tests. */
  get connection() {
    return this.#pc;
  }

  /** True while the control DataChannel is open: the other page is there, end to end. */
  get controlOpen() {
    return this.#control.open;
  }

  get negotiated() {
    return Boolean(this.#pc.remoteDescription);
  }

  /**
   * True when the other page reloaded: a fresh Peer must take over.
   * @param {SignalPayload} [payload]
   */
  isFromAnotherConnection({session, to} = {}) {
    return this.negotiated && this.#post.addressedHere(to) && session !== this.#post.remote;
  }

  /** Tell the other side which connection is ours. */
  hello() {
    this.#send({});
  }

  /**
   * Handle one `signal` payload from the other peer: `{description}` or `{candidate}`.
   * @param {SignalPayload} [payload]
   */
  async handleSignal({session, to, description, candidate} = {}) {
    const pc = this.#pc;
    if (pc.signalingState === 'closed' || !this.#post.addressedHere(to)) return;
    if (session !== this.#post.remote && !this.negotiated) {
      // Candidates from a connection the other side has since replaced would only fail.
      this.#post.remote = session;
      this.#pendingCandidates = [];
    }
    try {
      if (description) {
        // With an answer being applied we will be stable by the time an offer is.
        const isStable = pc.signalingState === 'stable' ||
          (pc.signalingState === 'have-local-offer' && this.#srdAnswerPending);
        this.#ignoreOffer = description.type === 'offer' && !this.polite &&
          (this.#makingOffer || !isStable);
        if (this.#ignoreOffer) return;
        this.#srdAnswerPending = description.type === 'answer';
        await pc.setRemoteDescription(description);
        this.#srdAnswerPending = false;
        await this.#addPendingCandidates();
        if (description.type === 'offer') {
          await pc.setLocalDescription();
          this.#send({description: pc.localDescription});
        }
      } else if (candidate) {
        if (!pc.remoteDescription) {
          this.#pendingCandidates.push({candidate, ignorable: this.#ignoreOffer});
          return;
        }
        await this.#addCandidate(candidate, this.#ignoreOffer);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * New TURN credentials from the server (`ice-servers`): used by the next ICE gathering.
   * Optional: a browser that refuses (older ones throw) keeps the old ones, and whatever
   * step of a recovery comes next still runs.
   * @returns {boolean} whether the connection took them
   */
  setIceServers(iceServers) {
    try {
      this.#pc.setConfiguration({...this.#pc.getConfiguration(), iceServers});
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  /** New ICE credentials and candidates, negotiated like any other change. */
  restartIce() {
    this.#recovery.restart();
  }

  /** Nothing arrives though the connection says connected (media-stall.js). */
  mediaStalled() {
    console.info('visavis: no media from the other person while connected: restarting ICE');
    this.#recovery.mediaStalled();
  }

  /** After signaling was away: re-send an offer that may be lost; restart a broken path. */
  recover() {
    const pc = this.#pc;
    if (pc.signalingState === 'have-local-offer' && !this.#makingOffer) {
      this.#send({description: pc.localDescription});
    }
    if (this.negotiated && ['disconnected', 'failed'].includes(pc.connectionState)) {
      this.restartIce();
    }
  }

  /**
   * Send another track of `kind` (a new camera, a screen) without renegotiating; only a
   * kind that was receive-only (no camera at the start) needs one offer to start sending.
   */
  async replaceTrack(kind, track, stream) {
    const transceiver = this.#pc.getTransceivers()
      .find((candidate) => candidate.receiver.track.kind === kind &&
        candidate.currentDirection !== 'stopped');
    if (!transceiver) return;
    await transceiver.sender.replaceTrack(track);
    if (track && transceiver.direction === 'recvonly') {
      if (stream) transceiver.sender.setStreams?.(stream);
      transceiver.direction = 'sendrecv';
    }
  }

  /**
   * A message on the control channel; dropped if it is not open.
   * @param {import('./control-channel.js').ControlMessage} message
   */
  sendControl(message) {
    this.#control.send(message);
  }

  getStats() {
    return this.#pc.getStats();
  }

  /**
   * Close the control channel after what is queued on it (a `bye`): the other side sees
   * it close at once, whereas a closing connection may leave it to notice by timeouts.
   */
  closeControl() {
    this.#control.close();
  }

  /** Close the connection; a control channel still closing (closeControl) may finish first. */
  close() {
    const pc = this.#pc;
    this.#recovery.stop();
    pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = pc.onnegotiationneeded = null;
    pc.onsignalingstatechange = null;
    this.#pendingCandidates = [];
    this.#control.detach(() => pc.close());
  }

  async #addPendingCandidates() {
    for (const {candidate, ignorable} of this.#pendingCandidates.splice(0)) {
      await this.#addCandidate(candidate, ignorable);
    }
  }

  async #addCandidate(candidate, ignorable) {
    try {
      await this.#pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates for an offer we ignored are expected to fail; nothing else is.
      if (!ignorable) this.#fail(error);
    }
  }

  #fail(error) {
    if (this.#pc.signalingState === 'closed') return;
    this.#emit('error', error);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
