// Steps of a call in any browser, the cross-browser twin of tests/browser/steps.py. They
// read the page and its test handle (`window.visavis`, see frontend/js/main.js) with
// standard APIs only: Firefox counts no frames in getVideoPlaybackQuality() for a live
// stream, so playback is judged by decoded frames and the element's clock.
import {openPerson} from './browsers.mjs';

export const MEDIA_TIMEOUT_MS = 45_000; // ICE, DTLS and first frames on a loaded 2-core machine
const CODE = /^[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}$/;

/** @typedef {import('puppeteer-core').Page} Page */

/** Wait until `selector`'s text matches. @param {Page} page @param {string} selector
 * @param {RegExp|string} expected a pattern, or a substring */
export async function waitForText(page, selector, expected, timeout = MEDIA_TIMEOUT_MS) {
  const [source, flags] = expected instanceof RegExp ? [expected.source, expected.flags]
    : [expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), ''];
  await page.waitForFunction((sel, pattern, patternFlags) =>
    new RegExp(pattern, patternFlags).test(document.querySelector(sel)?.textContent ?? ''),
  {timeout}, selector, source, flags);
  return page.$eval(selector, (element) => element.textContent);
}

/**
 * Press a button as soon as it is shown and enabled, through the DOM rather than at screen
 * coordinates: the lobby's layout still moves while the camera preview starts, and a
 * pointer click aimed a moment earlier can land beside the button (a lost "Join now").
 * @param {Page} page @param {string} selector
 */
export async function press(page, selector, timeout = 10_000) {
  await page.waitForFunction((sel) => {
    const button = document.querySelector(sel);
    return button instanceof HTMLButtonElement && !button.disabled && button.checkVisibility();
  }, {timeout}, selector);
  await page.$eval(selector, (button) => /** @type {HTMLButtonElement} */ (button).click());
}

/** Open the home page, start a meeting straight from the lobby: its code. @param {Page} host */
export async function startMeeting(host) {
  await press(host, '#new-meeting');
  await press(host, '#join-now');
  return waitForText(host, '#meeting-code', CODE, 10_000);
}

/**
 * Both people in one meeting, each seeing the other's camera: {host, guest, code,
 * setupMs}, where setupMs runs from the guest's click on "Join now" (its lobby loaded) to
 * both remote videos playing.
 */
export async function startCall(hostBrowser, guestBrowser, serverUrl, query = '') {
  const host = await openPerson(hostBrowser, `${serverUrl}/${query}`);
  const code = await startMeeting(host);
  const guest = await openPerson(guestBrowser, `${serverUrl}/${code}${query}`);
  const joined = performance.now();
  await press(guest, '#join-now');
  try {
    await expectRemoteVideoPlaying(host);
    await expectRemoteVideoPlaying(guest);
  } catch (error) {
    throw new Error(`${error.message}; the guest: ${JSON.stringify(await connectionState(guest))}`);
  }
  return {host, guest, code, setupMs: Math.round(performance.now() - joined)};
}

/** The remote video has a size and presents new frames. @param {Page} page */
export async function expectRemoteVideoPlaying(page, timeout = MEDIA_TIMEOUT_MS) {
  try {
    await page.waitForFunction(() => document.getElementById('remote-video').videoWidth > 0,
      {timeout});
  } catch (error) {
    throw new Error(`no remote video (${JSON.stringify(await connectionState(page))}): ` +
      error.message);
  }
  await expectFramesPresented(page, timeout);
}

/** What a failed wait reports: the connection's states, status line and candidate pairs. */
export const connectionState = (page) => page.evaluate(async () => {
  const pc = window.visavis.peerConnection;
  if (!pc) {
    return {url: location.href, status: document.getElementById('call-status').textContent,
      error: document.getElementById('call-error').textContent,
      lobby: document.getElementById('lobby-error').textContent};
  }
  const stats = [...(await pc.getStats()).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const end = (id) => {
    const candidate = byId.get(id);
    return `${candidate?.candidateType} ${candidate?.address}:${candidate?.port}`;
  };
  return {url: location.href, signaling: pc.signalingState, ice: pc.iceConnectionState,
    gathering: pc.iceGatheringState, connection: pc.connectionState,
    status: document.getElementById('call-status').textContent,
    pairs: stats.filter((s) => s.type === 'candidate-pair')
      .map((s) => `${end(s.localCandidateId)} -> ${end(s.remoteCandidateId)} ${s.state}`)};
});

/**
 * New frames are decoded and played: the video's inbound-rtp `framesDecoded` and the
 * element's `currentTime` both grow within `timeout` ms. Not requestVideoFrameCallback:
 * Firefox 153 stops calling it after an ICE restart while the picture still changes
 * (screenshots of the element differ).
 * @param {Page} page
 */
export async function expectFramesPresented(page, timeout = MEDIA_TIMEOUT_MS) {
  const sample = () => page.evaluate(async () => {
    const video = /** @type {HTMLVideoElement} */ (document.getElementById('remote-video'));
    const stats = [...(await window.visavis.peerConnection.getStats()).values()];
    const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
    return {decoded: inbound?.framesDecoded ?? 0, played: video.currentTime};
  });
  const first = await sample();
  const deadline = Date.now() + timeout;
  let last = first;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await sample();
    if (last.decoded > first.decoded && last.played > first.played) return;
  }
  throw new Error(`no new remote frames in ${timeout} ms: ${JSON.stringify({first, last})}`);
}

/** Whether the server holds this page's seat. @param {Page} page */
export const seated = (page) => page.evaluate(() => window.visavis.seated);

/** The local and remote ICE username fragments: an ICE restart changes both. */
export const iceUfrags = (page) => page.evaluate(() => {
  const pc = window.visavis.peerConnection;
  const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\S+)/)[1] ?? null;
  return [ufrag(pc.localDescription), ufrag(pc.remoteDescription)];
});

/** Wait until both ICE credentials differ from `old` and the call is connected again. */
export async function expectIceRestarted(page, old, timeout = MEDIA_TIMEOUT_MS) {
  try {
    await page.waitForFunction(([oldLocal, oldRemote]) => {
      const pc = window.visavis.peerConnection;
      const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\S+)/)[1] ?? null;
      return pc.signalingState === 'stable' && pc.connectionState === 'connected' &&
        ufrag(pc.localDescription) !== oldLocal && ufrag(pc.remoteDescription) !== oldRemote;
    }, {timeout}, old);
  } catch (error) {
    const state = await page.evaluate(() => {
      const pc = window.visavis.peerConnection;
      return {url: location.href, signaling: pc.signalingState, connection: pc.connectionState,
        status: document.getElementById('call-status').textContent};
    });
    throw new Error(`ICE did not restart (${JSON.stringify({old, now: await iceUfrags(page),
      ...state})}): ${error.message}`);
  }
}

/**
 * The candidate types of the pair in use, in either browser's stats shape (Chromium's
 * `transport` entry, Firefox's `selected` flag): {local, remote}.
 * @param {Page} page
 */
export const selectedCandidateTypes = (page) => page.evaluate(async () => {
  const stats = [...(await window.visavis.peerConnection.getStats()).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport ? byId.get(transport.selectedCandidatePairId)
    : stats.find((s) => s.type === 'candidate-pair' && s.selected);
  return {local: byId.get(pair.localCandidateId).candidateType,
    remote: byId.get(pair.remoteCandidateId).candidateType};
});

/** The video codec in use on what this page receives, e.g. "video/VP8". @param {Page} page */
export const receivedVideoCodec = (page) => page.evaluate(async () => {
  const stats = [...(await window.visavis.peerConnection.getStats()).values()];
  const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  return stats.find((s) => s.id === inbound?.codecId)?.mimeType ?? null;
});
