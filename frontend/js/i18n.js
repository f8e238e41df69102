// The page in the person's language: picks it (their choice on this device, else the
// browser's languages), swaps the sentences of strings.js in place (every module reads
// `strings[key]` when it renders, so it keeps working unchanged), sets `<html lang dir>`,
// re-renders the text on screen without touching the call, and offers a picker on the home
// page and in the lobby (index.html). Loaded by main.js with a dynamic import, and only
// when the page is not to stay English: not on an English first load.
import {FALLBACK, LANGUAGES, RIGHT_TO_LEFT, loadLanguage, matchLanguage} from './languages.js';
import {strings} from './strings.js';
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
 * Text that views wrote from strings (status lines, errors, "Meeting abcd-…") is in the old
 * language: swap each text node that is one of its sentences, or starts with one and a space.
 * @param {Record<string, string>} before the sentences as they were, by key
 */
function retext(before) {
  const keyOf = new Map(Object.entries(before).map(([key, text]) => [text, key]));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue ?? '';
    if (!text.trim()) continue;
    const exact = keyOf.get(text);
    if (exact) {
      node.nodeValue = strings[exact];
      continue;
    }
    let prefix = '';
    for (const sentence of keyOf.keys()) {
      if (sentence.length > prefix.length && text.startsWith(`${sentence} `)) prefix = sentence;
    }
    if (prefix) node.nodeValue = strings[keyOf.get(prefix)] + text.slice(prefix.length);
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
