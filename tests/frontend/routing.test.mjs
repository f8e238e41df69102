import assert from 'node:assert/strict';
import {test} from 'node:test';

import {routeSession} from '../../frontend/js/routing.js';

/** The address bar and the history, as far as routing uses them. */
function browser(href) {
  const location = new URL(href);
  const pushed = [];
  const history = {pushState: (state, title, path) => {
    pushed.push(path);
    location.href = new URL(path, location).href;
  }};
  return {location, history, window: new EventTarget(), pushed};
}

function fakeSession() {
  const session = new EventTarget();
  session.calls = [];
  for (const action of ['navigate', 'goHome', 'openLobby']) {
    session[action] = (...args) => session.calls.push([action, ...args]);
  }
  return session;
}

test('the room of the opened address, or none', () => {
  assert.equal(routeSession(fakeSession(), browser('https://meet.example.org/ABCD-efgh-jkmn')).room,
    'abcd-efgh-jkmn');
  assert.equal(routeSession(fakeSession(), browser('https://meet.example.org/')).room, null);
});

test('back and forward move the session to the address room, or home', () => {
  const session = fakeSession();
  const page = browser('https://meet.example.org/abcd-efgh-jkmn');
  routeSession(session, page);
  page.window.dispatchEvent(new Event('popstate'));
  page.location.href = 'https://meet.example.org/';
  page.window.dispatchEvent(new Event('popstate'));
  assert.deepEqual(session.calls, [['navigate', 'abcd-efgh-jkmn'], ['navigate', null]]);
});

test('a seat the server gave becomes the address, once', () => {
  const session = fakeSession();
  const page = browser('https://meet.example.org/');
  routeSession(session, page);
  session.dispatchEvent(new CustomEvent('joined', {detail: 'zyxw-vuts-rqpn'}));
  session.dispatchEvent(new CustomEvent('joined', {detail: 'zyxw-vuts-rqpn'}));
  assert.deepEqual(page.pushed, ['/zyxw-vuts-rqpn']);
});

test('home and lobby are new history entries', () => {
  const session = fakeSession();
  const page = browser('https://meet.example.org/');
  const router = routeSession(session, page);
  router.lobby('abcd-efgh-jkmn');
  router.home();
  assert.deepEqual(page.pushed, ['/abcd-efgh-jkmn', '/']);
  assert.deepEqual(session.calls, [['openLobby', 'abcd-efgh-jkmn'], ['goHome']]);
});
