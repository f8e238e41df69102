// The chat panel: messages travel on the peer-to-peer control channel, never the server.
import {byId, inputById} from './dom.js';
import {MAX_CHAT} from './session.js';
import {fill, strings} from './strings.js';

let unread = 0;

function setUnread(count) {
  unread = count;
  const badge = byId('chat-badge');
  badge.hidden = !count;
  badge.textContent = count ? String(count) : '';
  badge.title = fill(strings.unread, {count});
}

/** One line in the log; a message that arrives while the panel is closed counts as unread. */
export function addMessage(text, from) {
  const item = document.createElement('li');
  const who = document.createElement('b');
  who.textContent = `${from ?? strings.chatYou}: `;
  item.className = from ? 'theirs' : 'mine';
  item.append(who, String(text).slice(0, MAX_CHAT));
  appendToLog(item, Boolean(from));
}

/**
 * A line in the log (a message, a file): one of theirs counts as unread while the panel
 * is closed. @param {HTMLElement} item @param {boolean} theirs
 */
export function appendToLog(item, theirs) {
  const log = byId('chat-log');
  log.append(item);
  log.scrollTop = log.scrollHeight;
  if (theirs && byId('chat').hidden) setUnread(unread + 1);
}

export function clearChat() {
  byId('chat-log').replaceChildren();
  setUnread(0);
}

/** Call `handler(text)` when a message is sent; the field empties. */
export function onSend(handler) {
  byId('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = inputById('chat-input');
    const text = input.value.trim();
    if (text) handler(text);
    input.value = '';
  });
}

/** Open or close a side panel (chat or settings); one at a time. Opening chat reads it. */
export function togglePanel(name, open = byId(name).hidden) {
  for (const other of ['chat', 'settings']) {
    byId(other).hidden = other !== name || !open;
    byId(`toggle-${other}`).setAttribute('aria-expanded', String(!byId(other).hidden));
  }
  if (name === 'chat' && open) {
    setUnread(0);
    byId('chat-input').focus();
  }
}
