// The WebSocket to the signaling server (docs/protocol.md). No DOM: it only sends frames
// and turns each frame it receives into an event named after the frame's `type`.

/**
 * @typedef {{urls: string|string[], username?: string, credential?: string}} IceServer
 * @typedef {{type: 'joined', room: string, polite: boolean, peer_present: boolean,
 *   resume: string, resumed: boolean, ice_servers: IceServer[]}} Joined
 * @typedef {{type: 'peer-joined', resumed: boolean}} PeerJoined
 * @typedef {{type: 'peer-left'}} PeerLeft
 * @typedef {{type: 'signal', data: object}} Relayed
 * @typedef {{type: 'ice-servers', ice_servers: IceServer[]}} IceServers
 * @typedef {{type: 'error', code: string, message: string}} ServerError
 */

const OPEN = 1;

/** `wss://host/ws` for a page served from `https://host/...`. */
export function socketUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/**
 * Events: `open`, `close` (detail: {code, reason}), and one per server frame type
 * (`joined`, `peer-joined`, `peer-left`, `signal`, `error`, `ice-servers`; detail: the frame).
 */
export class Signaling extends EventTarget {
  #url;
  #WebSocket;
  #socket = null;
  #outbox = [];

  constructor(url = socketUrl(globalThis.location), {WebSocket = globalThis.WebSocket} = {}) {
    super();
    this.#url = url;
    this.#WebSocket = WebSocket;
  }

  get open() {
    return this.#socket?.readyState === OPEN;
  }

  /** Open the socket unless it is open or opening; a reconnect policy calls this again. */
  connect() {
    if (this.#socket) return;
    const socket = new this.#WebSocket(this.#url);
    this.#socket = socket;
    socket.onopen = () => {
      for (const text of this.#outbox.splice(0)) socket.send(text);
      this.#emit('open');
    };
    socket.onmessage = ({data}) => {
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === 'string') this.#emit(frame.type, frame);
    };
    socket.onclose = ({code, reason}) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#outbox = [];
      this.#emit('close', {code, reason});
    };
  }

  create() {
    this.connect();
    this.#send({type: 'create'});
  }

  /** @param {string} room @param {string|null} [resume] token from an earlier `joined` */
  join(room, resume) {
    this.connect();
    this.#send(resume ? {type: 'join', room, resume} : {type: 'join', room});
  }

  signal(data) {
    this.#send({type: 'signal', data});
  }

  leave() {
    this.#send({type: 'leave'});
  }

  /** Close on purpose: no `close` event follows. */
  close() {
    const socket = this.#socket;
    this.#socket = null;
    this.#outbox = [];
    socket?.close(1000);
  }

  // Frames wait while the socket opens; with no socket they are dropped (the server
  // would not know us anyway: a new socket has to `join` first).
  #send(frame) {
    const text = JSON.stringify(frame);
    if (this.#socket?.readyState === OPEN) this.#socket.send(text);
    else if (this.#socket) this.#outbox.push(text);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
