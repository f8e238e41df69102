// One RTCPeerConnection with the perfect-negotiation pattern (webrtc/samples). No DOM:
// descriptions and candidates go out through `send`, media comes back as events.

/**
 * Events: `remotestream` (detail: MediaStream), `track` (detail: RTCTrackEvent),
 * `connectionstatechange` (detail: RTCPeerConnectionState), `error` (detail: Error).
 */
export class Peer extends EventTarget {
  #pc;
  #polite;
  #send;
  #makingOffer = false;
  #ignoreOffer = false;
  #srdAnswerPending = false;
  // Candidates that arrive before the remote description, with whether an offer was
  // being ignored when they came (their failure is then expected).
  #pendingCandidates = [];

  /**
   * @param {object} options
   * @param {boolean} options.polite `joined.polite`: the polite peer yields on glare
   * @param {RTCIceServer[]} [options.iceServers] `joined.ice_servers`, and nothing else
   * @param {MediaStream|null} [options.localStream]
   * @param {(data: object) => void} options.send delivers a `signal` payload to the other peer
   * @param {boolean} [options.waitForOffer] let the other peer make the first offer: when both
   *   start at once, Chromium's rollback of the polite offer can leave ICE without candidates
   * @param {typeof RTCPeerConnection} [options.RTCPeerConnection]
   */
  constructor({polite, iceServers = [], localStream = null, send, waitForOffer = false,
    RTCPeerConnection = globalThis.RTCPeerConnection}) {
    super();
    this.#polite = polite;
    this.#send = send;
    const pc = new RTCPeerConnection({iceServers});
    this.#pc = pc;

    pc.ontrack = (event) => {
      this.#emit('track', event);
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.#emit('remotestream', stream);
    };
    pc.onicecandidate = ({candidate}) => {
      if (candidate) this.#send({candidate});
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') pc.restartIce();
      this.#emit('connectionstatechange', pc.connectionState);
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

    const tracks = localStream ? localStream.getTracks() : [];
    for (const track of tracks) pc.addTrack(track, localStream);
    // Without a camera or microphone we still want to see and hear the other person.
    for (const kind of ['audio', 'video']) {
      if (!tracks.some((track) => track.kind === kind)) {
        pc.addTransceiver(kind, {direction: 'recvonly'});
      }
    }
  }

  get connectionState() {
    return this.#pc.connectionState;
  }

  /** Handle one `signal` payload from the other peer: `{description}` or `{candidate}`. */
  async handleSignal({description, candidate} = {}) {
    const pc = this.#pc;
    if (pc.signalingState === 'closed') return;
    try {
      if (description) {
        // With an answer being applied we will be stable by the time an offer is.
        const isStable = pc.signalingState === 'stable' ||
          (pc.signalingState === 'have-local-offer' && this.#srdAnswerPending);
        this.#ignoreOffer = description.type === 'offer' && !this.#polite &&
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

  /** New TURN credentials from the server (`ice-servers`). */
  setIceServers(iceServers) {
    this.#pc.setConfiguration({...this.#pc.getConfiguration(), iceServers});
  }

  close() {
    const pc = this.#pc;
    pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = pc.onnegotiationneeded = null;
    this.#pendingCandidates = [];
    pc.close();
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
