import assert from 'node:assert/strict';
import {readFileSync, readdirSync} from 'node:fs';
import {test} from 'node:test';

import {strings} from '../../frontend/js/strings.js';

const frontend = new URL('../../frontend/', import.meta.url);
const read = (path) => readFileSync(new URL(path, frontend), 'utf8');
// Our modules; js/vendor/ holds third-party code, checked in qr-code.test.mjs.
const modules = readdirSync(new URL('js/', frontend)).filter((name) => name.endsWith('.js'));

test('every text the page asks for exists in strings.js', () => {
  const html = read('index.html');
  const keys = [...html.matchAll(/data-(?:text|label|placeholder)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(keys.length > 10);
  for (const key of keys) assert.equal(typeof strings[key], 'string', key);
});

test('every strings.X the scripts use exists', () => {
  for (const file of modules) {
    const source = read(`js/${file}`);
    for (const [, key] of source.matchAll(/\bstrings\.(?!js\b)(\w+)/g)) {
      assert.equal(typeof strings[key], 'string', `${file}: strings.${key}`);
    }
  }
});

test('the sentences the tests and people rely on say what they must', () => {
  assert.match(strings.roomFull, /full/);
  assert.match(strings.roomNotFound, /not found or expired/i);
  assert.match(strings.peerLeft, /^The other person left\./);
});

test('no page or script loads anything from another origin', () => {
  const sources = [read('index.html'), read('css/app.css'), read('css/extras.css'),
    ...modules.map((file) => read(`js/${file}`)),
    ...readdirSync(new URL('js/i18n/', frontend)).map((file) => read(`js/i18n/${file}`))];
  // The SVG namespace names a vocabulary; nothing is fetched from it.
  const SVG_NAMESPACE = "'http://www.w3.org/2000/svg'";
  for (const text of sources) {
    const source = text.replaceAll(SVG_NAMESPACE, '');
    assert.doesNotMatch(source, /(?:https?:)?\/\/[a-z0-9.-]+\.(?:com|net|org|io|dev)\b(?!.*invalid)/i);
    assert.doesNotMatch(source, /stun:|turn:/);
  }
});

test('no script builds a sentence from pieces: a value goes into a {placeholder}', () => {
  // `${strings.x} ${value}` fixes the word order to English's; fill() lets a language move it.
  const pieces = /\$\{strings\.\w+\}:? *\$\{|\$\{[^}]+\} \$\{strings\.\w+\}/;
  assert.match('`${strings.signedInAs} ${name}`', pieces); // the check finds one
  assert.match('`${count} ${strings.unread}`', pieces);
  assert.doesNotMatch('`${strings.offlineTitle} · ${strings.appName}`', pieces); // a title
  for (const file of modules) {
    const found = read(`js/${file}`).match(pieces);
    assert.equal(found, null, `${file}: ${found}`);
  }
});
