// The offline page (offline.html, shown by the service worker when a meeting's address
// cannot load): its sentences from strings.js, and a new try when the network is back.
import {byId} from './dom.js';
import {strings} from './strings.js';

for (const el of document.querySelectorAll('[data-text]')) {
  el.textContent = strings[/** @type {HTMLElement} */ (el).dataset.text];
}
document.title = `${strings.offlineTitle} · ${strings.appName}`;
byId('offline-retry').addEventListener('click', () => location.reload());
addEventListener('online', () => location.reload());
