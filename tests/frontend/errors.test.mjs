import assert from 'node:assert/strict';
import {test} from 'node:test';

import {FINAL_ERRORS, RETRY_ERRORS, errorAction} from '../../frontend/js/errors.js';
import {strings} from '../../frontend/js/strings.js';
import {protocolFacts} from './protocol-facts.mjs';

const {about, ...errorCodes} = protocolFacts.error_codes;

test('every final and retry code of the shared facts is handled as such', () => {
  for (const [code, {client}] of Object.entries(errorCodes)) {
    if (client === 'final' || client === 'retry') assert.equal(errorAction(code), client, code);
  }
});

test('the client names no error code the shared facts lack, nor gives a bug a meaning', () => {
  for (const code of [...Object.keys(FINAL_ERRORS), ...RETRY_ERRORS]) {
    assert.ok(Object.hasOwn(errorCodes, code), `${code} is not in protocol-facts.json`);
    assert.notEqual(errorCodes[code].client, 'bug', code);
  }
});

test('each final refusal is explained by a sentence in strings.js', () => {
  for (const [code, key] of Object.entries(FINAL_ERRORS)) {
    assert.equal(typeof strings[key], 'string', code);
  }
});

test('a code nobody knows is a bug, never a retry', () => {
  assert.equal(errorAction('no-such-code'), 'bug');
  assert.equal(errorAction('constructor'), 'bug', 'not fooled by Object.prototype');
});
