// What each server frame means for the call (docs/protocol.md): our seat given or refused,
// the other seat taken or freed, a relayed `signal`, new TURN credentials, the socket gone
// or back. No DOM; session.js owns the phase and the seat, and hands these reactions the
// few moves they make.
import {ERROR_KEYS, FINAL_ERRORS, errorAction} from './errors.js';
import {onDetail} from './events.js';
import {inCall} from './phases.js';

/**
 * @typedef {object} FramesHost what the reactions need from the call session
 * @property {() => import('./phases.js').Phase} phase the call's phase now
 * @property {(phase: import('./phases.js').Phase) => void} enter move to a phase
 * @property {(room: string, resume: string) => void} seated the server gave us this
 *   meeting's seat, with the token that takes it back
 * @property {() => void} forgetSeat the seat is gone for good: drop its resume token
 * @property {() => void} endCall stop the call and everything it showed
 * @property {(type: string, detail?: any) => void} emit one of the session's events
 * @property {() => void} statusChanged the status line may read differently now
 * @property {(key: string) => void} lobbyNote a strings.js key the lobby shows while no
 *   problem with the camera or microphone is shown
 */

export class ServerFrames {
  /** The socket dropped and is reconnecting; the call goes on meanwhile. */
  away = false;
  #host;
  #signaling;
  #link;

  /**
   * @param {import('./signaling.js').Signaling} signaling whose frames these are
   * @param {import('./link.js').PeerLink} link the other person, whom most frames concern
   * @param {FramesHost} host
   */
  constructor(signaling, link, host) {
    this.#signaling = signaling;
    this.#link = link;
    this.#host = host;
    const frames = {'joined': this.#joined, 'peer-joined': this.#peerJoined,
      'peer-left': this.#peerLeft, 'signal': this.#relayed, 'ice-servers': this.#newIceServers,
      'error': this.#refused, 'close': this.#socketClosed,
      'refused': () => host.phase() === 'lobby' ? host.lobbyNote('socketRefused')
        : host.emit('callerror', {key: 'socketRefused', fatal: false})};
    for (const [type, react] of Object.entries(frames)) {
      onDetail(signaling, type, (detail) => react.call(this, detail));
    }
  }

  /** @param {import('./signaling.js').Joined} joined */
  #joined(joined) {
    const host = this.#host;
    const link = this.#link;
    if (!inCall(host.phase())) {
      this.#signaling.leave(); // the person moved on before the seat came
      return;
    }
    if (host.phase() === 'joining') host.enter('in-room');
    this.away = false;
    host.seated(joined.room, joined.resume);
    link.present = joined.peer_present;
    // A new seat rather than our old one: the other side has dropped our connection,
    // unless it still works end to end (then only the server forgot us).
    if (!joined.resumed && !link.worksOn(joined.polite)) link.close();
    link.seat(joined.polite, joined.ice_servers);
    if (link.peer) {
      // Back after the socket dropped: the call never stopped, so keep its connection.
      if (joined.peer_present) link.greet();
      else if (link.worksOn(joined.polite)) link.serverSaysLeft();
      host.statusChanged();
    } else if (joined.peer_present) {
      link.start(true).hello();
    } else {
      link.wait('waiting');
    }
  }

  // The other seat's frames matter only while we hold ours (link.js reacts to them).
  #peerJoined() {
    if (this.#host.phase() === 'in-room') this.#link.arrived();
  }

  #peerLeft() {
    if (this.#host.phase() === 'in-room') this.#link.serverSaysLeft();
  }

  /** @param {import('./signaling.js').Relayed} frame */
  #relayed({data = {}}) {
    if (this.#host.phase() === 'in-room') this.#link.relayed(data);
  }

  /** @param {import('./signaling.js').IceServers} frame */
  #newIceServers({ice_servers: iceServers}) {
    this.#link.setIceServers(iceServers);
  }

  /** @param {import('./signaling.js').ServerError & {retrying?: boolean}} error */
  #refused({code, message, retrying}) {
    const host = this.#host;
    // A refusal signaling asks again on a new socket: the status says so meanwhile.
    if (retrying || !inCall(host.phase())) return;
    if (this.#link.peer && code === 'room-not-found') {
      this.away = false;
      host.statusChanged();
      // After a reconnect: the media may well go on.
      host.emit('callerror', {key: 'meetingLost', fatal: false});
      return;
    }
    if (errorAction(code) !== 'final') {
      // Our own (translated) sentence; only a code this client does not know shows the server's.
      const key = Object.hasOwn(ERROR_KEYS, code) ? ERROR_KEYS[code] : null;
      host.emit('callerror', key ? {key, fatal: false} : {key: 'serverError', message, fatal: false});
      return;
    }
    if (code !== 'replaced') host.forgetSeat();
    host.endCall();
    host.emit('callerror', {key: FINAL_ERRORS[code], fatal: true});
  }

  /** @param {{code: number, reason: string, reconnecting: boolean}} closed */
  #socketClosed({reconnecting}) {
    const host = this.#host;
    if (!inCall(host.phase())) return;
    if (reconnecting) {
      this.away = true;
      if (host.phase() === 'in-room') host.statusChanged();
      else host.emit('status', 'serverRetrying');
      return;
    }
    // Media between the two browsers may well go on; only a new call needs the server.
    const seated = host.phase() === 'in-room';
    if (!seated) host.endCall();
    host.emit('callerror', {key: 'socketClosed', fatal: !seated});
  }
}
