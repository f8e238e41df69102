// The lobby's "Check my connection" button and what the check found, in words. The check
// itself (connection-check.js) is loaded on the first click: the home page does not need it.
import {buttonById, byId} from './dom.js';
import {onDetail} from './events.js';
import {strings} from './strings.js';

/**
 * @param {EventTarget} session the CallSession: a lobby opened afresh clears the last result
 * @param {() => string|null} room the lobby's meeting code, null for a new meeting
 */
export function bindConnectionCheck(session, room) {
  const button = buttonById('check-connection');
  const result = byId('check-result');
  let run = 0; // a result that comes back after the lobby was left is dropped
  const show = (keys, outcome = '', relay = '') => {
    result.replaceChildren(...keys.map((key) => Object.assign(document.createElement('p'),
      {textContent: strings[key]})));
    result.dataset.outcome = outcome;
    result.dataset.relay = relay;
  };
  onDetail(session, 'phase', ({phase}) => {
    if (phase !== 'lobby') return;
    run += 1;
    show([]);
    button.disabled = false;
  });
  button.addEventListener('click', async () => {
    const mine = ++run;
    button.disabled = true;
    show(['checkRunning'], 'running');
    try {
      const check = await import('./connection-check.js');
      try {
        const {verdict} = await check.checkConnection({room: room()});
        if (mine === run) show(check.describe(verdict), verdict.outcome, verdict.relay ?? '');
      } catch (error) {
        if (mine === run) show([error instanceof check.CheckProblem ? error.key : 'checkFailed'], 'problem');
      }
    } catch {
      if (mine === run) show(['checkOffline'], 'problem'); // the module itself did not load
    } finally {
      if (mine === run) button.disabled = false;
    }
  });
}
