// index.html preloads the home page's module graph, so the page does not wait one round trip
// per level of imports; the call's graph (call.js → session.js → link.js → peer.js ...) is
// main.js's CALL_MODULES, preloaded all at once when a meeting is near.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

const read = (path) => readFileSync(new URL(`../../frontend/${path}`, import.meta.url), 'utf8');
const IMPORT = /^import\s[^;]*?\sfrom\s'\.\/([\w-]+\.js)';/gm;

/** Every module `entry` reaches through static imports, itself excluded. */
function reachable(entry) {
  const seen = new Set();
  const visit = (name) => {
    for (const [, imported] of read(`js/${name}`).matchAll(IMPORT)) {
      if (seen.has(imported)) continue;
      seen.add(imported);
      visit(imported);
    }
  };
  visit(entry);
  seen.delete(entry);
  return seen;
}

/** main.js's CALL_MODULES list. */
function callModules() {
  const list = read('js/main.js').match(/const CALL_MODULES = \[([^\]]*)\]/);
  assert.ok(list, 'main.js has CALL_MODULES');
  return [...list[1].matchAll(/'([\w-]+\.js)'/g)].map(([, name]) => name);
}

test('index.html preloads exactly the modules main.js reaches (the home page)', () => {
  const preloads = /<link rel="modulepreload" href="\/js\/([\w-]+\.js)">/g;
  const preloaded = [...read('index.html').matchAll(preloads)].map(([, name]) => name);
  assert.equal(new Set(preloaded).size, preloaded.length, 'each once');
  assert.deepEqual(new Set(preloaded), reachable('main.js'));
});

test('a meeting preloads call.js and every module it reaches that the home page has not', () => {
  const listed = callModules();
  assert.equal(new Set(listed).size, listed.length, 'each once');
  const home = reachable('main.js');
  const call = new Set([...reachable('call.js')].filter((name) => !home.has(name)));
  call.add('call.js');
  assert.deepEqual(new Set(listed), call);
});

test('main.js loads the call with import(), not statically (the home page stays small)', () => {
  const source = read('js/main.js');
  assert.match(source, /import\('\.\/call\.js'\)/);
  assert.ok(!reachable('main.js').has('call.js'));
});

test('the module graphs are found through the imports (the checks above can fail)', () => {
  const home = reachable('main.js');
  for (const name of ['ui.js', 'strings.js', 'codes.js']) assert.ok(home.has(name), name);
  for (const name of ['session.js', 'peer.js', 'signaling.js']) assert.ok(!home.has(name), name);
  const call = reachable('call.js');
  for (const name of ['session.js', 'peer.js', 'signaling.js', 'lobby.js']) {
    assert.ok(call.has(name), name);
  }
});
