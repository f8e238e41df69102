// The control DataChannel between the two pages: small JSON messages with a `type` (the
// other person's name, chat, mute state, `bye`; link.js reads them). Both sides create it
// with the same id, so it costs no extra negotiation round.

// Longest wait for a closing control channel to deliver its last message (a `bye`).
const CONTROL_FLUSH_MS = 1000;

/**
 * A message on the control channel: `{type: 'bye'}`, `{type: 'chat', text}`,
 * `{type: 'name', name}`, `{type: 'media', mic, camera}` (booleans); others are ignored.
 * @typedef {{type: string, [field: string]: any}} ControlMessage
 */

export class ControlChannel {
  #channel;

  /**
   * @param {RTCPeerConnection} pc
   * @param {object} on
   * @param {() => void} on.open the other page is there, end to end
   * @param {() => void} on.close the other side closed it: it hung up or its page went away
   * @param {(message: ControlMessage) => void} on.message
   */
  constructor(pc, on) {
    const channel = pc.createDataChannel('control', {negotiated: true, id: 0});
    channel.onopen = () => on.open();
    // Only the other side closing its connection (a hang-up, a closed tab) closes it.
    channel.onclose = () => on.close();
    channel.onmessage = ({data}) => {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (message && typeof message.type === 'string') on.message(message);
    };
    this.#channel = channel;
  }

  get open() {
    return this.#channel.readyState === 'open';
  }

  /** @param {ControlMessage} message dropped if the channel is not open */
  send(message) {
    if (this.open) this.#channel.send(JSON.stringify(message));
  }

  /** Close it after what is queued on it (a `bye`): the other side sees it close at once. */
  close() {
    if (this.open) this.#channel.close();
  }

  /**
   * Stop listening, then close the connection: at once, or once a closing channel has
   * delivered its last message (at most CONTROL_FLUSH_MS later).
   * @param {() => void} closeConnection
   */
  detach(closeConnection) {
    const channel = this.#channel;
    channel.onopen = channel.onmessage = channel.onclose = null;
    if (channel.readyState !== 'closing') {
      closeConnection();
      return;
    }
    channel.onclose = closeConnection;
    setTimeout(closeConnection, CONTROL_FLUSH_MS);
  }
}
