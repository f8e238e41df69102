// Noise suppression: remembered on this device, asked for with every microphone, and a
// microphone in use opened again with it; echo cancellation is always asked for.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {LocalMedia, NOISE_SUPPRESSION_KEY} from '../../frontend/js/local-media.js';
import {FakeMediaDevices, FakeStorage} from './fakes.mjs';

async function withStream(storage = new FakeStorage()) {
  const mediaDevices = new FakeMediaDevices();
  const media = new LocalMedia({mediaDevices, storage: () => storage});
  const request = media.request();
  media.settle(request, (await request).stream);
  return {media, mediaDevices, storage};
}

test('on by default, with echo cancellation', async () => {
  const {mediaDevices} = await withStream();
  assert.deepEqual(mediaDevices.asked[0].audio, {echoCancellation: true, noiseSuppression: true});
});

test('switched off, it is remembered and the first microphone of the next page has it off',
  async () => {
    const {media, storage} = await withStream();
    await media.setNoiseSuppression(false);
    assert.equal(storage.getItem(NOISE_SUPPRESSION_KEY), 'off');
    const next = await withStream(storage);
    assert.deepEqual(next.mediaDevices.asked[0].audio,
      {echoCancellation: true, noiseSuppression: false});
  });

test('the microphone in use is stopped before it is asked for again with the new setting',
  async () => {
    const {media, mediaDevices} = await withStream();
    const old = media.stream.getAudioTracks()[0];
    let liveWhenAsked = null;
    mediaDevices.refuse = (kind, deviceId, live) => {
      liveWhenAsked = live.length;
      return null;
    };
    assert.equal(await media.setNoiseSuppression(false), true);
    assert.equal(liveWhenAsked, 0, 'Chromium would hand the old processing to a second track');
    assert.equal(old.stopped, true);
    const mic = media.stream.getAudioTracks()[0];
    assert.notEqual(mic, old);
    assert.deepEqual(mediaDevices.asked.at(-1).audio,
      {echoCancellation: true, noiseSuppression: false, deviceId: {exact: 'audio-1'}});
  });

test('blocked storage: on, and the switch still works on this page', async () => {
  const blocked = () => {
    throw new Error('SecurityError');
  };
  const media = new LocalMedia({mediaDevices: new FakeMediaDevices(), storage: blocked});
  assert.equal(media.audio.noiseSuppression, true);
  assert.equal(await media.setNoiseSuppression(false), true);
  assert.equal(media.audio.noiseSuppression, false);
});
