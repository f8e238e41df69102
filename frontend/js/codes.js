// Meeting codes: 12 letters without look-alikes (no i, l, o), grouped abcd-efgh-jkmn.

const LETTERS = /^[a-hjkmnp-z]{12}$/;
const SEPARATORS = /[\s\-_.]+/g;
// What other apps put into a pasted code (signaling/rooms.py has the same rules): every
// dash-like character (and the minus sign) is a separator, invisible format characters
// (soft hyphen, zero-width spaces and joiners, byte order mark) are nothing, and quotes,
// brackets and sentence punctuation around it are not part of it.
const DASHES = /[\p{Pd}\u2212]/gu;
const INVISIBLE = /\p{Cf}/gu;
const WRAPPING = /^[\s\p{Ps}\p{Pe}\p{Pi}\p{Pf}<>"'.,;:!*]+|[\s\p{Ps}\p{Pe}\p{Pi}\p{Pf}<>"'.,;:!?*]+$/gu;

/**
 * Pasted text as people mean it: Unicode NFKC (full-width letters become ASCII), dashes
 * as '-', invisible characters dropped, surrounding punctuation trimmed.
 * @param {string} text @returns {string}
 */
export function normalizeCodeText(text) {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(DASHES, '-')
    .replace(WRAPPING, '');
}
// Only resolves relative input; never contacted.
const BASE = 'https://visavis.invalid/';

/**
 * The canonical code in a typed code or a pasted link, or null.
 * @param {string} input
 * @returns {string|null}
 */
export function parseRoomCode(input) {
  if (typeof input !== 'string') return null;
  const text = normalizeCodeText(input);
  if (!text) return null;
  let candidate = text;
  if (/[/?#]/.test(text)) {
    let url;
    try {
      url = new URL(text, BASE);
    } catch {
      return null;
    }
    const segments = url.pathname.split('/').filter(Boolean);
    candidate = url.searchParams.get('room') ?? segments.at(-1) ?? '';
    try {
      candidate = normalizeCodeText(decodeURIComponent(candidate)); // %E2%80%93 is a dash too
    } catch {
      return null;
    }
  }
  const letters = candidate.toLowerCase().replace(SEPARATORS, '');
  if (!LETTERS.test(letters)) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4, 8)}-${letters.slice(8)}`;
}

/**
 * The link that opens a meeting.
 * @param {string} origin e.g. location.origin
 * @param {string} code a canonical code
 */
export function roomLink(origin, code) {
  return `${origin.replace(/\/+$/, '')}/${code}`;
}
