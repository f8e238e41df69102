// The languages the client speaks and which one a person gets: DOM-free, so node tests
// cover it. English is strings.js itself; every other language is one file in js/i18n/,
// loaded only when chosen (ES modules: served, cached and allowed by the CSP like any script).

/**
 * Every language shipped, by BCP 47 tag, with its name in itself (so a person finds their
 * own whatever the page speaks). Adding one: js/i18n/<tag>.js plus a line here.
 * @type {Readonly<Record<string, string>>}
 */
export const LANGUAGES = Object.freeze({
  'en': 'English',
  'de': 'Deutsch',
  'fr': 'Français',
  'es': 'Español',
  'pt-BR': 'Português (Brasil)',
  'hi': 'हिन्दी',
  'ja': '日本語',
  'ar': 'العربية',
});

/** Languages written right to left: the page gets `dir="rtl"` and mirrors its layout. */
export const RIGHT_TO_LEFT = Object.freeze(new Set(['ar']));

export const FALLBACK = 'en';

/**
 * The shipped language that best fits a person's preferences, in their order: an exact tag
 * first ('pt-BR'), else the same language in another region ('pt', 'pt-PT' → 'pt-BR';
 * 'de-AT' → 'de'), else the next preference; none fits: English.
 * @param {readonly string[]} preferred BCP 47 tags, most wanted first (navigator.languages)
 * @returns {string} a key of LANGUAGES
 */
export function matchLanguage(preferred) {
  const tags = Object.keys(LANGUAGES);
  const primary = (tag) => tag.toLowerCase().split('-')[0];
  for (const wanted of preferred) {
    if (typeof wanted !== 'string' || !wanted) continue;
    const exact = tags.find((tag) => tag.toLowerCase() === wanted.toLowerCase());
    if (exact) return exact;
    const sameLanguage = tags.find((tag) => primary(tag) === primary(wanted));
    if (sameLanguage) return sameLanguage;
  }
  return FALLBACK;
}

/**
 * The sentences of a language that is not English: its file's default export, a
 * strings.js key to a sentence (keys it lacks stay English).
 * @param {string} tag a key of LANGUAGES other than 'en'
 * @returns {Promise<Record<string, string>>}
 * @throws {RangeError} for a tag that is not shipped (nothing is fetched)
 */
export async function loadLanguage(tag) {
  if (!Object.hasOwn(LANGUAGES, tag) || tag === FALLBACK) throw new RangeError(`no file for ${tag}`);
  return (await import(`./i18n/${tag}.js`)).default;
}
