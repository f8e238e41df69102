import assert from 'node:assert/strict';
import {test} from 'node:test';

import {parseRoomCode, roomLink} from '../../frontend/js/codes.js';
import {protocolFacts} from './protocol-facts.mjs';

const {alphabet, groups, parses, rejects} = protocolFacts.room_code;
const length = groups.reduce((sum, group) => sum + group, 0);

test('every parse vector of the shared facts gives its canonical code', () => {
  for (const [input, code] of parses) assert.equal(parseRoomCode(input), code, input);
});

test('every reject vector of the shared facts is rejected', () => {
  for (const input of rejects) assert.equal(parseRoomCode(input), null, input);
});

test('a code is cut into the groups of the shared facts', () => {
  const letters = alphabet.repeat(2).slice(0, length);
  const canonical = parseRoomCode(letters);
  assert.deepEqual(canonical.split('-').map((group) => group.length), groups);
  assert.equal(canonical.replaceAll('-', ''), letters);
});

test('every letter of the alphabet is accepted, and no other letter', () => {
  for (let start = 0; start < alphabet.length; start += 1) {
    const letters = alphabet.repeat(2).slice(start, start + length);
    assert.notEqual(parseRoomCode(letters), null, letters);
  }
  for (const letter of 'abcdefghijklmnopqrstuvwxyz0123456789') {
    if (alphabet.includes(letter)) continue;
    assert.equal(parseRoomCode(letter.repeat(length)), null, letter);
  }
});

test('a link with a malformed escape is rejected, not thrown at', () => {
  assert.equal(parseRoomCode('https://meet.example.org/%zz'), null);
});

test('non-string input is rejected', () => {
  for (const input of [null, undefined, 42]) assert.equal(parseRoomCode(input), null);
});

test('roomLink joins origin and code with one slash', () => {
  assert.equal(roomLink('https://meet.example.org', 'abcd-efgh-jkmn'),
    'https://meet.example.org/abcd-efgh-jkmn');
  assert.equal(roomLink('https://meet.example.org/', 'abcd-efgh-jkmn'),
    'https://meet.example.org/abcd-efgh-jkmn');
});

test('a room link parses back to its code', () => {
  assert.equal(parseRoomCode(roomLink('https://127.0.0.1:8443', 'zyxw-vuts-rqpn')), 'zyxw-vuts-rqpn');
});
