// Wiring: the signaling socket, the peer connection, local media and the views.
import {parseRoomCode, roomLink} from './codes.js';
import {getLocalMedia, stopMedia} from './media.js';
import {Peer} from './peer.js';
import {Signaling} from './signaling.js';
import {strings} from './strings.js';
import * as ui from './ui.js';

const signaling = new Signaling();
const state = {
  room: null, // the meeting's code, once known
  phase: 'home', // home | joining | in-room | left | ended
  polite: false,
  iceServers: [],
  localStream: null,
  peer: null,
};

// Server errors that end the attempt, and the sentence that explains each.
const FATAL_ERRORS = {
  'room-full': 'roomFull',
  'room-not-found': 'roomNotFound',
  'bad-room-code': 'badCode',
  'replaced': 'replaced',
};
const CONNECTION_STATUS = {
  connected: 'connected',
  disconnected: 'reconnecting',
  failed: 'reconnecting',
};

// The resume token lets a reload of this tab take its seat back.
const resumeKey = (room) => `visavis.resume.${room}`;
function storage(action) {
  try {
    return action(sessionStorage);
  } catch {
    return null; // storage blocked: the call still works, only without resume
  }
}

const inCall = () => state.phase === 'joining' || state.phase === 'in-room';

async function enterRoom(room) {
  state.room = room;
  state.phase = 'joining';
  ui.showView('call');
  ui.setMeeting(room ?? '', room ? roomLink(location.origin, room) : '');
  ui.setCallError();
  ui.showShare(false);
  ui.setStatus(strings.starting);
  if (!globalThis.RTCPeerConnection) {
    endCall();
    ui.setCallError(strings.noWebRTC, {fatal: true});
    return;
  }
  const {stream, problem} = await getLocalMedia();
  if (state.phase !== 'joining' || state.room !== room) {
    stopMedia(stream); // the person went elsewhere while the browser asked
    return;
  }
  state.localStream = stream;
  ui.showLocal(stream);
  ui.setMediaControls(stream);
  if (problem) ui.setCallError(strings[problem]);
  if (room) signaling.join(room, storage((s) => s.getItem(resumeKey(room))));
  else signaling.create();
}

function waitForPeer(sentence) {
  ui.setStatus(sentence);
  ui.showShare(true);
}

/** @param {boolean} waitForOffer true for the newcomer: the peer already there offers */
function startPeer(waitForOffer) {
  closePeer();
  ui.showShare(false);
  ui.setStatus(strings.connecting);
  const peer = new Peer({
    polite: state.polite,
    iceServers: state.iceServers,
    localStream: state.localStream,
    send: (data) => signaling.signal(data),
    waitForOffer,
  });
  peer.addEventListener('remotestream', ({detail}) => ui.showRemote(detail));
  peer.addEventListener('connectionstatechange', ({detail}) => {
    if (state.peer === peer) ui.setStatus(strings[CONNECTION_STATUS[detail] ?? 'connecting']);
  });
  peer.addEventListener('error', ({detail}) => console.warn('visavis:', detail));
  state.peer = peer;
}

function closePeer() {
  state.peer?.close();
  state.peer = null;
  ui.showRemote(null);
}

function endCall() {
  state.phase = 'ended';
  closePeer();
  stopMedia(state.localStream);
  state.localStream = null;
  ui.showLocal(null);
  ui.setMediaControls(null);
  ui.setStatus();
  ui.showShare(false);
}

/** Give up the seat (if any) and stop everything. */
function leaveRoom() {
  if (state.phase === 'in-room') signaling.leave();
  if (state.room) storage((s) => s.removeItem(resumeKey(state.room)));
  endCall();
}

function hangUp() {
  leaveRoom();
  state.phase = 'left';
  ui.showView('left');
}

function goHome() {
  if (inCall()) leaveRoom();
  state.room = null;
  state.phase = 'home';
  ui.showView('home');
}

function toggleTracks(buttonId, kind) {
  const tracks = state.localStream?.getTracks().filter((track) => track.kind === kind) ?? [];
  if (!tracks.length) return;
  const enabled = !tracks[0].enabled;
  for (const track of tracks) track.enabled = enabled;
  ui.setPressed(buttonId, !enabled);
}

signaling.addEventListener('joined', ({detail}) => {
  if (state.phase !== 'joining') {
    signaling.leave(); // the person moved on before the seat came
    return;
  }
  state.phase = 'in-room';
  state.room = detail.room;
  state.polite = detail.polite;
  state.iceServers = detail.ice_servers;
  storage((s) => s.setItem(resumeKey(detail.room), detail.resume));
  const path = `/${detail.room}`;
  if (location.pathname !== path) history.pushState(null, '', path);
  ui.setMeeting(detail.room, roomLink(location.origin, detail.room));
  if (detail.peer_present) startPeer(true);
  else waitForPeer(strings.waiting);
});

signaling.addEventListener('peer-joined', () => {
  if (state.phase === 'in-room') startPeer(false);
});

signaling.addEventListener('peer-left', () => {
  if (state.phase !== 'in-room') return;
  closePeer();
  waitForPeer(strings.peerLeft);
});

signaling.addEventListener('signal', ({detail}) => {
  // Without a peer the payload belongs to a negotiation that `peer-joined` restarts.
  if (state.phase === 'in-room') state.peer?.handleSignal(detail.data);
});

signaling.addEventListener('ice-servers', ({detail}) => {
  state.iceServers = detail.ice_servers;
  state.peer?.setIceServers(detail.ice_servers);
});

signaling.addEventListener('error', ({detail}) => {
  const key = FATAL_ERRORS[detail.code];
  if (!key) {
    ui.setCallError(`${strings.serverError} ${detail.message}`);
    return;
  }
  if (detail.code !== 'replaced' && state.room) {
    storage((s) => s.removeItem(resumeKey(state.room)));
  }
  endCall();
  ui.setCallError(strings[key], {fatal: true});
});

signaling.addEventListener('close', () => {
  if (!inCall()) return;
  // Media between the two browsers may well go on; only a new call needs the server.
  if (state.phase === 'joining') endCall();
  ui.setCallError(strings.socketClosed, {fatal: state.phase !== 'in-room'});
});

window.addEventListener('popstate', () => {
  const room = parseRoomCode(location.href);
  if (room && room === state.room && inCall()) return;
  if (inCall()) leaveRoom();
  if (room) enterRoom(room);
  else goHome();
});

ui.localize();
ui.onClick('new-meeting', () => enterRoom(null));
ui.onJoin((text) => {
  const room = parseRoomCode(text);
  if (!room) {
    ui.setHomeError(strings.badCode);
    ui.focusJoinCode();
    return;
  }
  ui.setHomeError();
  history.pushState(null, '', `/${room}`);
  enterRoom(room);
});
ui.onClick('copy-link', () => ui.copyLink());
ui.onClick('toggle-mic', () => toggleTracks('toggle-mic', 'audio'));
ui.onClick('toggle-camera', () => toggleTracks('toggle-camera', 'video'));
ui.onClick('hang-up', hangUp);
ui.onClick('unmute-remote', () => ui.unmuteRemote());
ui.onClick('rejoin', () => enterRoom(state.room));
ui.onClick('go-home', () => {
  history.pushState(null, '', '/');
  goHome();
});
ui.onClick('error-home', () => {
  history.pushState(null, '', '/');
  goHome();
});

const deepLink = parseRoomCode(location.href);
if (deepLink) enterRoom(deepLink);
else ui.showView('home', {focus: false});
