// What a file offer may say, checked on both sides: the size limit, a name safe to show
// and to save under, the SHA-256 as hex. No DOM; file-transfer.js sends and reads offers.

/**
 * Largest file sent, in bytes (100 MB). The receiver holds the whole file in memory to hash
 * it (crypto.subtle has no incremental digest) and then makes the Blob from it: about
 * twice the size at the peak, 200 MB, which a phone's tab still gets.
 */
export const MAX_FILE_BYTES = 100_000_000;
const MAX_NAME = 255; // characters: what file systems allow in one name
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const TRANSFER_ID = /^[0-9a-f]{16}$/;
// Path separators and control characters: a name is one file's name, shown as text.
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f/\\]/g;

/**
 * A file offer on the control channel (docs/protocol.md, peer to peer).
 * @typedef {object} FileOffer
 * @property {'file-offer'} type
 * @property {string} id 16 hex digits, also the data channel's label `file-<id>`
 * @property {string} name the file's name, at most 255 characters
 * @property {number} size bytes, 1 to MAX_FILE_BYTES
 * @property {string} mime the sender's media type, for information only
 * @property {string} sha256 the whole file's SHA-256, 64 lowercase hex digits
 */

/**
 * Why a file cannot be offered or an offer is refused: 'empty' (0 bytes: an empty file or
 * a folder), 'too-large' (over MAX_FILE_BYTES), 'bad-offer' (a malformed offer), or null.
 * @param {{size: number}} file
 * @returns {'empty'|'too-large'|null}
 */
export function sizeProblem({size}) {
  if (size === 0) return 'empty';
  return size > MAX_FILE_BYTES ? 'too-large' : null;
}

/**
 * A name fit to show and save: one component, no control characters, at most 255
 * characters; 'file' when nothing is left. @param {unknown} name @returns {string}
 */
export function safeName(name) {
  const cleaned = String(name ?? '').replace(UNSAFE_IN_NAME, '_').trim().slice(0, MAX_NAME);
  return cleaned && cleaned !== '.' && cleaned !== '..' ? cleaned : 'file';
}

/**
 * Check an offer from the other side.
 * @param {Record<string, unknown>} message a `file-offer` from the control channel
 * @returns {{offer: FileOffer, problem: null} | {offer: null, problem: 'too-large'|'bad-offer'}}
 */
export function readOffer(message) {
  const {id, size, sha256} = message;
  if (typeof id !== 'string' || !TRANSFER_ID.test(id) || typeof sha256 !== 'string' ||
    !HEX_SHA256.test(sha256) || !Number.isSafeInteger(size) || Number(size) < 1) {
    return {offer: null, problem: 'bad-offer'};
  }
  if (Number(size) > MAX_FILE_BYTES) return {offer: null, problem: 'too-large'};
  return {problem: null, offer: {type: 'file-offer', id, size: Number(size), sha256,
    name: safeName(message.name), mime: String(message.mime ?? '').slice(0, 255)}};
}

/** Whether `id` is a transfer id (16 hex digits). @param {unknown} id */
export const isTransferId = (id) => typeof id === 'string' && TRANSFER_ID.test(id);

/** A new transfer id: 64 random bits as 16 hex digits. */
export function newTransferId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The SHA-256 of `bytes` as 64 lowercase hex digits.
 * @param {BufferSource} bytes @returns {Promise<string>}
 */
export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
