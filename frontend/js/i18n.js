// The page in the person's language: picks it (their choice on this device, else the
// browser's languages), swaps the sentences of strings.js in place (every module reads
// `strings[key]` when it renders, so it keeps working unchanged), sets `<html lang dir>`,
// re-renders the text on screen without touching the call, and offers a picker on the home
// page and in the lobby. Loaded by main.js with a dynamic import: not on the first load.
import {FALLBACK, LANGUAGES, RIGHT_TO_LEFT, loadLanguage, matchLanguage} from './languages.js';
import {strings} from './strings.js';
import {byId} from './dom.js';
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

/** A small select, labelled in the page's language, that switches and remembers. */
function makePicker() {
  const label = document.createElement('label');
  label.className = 'language';
  label.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-3a15.7 15.7 0 0 0-1.3-3.9A8 8 0 0 1 18.9 8zM12 4a13.8 13.8 0 0 1 1.9 4h-3.8A13.8 13.8 0 0 1 12 4zM4.3 14a8.2 8.2 0 0 1 0-4h3.4a16.5 16.5 0 0 0 0 4zm.8 2h3a15.7 15.7 0 0 0 1.3 3.9A8 8 0 0 1 5.1 16zm3-8h-3a8 8 0 0 1 4.3-3.9A15.7 15.7 0 0 0 8.1 8zM12 20a13.8 13.8 0 0 1-1.9-4h3.8A13.8 13.8 0 0 1 12 20zm2.3-6H9.7a14.7 14.7 0 0 1 0-4h4.6a14.7 14.7 0 0 1 0 4zm.3 5.9a15.7 15.7 0 0 0 1.3-3.9h3a8 8 0 0 1-4.3 3.9zm1.7-5.9a16.5 16.5 0 0 0 0-4h3.4a8.2 8.2 0 0 1 0 4z"/></svg>';
  const select = document.createElement('select');
  select.dataset.label = 'languageLabel';
  select.setAttribute('aria-label', strings.languageLabel);
  for (const [tag, name] of Object.entries(LANGUAGES)) {
    const option = new Option(name, tag, false, tag === applied);
    option.lang = tag; // each name is read out in its own language
    select.add(option);
  }
  select.addEventListener('change', () => {
    remember(select.value);
    applyLanguage(select.value);
  });
  label.append(select);
  pickers.push(select);
  return label;
}

/**
 * Boot: show the pickers, then the page in the chosen language. While a language file
 * loads the page stays hidden (no flash of English), at most LOAD_GRACE_MS.
 * @param {{languages?: readonly string[]}} [navigatorLike] navigator (its `languages`)
 * @returns {Promise<string>} the language shown
 */
export async function startLanguages(navigatorLike = navigator) {
  const tag = storedChoice() ?? matchLanguage(navigatorLike.languages ?? []);
  byId('home-view').prepend(makePicker());
  byId('lobby-view').append(makePicker());
  const root = document.documentElement;
  if (tag === FALLBACK) {
    root.dir = 'ltr';
    return FALLBACK;
  }
  root.classList.add('translating');
  const grace = setTimeout(() => root.classList.remove('translating'), LOAD_GRACE_MS);
  const shown = await applyLanguage(tag);
  clearTimeout(grace);
  root.classList.remove('translating');
  return shown ? tag : applied;
}
