// Stand-ins for the browser's WebSocket, RTCPeerConnection, media and storage, driven by
// the tests as the browser and the server would drive the real ones.
import assert from 'node:assert/strict';

export class FakeWebSocket {
  static instances = [];
  readyState = 0;
  sent = [];
  closedWith = null;

  constructor(url) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }

  send(text) {
    assert.equal(this.readyState, 1, 'send only on an open socket');
    this.sent.push(JSON.parse(text));
  }

  close(code) {
    this.closedWith = code;
    this.readyState = 3;
  }

  // --- driven by the test, as the browser would
  serverOpens() {
    this.readyState = 1;
    this.onopen?.({});
  }

  serverSends(frame) {
    this.onmessage?.({data: typeof frame === 'string' ? frame : JSON.stringify(frame)});
  }

  serverCloses(code = 1006) {
    this.readyState = 3;
    this.onclose?.({code, reason: ''});
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const domError = (name) => Object.assign(new Error(name), {name});

/** Just enough of RTCPeerConnection's signaling state machine (JSEP) to negotiate. */
export class FakePeerConnection {
  static last = null;
  signalingState = 'stable';
  connectionState = 'new';
  localDescription = null;
  remoteDescription = null;
  senders = [];
  transceivers = [];
  added = []; // candidates given to addIceCandidate, in order
  offers = 0;
  iceRestarts = 0;
  channels = [];

  constructor(configuration) {
    this.configuration = configuration;
    FakePeerConnection.last = this;
  }

  /** How long each description step takes: one timer turn, so that glare can interleave. */
  tick() {
    return tick();
  }

  addTrack(track, stream) {
    this.senders.push({track, stream});
  }

  createDataChannel(label, init) {
    const channel = {label, ...init, readyState: 'connecting', sent: [],
      send(text) { this.sent.push(JSON.parse(text)); },
      close() { this.readyState = 'closing'; }};
    this.channels.push(channel);
    return channel;
  }

  addTransceiver(kind, init) {
    this.transceivers.push({kind, ...init});
  }

  async setLocalDescription() {
    await this.tick();
    if (this.signalingState === 'closed') throw domError('InvalidStateError');
    if (this.signalingState === 'have-remote-offer') {
      this.localDescription = {type: 'answer', sdp: `answer to ${this.remoteDescription.sdp}`};
      this.signalingState = 'stable';
    } else {
      this.offers += 1;
      this.localDescription = {type: 'offer', sdp: `offer ${this.offers}`};
      this.signalingState = 'have-local-offer';
    }
  }

  async setRemoteDescription(description) {
    await this.tick();
    if (description.type === 'answer' && this.signalingState !== 'have-local-offer') {
      throw domError('InvalidStateError');
    }
    // An offer in have-local-offer rolls back our own offer first (implicit rollback).
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
    this.remoteDescription = description;
  }

  async addIceCandidate(candidate) {
    if (!this.remoteDescription) throw domError('InvalidStateError');
    if (candidate.candidate === 'bad') throw domError('OperationError');
    this.added.push(candidate);
  }

  restartIce() {
    this.iceRestarts += 1;
  }

  getConfiguration() {
    return this.configuration;
  }

  setConfiguration(configuration) {
    this.configuration = configuration;
  }

  getTransceivers() {
    return [];
  }

  async getStats() {
    return new Map((this.stats ?? []).map((entry) => [entry.id, entry]));
  }

  close() {
    this.signalingState = 'closed';
    this.connectionState = 'closed';
  }
}

/** A camera or microphone track. */
export class FakeTrack extends EventTarget {
  enabled = true;
  stopped = false;

  constructor(kind, deviceId = `${kind}-1`) {
    super();
    this.kind = kind;
    this.deviceId = deviceId;
  }

  stop() {
    this.stopped = true;
  }

  get readyState() {
    return this.stopped ? 'ended' : 'live';
  }

  /** The device went away: unplugged, switched off, permission revoked. */
  end() {
    this.stopped = true;
    this.dispatchEvent(new Event('ended'));
  }

  getSettings() {
    return {deviceId: this.deviceId};
  }

  /** Constraints asked of it later (applyConstraints), in order. */
  applied = [];

  async applyConstraints(constraints) {
    this.applied.push(constraints);
  }
}

export class FakeStream {
  constructor(tracks) {
    this.tracks = [...tracks];
  }

  getTracks() {
    return [...this.tracks];
  }

  getAudioTracks() {
    return this.tracks.filter((track) => track.kind === 'audio');
  }

  getVideoTracks() {
    return this.tracks.filter((track) => track.kind === 'video');
  }

  addTrack(track) {
    this.tracks.push(track);
  }

  removeTrack(track) {
    this.tracks = this.tracks.filter((other) => other !== track);
  }
}

/** navigator.mediaDevices with a camera and a microphone that always say yes. */
export class FakeMediaDevices extends EventTarget {
  streams = []; // every stream handed out, in order
  /**
   * The error name to refuse a request for one device with, or null to say yes.
   * @type {(kind: string, deviceId: string|undefined, live: FakeTrack[]) => string|null}
   */
  refuse = () => null;

  asked = []; // every getUserMedia's constraints, in order

  async getUserMedia(constraints) {
    this.asked.push(constraints);
    const kinds = ['audio', 'video'].filter((kind) => constraints[kind]);
    for (const kind of kinds) {
      const live = this.streams.flatMap((stream) => stream.tracks)
        .filter((track) => track.kind === kind && !track.stopped);
      const refusal = this.refuse(kind, constraints[kind]?.deviceId?.exact, live);
      if (refusal) throw domError(refusal);
    }
    const stream = new FakeStream(kinds.map((kind) => new FakeTrack(kind,
      constraints[kind]?.deviceId?.exact)));
    this.streams.push(stream);
    return stream;
  }

  async getDisplayMedia() {
    return new FakeStream([new FakeTrack('video', 'screen')]);
  }
}

/** sessionStorage. */
export class FakeStorage {
  items = new Map();

  getItem(key) {
    return this.items.get(key) ?? null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  removeItem(key) {
    this.items.delete(key);
  }

  /** What a duplicated tab starts with. */
  copy() {
    const copy = new FakeStorage();
    copy.items = new Map(this.items);
    return copy;
  }
}

/** navigator.locks (exclusive locks only), shared by the "tabs" of one test. */
export class FakeLocks {
  #holders = new Set();
  #queues = new Map();

  request(name, {signal} = {}, callback) {
    return new Promise((resolve, reject) => {
      const waiter = {callback, resolve, reject};
      if (!this.#holders.has(name)) {
        this.#grant(name, waiter);
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      queue.push(waiter);
      signal?.addEventListener('abort', () => {
        const index = queue.indexOf(waiter);
        if (index < 0) return;
        queue.splice(index, 1);
        reject(domError('AbortError'));
      });
    });
  }

  #grant(name, {callback, resolve}) {
    this.#holders.add(name);
    Promise.resolve(callback({name})).then((value) => {
      this.#holders.delete(name);
      const next = this.#queues.get(name)?.shift();
      if (next) this.#grant(name, next);
      resolve(value);
    });
  }
}

/** A FakePeerConnection whose descriptions settle within one turn of the microtask queue
 * (so timers can be mocked); every one made is in `made` (a test resets it). */
export class QuickPeerConnection extends FakePeerConnection {
  /** @type {QuickPeerConnection[]} */
  static made = [];

  constructor(configuration) {
    super(configuration);
    QuickPeerConnection.made.push(this);
  }

  tick() {
    return Promise.resolve();
  }
}

/** Let every pending promise settle (media, descriptions, verification digests). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * One end of an RTCDataChannel between two FakeFileConnections. What it sends waits in
 * `bufferedAmount` until the test calls deliver(), as a slow network would hold it.
 */
export class FakeDataChannel extends EventTarget {
  readyState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'blob';
  /** @type {FakeDataChannel|null} */
  other = null;
  queue = []; // sent, not yet delivered: Uint8Array copies or strings
  sentBytes = 0;
  highestBuffered = 0; // the most bytes ever waiting at once
  /** Changes bytes in flight (a damaged transfer): (bytes: Uint8Array) => void. */
  tamper = null;

  constructor(label, init) {
    super();
    this.label = label;
    this.init = init;
  }

  send(data) {
    assert.equal(this.readyState, 'open', 'send only on an open channel');
    const message = typeof data === 'string' ? data
      : new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength).slice();
    const size = typeof message === 'string' ? message.length : message.byteLength;
    this.queue.push(message);
    this.sentBytes += size;
    this.bufferedAmount += size;
    this.highestBuffered = Math.max(this.highestBuffered, this.bufferedAmount);
  }

  /** The network carries whole messages, at most `limit` bytes, to the other end. */
  deliver(limit = Infinity) {
    let carried = 0;
    const sizeOf = (message) => (typeof message === 'string' ? message.length : message.byteLength);
    while (this.queue.length && carried + sizeOf(this.queue[0]) <= limit &&
      this.readyState === 'open') {
      const message = this.queue.shift();
      const size = sizeOf(message);
      carried += size;
      const before = this.bufferedAmount;
      this.bufferedAmount -= size;
      if (typeof message !== 'string') this.tamper?.(message);
      const data = typeof message === 'string' ? message : message.buffer;
      this.other?.dispatchEvent(Object.assign(new Event('message'), {data}));
      if (before > this.bufferedAmountLowThreshold &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold) {
        this.dispatchEvent(new Event('bufferedamountlow'));
      }
    }
    return carried;
  }

  close() {
    for (const end of [this, this.other]) {
      if (!end || end.readyState === 'closed') continue;
      end.readyState = 'closed';
      queueMicrotask(() => end.dispatchEvent(new Event('close')));
    }
  }

  /** Both ends open; the other side hears of its end first (`datachannel`). */
  opened() {
    for (const end of [this, this.other]) {
      end.readyState = 'open';
      end.dispatchEvent(new Event('open'));
    }
  }
}

/** The DataChannel side of two RTCPeerConnections connected to each other. */
export class FakeFileConnection extends EventTarget {
  /** @type {FakeFileConnection|null} */
  other = null;
  /** @type {FakeDataChannel[]} the channels this side created */
  channels = [];

  createDataChannel(label, init) {
    const mine = new FakeDataChannel(label, init);
    const theirs = new FakeDataChannel(label, init);
    mine.other = theirs;
    theirs.other = mine;
    this.channels.push(mine);
    queueMicrotask(() => {
      this.other?.dispatchEvent(Object.assign(new Event('datachannel'), {channel: theirs}));
      mine.opened();
    });
    return mine;
  }

  /** Two connections, each the other's remote end. */
  static pair() {
    const a = new FakeFileConnection();
    const b = new FakeFileConnection();
    a.other = b;
    b.other = a;
    return [a, b];
  }
}

/** An RTCRtpSender: its track and its encoding parameters (setParameters). */
export class FakeSender {
  /** @type {{transactionId: string, encodings: object[]}} */
  parameters = {transactionId: 't1', encodings: [{active: true}]};

  constructor(track = null) {
    this.track = track;
  }

  getParameters() {
    return structuredClone(this.parameters);
  }

  async setParameters(parameters) {
    if (!parameters.encodings?.length) throw domError('InvalidModificationError');
    this.parameters = structuredClone(parameters);
  }

  async replaceTrack(track) {
    this.track = track;
  }

  setStreams() {}
}

/**
 * A QuickPeerConnection with transceivers (one per addTrack or addTransceiver), each with
 * a FakeSender, as features that reach the senders need.
 */
export class SenderPeerConnection extends QuickPeerConnection {
  list = [];

  addTrack(track, stream) {
    super.addTrack(track, stream);
    this.#add(track.kind, new FakeSender(track), 'sendrecv');
  }

  addTransceiver(kind, init) {
    super.addTransceiver(kind, init);
    this.#add(kind, new FakeSender(), init?.direction ?? 'sendrecv');
  }

  getTransceivers() {
    return [...this.list];
  }

  /** The video transceiver's sender. */
  get videoSender() {
    return this.list.find((transceiver) => transceiver.receiver.track.kind === 'video').sender;
  }

  #add(kind, sender, direction) {
    this.list.push({receiver: {track: {kind}}, sender, direction, currentDirection: direction});
  }
}

/** The control DataChannel of a fake connection, opened as the other page would. */
export function openControl(pc) {
  const channel = pc.channels.find((candidate) => candidate.label === 'control');
  channel.readyState = 'open';
  channel.onopen?.();
  return channel;
}
