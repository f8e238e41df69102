// The page in the person's language: picks it (their choice on this device, else the
// browser's languages), swaps the sentences of strings.js in place (every module reads
// `strings[key]` when it renders, so it keeps working unchanged), sets `<html lang dir>`,
// re-renders the text on screen without touching the call, and offers a picker on the home
// page and in the lobby (index.html). Loaded by main.js with a dynamic import, and only
// when the page is not to stay English: not on an English first load.
import {FALLBACK, LANGUAGES, RIGHT_TO_LEFT, loadLanguage, matchLanguage} from './languages.js';
import {fill, strings} from './strings.js';
import {localize} from './ui.js';

/** localStorage key of the language picked on this device. */
export const STORAGE_KEY = 'visavis.language';
/** Longest wait for a language file before showing the page in English meanwhile (ms). */
const LOAD_GRACE_MS = 3000;

const english = Object.freeze({...strings});
/** @type {HTMLSelectElement[]} */
const pickers = [];
let applied = FALLBACK;
let requested = 0; // a slow file that arrives after a newer choice is dropped

/** The language picked on this device, if it is still shipped; storage may be off. */
function storedChoice() {
  try {
    const tag = localStorage.getItem(STORAGE_KEY);
    return tag && Object.hasOwn(LANGUAGES, tag) ? tag : null;
  } catch {
    return null;
  }
}

function remember(tag) {
  try {
    localStorage.setItem(STORAGE_KEY, tag);
  } catch {
    // Private mode or storage off: the choice lasts for this page only.
  }
}

/**
 * The values a text gives a sentence's `{placeholders}` (by name), if it is that sentence
 * filled in; else null.
 * @param {string} sentence @param {string} text @returns {Record<string, string>|null}
 */
function valuesIn(sentence, text) {
  const parts = sentence.split(/\{(\w+)\}/); // text, name, text, name, ..., text
  const escape = (part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = parts.map((part, i) => (i % 2 ? '([\\s\\S]+?)' : escape(part))).join('');
  const found = new RegExp(`^${source}$`).exec(text);
  if (!found) return null;
  const names = parts.filter((_, i) => i % 2);
  return Object.fromEntries(names.map((name, i) => [name, found[i + 1]]));
}

/**
 * The text a view wrote from `before`, written again from `after`: a sentence; a sentence
 * with its placeholders filled ("Signed in as Ana" → "Ana としてサインイン中"); or a sentence,
 * a space and more (a server's own message after "The server refused…"). Null if the text is
 * none of these. Both tables share their keys (languages.test.mjs checks them).
 * @param {string} text @param {Record<string, string>} before @param {Record<string, string>} after
 * @returns {string|null}
 */
export function translated(text, before, after) {
  const sentences = Object.entries(before).filter(([, sentence]) => sentence);
  const exact = sentences.find(([, sentence]) => sentence === text);
  if (exact) return after[exact[0]];
  for (const [key, sentence] of sentences) {
    const values = sentence.includes('{') && valuesIn(sentence, text);
    if (values) return fill(after[key], values);
  }
  // The longest sentence the text starts with, then a space.
  const [key, sentence] = sentences
    .filter(([, sentence]) => text.startsWith(`${sentence} `))
    .reduce((long, entry) => (entry[1].length > long[1].length ? entry : long), ['', '']);
  return key ? after[key] + text.slice(sentence.length) : null;
}

/**
 * Text that views wrote from strings (status lines, errors, "Meeting abcd-…") is in the old
 * language: write each text node that `translated` knows again in the new one.
 * @param {Record<string, string>} before the sentences as they were, by key
 */
function retext(before) {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue ?? '';
    if (!text.trim()) continue;
    const again = translated(text, before, strings);
    if (again != null) node.nodeValue = again;
  }
}

/**
 * Show the page in `tag`: fetch its file (English needs none), swap the sentences, set
 * `lang` and `dir`, re-render. Call state is untouched. A file that fails to load leaves
 * the page as it was.
 * @param {string} tag a key of LANGUAGES
 * @returns {Promise<boolean>} whether `tag` is now shown (false: failed, or overtaken)
 */
export async function applyLanguage(tag) {
  const mine = ++requested;
  let table = {};
  try {
    if (tag !== FALLBACK) table = await loadLanguage(tag);
  } catch {
    return false;
  }
  if (mine !== requested) return false;
  const before = {...strings};
  Object.assign(strings, english, table, {lang: tag}); // a key not yet translated: English
  const root = document.documentElement;
  root.dir = RIGHT_TO_LEFT.has(tag) ? 'rtl' : 'ltr';
  localize(); // every data-text/-label/-placeholder, <html lang> and the title
  retext(before);
  applied = tag;
  for (const picker of pickers) picker.value = tag;
  return true;
}

let started = false;

/**
 * Boot, from main.js: when the browser is not in English, a choice is stored, or a picker
 * was just used. Binds the pickers (index.html) and shows the page in the chosen language;
 * at boot the page stays hidden while its file loads (no flash of English), at most
 * LOAD_GRACE_MS.
 * @param {string} [picked] the language just picked (a key of LANGUAGES): remembered
 * @param {{languages?: readonly string[]}} [navigatorLike] navigator (its `languages`)
 * @returns {Promise<string>} the language shown
 */
export async function startLanguages(picked, navigatorLike = navigator) {
  if (picked && Object.hasOwn(LANGUAGES, picked)) remember(picked);
  const tag = storedChoice() ?? matchLanguage(navigatorLike.languages ?? []);
  if (!started) {
    started = true;
    for (const picker of document.querySelectorAll('.language select')) {
      const select = /** @type {HTMLSelectElement} */ (picker);
      pickers.push(select);
      select.addEventListener('change', () => {
        remember(select.value);
        applyLanguage(select.value);
      });
    }
  }
  if (tag === applied) return tag;
  const root = document.documentElement;
  if (!picked) root.classList.add('translating'); // a pick keeps the page as it is meanwhile
  const grace = setTimeout(() => root.classList.remove('translating'), LOAD_GRACE_MS);
  const shown = await applyLanguage(tag);
  clearTimeout(grace);
  root.classList.remove('translating');
  return shown ? tag : applied;
}
