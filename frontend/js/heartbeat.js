// The signaling socket's heartbeat (docs/protocol.md, `ping`): a browser keeps a WebSocket
// OPEN for minutes after a laptop slept or a NAT forgot the connection, and fires no
// `close`. A socket that answers nothing within TIMEOUT of a ping is dead.

/** Milliseconds between pings while the socket is quiet. */
export const HEARTBEAT_INTERVAL_MS = 5000;
/** Milliseconds a ping may go unanswered (by any frame) before the socket counts as dead. */
export const HEARTBEAT_TIMEOUT_MS = 3000;

/**
 * A heartbeat alone does not keep node (the client's unit tests) running; browsers return
 * a number and ignore this. @template T @param {T} timer @returns {T}
 */
function background(timer) {
  /** @type {any} */ (timer)?.unref?.();
  return timer;
}

/**
 * One socket's heartbeat: `ping` every INTERVAL, `dead` when nothing was heard for TIMEOUT
 * after a ping. Worst case from the path dying to `dead`: INTERVAL + TIMEOUT (8 s).
 */
export class Heartbeat {
  #ping;
  #dead;
  /** @type {ReturnType<typeof setTimeout>|undefined} the next ping */
  #next = undefined;
  /** @type {ReturnType<typeof setTimeout>|undefined} an unanswered ping's deadline */
  #deadline = undefined;

  /**
   * @param {object} options
   * @param {() => void} options.ping sends one `ping` frame
   * @param {() => void} options.dead called once when a ping went unanswered
   */
  constructor({ping, dead}) {
    this.#ping = ping;
    this.#dead = dead;
  }

  /** The socket opened: ping every INTERVAL from now on. */
  start() {
    this.stop();
    this.#schedule();
  }

  /** Any frame came in: the path works. */
  heard() {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  /** Ping now, e.g. the tab became visible again or the device came back online. */
  check() {
    if (this.#next === undefined) return; // not started, or stopped
    this.#beat();
  }

  stop() {
    clearTimeout(this.#next);
    clearTimeout(this.#deadline);
    this.#next = this.#deadline = undefined;
  }

  #schedule() {
    clearTimeout(this.#next);
    this.#next = background(setTimeout(() => this.#beat(), HEARTBEAT_INTERVAL_MS));
  }

  #beat() {
    this.#schedule();
    if (this.#deadline === undefined) {
      this.#deadline = background(setTimeout(() => {
        this.stop();
        this.#dead();
      }, HEARTBEAT_TIMEOUT_MS));
    }
    this.#ping();
  }
}
