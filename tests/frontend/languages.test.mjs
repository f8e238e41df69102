// Every language has every key of strings.js (and no other), keeps each placeholder, and has
// a sentence for every error code the server sends; the best language for a browser's list.
// The gate for new English keys: one added to strings.js fails here until it is translated.
import assert from 'node:assert/strict';
import {readdirSync} from 'node:fs';
import {test} from 'node:test';

import {ERROR_KEYS} from '../../frontend/js/errors.js';
import {FALLBACK, LANGUAGES, RIGHT_TO_LEFT, loadLanguage, matchLanguage} from '../../frontend/js/languages.js';
import {HOST_ERRORS} from '../../frontend/js/passkeys.js';
import {strings} from '../../frontend/js/strings.js';
import {protocolFacts} from './protocol-facts.mjs';

const translated = Object.keys(LANGUAGES).filter((tag) => tag !== FALLBACK);
const tables = Object.fromEntries(await Promise.all(
  translated.map(async (tag) => [tag, await loadLanguage(tag)])));

/** `{name}`-style placeholders of a sentence, sorted (a repeated one counts each time). */
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map(([, name]) => name).sort();

/**
 * What is wrong with a translation against English: keys missing or extra, placeholders
 * lost or added, sentences that are not strings.
 * @returns {string[]} one line per problem
 */
function problems(english, table) {
  const found = [];
  for (const key of Object.keys(english)) {
    if (!Object.hasOwn(table, key)) found.push(`missing ${key}`);
    else if (typeof table[key] !== 'string' || !table[key]) found.push(`empty ${key}`);
    else if (placeholders(table[key]).join() !== placeholders(english[key]).join()) {
      found.push(`placeholders of ${key}: ${placeholders(table[key])} instead of ${placeholders(english[key])}`);
    }
  }
  for (const key of Object.keys(table)) {
    if (!Object.hasOwn(english, key)) found.push(`extra ${key}`);
  }
  return found;
}

test('the check finds a missing key, an extra key, a lost and an added placeholder', () => {
  const english = {a: 'Hello {name}', b: 'Bye', c: 'Go'};
  assert.deepEqual(problems(english, {a: 'Hallo {name}', b: 'Tschüss', c: 'Los'}), []);
  assert.deepEqual(problems(english, {a: 'Hallo', b: 'Tschüss {name}', d: 'x'}), [
    'placeholders of a:  instead of name', 'placeholders of b: name instead of ',
    'missing c', 'extra d']);
});

for (const tag of translated) {
  test(`${tag} has every key of strings.js, no other, and keeps the placeholders`, () => {
    assert.deepEqual(problems(strings, tables[tag]), [],
      `${tag}: translate the keys above in frontend/js/i18n/${tag}.js`);
    assert.equal(tables[tag].lang, tag);
  });

  test(`${tag} is a translation, not a copy of English`, () => {
    const same = Object.keys(strings).filter((key) => tables[tag][key] === strings[key]);
    // Names, codes and a few words that are the same in both (Chat, Details, Meeting...).
    assert.ok(same.length <= 8, `${tag} leaves ${same.length} sentences in English: ${same}`);
  });
}

test('a file ships for every language listed, and only for those', () => {
  const files = readdirSync(new URL('../../frontend/js/i18n/', import.meta.url))
    .map((file) => file.replace(/\.js$/, ''));
  assert.deepEqual(files.sort(), [...translated].sort());
  assert.ok(translated.length >= 7);
  for (const tag of ['de', 'fr', 'es', 'pt-BR', 'hi', 'ja', 'ar']) assert.ok(translated.includes(tag), tag);
  assert.deepEqual([...RIGHT_TO_LEFT], ['ar']);
});

test('every error code the server sends has a sentence of our own in every language', () => {
  const {about, ...codes} = protocolFacts.error_codes;
  for (const code of Object.keys(codes)) {
    assert.ok(Object.hasOwn(ERROR_KEYS, code), `${code}: no key in errors.js ERROR_KEYS`);
  }
  assert.deepEqual(Object.keys(ERROR_KEYS).sort(), Object.keys(codes).sort());
  for (const code of protocolFacts.host_errors.codes) {
    assert.ok(Object.hasOwn(HOST_ERRORS, code), `${code}: no key in passkeys.js HOST_ERRORS`);
  }
  const keys = [...Object.values(ERROR_KEYS), ...Object.values(HOST_ERRORS)];
  for (const table of [strings, ...Object.values(tables)]) {
    for (const key of keys) assert.equal(typeof table[key], 'string', `${table.lang}: ${key}`);
  }
});

test('the language follows the browser: exact tag, then same language, then English', () => {
  assert.equal(matchLanguage(['de-DE', 'en']), 'de');
  assert.equal(matchLanguage(['pt-BR']), 'pt-BR');
  assert.equal(matchLanguage(['pt']), 'pt-BR');
  assert.equal(matchLanguage(['pt-PT', 'fr']), 'pt-BR');
  assert.equal(matchLanguage(['ja-JP']), 'ja');
  assert.equal(matchLanguage(['AR-eg']), 'ar');
  assert.equal(matchLanguage(['nl', 'fr-CA', 'de']), 'fr', 'the first one shipped wins');
  assert.equal(matchLanguage(['en-GB', 'de']), 'en');
  assert.equal(matchLanguage(['nl', 'sv']), 'en');
  assert.equal(matchLanguage([]), 'en');
  assert.equal(matchLanguage(['', 'constructor', 'es']), 'es');
});

test('only shipped languages are loaded, and English needs no file', async () => {
  await assert.rejects(loadLanguage('en'), RangeError);
  await assert.rejects(loadLanguage('../strings'), RangeError);
  await assert.rejects(loadLanguage('nl'), RangeError);
});

test('the pickers in index.html list exactly the languages shipped, each named in itself', async () => {
  const {readFileSync} = await import('node:fs');
  const html = readFileSync(new URL('../../frontend/index.html', import.meta.url), 'utf8');
  const pickers = [...html.matchAll(/<select data-label="languageLabel">(.*?)<\/select>/g)];
  assert.equal(pickers.length, 2, 'one on the home page, one in the lobby');
  for (const [, options] of pickers) {
    const listed = [...options.matchAll(/<option value="([\w-]+)" lang="\1">([^<]+)<\/option>/g)]
      .map(([, tag, name]) => [tag, name]);
    assert.deepEqual(listed, Object.entries(LANGUAGES));
  }
});

test('text written from one language is written again in another, placeholders and all', async () => {
  const {translated: again} = await import('../../frontend/js/i18n.js');
  const {ja, hi} = tables;
  assert.equal(again(strings.joinNow, strings, ja), ja.joinNow);
  // A filled-in sentence: the value moves to where the language puts it.
  assert.equal(again('Signed in as Ana María', strings, ja), 'Ana María としてサインイン中');
  assert.equal(again('Ana María के रूप में साइन इन किया गया', hi, strings), 'Signed in as Ana María');
  assert.equal(again('Meeting abcd-efgh-jkmn', strings, tables.ar), 'الاجتماع abcd-efgh-jkmn');
  // A sentence, a space and more (the server's own words) keeps the more.
  assert.equal(again(`${strings.serverError} room busy`, strings, ja), `${ja.serverError} room busy`);
  // Text that is none of the sentences is left alone; so is the empty value of a placeholder.
  assert.equal(again('Ana María', strings, ja), null);
  assert.equal(again('Signed in as ', strings, ja), null);
});
