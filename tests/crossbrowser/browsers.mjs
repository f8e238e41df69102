// Debian's Firefox ESR and Chromium, both driven by puppeteer-core: Firefox over the
// WebDriver BiDi it serves itself (no geckodriver), Chromium over CDP. Fake camera and
// microphone in both; every person gets a browser context of their own.
import {networkInterfaces} from 'node:os';

import puppeteer from 'puppeteer-core';

export const FIREFOX = process.env.VISAVIS_FIREFOX ?? '/usr/bin/firefox-esr';
export const CHROMIUM = process.env.VISAVIS_CHROMIUM ?? '/usr/bin/chromium';

/** Profile prefs: fake media, camera and microphone granted, host candidates on 127.0.0.1. */
const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  // Not granted, Firefox hides host addresses behind mDNS names (nothing resolves them here)
  // and BiDi's permissions.setPermission refuses camera and microphone in 153 ESR.
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // Else Firefox gathers no 127.0.0.1 candidates, the only ones in a loopback-only namespace.
  'media.peerconnection.ice.loopback': true,
  // Autoplay stays at Firefox's default (audible autoplay blocked without a gesture), so a
  // reload mid-call, which skips the lobby's click, meets the rule people meet.
};

/** tests/chromium.py's flags, and loopback candidates (the only address in the namespace). */
const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
];

/**
 * Refuse to run outside a network namespace that has only loopback: the browsers would
 * then also try (and send to) the machine's other addresses. `make test` runs this suite
 * under `unshare --net`.
 */
export function assertLoopbackOnly() {
  const names = Object.keys(networkInterfaces());
  if (names.some((name) => name !== 'lo')) {
    throw new Error(`run this suite in a network namespace with only lo (found ${names}): ` +
      "unshare --net sh -c 'ip link set lo up && node --test tests/crossbrowser/'");
  }
}

/**
 * @param {'firefox'|'chromium'} name
 * @returns {Promise<import('puppeteer-core').Browser>}
 */
export function launch(name) {
  if (name === 'firefox') {
    return puppeteer.launch({browser: 'firefox', executablePath: FIREFOX, headless: true,
      acceptInsecureCerts: true, extraPrefsFirefox: FIREFOX_PREFS});
  }
  return puppeteer.launch({browser: 'chrome', executablePath: CHROMIUM, headless: true,
    acceptInsecureCerts: true, args: CHROMIUM_ARGS});
}

/**
 * A person: a fresh context (own storage) and one tab on `url`.
 * @param {import('puppeteer-core').Browser} browser @param {string} url
 * @returns {Promise<import('puppeteer-core').Page>}
 */
export async function openPerson(browser, url) {
  const context = await browser.createBrowserContext();
  if (browser.protocol === 'cdp') {
    // Granted, Chromium gives real host candidates instead of mDNS names.
    await context.overridePermissions(new URL(url).origin, ['camera', 'microphone']);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(30_000); // ms: waits for the other browser on a loaded machine
  await page.goto(url);
  return page;
}

/** The browser's product and version, e.g. "firefox/153.8.0". */
export const versionOf = (browser) => browser.version();
