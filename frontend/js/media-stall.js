// A one-way freeze that ICE does not see: the connection says `connected`, the other person
// says they send, and nothing arrives. Chromium's ICE restart offered to Firefox ends so
// (docs/browsers.md, "Known browser problems": Chromium keeps sending to Firefox's old
// port); a restart that the frozen side offers recovers. The policy only; the samples are
// facts.js's, the restart ice-recovery.js's.

/** Nothing new for this long, while expected, is a stall (ms; facts come every 2 s). */
export const STALL_MS = 6000;

/** Watches what arrives from the other person over one connection (a new one, a new watch). */
export class StallWatch {
  #expected = {mic: false, camera: false};
  #bytes = -1;
  #changedAt = 0;
  #reported = false;

  /**
   * What the other person says they send (their `media` control message).
   * @param {{mic?: boolean, camera?: boolean}} media
   */
  remoteMedia({mic = false, camera = false}) {
    this.#expected = {mic: Boolean(mic), camera: Boolean(camera)};
  }

  /**
   * One sample; true once per stall, when the bytes of the kinds they send have not moved
   * for STALL_MS while the connection said connected. Flowing again re-arms it.
   * @param {{timestamp: number, audioBytes: number, videoBytes: number}} counters the
   *   facts.js counters (ms, bytes received so far)
   * @param {boolean} connected whether the connection's state is `connected`
   * @returns {boolean}
   */
  sample({timestamp, audioBytes, videoBytes}, connected) {
    const {mic, camera} = this.#expected;
    const bytes = (mic ? audioBytes : 0) + (camera ? videoBytes : 0);
    if (!connected || !(mic || camera) || bytes !== this.#bytes) {
      // Not ours to judge (ICE recovery's, or nothing sent), or it moved: start again.
      if (bytes !== this.#bytes && this.#bytes >= 0) this.#reported = false;
      this.#bytes = bytes;
      this.#changedAt = timestamp;
      return false;
    }
    if (this.#reported || timestamp - this.#changedAt < STALL_MS) return false;
    this.#reported = true;
    return true;
  }
}
