// "Send a file" in the chat panel, and each transfer as a line of the chat log: name and
// size, a progress bar, Accept / Decline / Cancel, and Save once it arrived intact. Loaded
// with file-transfer.js when the chat opens, a file is dropped or an offer arrives (main.js).
import {appendToLog, togglePanel} from './chat.js';
import {byId} from './dom.js';
import {onDetail} from './events.js';
import {MAX_FILE_BYTES} from './file-offer.js';
import {FileTransfers} from './file-transfer.js';
import {fill, strings} from './strings.js';

/** The sentence for a transfer that ended badly, by problem and direction. */
const PROBLEMS = {
  'empty': () => strings.fileEmpty,
  'too-large': () => strings.fileTooLarge,
  'no-peer': () => strings.fileNoPeer,
  'bad-offer': () => strings.fileBadOffer,
  'lost': () => strings.fileLost,
  'unreadable': () => strings.fileUnreadable,
  'no-memory': () => strings.fileNoMemory,
  'mismatch': (outgoing) => (outgoing ? strings.fileDamagedThere : strings.fileDamaged),
};

/** Bytes in words: "20.5 MB" (decimal units, as MAX_FILE_BYTES). @param {number} bytes */
export function formatSize(bytes) {
  const [unit, scale] = bytes >= 1e6 ? ['megabyte', 1e6] : bytes >= 1e3 ? ['kilobyte', 1e3]
    : ['byte', 1];
  return new Intl.NumberFormat(strings.lang, {style: 'unit', unit, unitDisplay: 'short',
    maximumFractionDigits: scale === 1 ? 0 : 1}).format(bytes / scale);
}

/** @param {import('./file-transfer.js').Transfer} t */
function statusOf(t) {
  const outgoing = t.direction === 'out';
  const sentence = {
    preparing: strings.filePreparing,
    offered: outgoing ? strings.fileOffered : strings.fileIncoming,
    sending: strings.fileSending,
    receiving: strings.fileReceiving,
    checking: strings.fileChecking,
    done: outgoing ? strings.fileSent : strings.fileReceived,
    declined: t.by === 'you' ? strings.fileDeclinedByYou : strings.fileDeclinedByThem,
    cancelled: t.by === 'you' ? strings.fileCancelledByYou : strings.fileCancelledByThem,
    failed: PROBLEMS[t.problem ?? 'lost'](outgoing),
  }[t.state];
  return fill(sentence, {limit: formatSize(MAX_FILE_BYTES)});
}

/** @param {string} className @param {string} [text] @param {string} [tag] */
function element(className, text = '', tag = 'span') {
  const made = document.createElement(tag);
  made.className = className;
  made.textContent = text;
  return made;
}

/**
 * Wire file sending to the call session.
 * @param {import('./session.js').CallSession} session
 * @returns {{message: (message: Record<string, any>|null) => void, send: (file: File) => void}}
 *   a `file` event of the session; a file to offer (dropped on the call)
 */
export function bindFiles(session) {
  const transfers = new FileTransfers({send: (message) => session.sendControl(message),
    connection: () => session.peerConnection});
  /** @type {Map<string, ReturnType<typeof lineFor>>} */
  const lines = new Map();
  /** @type {string[]} object URLs of received files, let go when the call ends */
  const saved = [];
  const stylesheet = Object.assign(document.createElement('link'),
    {rel: 'stylesheet', href: '/css/file-send.css'});
  document.head.append(stylesheet);
  byId('chat-form').before(picker((file) => transfers.offer(file)));

  /** @param {import('./file-transfer.js').Transfer} t */
  const lineFor = (t) => {
    const item = element(`file ${t.direction === 'out' ? 'mine' : 'theirs'}`, '', 'li');
    item.dataset.transfer = t.id;
    const name = element('file-name', t.name);
    name.title = t.name;
    const progress = document.createElement('progress');
    progress.max = t.size;
    progress.setAttribute('aria-label', t.name);
    // The percent is for the eyes; screen readers have the bar's own value, and the log
    // (aria-live) announces the status only when it changes.
    const percent = element('file-percent');
    percent.setAttribute('aria-hidden', 'true');
    const status = element('file-status');
    const actions = element('file-actions');
    item.append(name, element('file-size', formatSize(t.size)), progress, percent, status,
      actions);
    return {item, progress, percent, status, actions, state: ''};
  };

  /** The buttons a state offers; made again only when the state changes. */
  const actionsFor = (/** @type {import('./file-transfer.js').Transfer} */ t) => {
    const button = (text, className, act) => {
      const made = element(className, text, 'button');
      /** @type {HTMLButtonElement} */ (made).type = 'button';
      made.addEventListener('click', act);
      return made;
    };
    const cancel = () => button(strings.fileCancel, 'file-cancel', () => transfers.cancel(t.id));
    if (t.state === 'offered' && t.direction === 'in') {
      return [button(strings.fileAccept, 'file-accept primary', () => transfers.accept(t.id)),
        button(strings.fileDecline, 'file-decline', () => transfers.decline(t.id))];
    }
    if (['preparing', 'offered', 'sending', 'receiving'].includes(t.state)) return [cancel()];
    if (t.state === 'done' && t.file) {
      const url = URL.createObjectURL(t.file);
      saved.push(url);
      const link = /** @type {HTMLAnchorElement} */ (element('file-save',
        fill(strings.fileSave, {name: t.name}), 'a'));
      link.href = url;
      link.download = t.name;
      return [link];
    }
    return [];
  };

  onDetail(transfers, 'transfer', (/** @type {import('./file-transfer.js').Transfer} */ t) => {
    const known = lines.get(t.id);
    const line = known ?? lineFor(t);
    lines.set(t.id, line);
    line.item.dataset.state = t.state;
    line.progress.value = t.bytes;
    line.progress.hidden = line.percent.hidden =
      !['sending', 'receiving', 'checking', 'done'].includes(t.state);
    line.percent.textContent = new Intl.NumberFormat(strings.lang, {style: 'percent'})
      .format(Math.floor((t.bytes * 100) / t.size) / 100);
    if (line.state === t.state) return;
    line.state = t.state;
    line.status.textContent = statusOf(t);
    // A button pressed goes away with its state: keyboard focus moves to the next one.
    const hadFocus = line.actions.contains(document.activeElement);
    line.actions.replaceChildren(...actionsFor(t));
    if (hadFocus) /** @type {HTMLElement|null} */ (line.actions.firstElementChild)?.focus();
    if (!known) appendToLog(line.item, t.direction === 'in'); // whole, so it scrolls into view
  });
  onDetail(session, 'phase', ({phase}) => {
    if (phase !== 'ended') return;
    transfers.end();
    lines.clear(); // the chat log is cleared too (render.js)
    for (const url of saved.splice(0)) URL.revokeObjectURL(url);
  });

  return {
    message: (message) => (message ? transfers.message(message) : transfers.peerGone()),
    send: (file) => {
      togglePanel('chat', true); // where the transfer shows
      transfers.offer(file);
    },
  };
}

/**
 * The chat panel's "Send a file" button, its hidden file input and the size limit.
 * @param {(file: File) => void} offer
 */
function picker(offer) {
  const row = element('file-picker', '', 'div');
  const input = document.createElement('input');
  input.type = 'file';
  input.id = 'file-input';
  input.multiple = true;
  input.hidden = true;
  const button = element('file-send', strings.fileSend, 'button');
  button.id = 'file-send';
  /** @type {HTMLButtonElement} */ (button).type = 'button';
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    for (const file of input.files ?? []) offer(file);
    input.value = ''; // the same file can be chosen again
  });
  const limit = element('file-limit', fill(strings.fileLimit, {limit: formatSize(MAX_FILE_BYTES)}), 'p');
  row.append(button, input, limit);
  return row;
}
