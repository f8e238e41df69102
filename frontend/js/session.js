// The call without the DOM: which phase we are in, and what each server frame, each
// peer-connection event and each of the person's actions means for it. Views only render
// the events it emits (render.js); node tests drive it with a fake socket and connection.
import {FINAL_ERRORS, errorAction} from './errors.js';
import {onDetail} from './events.js';
import {PeerLink} from './link.js';
import {nextPhase} from './phases.js';
import {LocalMedia} from './local-media.js';
import {SeatClaim} from './seat-claim.js';
import {SeatStore} from './seat-store.js';
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
 * name}), `verification` (code|null), `facts` (facts.js summary|null).
 */
export class CallSession extends EventTarget {
  /** @type {import('./phases.js').Phase} */
  #phase = 'home';
  /** @type {string|null} the meeting's code, once known */
  #room = null;
  #serverAway = false; // the socket dropped and is reconnecting; the call goes on meanwhile
  /** This browser's camera, microphone and shared screen. @type {LocalMedia} */
  media;
  #signaling;
  #RTCPeerConnection;
  #seats;
  #claim;
  #link;
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
    const frames = {'joined': this.#joined, 'peer-joined': this.#peerJoined,
      'peer-left': this.#peerLeft, 'signal': this.#relayed, 'ice-servers': this.#newIceServers,
      'error': this.#refused, 'close': this.#socketClosed,
      'refused': () => this.#emit('callerror', {key: 'socketRefused', fatal: false})};
    for (const [type, react] of Object.entries(frames)) {
      onDetail(this.#signaling, type, (detail) => react.call(this, detail));
    }
  }

  /** @returns {import('./phases.js').Phase} */
  get phase() {
    return this.#phase;
  }

  get inCall() {
    return this.#phase === 'joining' || this.#phase === 'in-room';
  }

  /** True while the server holds our seat. */
  get seated() {
    return this.#signaling.seated;
  }

  /** The current RTCPeerConnection (stats, tests), or null. */
  get peerConnection() {
    return this.#link.peer?.connection ?? null;
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
    this.#preview({});
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
    this.#emit('preview', stream);
    this.#emit('lobbyerror', {key: problem ?? this.#lobbyNote, fatal: false});
    this.#emit('controls', stream);
    this.#emit('devices', stream);
  }

  async #enterRoom(room, name) {
    this.#room = room;
    this.#enter('joining');
    this.#emit('meeting', room);
    this.#emit('status', 'starting');
    if (!this.#RTCPeerConnection) {
      this.#endCall();
      this.#emit('callerror', {key: 'noWebRTC', fatal: true});
      return;
    }
    this.#link.name = name;
    this.#seats.name = name;
    const request = this.media.pending ?? this.media.request();
    const {stream, problem} = await request;
    if (!this.media.settle(request, stream)) return; // the person went elsewhere meanwhile
    this.#emit('devices', stream);
    this.#emit('local', {stream, screen: false});
    this.#emit('controls', stream);
    if (problem) this.#emit('callerror', {key: problem, fatal: false});
    if (room) this.#signaling.join(room, this.#seats.resumeToken(room));
    else this.#signaling.create();
  }

  #leaveRoom() {
    this.#link.sayBye();
    if (this.#phase === 'in-room') this.#signaling.leave();
    if (this.#room) this.#seats.forgetResume(this.#room);
    this.#endCall();
  }

  #endCall() {
    this.#enter('ended');
    this.#claim.release();
    this.#serverAway = false;
    this.#link.close();
    this.media.stop();
    this.#emit('waiting', null);
    this.#emit('local', {stream: null, screen: false});
    this.#emit('controls', null);
    this.#emit('status', '');
  }

  /** The status line: the server link first, then the call's own state. */
  #renderStatus() {
    this.#emit('status', this.#serverAway ? 'serverReconnecting' : this.#link.statusKey);
  }

  // --- server frames (docs/protocol.md)

  /** @param {import('./signaling.js').Joined} joined */
  #joined(joined) {
    if (!this.inCall) {
      this.#signaling.leave(); // the person moved on before the seat came
      return;
    }
    if (this.#phase === 'joining') this.#enter('in-room');
    this.#serverAway = false;
    this.#room = joined.room;
    this.#seats.saveResume(joined.room, joined.resume);
    this.#claim.claim(joined.room, Infinity); // held while seated: copies of this tab see it
    this.#emit('joined', joined.room);
    this.#emit('meeting', joined.room);
    this.#link.present = joined.peer_present;
    // A new seat rather than our old one: the other side has dropped our connection,
    // unless it still works end to end (then only the server forgot us).
    if (!joined.resumed && !this.#link.worksOn(joined.polite)) this.#link.close();
    this.#link.seat(joined.polite, joined.ice_servers);
    if (this.#link.peer) {
      // Back after the socket dropped: the call never stopped, so keep its connection.
      if (joined.peer_present) this.#link.greet();
      else if (this.#link.worksOn(joined.polite)) this.#link.serverSaysLeft();
      this.#renderStatus();
    } else if (joined.peer_present) {
      this.#link.start(true).hello();
    } else {
      this.#link.wait('waiting');
    }
  }

  // The other seat's frames matter only while we hold ours (link.js reacts to them).
  #peerJoined() {
    if (this.#phase === 'in-room') this.#link.arrived();
  }

  #peerLeft() {
    if (this.#phase === 'in-room') this.#link.serverSaysLeft();
  }

  /** @param {import('./signaling.js').Relayed} frame */
  #relayed({data = {}}) {
    if (this.#phase === 'in-room') this.#link.relayed(data);
  }

  /** @param {import('./signaling.js').IceServers} frame */
  #newIceServers({ice_servers: iceServers}) {
    this.#link.setIceServers(iceServers);
  }

  /** @param {import('./signaling.js').ServerError & {retrying?: boolean}} error */
  #refused({code, message, retrying}) {
    // A refusal signaling asks again on a new socket: the status says so meanwhile.
    if (retrying || !this.inCall) return;
    if (this.#link.peer && code === 'room-not-found') {
      this.#serverAway = false;
      this.#renderStatus();
      // After a reconnect: the media may well go on.
      this.#emit('callerror', {key: 'meetingLost', fatal: false});
      return;
    }
    if (errorAction(code) !== 'final') {
      this.#emit('callerror', {key: 'serverError', message, fatal: false});
      return;
    }
    if (code !== 'replaced' && this.#room) this.#seats.forgetResume(this.#room);
    this.#endCall();
    this.#emit('callerror', {key: FINAL_ERRORS[code], fatal: true});
  }

  /** @param {{code: number, reason: string, reconnecting: boolean}} closed */
  #socketClosed({reconnecting}) {
    if (!this.inCall) return;
    if (reconnecting) {
      this.#serverAway = true;
      if (this.#phase === 'in-room') this.#renderStatus();
      else this.#emit('status', 'serverRetrying');
      return;
    }
    // Media between the two browsers may well go on; only a new call needs the server.
    const seated = this.#phase === 'in-room';
    if (!seated) this.#endCall();
    this.#emit('callerror', {key: 'socketClosed', fatal: !seated});
  }

  /** @param {string} type @param {any} [detail] */
  #emit(type, detail = null) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }
}
