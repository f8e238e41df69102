// Wiring: the signaling socket, the peer connection, local media and the views.
import {parseRoomCode, roomLink} from './codes.js';
import {summarizeStats} from './facts.js';
import * as chat from './chat.js';
import * as lobby from './lobby.js';
import {getLocalMedia, getTrack, stopMedia} from './media.js';
import {Peer} from './peer.js';
import {Signaling} from './signaling.js';
import {strings} from './strings.js';
import * as ui from './ui.js';
import {verificationCode} from './verification.js';

const signaling = new Signaling();
const state = {
  room: null, // the meeting's code, once known
  phase: 'home', // home | joining | in-room | left | ended
  polite: false,
  iceServers: [],
  localStream: null,
  media: null, // the promise of {stream, problem} asked in the lobby
  screen: null, // the shared screen's track, sent instead of the camera's
  peer: null,
  serverAway: false, // the socket dropped and is reconnecting; the call goes on meanwhile
  peerPresent: false, // the server's word on the other seat
  waiting: '', // the sentence shown while nobody else is here
  iceError: false, // the failure sentence is up because ICE gave up
  facts: null,
};
// Test and debug only: `?relay=1` allows relayed candidates alone (forces the TURN path).
const relayOnly = new URLSearchParams(location.search).get('relay') === '1';
const STATS_INTERVAL_MS = 2000;

// Messages on the peer-to-peer control channel, by `type`; chat and names add theirs here.
const CONTROL_MESSAGES = {
  media: ({mic, camera}) => ui.showRemoteMedia({mic, camera}),
  chat: ({text}) => chat.addMessage(text, state.remoteName || strings.chatThem),
  name: ({name}) => {
    state.remoteName = String(name ?? '').slice(0, 40);
    ui.showRemoteName(state.remoteName);
  },
};
// Keys that work anywhere in the call but in a text field (see the help popover).
const SHORTCUTS = {m: 'toggle-mic', v: 'toggle-camera', H: 'hang-up'};
const NAME_KEY = 'visavis.name'; // this tab only, never localStorage

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

/** Before joining: preview, meter, devices, name. A link lands here too. */
function openLobby(room) {
  state.room = room;
  state.phase = 'lobby';
  ui.showView('lobby');
  lobby.showLobby(room);
  lobby.placeDevices('lobby');
  if (!globalThis.RTCPeerConnection) {
    lobby.setLobbyError(strings.noWebRTC, {fatal: true});
    return;
  }
  preview({});
}

/** Ask for camera and microphone (again, with the chosen devices) and show them. */
async function preview(choice) {
  stopMedia(state.localStream);
  state.localStream = null;
  const media = getLocalMedia(undefined, choice);
  state.media = media;
  const {stream, problem} = await media;
  if (state.media !== media || state.phase !== 'lobby') return;
  state.localStream = stream;
  lobby.showPreview(stream);
  lobby.setLobbyError(strings[problem] ?? '');
  ui.setMediaControls(stream);
  lobby.listDevices(stream);
}

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
  state.name = lobby.displayName();
  storage((s) => (state.name ? s.setItem(NAME_KEY, state.name) : s.removeItem(NAME_KEY)));
  lobby.showPreview(null);
  lobby.placeDevices('call');
  const media = state.media ?? getLocalMedia();
  state.media = media;
  const {stream, problem} = await media;
  if (state.phase !== 'joining' || state.room !== room || state.media !== media) {
    stopMedia(stream); // the person went elsewhere while the browser asked
    return;
  }
  state.localStream = stream;
  lobby.listDevices(stream);
  ui.showLocal(stream);
  ui.setMediaControls(stream);
  if (problem) ui.setCallError(strings[problem]);
  if (room) signaling.join(room, storage((s) => s.getItem(resumeKey(room))));
  else signaling.create();
}

/** The status line: the server link first, then the call's own state. */
function renderStatus() {
  if (state.serverAway) ui.setStatus(strings.serverReconnecting);
  else if (state.iceError) ui.setStatus(); // the error line says why
  else if (state.peer) ui.setStatus(strings[CONNECTION_STATUS[state.peer.connectionState] ?? 'connecting']);
  else ui.setStatus(state.waiting);
}

function waitForPeer(sentence) {
  state.waiting = sentence;
  renderStatus();
  ui.showShare(true);
  ui.showPeerLeftActions(sentence === strings.peerLeft);
}

const hasRelay = (iceServers) => iceServers.some(({urls}) =>
  [urls].flat().some((url) => /^turns?:/i.test(url)));

function mediaState() {
  const on = (kind) => Boolean(state.localStream?.getTracks()
    .some((track) => track.kind === kind && track.enabled));
  return {type: 'media', mic: on('audio'), camera: on('video')};
}

/** @param {boolean} waitForOffer true for the newcomer: the peer already there offers */
function startPeer(waitForOffer) {
  closePeer();
  ui.showShare(false);
  ui.showPeerLeftActions(false);
  const peer = new Peer({
    polite: state.polite,
    iceServers: state.iceServers,
    relayOnly,
    localStream: state.localStream,
    send: (data) => signaling.signal(data),
    waitForOffer,
  });
  const current = () => state.peer === peer;
  peer.addEventListener('remotestream', ({detail}) => ui.showRemote(detail));
  peer.addEventListener('connectionstatechange', ({detail}) => {
    if (!current()) return;
    if (detail === 'connected' && state.iceError) {
      state.iceError = false;
      ui.setCallError();
    }
    renderStatus();
  });
  peer.addEventListener('gaveup', ({detail}) => {
    if (!current()) return;
    if (!state.peerPresent) {
      // Nobody to reach (e.g. they never came back after a server restart): just wait.
      closePeer();
      waitForPeer(strings.waiting);
      return;
    }
    state.iceError = true;
    renderStatus();
    ui.setCallError(detail === 'security' ? strings.securityFailed
      : hasRelay(state.iceServers) ? strings.blockedRelay : strings.blockedNoRelay);
  });
  // Shown as soon as both descriptions are set, so a tampered one shows even if DTLS fails.
  peer.addEventListener('negotiated', async ({detail}) => {
    const code = await verificationCode(detail.local, detail.remote);
    if (current()) ui.setVerificationCode(code);
  });
  peer.addEventListener('controlopen', () => {
    peer.sendControl(mediaState());
    if (state.name) peer.sendControl({type: 'name', name: state.name});
  });
  if (state.screen) peer.replaceTrack('video', state.screen, state.localStream);
  peer.addEventListener('control', ({detail}) => {
    if (current()) CONTROL_MESSAGES[detail.type]?.(detail);
  });
  peer.addEventListener('error', ({detail}) => console.warn('visavis:', detail));
  state.peer = peer;
  renderStatus();
}

function closePeer() {
  state.peer?.close();
  state.peer = null;
  state.facts = null;
  if (state.iceError) ui.setCallError();
  state.iceError = false;
  ui.showRemote(null);
  ui.showRemoteMedia(null);
  ui.showRemoteName(null);
  state.remoteName = '';
  ui.setVerificationCode(null);
  ui.showFacts(null);
}

async function updateFacts() {
  const peer = state.peer;
  if (!peer || peer.connectionState === 'closed') return;
  try {
    const report = await peer.getStats();
    if (state.peer !== peer) return;
    state.facts = summarizeStats(report.values(), state.facts);
    ui.showFacts(state.facts);
  } catch {
    // the connection closed while the stats were gathered
  }
}

let networkType = navigator.connection?.type;
/**
 * Back online, or on another network (Wi-Fi to mobile): the server at once, and new ICE
 * candidates. Chromium also reports mere speed estimates as a change: those restart ICE
 * only when the call is not connected.
 */
function networkChanged({type: event}) {
  signaling.reconnectNow();
  const moved = event === 'online' || navigator.connection?.type !== networkType;
  networkType = navigator.connection?.type;
  if (state.peer?.negotiated && (moved || state.peer.connectionState !== 'connected')) {
    state.peer.restartIce();
  }
}

function endCall() {
  state.phase = 'ended';
  state.serverAway = false;
  closePeer();
  stopScreen();
  stopMedia(state.localStream);
  state.localStream = null;
  state.media = null;
  lobby.showPreview(null);
  chat.clearChat();
  chat.togglePanel('chat', false);
  ui.showPeerLeftActions(false);
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
  if (state.phase === 'lobby') endCall();
  state.room = null;
  state.phase = 'home';
  ui.showView('home');
}

function toggleTracks(kind) {
  const tracks = state.localStream?.getTracks().filter((track) => track.kind === kind) ?? [];
  if (!tracks.length) return;
  const enabled = !tracks[0].enabled;
  for (const track of tracks) track.enabled = enabled;
  ui.setMediaControls(state.localStream);
  state.peer?.sendControl(mediaState());
}

/** Another camera, microphone or speaker, in the lobby or mid-call (no renegotiation). */
async function switchDevice(kind, deviceId) {
  if (kind === 'audiooutput') {
    document.getElementById('remote-video').setSinkId?.(deviceId).catch(() => {});
    return;
  }
  const trackKind = kind === 'videoinput' ? 'video' : 'audio';
  const stream = state.localStream;
  const old = stream?.getTracks().find((track) => track.kind === trackKind);
  if (!old) {
    if (state.phase === 'lobby') preview({[trackKind]: deviceId});
    return;
  }
  const track = await getTrack(trackKind, deviceId);
  if (!track || state.localStream !== stream) {
    track?.stop();
    return;
  }
  track.enabled = old.enabled;
  stream.removeTrack(old);
  stream.addTrack(track);
  old.stop();
  if (!(trackKind === 'video' && state.screen)) state.peer?.replaceTrack(trackKind, track);
  if (state.phase === 'lobby') lobby.showPreview(stream);
  else if (!state.screen) ui.showLocal(stream);
}

/** Send the screen instead of the camera; the browser's own "Stop sharing" ends it too. */
async function toggleScreen() {
  if (state.screen) {
    stopScreen();
    return;
  }
  let display;
  try {
    display = await navigator.mediaDevices.getDisplayMedia({video: true, audio: false});
  } catch {
    return; // the person cancelled the picker
  }
  const track = display.getVideoTracks()[0];
  if (!inCall()) {
    track.stop();
    return;
  }
  state.screen = track;
  track.addEventListener('ended', stopScreen);
  state.peer?.replaceTrack('video', track, state.localStream);
  ui.setPressed('toggle-screen', true);
  ui.showLocal(display, {screen: true}); // what the other person sees
}

function stopScreen() {
  const track = state.screen;
  if (!track) return;
  state.screen = null;
  track.stop();
  state.peer?.replaceTrack('video', state.localStream?.getVideoTracks()[0] ?? null);
  ui.setPressed('toggle-screen', false);
  ui.showLocal(state.localStream);
}

signaling.addEventListener('joined', ({detail}) => {
  if (!inCall()) {
    signaling.leave(); // the person moved on before the seat came
    return;
  }
  state.phase = 'in-room';
  state.serverAway = false;
  state.room = detail.room;
  state.polite = detail.polite;
  state.iceServers = detail.ice_servers;
  storage((s) => s.setItem(resumeKey(detail.room), detail.resume));
  const path = `/${detail.room}`;
  if (location.pathname !== path) history.pushState(null, '', path);
  ui.setMeeting(detail.room, roomLink(location.origin, detail.room));
  state.peerPresent = detail.peer_present;
  // A new seat rather than our old one: the other side has dropped our connection.
  if (!detail.resumed) closePeer();
  if (state.peer) {
    // Back after the socket dropped: the call never stopped, so keep its connection.
    state.peer.polite = detail.polite;
    state.peer.setIceServers(detail.ice_servers);
    if (detail.peer_present) {
      state.peer.hello();
      state.peer.recover();
    }
    renderStatus();
  } else if (detail.peer_present) {
    startPeer(true);
    state.peer.hello();
  } else {
    waitForPeer(strings.waiting);
  }
});

signaling.addEventListener('peer-joined', () => {
  if (state.phase !== 'in-room') return;
  state.peerPresent = true;
  // A connection that negotiated may still be good (only their socket came back): tell
  // them which one is ours; if they reloaded, their fresh connection answers with a new one.
  if (state.peer?.negotiated) {
    state.peer.hello();
    state.peer.recover();
  } else {
    startPeer(false);
  }
});

signaling.addEventListener('peer-left', () => {
  // Also sent after a server restart when the other seat's holder never came back, which
  // tells a person who was waiting alone nothing new.
  if (state.phase !== 'in-room' || (!state.peer && !state.peerPresent)) return;
  state.peerPresent = false;
  closePeer();
  waitForPeer(strings.peerLeft);
});

signaling.addEventListener('signal', ({detail}) => {
  // Without a peer the payload belongs to a negotiation that `peer-joined` restarts.
  if (state.phase !== 'in-room' || !state.peer) return;
  const data = detail.data ?? {};
  // A payload from a connection we never negotiated with: the other page reloaded.
  if (state.peer.isFromAnotherConnection(data)) startPeer(data.description?.type === 'offer');
  state.peer.handleSignal(data);
});

signaling.addEventListener('ice-servers', ({detail}) => {
  state.iceServers = detail.ice_servers;
  state.peer?.setIceServers(detail.ice_servers);
});

signaling.addEventListener('error', ({detail}) => {
  if (detail.retrying) return; // signaling asks again on a new socket; the status says so
  const key = FATAL_ERRORS[detail.code];
  if (state.peer && detail.code === 'room-not-found') {
    state.serverAway = false;
    renderStatus();
    ui.setCallError(strings.meetingLost); // after a reconnect: the media may well go on
    return;
  }
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

signaling.addEventListener('close', ({detail}) => {
  if (!inCall()) return;
  if (detail.reconnecting) {
    state.serverAway = true;
    if (state.phase === 'in-room') renderStatus();
    else ui.setStatus(strings.serverRetrying);
    return;
  }
  // Media between the two browsers may well go on; only a new call needs the server.
  if (state.phase === 'joining') endCall();
  ui.setCallError(strings.socketClosed, {fatal: state.phase !== 'in-room'});
});

window.addEventListener('popstate', () => {
  const room = parseRoomCode(location.href);
  if (room && room === state.room && inCall()) return;
  if (inCall()) leaveRoom();
  if (room) openLobby(room);
  else goHome();
});

ui.localize();
ui.onClick('new-meeting', () => openLobby(null));
ui.onClick('join-now', () => enterRoom(state.room));
ui.onClick('lobby-home', () => {
  history.pushState(null, '', '/');
  goHome();
});
ui.onClick('lobby-mic', () => toggleTracks('audio'));
ui.onClick('lobby-camera', () => toggleTracks('video'));
lobby.onDeviceChosen(switchDevice);
lobby.setDisplayName(storage((s) => s.getItem(NAME_KEY)));
navigator.mediaDevices?.addEventListener?.('devicechange', () => {
  if (state.phase === 'lobby' || inCall()) lobby.listDevices(state.localStream);
});
document.addEventListener('click', lobby.resumeMeter);
chat.onSend((text) => {
  state.peer?.sendControl({type: 'chat', text: text.slice(0, chat.MAX_CHAT)});
  chat.addMessage(text);
});
ui.onClick('toggle-chat', () => chat.togglePanel('chat'));
ui.onClick('toggle-settings', () => chat.togglePanel('settings'));
ui.onClick('toggle-screen', toggleScreen);
ui.onClick('share-meeting', () => ui.shareLink());
ui.onClick('keep-waiting', () => ui.showPeerLeftActions(false));
ui.onClick('leave-call', hangUp);
document.addEventListener('keydown', (event) => {
  const id = SHORTCUTS[event.key];
  if (!id || !inCall() || event.ctrlKey || event.metaKey || event.altKey ||
    event.target.closest?.('input, textarea, select')) return;
  event.preventDefault();
  document.getElementById(id).click();
});
ui.onJoin((text) => {
  const room = parseRoomCode(text);
  if (!room) {
    ui.setHomeError(strings.badCode);
    ui.focusJoinCode();
    return;
  }
  ui.setHomeError();
  history.pushState(null, '', `/${room}`);
  openLobby(room);
});
ui.onClick('copy-link', () => ui.copyLink());
ui.onClick('toggle-mic', () => toggleTracks('audio'));
ui.onClick('toggle-camera', () => toggleTracks('video'));
ui.onClick('hang-up', hangUp);
ui.onClick('unmute-remote', () => ui.unmuteRemote());
ui.onClick('toggle-facts', () => ui.toggleFacts());
ui.onClick('rejoin', () => enterRoom(state.room));
ui.onClick('go-home', () => {
  history.pushState(null, '', '/');
  goHome();
});
ui.onClick('error-home', () => {
  history.pushState(null, '', '/');
  goHome();
});

window.addEventListener('online', networkChanged);
navigator.connection?.addEventListener?.('change', networkChanged);
setInterval(updateFacts, STATS_INTERVAL_MS);

// Read-only handle for the browser tests (tests/browser/), not an API: the current
// RTCPeerConnection, whether the server holds our seat, and a forced ICE restart.
Object.defineProperty(window, 'visavis', {
  value: Object.freeze({
    get peerConnection() {
      return state.peer?.connection ?? null;
    },
    get seated() {
      return signaling.seated;
    },
    restartIce: () => state.peer?.restartIce(),
  }),
});

const deepLink = parseRoomCode(location.href);
// A reload in a call takes the seat back at once; a link opened afresh shows the lobby.
if (deepLink && storage((s) => s.getItem(resumeKey(deepLink)))) enterRoom(deepLink);
else if (deepLink) openLobby(deepLink);
else ui.showView('home', {focus: false});
