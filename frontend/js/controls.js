// The person's clicks, forms and pickers, each turned into one call-session action or a
// purely visual change (panels, copy, unmute). No call logic here.
import * as chat from './chat.js';
import {buttonById} from './dom.js';
import * as lobby from './lobby.js';
import * as ui from './ui.js';

/**
 * @param {import('./session.js').CallSession} session
 * @param {ReturnType<import('./routing.js').routeSession>} router
 */
export function bindControls(session, router) {
  const media = session.media;
  // The lobby ("New meeting" and the join form are main.js's: they load this module)
  ui.onClick('join-now', () => session.join(lobby.displayName()));
  // Pointing at Join (or tabbing to it) opens again a socket the server closed as idle.
  for (const intent of ['pointerenter', 'focus']) {
    buttonById('join-now').addEventListener(intent, () => session.prepareJoin());
  }
  ui.onClick('lobby-home', () => router.home());
  ui.onClick('lobby-mic', () => media.toggle('audio'));
  ui.onClick('lobby-camera', () => media.toggle('video'));
  lobby.setDisplayName(session.storedName);
  lobby.onDeviceChosen((kind, deviceId) => {
    if (kind === 'audiooutput') ui.setSpeaker(deviceId);
    else session.switchDevice(kind, deviceId);
  });
  globalThis.navigator.mediaDevices?.addEventListener?.('devicechange', () => {
    if (session.phase === 'lobby' || session.inCall) lobby.listDevices(media.stream);
  });
  document.addEventListener('click', lobby.resumeMeter);

  // In the call
  ui.onClick('copy-link', () => ui.copyLink());
  ui.onClick('share-meeting', () => ui.shareLink());
  ui.onClick('toggle-facts', () => ui.toggleFacts());
  ui.onClick('toggle-mic', () => media.toggle('audio'));
  ui.onClick('toggle-camera', () => media.toggle('video'));
  ui.onClick('toggle-screen', () => session.toggleScreen());
  ui.onClick('toggle-chat', () => chat.togglePanel('chat'));
  ui.onClick('toggle-settings', () => chat.togglePanel('settings'));
  chat.onSend((text) => session.sendChat(text));
  ui.onClick('unmute-remote', () => ui.unmuteRemote());
  ui.onClick('keep-waiting', () => ui.showPeerLeftActions(false));
  ui.onClick('leave-call', () => session.hangUp());
  ui.onClick('hang-up', () => session.hangUp());
  ui.onClick('error-home', () => router.home());

  // After hanging up
  ui.onClick('rejoin', () => session.join(lobby.displayName()));
  ui.onClick('go-home', () => router.home());
}
