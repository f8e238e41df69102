// The meeting link's QR code (frontend/js/qr-code.js) and the vendored encoder it uses.
// tests/browser/test_qr.py decodes the drawn code with a real decoder.
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {test} from 'node:test';

import {QUIET_ZONE, qrPath} from '../../frontend/js/qr-code.js';

const root = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, root), 'utf8');
const LINK = 'https://visavis.example.test/abcd-efgh-jkmn';

/** The dark cells a path covers, as "x,y" strings. */
function cells(path) {
  const dark = new Set();
  for (const [, x, y, run] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(run); i += 1) dark.add(`${Number(x) + i},${y}`);
  }
  return dark;
}

test('the vendored encoder is the pinned npm package, byte for byte', () => {
  const pinned = JSON.parse(read('package.json')).devDependencies['qrcode-generator'];
  assert.equal(pinned, '2.0.4', 'an exact version, named in js/vendor/README.md');
  assert.match(read('frontend/js/vendor/README.md'), /\| 2\.0\.4 /);
  const installed = new URL('node_modules/qrcode-generator/dist/qrcode.mjs', root);
  assert.ok(existsSync(installed), 'npm ci installs it (make check does)');
  assert.equal(read('frontend/js/vendor/qrcode.js'), readFileSync(installed, 'utf8'));
  assert.match(read('frontend/js/vendor/LICENSE-qrcode-generator'), /MIT License/);
});

test('the vendored encoder loads nothing: no imports, requests or workers', () => {
  const source = read('frontend/js/vendor/qrcode.js');
  assert.doesNotMatch(source, /\bimport\b|fetch\(|XMLHttpRequest|new Worker|WebSocket/);
});

test('a meeting link makes a version 4 symbol framed by its quiet zone', () => {
  const {size, path} = qrPath(LINK);
  assert.equal(size, 33 + 2 * QUIET_ZONE); // 44 bytes at level M need version 4 (33 modules)
  const dark = cells(path);
  for (const cell of dark) {
    const [x, y] = cell.split(',').map(Number);
    assert.ok(x >= QUIET_ZONE && x < size - QUIET_ZONE, cell);
    assert.ok(y >= QUIET_ZONE && y < size - QUIET_ZONE, cell);
  }
  // The three finder patterns' outer rings: top-left, top-right and bottom-left.
  const inner = size - 2 * QUIET_ZONE;
  for (const [left, top] of [[0, 0], [inner - 7, 0], [0, inner - 7]]) {
    for (let i = 0; i < 7; i += 1) {
      assert.ok(dark.has(`${QUIET_ZONE + left + i},${QUIET_ZONE + top}`), `finder at ${left},${top}`);
      assert.ok(!dark.has(`${QUIET_ZONE + left + 1},${QUIET_ZONE + top + 1}`), 'its light ring');
    }
  }
});

test('another link draws another code; the same link the same code', () => {
  assert.equal(qrPath(LINK).path, qrPath(LINK).path);
  assert.notEqual(qrPath(LINK).path, qrPath(LINK.replace('jkmn', 'jkmp')).path);
});

test('a text too long for any QR code throws', () => {
  assert.throws(() => qrPath('x'.repeat(3000)));
});
