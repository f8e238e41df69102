// Firefox ESR and Chromium calling each other through the real server over TLS, in both
// roles: media both ways, toggles, chat, verification codes, a file sent, a reload, an ICE
// restart, a server restart and a relay-only call through a real coturn; Firefox with Firefox once,
// and Firefox without navigator.connection recovering from a network change.
// Runs in a network namespace with only loopback (see assertLoopbackOnly).
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, afterEach, before, describe, test} from 'node:test';

import {assertLoopbackOnly, launch} from './browsers.mjs';
import {SignalingServer, startCoturn} from './servers.mjs';
import {
  MEDIA_TIMEOUT_MS, expectFramesPresented, expectIceRestarted, expectRemoteVideoPlaying,
  iceUfrags, receivedVideoCodec, seated, selectedCandidateTypes, startCall, waitForText,
} from './steps.mjs';

const SERVER_AWAY = 'Reconnecting to the server';
const VERIFICATION = /^\d{4} \d{4} \d{4}$/;

/** @type {Record<string, import('puppeteer-core').Browser>} */
const browsers = {};
/** @type {import('puppeteer-core').Page[]} */
let pages = [];
let folder = '';
/** @type {SignalingServer} */
let server;

before(async () => {
  assertLoopbackOnly();
  folder = mkdtempSync(join(tmpdir(), 'visavis-crossbrowser-'));
  for (const name of /** @type {const} */ (['firefox', 'chromium'])) {
    const started = performance.now();
    browsers[name] = await launch(name);
    console.log(`# ${await browsers[name].version()} launched in ` +
      `${Math.round(performance.now() - started)} ms`);
  }
  server = await new SignalingServer(folder).start();
});

after(async () => {
  await server?.stop();
  await Promise.all(Object.values(browsers).map((browser) => browser.close()));
  if (folder) rmSync(folder, {recursive: true, force: true});
});

// Each test's people leave with it: a context per person, closed here.
afterEach(async () => {
  await Promise.all(pages.map((page) => page.browserContext().close().catch(() => {})));
  pages = [];
});

/** startCall, keeping the pages for afterEach and printing the set-up time. */
async function call(hostName, guestName, url = server.url, query = '') {
  const people = await startCall(browsers[hostName], browsers[guestName], url, query);
  pages.push(people.host, people.guest);
  console.log(`# set-up ${hostName} host, ${guestName} guest${query ? ` (${query})` : ''}: ` +
    `${people.setupMs} ms from "Join now" to both playing`);
  return people;
}

/** A page's WebSocket frames that contain a text, sent late (tests/shared). */
const LATE_SENDS = readFileSync(new URL('../shared/late-socket-sends.js', import.meta.url), 'utf8');

const hidden = (page, selector) => page.$eval(selector, (element) => element.hidden);

/** Bytes of the file sent across: big enough for many chunks and the backpressure path. */
const FILE_BYTES = 3_000_000;

/**
 * Drop a file of random bytes, made in the page, on the call (what the person's drag does;
 * no file dialog, so the same in both browsers); its SHA-256 in hex.
 * @param {import('puppeteer-core').Page} page @param {string} name @param {number} size
 */
const dropFile = (page, name, size) => page.evaluate(async (fileName, fileSize) => {
  const bytes = new Uint8Array(fileSize);
  for (let at = 0; at < fileSize; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(fileSize, at + 65536)));
  }
  const data = new DataTransfer();
  data.items.add(new File([bytes], fileName));
  const init = {dataTransfer: data, bubbles: true, cancelable: true};
  const view = /** @type {HTMLElement} */ (document.getElementById('call-view'));
  view.dispatchEvent(new DragEvent('dragover', init));
  view.dispatchEvent(new DragEvent('drop', init));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}, name, size);

/** The SHA-256 (hex) of what the last transfer's Save link gives the person. */
const savedDigest = (page) => page.evaluate(async () => {
  const links = document.querySelectorAll('#chat-log li.file a.file-save');
  const link = /** @type {HTMLAnchorElement} */ (links[links.length - 1]);
  const bytes = await (await fetch(link.href)).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
});

for (const [hostName, guestName] of [['firefox', 'chromium'], ['chromium', 'firefox']]) {
  describe(`${hostName} host, ${guestName} guest`, () => {
    test('both see each other; toggles, chat and verification codes cross over', async () => {
      const {host, guest} = await call(hostName, guestName);
      await waitForText(host, '#call-status', 'Connected.');
      console.log(`# codec received by the ${hostName} host: ${await receivedVideoCodec(host)}`);

      // The guest mutes and turns the camera off: the host is told over the DataChannel.
      await guest.locator('#toggle-mic').click();
      await guest.locator('#toggle-camera').click();
      await host.waitForFunction(() => !document.getElementById('remote-mic-off').hidden &&
        !document.getElementById('remote-camera-off').hidden);
      await guest.locator('#toggle-mic').click();
      await guest.locator('#toggle-camera').click();
      await host.waitForFunction(() => document.getElementById('remote-mic-off').hidden &&
        document.getElementById('remote-camera-off').hidden);
      await expectFramesPresented(host);

      // Chat, peer to peer, both ways.
      await host.locator('#toggle-chat').click();
      await host.locator('#chat-input').fill(`hello from ${hostName}`);
      await host.keyboard.press('Enter');
      await waitForText(guest, '#chat-badge', '1');
      await guest.locator('#toggle-chat').click();
      await waitForText(guest, '#chat-log', `hello from ${hostName}`);
      await guest.locator('#chat-input').fill(`hi from ${guestName}`);
      await guest.keyboard.press('Enter');
      await waitForText(host, '#chat-log', `hi from ${guestName}`);

      // Both derive the same code from the two DTLS fingerprints.
      const codes = [await waitForText(host, '#verification-code', VERIFICATION),
        await waitForText(guest, '#verification-code', VERIFICATION)];
      assert.equal(codes[0], codes[1]);
      assert.equal(await hidden(host, '#remote-mic-off'), true);

      // Each side's Details panel reads its own browser's stats shape.
      for (const page of [host, guest]) {
        await page.locator('#toggle-facts').click();
        await waitForText(page, '#fact-path', 'Direct (UDP)');
        await waitForText(page, '#fact-rtt', / ms$/);
      }
    });

    test('a file crosses over: offered, accepted, arrived identical', async () => {
      const {host, guest} = await call(hostName, guestName);
      const name = `from-${hostName}.bin`;

      const sent = await dropFile(host, name, FILE_BYTES);

      await guest.locator('#toggle-chat').click();
      await waitForText(guest, '#chat-log li.file .file-name', name);
      await guest.locator('#chat-log li.file .file-accept').click();
      await guest.waitForSelector('#chat-log li.file a.file-save', {timeout: MEDIA_TIMEOUT_MS});
      assert.equal(await savedDigest(guest), sent);
      // The sender's line says it is done (its own sentence, not the receiver's).
      await host.locator('#toggle-chat').click();
      await host.waitForSelector('#chat-log li.file[data-state=done]',
        {timeout: MEDIA_TIMEOUT_MS});
    });

    test('a reload takes the seat back', async () => {
      const {host, guest} = await call(hostName, guestName);

      await guest.reload();

      await expectRemoteVideoPlaying(guest);
      await expectRemoteVideoPlaying(host);
      assert.equal(await guest.$eval('#call-error', (element) => element.textContent), '');
      assert.equal(await seated(guest), true);
      // No click since the reload: audible autoplay may be refused, then it plays muted.
      const muted = await guest.$eval('#remote-video', (video) => video.muted);
      assert.equal(await hidden(guest, '#unmute-remote'), !muted);
      console.log(`# ${guestName} after a reload: remote audio ${muted ? 'muted' : 'audible'}`);
    });

    // From the Firefox side: one that Chromium offers to Firefox stalls what Chromium sends
    // until Firefox restarts itself (the test after this describe; docs/browsers.md, "Known
    // browser problems").
    test('an ICE restart forced from the Firefox side recovers', async () => {
      const people = await call(hostName, guestName);
      const [firefox, chromium] = hostName === 'firefox' ? [people.host, people.guest]
        : [people.guest, people.host];
      const before = await iceUfrags(firefox);

      await firefox.evaluate(() => window.visavis.restartIce());

      await expectIceRestarted(firefox, before);
      await expectIceRestarted(chromium, [before[1], before[0]]);
      await expectFramesPresented(firefox);
      await expectFramesPresented(chromium);
    });

    test('a server restart mid-call keeps media and resumes signaling', async () => {
      const own = await new SignalingServer(folder).start();
      try {
        const {host, guest} = await call(hostName, guestName, own.url);

        await own.stop('SIGKILL');

        for (const page of [host, guest]) await waitForText(page, '#call-status', SERVER_AWAY);
        // Media goes browser to browser: it does not notice the server is gone.
        for (const page of [host, guest]) await expectFramesPresented(page);
        assert.deepEqual([await seated(host), await seated(guest)], [false, false]);

        await own.start();
        await host.waitForFunction(() => window.visavis.seated, {timeout: MEDIA_TIMEOUT_MS});
        await guest.waitForFunction(() => window.visavis.seated, {timeout: MEDIA_TIMEOUT_MS});
        // Signaling works again: a reload needs the restarted server to negotiate anew.
        await guest.reload();
        await expectRemoteVideoPlaying(guest);
        await expectRemoteVideoPlaying(host);
      } finally {
        await own.stop();
      }
    });

    test('a relay-only call through coturn connects', async () => {
      const turn = await startCoturn(folder);
      const own = new SignalingServer(folder, {
        VISAVIS_TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`,
        VISAVIS_TURN_SECRET: turn.secret,
      });
      try {
        await own.start();
        // ?relay=1 (test and debug only): relayed candidates alone, through our coturn.
        const {host, guest} = await call(hostName, guestName, own.url, '?relay=1');

        assert.equal((await selectedCandidateTypes(host)).local, 'relay');
        assert.equal((await selectedCandidateTypes(guest)).local, 'relay');
        for (const page of [host, guest]) {
          await page.locator('#toggle-facts').click();
          await waitForText(page, '#fact-path', 'Relayed by the server (UDP)');
        }
      } finally {
        await own.stop();
        await turn.stop();
      }
    });
  });
}

// Firefox with Firefox once; Chromium with Chromium as the baseline for the set-up times.
for (const name of ['firefox', 'chromium']) {
  describe(`${name} host, ${name} guest`, () => {
    test('both see each other and the verification codes match', async () => {
      const {host, guest} = await call(name, name);

      const codes = [await waitForText(host, '#verification-code', VERIFICATION),
        await waitForText(guest, '#verification-code', VERIFICATION)];
      assert.equal(codes[0], codes[1]);
    });
  });
}

describe('chromium host, firefox guest: an ICE restart chromium offers', () => {
  // Chromium checks its new candidate against Firefox's old ones before the answer is back
  // and keeps sending to Firefox's old port, which Firefox's new generation stops reading
  // (docs/browsers.md). It happens whenever the answer comes after Chromium's own new
  // candidate, as on any real network: here the answer is held 400 ms.
  test('firefox, frozen by it, restarts ICE itself and the video comes back', async () => {
    const {host: chromium, guest: firefox} = await call('chromium', 'firefox');
    await firefox.evaluate(`(${LATE_SENDS})('"answer"', 400)`);
    const before = await iceUfrags(chromium);

    await chromium.evaluate(() => window.visavis.restartIce());

    await expectIceRestarted(chromium, before);
    // Frames Firefox decodes, every 0.5 s for 20 s: the freeze, then (the fix) its end.
    const decoded = [];
    for (let i = 0; i < 40; i += 1) {
      decoded.push(await firefox.evaluate(async () => [...(await window.visavis.peerConnection
        .getStats()).values()].find((s) => s.type === 'inbound-rtp' && s.kind === 'video')
        ?.framesDecoded ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    let longest = 0;
    for (let i = 0, since = 0; i < decoded.length; i += 1) {
      if (i > 0 && decoded[i] > decoded[i - 1]) since = i;
      longest = Math.max(longest, i - since);
    }
    console.log(`# firefox after chromium's ICE restart: longest time without a new frame ` +
      `${longest / 2} s, ${decoded.at(-1) - decoded[0]} frames in 20 s`);
    await expectFramesPresented(firefox, 5000);
    await expectFramesPresented(chromium, 5000);
  });
});

describe('firefox without navigator.connection', () => {
  test("the 'online' event alone restarts ICE after a network comes back", async () => {
    const {host: firefox, guest: chromium} = await call('firefox', 'chromium');
    assert.equal(await firefox.evaluate(() => 'connection' in navigator), false);
    const before = await iceUfrags(firefox);

    await firefox.evaluate(() => window.dispatchEvent(new Event('online')));

    await expectIceRestarted(firefox, before);
    await expectIceRestarted(chromium, [before[1], before[0]]);
    await expectFramesPresented(chromium);
  });
});
