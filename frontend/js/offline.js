// The offline page (offline.html, shown by the service worker when a meeting's address
// cannot load): its sentences from strings.js, and a new try when the network is back.
import {byId} from './dom.js';
import {strings} from './strings.js';

/** How often to look again while the browser says it is online, in ms. */
const RETRY_MS = 3000;

for (const el of document.querySelectorAll('[data-text]')) {
  el.textContent = strings[/** @type {HTMLElement} */ (el).dataset.text];
}
document.title = `${strings.offlineTitle} · ${strings.appName}`;
byId('offline-retry').addEventListener('click', () => location.reload());

/** Reload once the meeting's address answers. The `online` event alone is not enough: it
 * comes when the link is up, which can be before traffic flows (DHCP, a captive portal);
 * a reload then lands here again and no second `online` follows. A HEAD request is not a
 * GET, so the service worker leaves it to the network. */
async function reloadWhenReachable() {
  try {
    await fetch(location.href, {method: 'HEAD', cache: 'no-store'});
  } catch {
    return; // still offline
  }
  location.reload();
}
addEventListener('online', reloadWhenReachable);
setInterval(() => {
  if (navigator.onLine && document.visibilityState === 'visible') reloadWhenReachable();
}, RETRY_MS);
