// The address bar: a meeting's address is `/<code>`, the home page `/`. Back and forward
// move the call session; a seat the server gave becomes the address.
import {parseRoomCode} from './codes.js';
import {onDetail} from './events.js';

/**
 * @param {import('./session.js').CallSession} session
 * @param {{location: Location, history: History, window: EventTarget}} browser
 */
export function routeSession(session, {location, history, window}) {
  window.addEventListener('popstate', () => session.navigate(parseRoomCode(location.href)));
  onDetail(session, 'joined', (room) => {
    const path = `/${room}`;
    if (location.pathname !== path) history.pushState(null, '', path);
  });
  return {
    /** The room in the address the page was opened at, or null. */
    get room() {
      return parseRoomCode(location.href);
    },
    /** The home page, as a new entry in the history. */
    home() {
      history.pushState(null, '', '/');
      session.goHome();
    },
    /** A meeting's lobby, as a new entry in the history. @param {string} room */
    lobby(room) {
      history.pushState(null, '', `/${room}`);
      session.openLobby(room);
    },
  };
}
