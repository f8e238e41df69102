import assert from 'node:assert/strict';
import {test} from 'node:test';

import {Peer} from '../../frontend/js/peer.js';
import {FakePeerConnection} from './fakes.mjs';

function makePeer({polite = true, localStream = null, iceServers = [], waitForOffer = false,
  relayOnly = false} = {}) {
  const sent = []; // payloads without their `session`, which is checked on its own
  const sessions = new Set();
  const errors = [];
  const peer = new Peer({
    polite, localStream, iceServers, waitForOffer, relayOnly,
    send: ({session, ...data}) => {
      sessions.add(session);
      sent.push(structuredClone(data));
    },
    RTCPeerConnection: FakePeerConnection,
  });
  peer.addEventListener('error', ({detail}) => errors.push(detail));
  return {peer, pc: FakePeerConnection.last, sent, sessions, errors};
}

const stream = (...kinds) => {
  const tracks = kinds.map((kind) => ({kind}));
  return {getTracks: () => tracks};
};
const offer = (sdp = 'their offer') => ({description: {type: 'offer', sdp}});
const candidate = (name) => ({candidate: {candidate: name, sdpMid: '0', sdpMLineIndex: 0}});

test('the ICE servers are exactly the ones the server gave', () => {
  const iceServers = [{urls: ['turn:turn.test:3478'], username: 'u', credential: 'c'}];
  const {pc} = makePeer({iceServers});
  assert.deepEqual(pc.configuration, {iceServers});
});

test('local tracks are sent; no transceivers are added when both kinds are there', () => {
  const local = stream('audio', 'video');
  const {pc} = makePeer({localStream: local});
  assert.deepEqual(pc.senders.map(({track, stream: s}) => [track.kind, s]),
    [['audio', local], ['video', local]]);
  assert.deepEqual(pc.transceivers, []);
});

test('without local media the peer still receives audio and video', () => {
  assert.deepEqual(makePeer().pc.transceivers,
    [{kind: 'audio', direction: 'recvonly'}, {kind: 'video', direction: 'recvonly'}]);
  assert.deepEqual(makePeer({localStream: stream('audio')}).pc.transceivers,
    [{kind: 'video', direction: 'recvonly'}]);
});

test('negotiationneeded sends an offer', async () => {
  const {pc, sent} = makePeer();
  await pc.onnegotiationneeded();
  assert.deepEqual(sent, [{description: {type: 'offer', sdp: 'offer 1'}}]);
});

test('a newcomer waits for the first offer, then negotiates as usual', async () => {
  const {peer, pc, sent} = makePeer({waitForOffer: true, localStream: stream('audio', 'video')});
  await pc.onnegotiationneeded();
  assert.deepEqual(sent, [], 'no offer of its own before the other peer offers');

  await peer.handleSignal(offer());
  await pc.onnegotiationneeded();

  assert.deepEqual(sent, [
    {description: {type: 'answer', sdp: 'answer to their offer'}},
    {description: {type: 'offer', sdp: 'offer 1'}},
  ]);
});

test('an offer is answered', async () => {
  const {peer, pc, sent} = makePeer({polite: false});
  await peer.handleSignal(offer());
  assert.equal(pc.signalingState, 'stable');
  assert.deepEqual(sent, [{description: {type: 'answer', sdp: 'answer to their offer'}}]);
});

test('candidates that arrive before the remote description are added after it, in order',
  async () => {
    const {peer, pc, errors} = makePeer();
    await peer.handleSignal(candidate('c1'));
    await peer.handleSignal(candidate('c2'));
    assert.deepEqual(pc.added, [], 'not added without a remote description');

    await peer.handleSignal(offer());
    await peer.handleSignal(candidate('c3'));

    assert.deepEqual(pc.added.map((c) => c.candidate), ['c1', 'c2', 'c3']);
    assert.deepEqual(errors, []);
  });

test('glare: the impolite peer ignores an offer while making its own', async () => {
  const {peer, pc, sent} = makePeer({polite: false});
  const making = pc.onnegotiationneeded();
  await peer.handleSignal(offer());
  await making;
  assert.deepEqual(sent, [{description: {type: 'offer', sdp: 'offer 1'}}]);
  assert.equal(pc.remoteDescription, null);
  assert.equal(pc.signalingState, 'have-local-offer');
});

test('glare: the polite peer drops its own offer and answers', async () => {
  const {peer, pc, sent} = makePeer({polite: true});
  const making = pc.onnegotiationneeded();
  await peer.handleSignal(offer());
  await making;
  assert.equal(pc.remoteDescription.type, 'offer');
  assert.deepEqual(sent.at(-1), {description: {type: 'answer', sdp: 'answer to their offer'}});
});

test('candidates of an ignored offer may fail quietly; others are reported', async () => {
  const {peer, pc, errors} = makePeer({polite: false});
  await pc.onnegotiationneeded();
  await peer.handleSignal(offer()); // ignored: we have an offer out
  await peer.handleSignal(candidate('bad'));
  await peer.handleSignal({description: {type: 'answer', sdp: 'their answer'}});
  assert.deepEqual(errors, []);

  await peer.handleSignal(candidate('bad'));
  assert.equal(errors.length, 1);
  assert.equal(errors[0].name, 'OperationError');
});

test('the remote stream is announced when a track arrives', () => {
  const {pc, peer} = makePeer();
  const remote = {id: 'remote'};
  const streams = [];
  peer.addEventListener('remotestream', ({detail}) => streams.push(detail));
  pc.ontrack({track: {kind: 'video'}, streams: [remote]});
  assert.deepEqual(streams, [remote]);
});

test('ICE candidates are trickled; the end-of-candidates null is not sent', () => {
  const {pc, sent} = makePeer();
  pc.onicecandidate({candidate: {candidate: 'c1', sdpMid: '0', sdpMLineIndex: 0}});
  pc.onicecandidate({candidate: null});
  assert.deepEqual(sent, [{candidate: {candidate: 'c1', sdpMid: '0', sdpMLineIndex: 0}}]);
});

test('a failed connection restarts ICE and the state is reported', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {pc, peer} = makePeer();
  const states = [];
  peer.addEventListener('connectionstatechange', ({detail}) => states.push(detail));
  pc.connectionState = 'failed';
  pc.onconnectionstatechange();
  assert.equal(pc.iceRestarts, 1);
  assert.deepEqual(states, ['failed']);
});

test('after close, signals are ignored and nothing is reported', async () => {
  const {peer, pc, sent, errors} = makePeer();
  peer.close();
  await peer.handleSignal(offer());
  assert.equal(pc.signalingState, 'closed');
  assert.deepEqual(sent, []);
  assert.deepEqual(errors, []);
  assert.equal(pc.onnegotiationneeded, null);
});

test('relay-only asks for relayed candidates alone', () => {
  const {pc} = makePeer({relayOnly: true});
  assert.deepEqual(pc.configuration, {iceServers: [], iceTransportPolicy: 'relay'});
});

test('every payload carries the id of its connection, and of the receiving one once known',
  async () => {
    const {peer, sent, sessions} = makePeer({polite: false});
    peer.hello();
    await peer.handleSignal({session: 'theirs', ...offer()});
    assert.deepEqual(sent, [{},
      {to: 'theirs', description: {type: 'answer', sdp: 'answer to their offer'}}]);
    assert.deepEqual([...sessions], [peer.session]);
    assert.notEqual(makePeer().peer.session, peer.session);
  });

test('once negotiated, payloads from another connection mean the other page reloaded',
  async () => {
    const {peer} = makePeer({polite: false});
    assert.equal(peer.isFromAnotherConnection({session: 'a'}), false, 'a fresh peer takes any');
    await peer.handleSignal({session: 'a'}); // hello
    assert.equal(peer.isFromAnotherConnection({session: 'b'}), false, 'not negotiated yet');

    await peer.handleSignal({session: 'b', ...offer()});

    assert.equal(peer.negotiated, true);
    assert.equal(peer.isFromAnotherConnection({session: 'b', to: peer.session}), false);
    assert.equal(peer.isFromAnotherConnection({session: 'c'}), true, 'a new page says hello');
    assert.equal(peer.isFromAnotherConnection({session: 'c', to: 'an old one of ours'}), false,
      'meant for a connection of ours that no longer exists: just dropped');
  });

test('payloads meant for another connection of ours are dropped', async () => {
  const {peer, pc, sent} = makePeer({polite: false});
  await peer.handleSignal({session: 'theirs', to: 'not us', ...offer()});
  assert.equal(pc.remoteDescription, null);
  assert.deepEqual(sent, []);
});

test('candidates of a replaced connection are dropped before they are added', async () => {
  const {peer, pc, errors} = makePeer({polite: false});
  await peer.handleSignal({session: 'old', ...candidate('old-1')});
  await peer.handleSignal({session: 'new', ...offer()});
  await peer.handleSignal({session: 'new', ...candidate('new-1')});
  assert.deepEqual(pc.added.map((c) => c.candidate), ['new-1']);
  assert.deepEqual(errors, []);
});

test('stable with both descriptions announces them (for the verification code)', async (t) => {
  const {peer, pc} = makePeer({polite: false});
  const seen = [];
  peer.addEventListener('negotiated', ({detail}) => seen.push(detail));
  await peer.handleSignal(offer('remote sdp'));
  t.mock.timers.enable({apis: ['setTimeout']});
  pc.onsignalingstatechange();
  assert.deepEqual(seen, [{local: 'answer to remote sdp', remote: 'remote sdp'}]);
});

function states(t) {
  t.mock.timers.enable({apis: ['setTimeout']});
  const made = makePeer();
  const events = [];
  made.peer.addEventListener('connectionstatechange', ({detail}) => events.push(detail));
  made.peer.addEventListener('gaveup', ({detail}) => events.push(`gaveup: ${detail}`));
  const become = (state, ice = 'checking') => {
    made.pc.connectionState = state;
    made.pc.iceConnectionState = ice;
    made.pc.onconnectionstatechange();
  };
  return {...made, events, become};
}

test('a call that broke restarts ICE twice, then gives up until it connects again', (t) => {
  const {pc, events, become} = states(t);
  become('connected');

  become('failed');
  become('failed');
  become('failed');
  assert.equal(pc.iceRestarts, 2);
  assert.deepEqual(events, ['connected', 'failed', 'failed', 'gaveup: network', 'failed']);

  become('connected');
  become('failed');
  assert.equal(pc.iceRestarts, 3, 'a connection that recovered gets its restarts back');
});

test('a call that never connected gets one ICE restart; DTLS failing is told apart', (t) => {
  const {pc, events, become} = states(t);
  become('failed');
  become('failed', 'connected');
  assert.equal(pc.iceRestarts, 1);
  assert.deepEqual(events, ['failed', 'gaveup: security', 'failed']);
});

test('negotiated but never connecting counts as failed (no candidate pair at all)',
  async (t) => {
    const {peer, pc} = makePeer();
    const events = [];
    peer.addEventListener('gaveup', ({detail}) => events.push(`gaveup: ${detail}`));
    await peer.handleSignal(offer());
    t.mock.timers.enable({apis: ['setTimeout']});
    pc.onsignalingstatechange();
    t.mock.timers.tick(9999);
    assert.equal(pc.iceRestarts, 0);
    t.mock.timers.tick(1);
    assert.equal(pc.iceRestarts, 1);
    t.mock.timers.tick(10000);
    assert.deepEqual(events, ['gaveup: network']);
  });

test('disconnected for a few seconds restarts ICE; reconnecting in time does not', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {pc} = makePeer();
  const become = (state) => {
    pc.connectionState = state;
    pc.onconnectionstatechange();
  };

  become('disconnected');
  t.mock.timers.tick(2000);
  become('connected');
  t.mock.timers.tick(5000);
  assert.equal(pc.iceRestarts, 0);

  become('disconnected');
  t.mock.timers.tick(3000);
  assert.equal(pc.iceRestarts, 1);
});

test('recover() re-sends an offer that may have been lost and restarts a broken path',
  async (t) => {
    const {peer, pc, sent} = makePeer();
    await pc.onnegotiationneeded();
    peer.recover();
    assert.deepEqual(sent, [{description: {type: 'offer', sdp: 'offer 1'}},
      {description: {type: 'offer', sdp: 'offer 1'}}]);

    await peer.handleSignal({description: {type: 'answer', sdp: 'their answer'}});
    t.mock.timers.enable({apis: ['setTimeout']});
    pc.connectionState = 'disconnected';
    peer.recover();
    assert.equal(pc.iceRestarts, 1);
    assert.equal(sent.length, 2, 'stable: nothing to re-send');
  });

test('one negotiated control channel carries JSON messages both ways', () => {
  const {peer, pc} = makePeer();
  const [channel] = pc.channels;
  assert.deepEqual({label: channel.label, negotiated: channel.negotiated, id: channel.id},
    {label: 'control', negotiated: true, id: 0});
  const received = [];
  peer.addEventListener('control', ({detail}) => received.push(detail));

  peer.sendControl({type: 'media', mic: false, camera: true});
  assert.deepEqual(channel.sent, [], 'nothing is sent before the channel opens');
  channel.readyState = 'open';
  peer.sendControl({type: 'media', mic: false, camera: true});
  channel.onmessage({data: '{"type":"media","mic":true,"camera":false}'});
  channel.onmessage({data: '{"type":"chat","text":"hi"}'});
  channel.onmessage({data: 'not json'});
  channel.onmessage({data: '{"no":"type"}'});

  assert.deepEqual(channel.sent, [{type: 'media', mic: false, camera: true}]);
  assert.deepEqual(received, [{type: 'media', mic: true, camera: false},
    {type: 'chat', text: 'hi'}]);
});

test('a renegotiation does not extend the wait for a connection', async (t) => {
  const {peer, pc} = makePeer();
  await peer.handleSignal(offer());
  t.mock.timers.enable({apis: ['setTimeout']});
  pc.onsignalingstatechange();
  t.mock.timers.tick(6000);
  pc.onsignalingstatechange(); // the other side renegotiated
  t.mock.timers.tick(4000);
  assert.equal(pc.iceRestarts, 1);
});
