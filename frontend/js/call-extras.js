// The call's extras, loaded with the first lobby or call (main.js) and not on the home
// page: picture-in-picture, the waiting view's QR code and settings, and the alerts when
// the other person arrives while this tab is hidden.
import {bindArrivalAlerts} from './arrival-alerts.js';
import {bindPip} from './pip-view.js';
import {bindWaitingPanel} from './waiting-panel.js';

const STYLESHEET = '/css/extras.css';

/**
 * Wire the extras to `session`; call once.
 * @param {import('./session.js').CallSession} session
 */
export function bindCallExtras(session) {
  const styles = document.createElement('link');
  styles.rel = 'stylesheet';
  styles.href = STYLESHEET;
  document.head.append(styles);
  const storage = () => globalThis.localStorage;
  bindPip(session, new URL(STYLESHEET, location.href).href);
  bindWaitingPanel(session, storage);
  bindArrivalAlerts(session, storage);
}
