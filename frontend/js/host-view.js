// The home page's host bar (sign in, sign out, who is signed in) and the enrolment panel of
// `/enrol#<token>`; passkeys.js does the work. On a server where only hosts start meetings
// (VISAVIS_ACCESS=hosts), "New meeting" without a sign-in, or a `hosts-only` refusal, shows
// the reason on the home page beside the sign-in button.
import {buttonById, byId} from './dom.js';
import {onDetail} from './events.js';
import {HostError, enrol, hostState, signIn, signOut} from './passkeys.js';
import {fill, strings} from './strings.js';
import * as ui from './ui.js';

/**
 * Bind the host bar and the enrolment panel; the call, loaded later, is watched through
 * the returned `watch(session, router)`.
 * @param {{location: Location, history: History}} page
 * @returns {{watch: (session: EventTarget, router: {home: () => void}) => void}}
 */
export function bindHosts({location, history}) {
  const browser = {fetch: globalThis.fetch.bind(globalThis),
    credentials: globalThis.navigator.credentials ?? null};
  /** @type {import('./passkeys.js').HostState} */
  let state = {access: 'open', host: null};

  const render = () => {
    const hostsOnly = state.access === 'hosts';
    byId('host-bar').hidden = !hostsOnly && !state.host;
    byId('host-name').textContent = state.host ? fill(strings.signedInAs, {name: state.host.name}) : '';
    buttonById('sign-in').hidden = Boolean(state.host);
    buttonById('sign-out').hidden = !state.host;
  };
  /** @param {string} [text] */
  const say = (text = '') => {
    byId('host-error').textContent = text;
  };
  const refusedHere = () => {
    say(strings.hostsOnly);
    buttonById('sign-in').focus();
  };
  /** @param {unknown} error */
  const explain = (error) => strings[error instanceof HostError ? error.key : 'passkeyFailed'];

  hostState(browser).then((found) => {
    state = found;
    render();
  }, () => render());

  // Asked before the lobby, so a guest is not sent through the camera prompt for nothing.
  byId('new-meeting').addEventListener('click', (event) => {
    if (state.access !== 'hosts' || state.host) return;
    event.stopImmediatePropagation();
    refusedHere();
  }, {capture: true});
  // The server's word wins: a host removed or signed out meanwhile ends up here.
  /** @type {(session: EventTarget, router: {home: () => void}) => void} */
  const watch = (session, router) => onDetail(session, 'callerror',
    (/** @type {{key: string}} */ {key}) => {
      if (key !== 'hostsOnly') return;
      state = {...state, access: 'hosts', host: null};
      router.home();
      render();
      refusedHere();
    });

  ui.onClick('sign-in', async () => {
    say();
    try {
      state = {...state, host: await signIn(browser)};
      render();
    } catch (error) {
      say(explain(error));
    }
  });
  ui.onClick('sign-out', async () => {
    await signOut(browser).catch(() => {});
    state = {...state, host: null};
    render();
  });

  if (location.pathname !== '/enrol') return {watch};
  // The token lives in the fragment: never sent to a server, and gone from the address bar.
  // The query stays (`?relay=1` is read when the call starts, after this).
  const token = location.hash.slice(1);
  history.replaceState(null, '', `/${location.search}`);
  byId('enrol').hidden = false;
  ui.onClick('enrol-button', async () => {
    byId('enrol-error').textContent = '';
    try {
      state = {...state, host: await enrol(token, browser)};
      byId('enrol-text').textContent = strings.enrolDone;
      buttonById('enrol-button').hidden = true;
      render();
    } catch (error) {
      byId('enrol-error').textContent = explain(error);
    }
  });
  return {watch};
}
