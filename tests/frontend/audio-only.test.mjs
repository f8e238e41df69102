// Audio only between two pages, one of them played by the test on the control channel;
// the camera is LocalMedia over fake devices, the connection a real Peer over a fake one.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {AudioOnly} from '../../frontend/js/audio-only.js';
import {LocalMedia} from '../../frontend/js/local-media.js';
import {Peer} from '../../frontend/js/peer.js';
import {FakeMediaDevices, FakeStorage, SenderPeerConnection, openControl,
  settle} from './fakes.mjs';

/** This page in a call: camera and microphone, a Peer with an open control channel. */
async function inCall() {
  const mediaDevices = new FakeMediaDevices();
  /** @type {Peer|null} */
  let peer = null;
  const media = new LocalMedia({mediaDevices, peer: () => peer,
    storage: () => new FakeStorage()});
  const request = media.request();
  media.settle(request, (await request).stream);
  peer = new Peer({polite: false, localStream: media.stream, send: () => {},
    RTCPeerConnection: SenderPeerConnection});
  const pc = /** @type {SenderPeerConnection} */ (/** @type {unknown} */ (peer.connection));
  const channel = openControl(pc);
  const audioOnly = new AudioOnly(media);
  const changes = [];
  audioOnly.addEventListener('change', ({detail}) => changes.push(detail));
  audioOnly.addEventListener('videoback', () => changes.push('videoback'));
  audioOnly.follow(peer);
  /** What the other page hears, by type. */
  const heard = (type) => channel.sent.filter((message) => message.type === type);
  /** The other page says something. */
  const say = (message) => channel.onmessage({data: JSON.stringify(message)});
  return {media, mediaDevices, peer, pc, channel, audioOnly, changes, heard, say};
}

test('switching audio only on stops the camera, sends no video, and asks the other side',
  async () => {
    const call = await inCall();
    const camera = call.media.stream.getVideoTracks()[0];
    await call.audioOnly.set(true);
    await settle();
    assert.equal(camera.stopped, true, 'stopped, so its light goes off');
    assert.equal(call.media.stream.getVideoTracks().length, 0);
    assert.equal(call.pc.videoSender.track, null, 'the sender sends nothing');
    assert.equal(call.pc.offers, 0, 'nothing renegotiated');
    assert.deepEqual(call.heard('audio-only'), [{type: 'audio-only', on: true}]);
    assert.equal(call.heard('media').at(-1).camera, false);
    assert.deepEqual(call.changes, [{on: true, by: 'me'}]);
  });

test('the other side switching audio only on is obeyed at once', async () => {
  const call = await inCall();
  const camera = call.media.stream.getVideoTracks()[0];
  call.say({type: 'audio-only', on: true});
  await settle();
  assert.equal(camera.stopped, true);
  assert.equal(call.pc.videoSender.track, null);
  assert.deepEqual(call.changes, [{on: true, by: 'them'}]);
  assert.deepEqual(call.heard('audio-only'), [], 'no echo back');
});

test('their video back on is told, never obeyed: only this person turns this camera on',
  async () => {
    const call = await inCall();
    call.media.toggle('video'); // the camera was muted before audio only
    call.say({type: 'audio-only', on: true});
    await settle();
    const asked = call.mediaDevices.asked.length;
    call.say({type: 'audio-only', on: false});
    await settle();
    assert.deepEqual(call.changes, [{on: true, by: 'them'}, 'videoback']);
    assert.equal(call.mediaDevices.asked.length, asked, 'no camera asked for');
    assert.equal(call.audioOnly.on, true);

    await call.audioOnly.set(false);
    await settle();
    const camera = call.media.stream.getVideoTracks()[0];
    assert.equal(camera.readyState, 'live');
    assert.equal(camera.enabled, false, 'back as it was: muted');
    assert.equal(call.pc.videoSender.track, camera);
    assert.deepEqual(call.heard('audio-only'), [{type: 'audio-only', on: false}]);
    assert.deepEqual(call.changes.at(-1), {on: false, by: 'me'});
  });

test('a new connection is told the call is audio only when its control channel opens',
  async () => {
    const call = await inCall();
    await call.audioOnly.set(true);
    const next = new Peer({polite: false, localStream: call.media.stream, send: () => {},
      RTCPeerConnection: SenderPeerConnection});
    call.audioOnly.follow(next);
    const channel = openControl(next.connection);
    assert.deepEqual(channel.sent.filter(({type}) => type === 'audio-only'),
      [{type: 'audio-only', on: true}]);
    // The old connection's messages no longer count.
    call.say({type: 'audio-only', on: false});
    assert.equal(call.changes.includes('videoback'), false);
  });

test('a camera picked while audio only opens when video comes back, not before', async () => {
  const call = await inCall();
  await call.audioOnly.set(true);
  const asked = call.mediaDevices.asked.length;
  assert.equal(await call.media.switchDevice('video', 'video-2'), true);
  assert.equal(call.mediaDevices.asked.length, asked);
  assert.equal(call.pc.videoSender.track, null);
  await call.audioOnly.set(false);
  assert.equal(call.media.stream.getVideoTracks()[0].deviceId, 'video-2');
});

test('the end of the call switches audio only off for the next one', async () => {
  const call = await inCall();
  await call.audioOnly.set(true);
  call.media.stop();
  call.audioOnly.reset();
  assert.equal(call.audioOnly.on, false);
  assert.equal(call.media.cameraStopped, false);
  assert.deepEqual(call.changes.at(-1), {on: false, by: 'me'});
});
