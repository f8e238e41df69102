// Data saver: the cap in the video sender's parameters, remembered, on every connection.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {DATA_SAVER, DATA_SAVER_KEY, DataSaver, capSender,
  videoSenders} from '../../frontend/js/bandwidth.js';
import {Peer} from '../../frontend/js/peer.js';
import {FakeSender, FakeStorage, FakeStream, FakeTrack, SenderPeerConnection,
  settle} from './fakes.mjs';

const makePeer = () => new Peer({polite: false, send: () => {},
  localStream: /** @type {any} */ (new FakeStream([new FakeTrack('audio'), new FakeTrack('video')])),
  RTCPeerConnection: SenderPeerConnection});
const senderOf = (peer) => peer.connection.videoSender;

test('the cap goes into the first encoding and comes out again', async () => {
  const sender = new FakeSender();
  assert.equal(await capSender(sender, true), true);
  assert.deepEqual(sender.parameters.encodings[0],
    {active: true, maxBitrate: 300_000, maxFramerate: 15});
  assert.equal(await capSender(sender, false), true);
  assert.deepEqual(sender.parameters.encodings[0], {active: true});
});

test('a sender with no encodings yet is left for the next negotiation, without an error',
  async () => {
    const sender = new FakeSender();
    sender.parameters.encodings = [];
    assert.equal(await capSender(sender, true), false);
  });

test('only video senders are capped, also one with no track (audio only)', () => {
  const peer = makePeer();
  const pc = peer.connection;
  pc.videoSender.track = null;
  assert.deepEqual(videoSenders(pc), [pc.videoSender]);
});

test('switched on, it is remembered and applied at once to the call', async () => {
  const storage = new FakeStorage();
  const saver = new DataSaver(() => storage);
  assert.equal(saver.on, false);
  const peer = makePeer();
  await saver.follow(peer);
  assert.equal(senderOf(peer).parameters.encodings[0].maxBitrate, undefined);
  await saver.set(true);
  assert.equal(senderOf(peer).parameters.encodings[0].maxBitrate, DATA_SAVER.maxBitrate);
  assert.equal(storage.getItem(DATA_SAVER_KEY), 'on');
  assert.equal(new DataSaver(() => storage).on, true, 'the next page has it on');
  const audio = peer.connection.list.find((t) => t.receiver.track.kind === 'audio').sender;
  assert.equal(audio.parameters.encodings[0].maxBitrate, undefined);
});

test('every new connection and every negotiation gets the cap again', async () => {
  const storage = new FakeStorage();
  storage.setItem(DATA_SAVER_KEY, 'on');
  const saver = new DataSaver(() => storage);
  const first = makePeer();
  await saver.follow(first);
  // A browser that resets the parameters on renegotiation: the next `negotiated` caps again.
  senderOf(first).parameters = {transactionId: 't2', encodings: [{active: true}]};
  first.dispatchEvent(new CustomEvent('negotiated', {detail: {}}));
  await settle();
  assert.equal(senderOf(first).parameters.encodings[0].maxBitrate, DATA_SAVER.maxBitrate);

  const second = makePeer(); // the other page reloaded
  await saver.follow(second);
  assert.equal(senderOf(second).parameters.encodings[0].maxFramerate, DATA_SAVER.maxFramerate);
  // The old connection is not touched any more.
  senderOf(first).parameters = {transactionId: 't3', encodings: [{active: true}]};
  first.dispatchEvent(new CustomEvent('negotiated', {detail: {}}));
  await settle();
  assert.equal(senderOf(first).parameters.encodings[0].maxBitrate, undefined);
});

test('blocked storage: off, and switching still works on this page', async () => {
  const blocked = () => {
    throw new Error('SecurityError');
  };
  const saver = new DataSaver(blocked);
  assert.equal(saver.on, false);
  await saver.set(true);
  assert.equal(saver.on, true);
});
