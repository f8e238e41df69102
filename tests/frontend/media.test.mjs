import assert from 'node:assert/strict';
import {test} from 'node:test';

import {constraint, getLocalMedia, mediaProblem} from '../../frontend/js/media.js';
import {strings} from '../../frontend/js/strings.js';

const failure = (name) => Object.assign(new Error(name), {name});
const fakeStream = (kinds) => ({getTracks: () => kinds.map((kind) => ({kind}))});

test('each getUserMedia failure is explained by a sentence in strings.js', () => {
  for (const name of ['NotAllowedError', 'SecurityError', 'NotFoundError', 'OverconstrainedError',
    'NotReadableError', 'AbortError']) {
    assert.equal(typeof strings[mediaProblem(failure(name))], 'string', name);
  }
  assert.equal(mediaProblem(failure('NotAllowedError')), 'mediaDenied');
  assert.equal(mediaProblem(failure('NotFoundError')), 'mediaMissing');
});

test('camera and microphone when both are there', async () => {
  const stream = fakeStream(['audio', 'video']);
  const result = await getLocalMedia({getUserMedia: async () => stream});
  assert.deepEqual(result, {stream, problem: null});
});

test('a refusal is not asked again', async () => {
  const asked = [];
  const result = await getLocalMedia({
    getUserMedia: async (constraints) => {
      asked.push(constraints);
      throw failure('NotAllowedError');
    },
  });
  assert.deepEqual(result, {stream: null, problem: 'mediaDenied'});
  assert.equal(asked.length, 1);
});

test('without a camera the microphone alone is used', async () => {
  const audio = fakeStream(['audio']);
  const result = await getLocalMedia({
    getUserMedia: async ({video}) => {
      if (video) throw failure('NotFoundError');
      return audio;
    },
  });
  assert.deepEqual(result, {stream: audio, problem: 'cameraMissing'});
});

test('without mediaDevices (no secure context) the call goes on without media', async () => {
  assert.deepEqual(await getLocalMedia(undefined), {stream: null, problem: 'mediaMissing'});
});

test('a busy camera still gives the microphone, and says the camera is busy', async () => {
  const audio = fakeStream(['audio']);
  const result = await getLocalMedia({
    getUserMedia: async ({video}) => {
      if (video) throw failure('NotReadableError');
      return audio;
    },
  });
  assert.deepEqual(result, {stream: audio, problem: 'cameraBusy'});
});

test('plain HTTP is named as the reason when the browser hides mediaDevices', async () => {
  globalThis.isSecureContext = false;
  try {
    assert.deepEqual(await getLocalMedia(undefined), {stream: null, problem: 'insecure'});
  } finally {
    delete globalThis.isSecureContext;
  }
});

test('the devices picked in the lobby are asked for exactly', async () => {
  const asked = [];
  await getLocalMedia({getUserMedia: async (constraints) => asked.push(constraints)},
    {audio: 'mic-2', video: 'cam-1'});
  assert.deepEqual(asked[0].audio.deviceId, {exact: 'mic-2'});
  assert.deepEqual(asked[0].video.deviceId, {exact: 'cam-1'});
  assert.equal(constraint('audio').deviceId, undefined);
});

test('echo cancellation is always asked for; noise suppression as the person chose', async () => {
  assert.deepEqual(constraint('audio'), {echoCancellation: true, noiseSuppression: true});
  const off = {echoCancellation: /** @type {true} */ (true), noiseSuppression: false};
  assert.deepEqual(constraint('audio', 'mic-2', false, off),
    {echoCancellation: true, noiseSuppression: false, deviceId: {exact: 'mic-2'}});
  const asked = [];
  // The camera refused: the microphone alone keeps the same processing.
  await getLocalMedia({getUserMedia: async (constraints) => {
    asked.push(constraints);
    if (constraints.video) throw Object.assign(new Error(), {name: 'NotFoundError'});
    return {};
  }}, {}, off);
  assert.deepEqual(asked.map(({audio}) => audio), [off, off]);
});
