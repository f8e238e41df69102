// The server's error codes (docs/protocol.md) and what the client does with each; the
// list is checked against tests/shared/protocol-facts.json, which the server's tests read too.

/**
 * Refusals that end the attempt (asking for the seat failed, or another tab took it), each
 * with the strings.js key of the sentence that explains it.
 * @type {Readonly<Record<string, string>>}
 */
export const FINAL_ERRORS = Object.freeze({
  'bad-room-code': 'badCode',
  'room-not-found': 'roomNotFound',
  'room-full': 'roomFull',
  'replaced': 'replaced',
  'hosts-only': 'hostsOnly',
});

/** Refusals that may pass: asked again on a new socket after a backoff or `retry_after`. */
export const RETRY_ERRORS = Object.freeze(new Set(['room-restoring', 'rate-limited',
  'too-many-connections', 'idle', 'unavailable']));

/**
 * What the client does when `create`/`join` is refused with `code`: 'final' ends the
 * attempt, 'retry' asks again later, 'bug' is any other code (the client sent something
 * wrong: it shows the server's sentence and carries on).
 * @param {string} code
 * @returns {'final'|'retry'|'bug'}
 */
export function errorAction(code) {
  if (Object.hasOwn(FINAL_ERRORS, code)) return 'final';
  if (RETRY_ERRORS.has(code)) return 'retry';
  return 'bug';
}

/**
 * The strings.js key of the client's own sentence for every code the server sends (the
 * server's English `message` is for logs): the final refusals above, then the rest.
 * @type {Readonly<Record<string, string>>}
 */
export const ERROR_KEYS = Object.freeze({
  ...FINAL_ERRORS,
  'room-restoring': 'errorRoomRestoring',
  'rate-limited': 'errorRateLimited',
  'too-many-connections': 'errorTooManyConnections',
  'idle': 'errorIdle',
  'unavailable': 'errorUnavailable',
  'bad-json': 'errorBadJson',
  'bad-message': 'errorBadMessage',
  'unknown-type': 'errorUnknownType',
  'too-large': 'errorTooLarge',
  'binary-frame': 'errorBinaryFrame',
  'not-in-room': 'errorNotInRoom',
  'already-in-room': 'errorAlreadyInRoom',
});
