// The call without the DOM: which phase we are in, and what each of the person's actions
// means for it. What each server frame means is server-frames.js's, the other person and
// their connection link.js's. Views only render the events it emits (render.js); node
// tests drive it with a fake socket and connection.
import {PeerLink} from './link.js';
import {inCall, nextPhase} from './phases.js';
import {LocalMedia} from './local-media.js';
import {SeatClaim} from './seat-claim.js';
import {SeatStore} from './seat-store.js';
import {ServerFrames} from './server-frames.js';
import {Signaling} from './signaling.js';

/** Longest chat message sent, in characters. */
export const MAX_CHAT = 2000;
// How long a reloaded page waits for its old self to let go of the meeting's claim.
const RELOAD_WAIT_MS = 1000;

/**
 * Events (detail in parentheses; a `key` is a strings.js key, '' or null for none):
 * `phase` ({phase, room}), `meeting` (room code or null: shown with its link), `joined`
 * (room code: the server gave us its seat), `status` (key), `callerror` ({key, message?,
 * fatal}), `lobbyerror` ({key, fatal}), `waiting` (key while nobody else is here, else
 * null), `preview` (lobby MediaStream|null), `local` ({stream, screen: boolean}),
 * `controls` (MediaStream|null: the mute toggles), `devices` (MediaStream|null: list the
 * devices again), `remotestream` (MediaStream|null),
 * `remotemedia` ({mic, camera}|null), `remotename` (string|null), `chat` ({text, mine,
 * name}), `verification` (code|null), `facts` (facts.js summary|null), `file` (a `file-*`
 * message from the other person, or null: the connection to them closed), `peer` (the
 * Peer that now carries the call).
 */
export class CallSession extends EventTarget {
  /** @type {import('./phases.js').Phase} */
  #phase = 'home';
  /** @type {string|null} the meeting's code, once known */
  #room = null;
  /** This browser's camera, microphone and shared screen. @type {LocalMedia} */
  media;
  #signaling;
  #RTCPeerConnection;
  #seats;
  #claim;
  #link;
  #server;
  /** @type {string|null} the lobby's note (a strings.js key) while no problem is shown */
  #lobbyNote = null;

  /**
   * @param {object} options
   * @param {string} [options.url] the signaling WebSocket's URL (signaling.js socketUrl)
   * @param {typeof WebSocket} [options.WebSocket]
   * @param {typeof RTCPeerConnection} [options.RTCPeerConnection] none: no calls possible
   * @param {MediaDevices} [options.mediaDevices]
   * @param {() => Storage} [options.storage] this tab's storage (may throw when blocked)
   * @param {{setInterval: typeof setInterval, clearInterval: typeof clearInterval}} [options.clock]
   * @param {boolean} [options.relayOnly] relayed candidates only (test and debug: `?relay=1`)
   * @param {LockManager} [options.locks] navigator.locks: tells a copied tab from a reload
   * @param {(url: string) => Promise<boolean>} [options.probe] signaling.js serverAnswers
   */
  constructor({url, WebSocket = globalThis.WebSocket,
    RTCPeerConnection = globalThis.RTCPeerConnection,
    mediaDevices = globalThis.navigator?.mediaDevices,
    storage = () => globalThis.sessionStorage, clock = globalThis, relayOnly = false,
    locks = globalThis.navigator?.locks, probe = undefined}) {
    super();
    this.#signaling = new Signaling(url, {WebSocket, probe});
    this.#RTCPeerConnection = RTCPeerConnection;
    this.#seats = new SeatStore(storage);
    this.#claim = new SeatClaim(locks);
    this.media = new LocalMedia({mediaDevices, peer: () => this.#link.peer});
    this.#link = new PeerLink({
      emit: (type, detail) => this.#emit(type, detail),
      statusChanged: () => this.#renderStatus(),
      send: (data) => this.#signaling.signal(data),
    }, {RTCPeerConnection, clock, relayOnly, media: this.media});
    this.#server = new ServerFrames(this.#signaling, this.#link, {
      phase: () => this.#phase,
      enter: (phase) => this.#enter(phase),
      seated: (room, resume) => this.#seated(room, resume),
      forgetSeat: () => this.#forgetSeat(),
      endCall: () => this.#endCall(),
      emit: (type, detail) => this.#emit(type, detail),
      statusChanged: () => this.#renderStatus(),
      lobbyNote: (key) => {
        this.#lobbyNote = key;
        this.#emit('lobbyerror', {key, fatal: false});
      },
    });
  }

  /** @returns {import('./phases.js').Phase} */
  get phase() {
    return this.#phase;
  }

  get inCall() {
    return inCall(this.#phase);
  }

  /** True while the server holds our seat. */
  get seated() {
    return this.#signaling.seated;
  }

  /** The current RTCPeerConnection (stats, tests), or null. */
  get peerConnection() {
    return this.#link.peer?.connection ?? null;
  }

  /** The Peer that carries the call now, or null. */
  get peer() {
    return this.#link.peer;
  }

  /** The name given last time in this tab, or null. */
  get storedName() {
    return this.#seats.name;
  }

  /**
   * Opened at a meeting's address: a reload in a call takes the seat back at once; a link
   * opened afresh shows the lobby, and so does a copy of a tab that is in the meeting (with
   * a note; joining there moves the call). @param {string} room
   */
  async open(room) {
    if (!this.#seats.resumeToken(room)) this.openLobby(room);
    else if (await this.#claim.claim(room, RELOAD_WAIT_MS)) this.#enterRoom(room, this.#seats.name ?? '');
    else this.openLobby(room, 'openElsewhere');
  }

  /**
   * Before joining: preview, devices, name.
   * @param {string|null} room null: a new meeting
   * @param {string|null} [note] a strings.js key shown in the lobby
   */
  openLobby(room, note = null) {
    this.#room = room;
    this.#lobbyNote = note;
    this.#enter('lobby');
    if (!this.#RTCPeerConnection) {
      this.#emit('lobbyerror', {key: 'noWebRTC', fatal: true});
      return;
    }
    this.prepareJoin();
    this.#preview({});
  }

  /**
   * In the lobby: get what Join needs ready while the person looks at their preview (also
   * when they point at Join: the server closes a socket left outside a room for a minute).
   * The socket sends nothing until Join; the connection and its certificate are our own.
   */
  prepareJoin() {
    if (this.#phase !== 'lobby' || !this.#RTCPeerConnection) return;
    this.#signaling.connect();
    this.#link.warmUp();
  }

  /** Join the lobby's meeting (or rejoin after hanging up). @param {string} name '' for none */
  join(name) {
    return this.#enterRoom(this.#room, name);
  }

  /** Give up the seat and stop everything. */
  hangUp() {
    this.#leaveRoom();
    this.#enter('left');
  }

  goHome() {
    if (this.inCall) this.#leaveRoom();
    if (this.#phase === 'lobby') this.#endCall();
    this.#signaling.closeIdle(); // the lobby's socket
    this.#room = null;
    this.#enter('home');
  }

  /** The address changed (back, forward): that room's lobby, or home. @param {string|null} room */
  navigate(room) {
    if (room && room === this.#room && this.inCall) return;
    if (this.inCall) this.#leaveRoom();
    if (room) this.openLobby(room);
    else this.goHome();
  }

  /**
   * Another camera or microphone, in the lobby or mid-call (no renegotiation).
   * @param {'videoinput'|'audioinput'} kind @param {string} deviceId
   */
  async switchDevice(kind, deviceId) {
    const trackKind = kind === 'videoinput' ? 'video' : 'audio';
    // Mid-call a kind whose device went away is added back (switchDevice).
    if (this.media.hasTrack(trackKind) || (this.inCall && this.media.stream)) {
      await this.media.switchDevice(trackKind, deviceId);
      if (this.#phase === 'lobby') this.#link.prepare(true); // with the new track
    }
    else if (this.#phase === 'lobby') await this.#preview({[trackKind]: deviceId});
  }

  /** Send the screen instead of the camera, or stop sharing it. */
  async toggleScreen() {
    if (this.media.screen) this.media.stopScreen();
    else await this.media.startScreen(() => this.inCall);
  }

  /** @param {string} text */
  sendChat(text) {
    this.#link.peer?.sendControl({type: 'chat', text: text.slice(0, MAX_CHAT)});
    this.#emit('chat', {text, mine: true, name: null});
  }

  /**
   * A message for the other person's page on the control channel (file-transfer.js).
   * @param {import('./control-channel.js').ControlMessage} message
   * @returns {boolean} false when the channel is not open (nobody there yet)
   */
  sendControl(message) {
    const peer = this.#link.peer;
    if (!peer?.controlOpen) return false;
    peer.sendControl(message);
    return true;
  }

  /**
   * Back online, or on another network: the server at once, and new ICE candidates when
   * the network moved or the call is not connected.
   * @param {boolean} moved another network (Wi-Fi to mobile), not a mere speed estimate
   */
  networkChanged(moved) {
    this.#signaling.checkNow();
    const peer = this.#link.peer;
    if (peer?.negotiated && (moved || peer.connectionState !== 'connected')) peer.restartIce();
  }

  restartIce() {
    this.#link.peer?.restartIce();
  }

  /**
   * The page is going away (`pagehide`: closed, reloaded, navigated): the other person
   * hears it at once. The seat stays ours for the grace period, so a reload takes it back.
   */
  pageHidden() {
    this.#link.sayBye();
  }

  /** The tab is visible again, or the device woke up: is the server still there? */
  checkServer() {
    this.#signaling.checkNow();
  }

  // --- the phase machine

  /** @param {import('./phases.js').Phase} phase */
  #enter(phase) {
    this.#phase = nextPhase(this.#phase, phase);
    this.#emit('phase', {phase, room: this.#room});
  }

  /** Ask for camera and microphone (again, with the chosen devices) and show them. */
  async #preview(choice) {
    const request = this.media.request(choice);
    const {stream, problem} = await request;
    if (!this.media.settle(request, stream) || this.#phase !== 'lobby') return;
    this.#link.prepare(true); // with these tracks: made again after a device change
    this.#emit('preview', stream);
    this.#emit('lobbyerror', {key: problem ?? this.#lobbyNote, fatal: false});
    this.#emit('controls', stream);
    this.#emit('devices', stream);
  }

  async #enterRoom(room, name) {
    this.#room = room;
    if (!this.#RTCPeerConnection) {
      this.#enter('joining');
      this.#endCall();
      this.#emit('callerror', {key: 'noWebRTC', fatal: true});
      return;
    }
    this.#link.name = name;
    this.#seats.name = name;
    // With the lobby's camera on, the seat is asked for before anything is drawn; else
    // the socket opens while the camera starts (a reload), asking for nothing yet.
    const asked = this.media.stream !== null;
    this.#phase = nextPhase(this.#phase, 'joining');
    if (asked) this.#askForSeat(room);
    else this.#signaling.connect();
    this.#emit('phase', {phase: 'joining', room});
    this.#emit('meeting', room);
    this.#emit('status', 'starting');
    const request = this.media.pending ?? this.media.request();
    const {stream, problem} = await request;
    if (!this.media.settle(request, stream)) return; // the person went elsewhere meanwhile
    // The lobby's connection, if its tracks are these (not once `joined` came meanwhile).
    if (this.#phase === 'joining' && !this.#link.peer) this.#link.prepare(true);
    this.#emit('devices', stream);
    this.#emit('local', {stream, screen: false});
    this.#emit('controls', stream);
    if (problem) this.#emit('callerror', {key: problem, fatal: false});
    if (!asked) this.#askForSeat(room);
  }

  /** `join` the meeting, or `create` one (room null). @param {string|null} room */
  #askForSeat(room) {
    if (room) this.#signaling.join(room, this.#seats.resumeToken(room));
    else this.#signaling.create();
  }

  #leaveRoom() {
    this.#link.sayBye();
    if (this.#phase === 'in-room') this.#signaling.leave();
    this.#forgetSeat();
    this.#endCall();
  }

  #endCall() {
    this.#enter('ended');
    this.#claim.release();
    this.#server.away = false;
    this.#link.end();
    this.media.stop();
    this.#emit('waiting', null);
    this.#emit('local', {stream: null, screen: false});
    this.#emit('controls', null);
    this.#emit('status', '');
  }

  /** The status line: the server link first, then the call's own state. */
  #renderStatus() {
    this.#emit('status', this.#server.away ? 'serverReconnecting' : this.#link.statusKey);
  }

  /** The server gave us this meeting's seat. @param {string} room @param {string} resume */
  #seated(room, resume) {
    this.#room = room;
    this.#seats.saveResume(room, resume);
    this.#claim.claim(room, Infinity); // held while seated: copies of this tab see it
    this.#emit('joined', room);
    this.#emit('meeting', room);
  }

  /** The seat is gone for good: its resume token too. */
  #forgetSeat() {
    if (this.#room) this.#seats.forgetResume(this.#room);
  }

  /** @param {string} type @param {any} [detail] */
  #emit(type, detail = null) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
