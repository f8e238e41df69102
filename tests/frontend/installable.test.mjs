// The installable app's static parts: sw.js's shell is the files as they are now (so any
// change to the client reaches installed apps as a new worker), it never lists the socket or
// API paths, and the manifest names icons that exist in the sizes it says.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

import {shell, withShell} from '../../tools/shell.mjs';

const frontend = new URL('../../frontend/', import.meta.url);
const read = (path) => readFileSync(new URL(path, frontend));

test('sw.js carries the current shell and version (else run `make shell`)', () => {
  const source = read('sw.js').toString();
  assert.equal(source, withShell(source), 'sw.js is stale: run `make shell`');
  assert.match(source, new RegExp(`const VERSION = '${shell().version}';`));
});

test('the version changes when a shell file changes (the check above can fail)', () => {
  const source = read('sw.js').toString();
  const stale = source.replace(/const VERSION = '\w+';/, "const VERSION = '000000000000';");
  assert.notEqual(stale, source);
  assert.notEqual(withShell(stale), stale);
});

test('the shell is the static client only: never the socket, health or any API', () => {
  const {paths} = shell();
  for (const path of ['/', '/offline.html', '/js/main.js', '/js/call.js', '/css/app.css']) {
    assert.ok(paths.includes(path), path);
  }
  for (const path of paths) {
    assert.match(path, /^\/(?:|offline\.html|manifest\.webmanifest|favicon\.svg|(?:icons|css|js|js\/i18n|js\/vendor)\/[\w-]+\.\w+)$/, path);
  }
  for (const path of ['/ws', '/healthz', '/ice-servers', '/metrics']) {
    assert.ok(!paths.some((listed) => listed.startsWith(path)), path);
  }
});

test('the manifest names existing icons of the sizes it states, one maskable', () => {
  const manifest = JSON.parse(read('manifest.webmanifest').toString());
  for (const key of ['name', 'short_name', 'start_url', 'scope', 'theme_color', 'background_color']) {
    assert.equal(typeof manifest[key], 'string', key);
  }
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const bytes = read(icon.src.slice(1));
    if (icon.type !== 'image/png') continue;
    // A PNG's IHDR: width and height, big-endian, at bytes 16 and 20.
    const side = `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
    assert.equal(side, icon.sizes, icon.src);
  }
  const sizes = manifest.icons.map((icon) => icon.sizes);
  assert.ok(sizes.includes('192x192') && sizes.includes('512x512'));
  assert.ok(manifest.icons.some((icon) => icon.purpose === 'maskable'));
});

test('sw.js looks for the lock call-lock.js holds during a call', async () => {
  const {CALL_LOCK} = await import('../../frontend/js/call-lock.js');
  assert.match(read('sw.js').toString(), new RegExp(`const CALL_LOCK = '${CALL_LOCK}';`));
});
