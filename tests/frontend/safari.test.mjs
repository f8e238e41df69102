// Safari's rules for calls that a static look can check (docs/browsers.md lists them all;
// Safari itself cannot run here: WebKitGTK in Debian has no RTCPeerConnection).
import assert from 'node:assert/strict';
import {readFileSync, readdirSync} from 'node:fs';
import {test} from 'node:test';

const FRONTEND = new URL('../../frontend/', import.meta.url);
const read = (path) => readFileSync(new URL(path, FRONTEND), 'utf8');
const MODULES = readdirSync(new URL('js/', FRONTEND)).filter((name) => name.endsWith('.js'))
  .map((name) => ({name, source: read(`js/${name}`)}));

test('every <video> plays inline: without playsinline iOS Safari goes full screen', () => {
  const videos = read('index.html').match(/<video\b[^>]*>/g);
  assert.ok(videos.length >= 3, 'the lobby, remote and local videos');
  for (const video of videos) {
    assert.match(video, /\splaysinline[\s>]/, video);
    assert.match(video, /\sautoplay[\s>]/, video);
  }
  // Videos made in script (the Document Picture-in-Picture window's) say the same.
  const made = MODULES.filter(({source}) => /createElement\(\s*['"](video|audio)['"]/.test(source));
  for (const {name, source} of made) {
    assert.match(source, /\.playsInline = true;/, name);
    assert.match(source, /\.autoplay = true;/, name);
  }
});

test('no code path requires setSinkId (iOS Safari has none): calls are optional', () => {
  const calls = MODULES.flatMap(({name, source}) =>
    [...source.matchAll(/\.setSinkId\b(\?\.)?/g)].map((match) => ({name, optional: !!match[1]})));
  assert.ok(calls.length > 0, 'the speaker choice exists');
  for (const call of calls) assert.ok(call.optional, `${call.name}: setSinkId?.(...)`);
  // And the speaker picker is hidden where the browser cannot choose.
  assert.match(read('js/lobby.js'), /'setSinkId' in HTMLMediaElement\.prototype/);
});

test('no codec list that could drop H.264 (the only video codec some iPhones encode in hardware)', () => {
  for (const {name, source} of MODULES) {
    // Codec filtering, by the API or by rewriting the SDP, would need its own browser test
    // proving H.264 stays offered.
    assert.doesNotMatch(source, /setCodecPreferences|getCapabilities|a=rtpmap|a=fmtp/, name);
    assert.doesNotMatch(source, /\.sdp\s*\.replace|sdp:\s*[\w.]+\.replace/, name);
  }
});

test('audible autoplay refused (no gesture, e.g. a reload mid-call) falls back to muted', () => {
  const ui = read('js/ui.js');
  assert.match(ui, /error\.name !== 'NotAllowedError'/);
  assert.match(read('index.html'), /id="unmute-remote"/);
});
