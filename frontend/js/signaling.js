// The WebSocket to the signaling server (docs/protocol.md). No DOM: it sends frames, turns
// each frame it receives into an event named after the frame's `type`, and reconnects by
// itself while it holds (or asks for) a seat, taking the seat back with its resume token.
import {errorAction} from './errors.js';
import {Heartbeat} from './heartbeat.js';

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
const NORMAL_CLOSURE = 1000;
// What `close` reports for a socket given up because it stopped answering the heartbeat
// (the browser still had it open): 1006, as for any connection lost without a close frame.
const ABNORMAL_CLOSURE = 1006;
export const SILENT_SOCKET = 'no answer to the heartbeat';
// Reconnect delays: doubling from BASE up to CAP, each drawn from [d/2, d] so that a
// server restart does not get every client back in the same instant. CAP is low enough
// that a client is back within a few seconds of the server.
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 3000;

/** `wss://host/ws` for a page served from `https://host/...`. */
export function socketUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/**
 * Milliseconds to wait before reconnect attempt number `attempt` (0 for the first).
 * @param {number} attempt
 * @param {number} [random] in [0, 1)
 */
export function backoffDelay(attempt, random = Math.random()) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + random / 2));
}

/**
 * Whether the server answers plain HTTP (`/healthz` next to `/ws`): then a socket that
 * never opens was refused (HTTP 403: the server's address setting does not match this
 * page's), not lost on the way. @param {string} url the socket's @returns {Promise<boolean>}
 */
export async function serverAnswers(url) {
  try {
    const health = url.replace(/^ws/, 'http').replace(/\/ws$/, '/healthz');
    return (await fetch(health, {cache: 'no-store'})).ok;
  } catch {
    return false;
  }
}

/**
 * Events: `open`, `close` (detail: {code, reason, reconnecting}), `refused` (sockets do not
 * open although the server answers: it refuses this page), and one per server frame
 * type (`joined`, `peer-joined`, `peer-left`, `signal`, `error`, `ice-servers`; detail: the
 * frame; an `error` that will be retried has `retrying: true`).
 */
export class Signaling extends EventTarget {
  #url;
  #WebSocket;
  /** @type {WebSocket|null} */
  #socket = null;
  #outbox = [];
  // The frame that (re)takes our seat on a new socket: `create` until `joined`, then
  // `join` with the resume token. Null once the seat is given up or lost.
  /** @type {{type: 'create'}|{type: 'join', room: string, resume?: string}|null} */
  #entry = null;
  #seated = false;
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout>|undefined} a reconnect is due */
  #timer = undefined;
  #retryAfterMs = 0;
  #probe;
  #refusalTold = false; // once per run of sockets that never open
  #heartbeat = new Heartbeat({
    ping: () => this.#send({type: 'ping'}),
    dead: () => this.#closed(/** @type {WebSocket} */ (this.#socket), ABNORMAL_CLOSURE,
      SILENT_SOCKET),
  });

  /**
   * @param {string} [url] @param {object} [options]
   * @param {typeof WebSocket} [options.WebSocket]
   * @param {(url: string) => Promise<boolean>} [options.probe] serverAnswers in the browser;
   *   none (never asks) by default, so that tests send nothing anywhere
   */
  constructor(url = socketUrl(globalThis.location),
    {WebSocket = globalThis.WebSocket, probe = async () => false} = {}) {
    super();
    this.#url = url;
    this.#WebSocket = WebSocket;
    this.#probe = probe;
  }

  get open() {
    return this.#socket?.readyState === OPEN;
  }

  /** True from `joined` until the socket closes or the seat is left. */
  get seated() {
    return this.#seated;
  }

  /** Open the socket unless it is open or opening. */
  connect() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#socket) return;
    const socket = new this.#WebSocket(this.#url);
    this.#socket = socket;
    let replaced = false;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#refusalTold = false;
      if (this.#entry) socket.send(JSON.stringify(this.#entry));
      for (const text of this.#outbox.splice(0)) socket.send(text);
      this.#heartbeat.start();
      this.#emit('open');
    };
    socket.onmessage = ({data}) => {
      this.#heartbeat.heard();
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== 'string' || frame.type === 'pong') return;
      if (frame.type === 'joined') {
        this.#entry = {type: 'join', room: frame.room, resume: frame.resume};
        this.#seated = true;
        this.#attempt = 0;
      } else if (frame.type === 'error' && (!this.#seated || frame.code === 'replaced')) {
        const action = errorAction(frame.code);
        if (action === 'final') {
          // Asking for the seat failed, or another tab took it: nothing left to take back.
          this.#entry = null;
          replaced ||= frame.code === 'replaced';
        } else if (action === 'retry' && this.#entry) {
          this.#retryAfterMs = (frame.retry_after ?? 0) * 1000;
          socket.close(NORMAL_CLOSURE); // and reconnect, which asks again
          frame = {...frame, retrying: true};
        }
      }
      this.#emit(frame.type, frame);
    };
    socket.onclose = ({code, reason}) => {
      if (!opened && this.#socket === socket && !this.#refusalTold) this.#checkRefusal();
      this.#closed(socket, code, reason, replaced);
    };
  }

  /**
   * Ask the server for a sign of life now (the tab is visible again, the device is back
   * online): a socket that stays silent is given up and a new one takes the seat back.
   * Without a socket, a reconnect waiting out its backoff happens at once.
   */
  checkNow() {
    if (this.open) this.#heartbeat.check();
    else this.reconnectNow();
  }

  /** Try now instead of waiting out the backoff (e.g. the device came back online). */
  reconnectNow() {
    if (this.#timer) this.connect();
  }

  create() {
    this.#enter({type: 'create'});
  }

  /** @param {string} room @param {string|null} [resume] token from an earlier `joined` */
  join(room, resume) {
    this.#enter(resume ? {type: 'join', room, resume} : {type: 'join', room});
  }

  signal(data) {
    this.#send({type: 'signal', data});
  }

  leave() {
    this.#forgetSeat();
    this.#send({type: 'leave'});
  }

  /** Close a socket that asks for no seat (a lobby's, opened ahead), if any. */
  closeIdle() {
    if (!this.#entry) this.close();
  }

  /** Close on purpose: no `close` event and no reconnect follow. */
  close() {
    const socket = this.#socket;
    this.#heartbeat.stop();
    this.#socket = null;
    this.#outbox = [];
    this.#forgetSeat();
    socket?.close(NORMAL_CLOSURE);
  }

  /**
   * The socket is gone: closed by either side, or given up as silent (then it is closed
   * here without waiting for a closing handshake that may never come).
   * @param {WebSocket} socket @param {number} code @param {string} reason
   * @param {boolean} [replaced] another tab took the seat
   */
  #closed(socket, code, reason, replaced = false) {
    if (this.#socket !== socket) return;
    this.#heartbeat.stop();
    this.#socket = null;
    this.#outbox = [];
    this.#seated = false;
    if (reason === SILENT_SOCKET) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close(NORMAL_CLOSURE);
    }
    const reconnecting = Boolean(this.#entry) && !replaced;
    if (reconnecting) this.#scheduleReconnect();
    this.#emit('close', {code, reason, reconnecting});
  }

  async #checkRefusal() {
    this.#refusalTold = true;
    if (await this.#probe(this.#url)) this.#emit('refused');
  }

  #forgetSeat() {
    this.#entry = null;
    this.#seated = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #enter(frame) {
    this.#refusalTold = false; // told in the lobby, perhaps: asking for a seat is told again
    if (this.open) {
      this.#entry = frame;
      this.#send(frame);
      return;
    }
    this.#entry = frame; // sent first once the socket opens
    this.connect();
  }

  #scheduleReconnect() {
    const delay = Math.max(backoffDelay(this.#attempt++), this.#retryAfterMs);
    this.#retryAfterMs = 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#entry) this.connect();
    }, delay);
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
