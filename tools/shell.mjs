// The service worker's app shell: the list of files frontend/sw.js caches and the version
// its cache is named after, a hash of those files' bytes. `make shell` (node tools/shell.mjs)
// writes both into sw.js; tests/frontend/installable.test.mjs fails when sw.js is stale,
// so a changed client always reaches installed apps as a new worker (docs/architecture.md).
import {createHash} from 'node:crypto';
import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const FRONTEND = new URL('../frontend/', import.meta.url);
const BLOCK = /(\/\/ shell: written by `make shell`[^\n]*\n)[\s\S]*?(\/\/ end of shell\n)/;

/** @param {string} folder @param {string} suffix @returns {string[]} sorted site paths */
const listed = (folder, suffix) => readdirSync(new URL(`${folder}/`, FRONTEND))
  .filter((name) => name.endsWith(suffix)).sort().map((name) => `/${folder}/${name}`);

/**
 * The shell as served: site paths ('/' is index.html) and the 12-hex-digit SHA-256 of
 * every path and its bytes, in order.
 * @returns {{version: string, paths: string[]}}
 */
export function shell() {
  const paths = ['/', '/offline.html', '/manifest.webmanifest', '/favicon.svg',
    ...listed('icons', '.png'), ...listed('css', '.css'), ...listed('js', '.js'),
    // the languages and the QR encoder too: a page offline in Arabic stays in Arabic
    ...listed('js/i18n', '.js'), ...listed('js/vendor', '.js')];
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(`${path}\n`);
    hash.update(readFileSync(new URL(path === '/' ? 'index.html' : path.slice(1), FRONTEND)));
  }
  return {version: hash.digest('hex').slice(0, 12), paths};
}

/** sw.js with its shell block written from `shell()`. @param {string} source */
export function withShell(source) {
  const {version, paths} = shell();
  const lines = paths.map((path) => `  '${path}',`).join('\n');
  const block = `const VERSION = '${version}';\nconst SHELL = [\n${lines}\n];\n`;
  if (!BLOCK.test(source)) throw new Error('sw.js has no shell block');
  return source.replace(BLOCK, (_, start, end) => `${start}${block}${end}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL('sw.js', FRONTEND);
  const before = readFileSync(file, 'utf8');
  const after = withShell(before);
  writeFileSync(file, after);
  console.log(after === before ? 'sw.js: shell unchanged' : `sw.js: shell ${shell().version}`);
}
