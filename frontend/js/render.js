// The views render what the call session emits (session.js): which view is up, the status
// and error lines, videos, the remote side's state. No call logic here.
import * as chat from './chat.js';
import {roomLink} from './codes.js';
import {onDetail} from './events.js';
import * as lobby from './lobby.js';
import {strings} from './strings.js';
import * as ui from './ui.js';

/** The sentence for a strings.js key; none for '' or null. */
const sentence = (key) => (key ? strings[key] : '');

// What each phase changes on the page; `ended` leaves the call view up with its error line.
const PHASES = {
  home: () => ui.showView('home'),
  lobby: (room) => {
    ui.showView('lobby');
    lobby.showLobby(room);
    lobby.placeDevices('lobby');
  },
  joining: () => {
    ui.showView('call');
    ui.setCallError();
    ui.showShare(false);
    lobby.showPreview(null);
    lobby.placeDevices('call');
  },
  ended: () => {
    lobby.showPreview(null);
    chat.clearChat();
    chat.togglePanel('chat', false);
  },
  left: () => ui.showView('left'),
};

/**
 * Subscribe the views to a call session.
 * @param {import('./session.js').CallSession} session
 * @param {string} origin this page's origin, for the meeting link
 */
export function renderSession(session, origin) {
  const on = (type, render) => onDetail(session, type, render);
  on('phase', ({phase, room}) => PHASES[phase]?.(room));
  on('meeting', (room) => ui.setMeeting(room ?? '', room ? roomLink(origin, room) : ''));
  on('status', (key) => ui.setStatus(sentence(key)));
  on('callerror', ({key, message, fatal}) => ui.setCallError(
    message == null ? sentence(key) : `${sentence(key)} ${message}`, {fatal}));
  on('lobbyerror', ({key, fatal}) => lobby.setLobbyError(sentence(key), {fatal}));
  on('waiting', (key) => {
    ui.showShare(Boolean(key));
    ui.showPeerLeftActions(key === 'peerLeft');
  });
  on('preview', (stream) => lobby.showPreview(stream));
  on('local', ({stream, screen}) => ui.showLocal(stream, {screen}));
  on('controls', (stream) => ui.setMediaControls(stream));
  on('devices', (stream) => lobby.listDevices(stream));
  on('remotestream', (stream) => ui.showRemote(stream));
  on('remotemedia', (media) => ui.showRemoteMedia(media));
  on('remotename', (name) => ui.showRemoteName(name));
  on('chat', ({text, mine, name}) => chat.addMessage(text,
    mine ? undefined : name || strings.chatThem));
  on('verification', (code) => ui.setVerificationCode(code));
  on('facts', (facts) => ui.showFacts(facts));

  const media = session.media;
  media.addEventListener('toggle', () => ui.setMediaControls(media.stream));
  media.addEventListener('track', () => {
    if (session.phase === 'lobby') lobby.showPreview(media.stream);
    else if (!media.screen) ui.showLocal(media.stream);
  });
  // A device went away or refused a switch: say what happened; the pickers show what is used.
  onDetail(media, 'notice', (key) => {
    if (session.phase === 'lobby') lobby.setLobbyError(sentence(key));
    else ui.setCallError(sentence(key));
    lobby.listDevices(media.stream);
  });
  onDetail(media, 'screen', (/** @type {MediaStream|null} */ display) => {
    ui.setPressed('toggle-screen', Boolean(display));
    ui.showLocal(display ?? media.stream, {screen: Boolean(display)}); // what they see
  });
}
