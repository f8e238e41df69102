// index.html preloads the whole module graph, so the page does not wait one round trip per
// level of imports (main.js → session.js → link.js → peer.js ...).
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

test('index.html preloads exactly the modules main.js reaches', () => {
  const preloads = /<link rel="modulepreload" href="\/js\/([\w-]+\.js)">/g;
  const preloaded = [...read('index.html').matchAll(preloads)].map(([, name]) => name);
  assert.equal(new Set(preloaded).size, preloaded.length, 'each once');
  assert.deepEqual(new Set(preloaded), reachable('main.js'));
});

test('the module graph is found through the imports (the check above can fail)', () => {
  const modules = reachable('main.js');
  for (const name of ['session.js', 'peer.js', 'signaling.js', 'strings.js']) {
    assert.ok(modules.has(name), name);
  }
});
