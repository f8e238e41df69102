import assert from 'node:assert/strict';
import {test} from 'node:test';

import {parseRoomCode, roomLink} from '../../frontend/js/codes.js';

test('a canonical code is returned as is', () => {
  assert.equal(parseRoomCode('abcd-efgh-jkmn'), 'abcd-efgh-jkmn');
});

test('case, dashes and spaces do not matter', () => {
  for (const input of ['ABCD-EFGH-JKMN', 'abcdefghjkmn', 'abcd efgh jkmn', ' AbCd-eFgH jkmn\n',
    'abcd--efgh  jkmn', 'abcd.efgh_jkmn']) {
    assert.equal(parseRoomCode(input), 'abcd-efgh-jkmn', input);
  }
});

test('a code is found inside a pasted link', () => {
  for (const input of [
    'https://meet.example.org/abcd-efgh-jkmn',
    'https://meet.example.org/ABCDEFGHJKMN',
    'https://meet.example.org/abcd-efgh-jkmn/',
    'https://meet.example.org/abcd-efgh-jkmn#top',
    'https://meet.example.org:8443/abcd-efgh-jkmn?utm=x',
    'https://meet.example.org/?room=abcd-efgh-jkmn',
    'https://meet.example.org/join?room=ABCD%20EFGH%20JKMN#x',
    'meet.example.org/abcd-efgh-jkmn',
    '/abcd-efgh-jkmn',
  ]) {
    assert.equal(parseRoomCode(input), 'abcd-efgh-jkmn', input);
  }
});

test('look-alike letters, digits and wrong lengths are rejected', () => {
  for (const input of ['abcd-efgh-jkmi', 'abcd-efgh-jkml', 'abcd-efgh-jkmo', 'abcd-efgh-jkm1',
    'abcd-efgh-jkm', 'abcd-efgh-jkmnp', 'abcd-éfgh-jkmn', 'abcd/efgh/jkmn?x']) {
    assert.equal(parseRoomCode(input), null, input);
  }
});

test('a link without a code is rejected, even when its host is made of letters', () => {
  for (const input of ['https://abcdefghjkmn.example/', 'https://meet.example.org/',
    'https://meet.example.org/?room=', 'https://meet.example.org/%zz']) {
    assert.equal(parseRoomCode(input), null, input);
  }
});

test('empty and non-string input is rejected', () => {
  for (const input of ['', '   ', null, undefined, 42]) assert.equal(parseRoomCode(input), null);
});

test('all 23 letters of the alphabet are accepted', () => {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz';
  assert.equal(alphabet.length, 23);
  for (let start = 0; start < alphabet.length; start += 1) {
    const letters = (alphabet + alphabet).slice(start, start + 12);
    assert.notEqual(parseRoomCode(letters), null, letters);
  }
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
