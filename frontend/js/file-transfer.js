// Files sent straight to the other person: the offer, accept and decline, cancel and the
// receiver's verdict travel on the control channel (small JSON messages); the bytes on a
// DataChannel of their own per transfer (`file-<id>`), never through the server. No DOM:
// file-view.js renders the `transfer` events; node tests drive it with fake channels.
import {isTransferId, newTransferId, readOffer, sha256Hex, sizeProblem} from './file-offer.js';
import {LOW_WATER_BYTES, pumpFile} from './file-pump.js';

// A channel closing without a `file-cancel` may be overtaken by it: wait before calling it lost.
const LOST_AFTER_MS = 1000;
// Received files are saved as opaque bytes: an HTML file must not open as a page of ours.
const SAVED_TYPE = 'application/octet-stream';

const ACTIVE = new Set(['preparing', 'offered', 'sending', 'receiving']);

/**
 * @typedef {'preparing'|'offered'|'sending'|'receiving'|'checking'|'done'|'declined'|
 *   'cancelled'|'failed'} TransferState
 * @typedef {'empty'|'too-large'|'bad-offer'|'no-peer'|'mismatch'|'lost'|'unreadable'|
 *   'no-memory'} TransferProblem why a transfer failed (a strings.js sentence each,
 *   file-view.js): `unreadable`, the file could not be read (moved, changed, no permission);
 *   `no-memory`, this page could not hold the file it accepted
 */

/**
 * One transfer as the views see it (the `transfer` event's detail).
 * @typedef {object} Transfer
 * @property {string} id
 * @property {'out'|'in'} direction out: we send it
 * @property {string} name shown as text (file-offer.js safeName)
 * @property {number} size bytes
 * @property {TransferState} state
 * @property {number} bytes how many have reached the other side (out) or us (in)
 * @property {'you'|'them'|null} by who declined or cancelled it
 * @property {TransferProblem|null} problem when failed
 * @property {Blob|null} file the received file, once its SHA-256 matched (in, done)
 */

/**
 * @typedef {object} FileLink what the transfers need from the call
 * @property {(message: object) => boolean} send a control-channel message; false when the
 *   channel is not open
 * @property {() => (RTCPeerConnection|null)} connection the connection to the other person
 */

export class FileTransfers extends EventTarget {
  /** @type {Map<string, any>} every transfer of this call, by id */
  #transfers = new Map();
  #link;
  #lostAfterMs;
  /** @type {WeakSet<object>} connections whose incoming channels we listen to */
  #watched = new WeakSet();

  /**
   * Events: `transfer` (a Transfer, each time one changes).
   * @param {FileLink} link
   * @param {{lostAfterMs?: number}} [options]
   */
  constructor(link, {lostAfterMs = LOST_AFTER_MS} = {}) {
    super();
    this.#link = link;
    this.#lostAfterMs = lostAfterMs;
  }

  /**
   * Offer a file: hashed first (SHA-256), then offered; nothing is sent before they accept.
   * A file that cannot be offered shows as failed (`empty`, `too-large`, `no-peer`).
   * @param {Blob & {name?: string}} file
   * @returns {Promise<string>} the transfer's id
   */
  async offer(file) {
    const id = newTransferId();
    const t = this.#add({id, direction: 'out', name: file.name ?? 'file', size: file.size,
      mime: file.type, state: 'preparing', source: file});
    const problem = sizeProblem(file) ?? (this.#link.connection() ? null : 'no-peer');
    if (problem) {
      this.#fail(t, problem);
      return id;
    }
    let sha256;
    try {
      sha256 = await sha256Hex(await file.arrayBuffer());
    } catch {
      if (t.state === 'preparing') this.#fail(t, 'unreadable');
      return id;
    }
    if (t.state !== 'preparing') return id; // cancelled meanwhile
    const sent = this.#link.send({type: 'file-offer', id, name: t.name, size: t.size,
      mime: t.mime, sha256});
    if (sent) this.#set(t, {state: 'offered'});
    else this.#fail(t, 'no-peer');
    return id;
  }

  /** Take an offered file: the sender opens its channel once told. @param {string} id */
  accept(id) {
    const t = this.#transfers.get(id);
    if (t?.direction !== 'in' || t.state !== 'offered') return;
    const connection = this.#link.connection();
    if (!connection) {
      this.#fail(t, 'lost');
      return;
    }
    try {
      t.buffer = new Uint8Array(t.size);
    } catch {
      this.#link.send({type: 'file-cancel', id});
      this.#fail(t, 'no-memory');
      return;
    }
    this.#watch(connection);
    this.#set(t, {state: 'receiving'});
    if (!this.#link.send({type: 'file-accept', id})) this.#fail(t, 'lost');
  }

  /** Refuse an offered file. @param {string} id */
  decline(id) {
    const t = this.#transfers.get(id);
    if (t?.direction !== 'in' || t.state !== 'offered') return;
    this.#link.send({type: 'file-decline', id});
    this.#end(t, {state: 'declined', by: 'you'});
  }

  /** Stop a transfer, ours or theirs, at any point before it ends. @param {string} id */
  cancel(id) {
    const t = this.#transfers.get(id);
    if (!t || !ACTIVE.has(t.state)) return;
    if (t.state !== 'preparing') this.#link.send({type: 'file-cancel', id});
    this.#end(t, {state: 'cancelled', by: 'you'});
  }

  /**
   * A `file-*` message from the other side's control channel (docs/protocol.md).
   * @param {Record<string, any>} message
   */
  message(message) {
    if (message.type === 'file-offer') {
      this.#offered(message);
      return;
    }
    const t = this.#transfers.get(message.id);
    if (!t) return;
    const outgoing = t.direction === 'out';
    if (message.type === 'file-accept' && outgoing && t.state === 'offered') {
      this.#send(t);
    } else if (message.type === 'file-decline' && outgoing && t.state === 'offered') {
      if (['too-large', 'bad-offer'].includes(message.reason)) this.#fail(t, message.reason);
      else this.#end(t, {state: 'declined', by: 'them'});
    } else if (message.type === 'file-cancel' && ACTIVE.has(t.state)) {
      this.#end(t, {state: 'cancelled', by: 'them'});
    } else if (message.type === 'file-done' && outgoing && t.state === 'sending') {
      if (message.ok === true) this.#end(t, {state: 'done', bytes: t.size});
      else this.#fail(t, 'mismatch');
    }
  }

  /** The other person is gone (they left, the connection was replaced): all stop. */
  peerGone() {
    for (const t of this.#transfers.values()) {
      if (ACTIVE.has(t.state)) this.#fail(t, 'lost');
    }
  }

  /** The call ended: every transfer stops, and received files are let go. */
  end() {
    this.peerGone();
    this.#transfers.clear();
  }

  /** @param {Record<string, any>} message */
  #offered(message) {
    if (!isTransferId(message.id) || this.#transfers.has(message.id)) return;
    const {offer, problem} = readOffer(message);
    if (!offer) {
      this.#link.send({type: 'file-decline', id: message.id, reason: problem});
      return;
    }
    this.#add({id: offer.id, direction: 'in', name: offer.name, size: offer.size,
      mime: offer.mime, sha256: offer.sha256, state: 'offered'});
  }

  // --- sending

  /** They accepted: open the transfer's channel and pump the file into it. */
  #send(t) {
    const connection = this.#link.connection();
    if (!connection) {
      this.#fail(t, 'lost');
      return;
    }
    const channel = connection.createDataChannel(`file-${t.id}`, {ordered: true});
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    t.channel = channel;
    t.offset = 0;
    this.#set(t, {state: 'sending'});
    channel.addEventListener('open', () => this.#pump(t, channel));
    channel.addEventListener('close', () => this.#closed(t, channel));
    channel.addEventListener('bufferedamountlow', () => this.#progress(t, t.offset - channel.bufferedAmount));
  }

  /** @param {any} t @param {RTCDataChannel} channel */
  async #pump(t, channel) {
    const going = () => t.state === 'sending' && t.channel === channel;
    try {
      await pumpFile(t.source, channel, {going, sent: (offset) => {
        t.offset = offset;
        this.#progress(t, offset - channel.bufferedAmount);
      }});
    } catch {
      if (!going()) return;
      this.#link.send({type: 'file-cancel', id: t.id}); // changed or gone from the disk
      this.#fail(t, 'unreadable');
    }
  }

  // --- receiving

  /** @param {RTCPeerConnection} connection */
  #watch(connection) {
    if (this.#watched.has(connection)) return;
    this.#watched.add(connection);
    connection.addEventListener('datachannel', ({channel}) => this.#incoming(channel));
  }

  /** A channel the sender opened: ours if it is for a transfer we accepted. @param {RTCDataChannel} channel */
  #incoming(channel) {
    const id = channel.label.startsWith('file-') ? channel.label.slice(5) : '';
    const t = this.#transfers.get(id);
    if (t?.direction !== 'in' || t.state !== 'receiving' || t.channel) {
      if (id) channel.close(); // a file channel nobody here waits for
      return;
    }
    t.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', ({data}) => this.#chunk(t, data));
    channel.addEventListener('close', () => this.#closed(t, channel));
  }

  /** @param {any} t @param {ArrayBuffer|string} data */
  #chunk(t, data) {
    if (t.state !== 'receiving' || typeof data === 'string') return;
    const bytes = new Uint8Array(data);
    if (t.bytes + bytes.byteLength > t.size) {
      this.#verdict(t, false); // more than offered: not the file they described
      return;
    }
    t.buffer.set(bytes, t.bytes);
    this.#progress(t, t.bytes + bytes.byteLength);
    if (t.bytes === t.size) this.#check(t);
  }

  /** All bytes are here: offered for saving only if the SHA-256 is the offer's. */
  async #check(t) {
    this.#set(t, {state: 'checking'});
    const matches = await sha256Hex(t.buffer) === t.sha256;
    if (t.state === 'checking') this.#verdict(t, matches);
  }

  /** @param {any} t @param {boolean} ok */
  #verdict(t, ok) {
    this.#link.send({type: 'file-done', id: t.id, ok});
    if (ok) this.#end(t, {state: 'done', file: new Blob([t.buffer], {type: SAVED_TYPE})});
    else this.#fail(t, 'mismatch');
  }

  // --- either side

  /** The channel closed: by us (ended already), or lost unless a `file-cancel` overtakes it. */
  #closed(t, channel) {
    if (t.channel !== channel || !ACTIVE.has(t.state)) return;
    setTimeout(() => {
      if (ACTIVE.has(t.state) && t.channel === channel) this.#fail(t, 'lost');
    }, this.#lostAfterMs);
  }

  #add(fields) {
    const t = {bytes: 0, by: null, problem: null, file: null, channel: null, buffer: null,
      ...fields};
    this.#transfers.set(t.id, t);
    this.#emit(t);
    return t;
  }

  /** @param {any} t @param {TransferProblem} problem */
  #fail(t, problem) {
    this.#end(t, {state: 'failed', problem});
  }

  /** A final state: the channel closes, the memory goes. */
  #end(t, fields) {
    t.channel?.close();
    t.buffer = null;
    t.source = null;
    this.#set(t, fields);
  }

  /** Progress, shown in whole percents: an event per percent, not per chunk. */
  #progress(t, bytes) {
    const percent = (n) => Math.floor((n * 100) / t.size);
    const changed = percent(bytes) !== percent(t.bytes);
    t.bytes = bytes;
    if (changed) this.#emit(t);
  }

  #set(t, fields) {
    Object.assign(t, fields);
    this.#emit(t);
  }

  #emit(t) {
    /** @type {Transfer} */
    const detail = {id: t.id, direction: t.direction, name: t.name, size: t.size,
      state: t.state, bytes: t.bytes, by: t.by, problem: t.problem, file: t.file};
    this.dispatchEvent(new CustomEvent('transfer', {detail}));
  }
}
