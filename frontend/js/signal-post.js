// How one connection's `signal` payloads are addressed (docs/protocol.md, what `data`
// holds): each carries `session` (this connection's id) and `to` (the other's, once known),
// so a reloaded page (a new connection) is told apart from a reconnected socket. A
// connection prepared ahead holds its payloads until someone is there to receive them.

const randomId = () => crypto.getRandomValues(new Uint32Array(2)).join('-');

export class SignalPost {
  /** This connection's id. */
  session = randomId();
  /** @type {string|null|undefined} the other connection's id, once known */
  remote = null;
  /** @type {object[]|null} payloads held until release() */
  #held;
  #send;

  /**
   * @param {(data: object) => void} send delivers a `signal` payload to the other peer
   * @param {boolean} hold keep every payload until release()
   */
  constructor(send, hold) {
    this.#send = send;
    this.#held = hold ? [] : null;
  }

  /** Address a payload and send it, or hold it. @param {object} payload */
  send(payload) {
    const addressed = {session: this.session, ...(this.remote ? {to: this.remote} : {}),
      ...payload};
    if (this.#held) this.#held.push(addressed);
    else this.#send(addressed);
  }

  /** Send what was held, in order, and from now on at once. */
  release() {
    const held = this.#held ?? [];
    this.#held = null;
    for (const payload of held) this.#send(payload);
  }

  /** Payloads for a connection of ours that a reload replaced are stale. @param {string} [to] */
  addressedHere(to) {
    return !to || to === this.session;
  }
}
