// The call session driven as the browser would: a fake socket stands in for the server,
// a fake RTCPeerConnection for the other browser.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {CallSession} from '../../frontend/js/session.js';
import {FakeLocks, FakeMediaDevices, FakeStorage, FakeStream, FakeTrack, FakeWebSocket,
  QuickPeerConnection, settle} from './fakes.mjs';

const ROOM = 'abcd-efgh-jkmn';
const TURN = [{urls: ['turn:turn.test:3478'], username: 'u1', credential: 'c1'}];


function makeSession({storage = new FakeStorage(), locks = undefined} = {}) {
  const sockets = FakeWebSocket.instances = [];
  QuickPeerConnection.made = [];
  const polls = [];
  const clock = {setInterval: (poll) => polls.push(poll), clearInterval: () => {}};
  const mediaDevices = new FakeMediaDevices();
  const session = new CallSession({url: 'wss://meet.example.org/ws', WebSocket: FakeWebSocket,
    RTCPeerConnection: QuickPeerConnection, mediaDevices, storage: () => storage, clock, locks});
  const events = [];
  for (const type of ['phase', 'meeting', 'joined', 'status', 'callerror', 'lobbyerror',
    'waiting', 'preview', 'local', 'controls', 'devices', 'remotestream', 'remotemedia',
    'remotename', 'chat', 'verification', 'facts']) {
    session.addEventListener(type, ({detail}) => events.push([type, detail]));
  }
  const last = (type) => events.findLast(([seen]) => seen === type)?.[1];
  // This session's sockets, also when another session (a second tab) was made after it.
  const server = () => sockets.at(-1);
  const sent = (type) => sockets.flatMap((socket) => socket.sent)
    .filter((frame) => frame.type === type);
  return {session, storage, mediaDevices, events, last, server, sent, polls,
    peers: QuickPeerConnection.made};
}

const joined = (fields = {}) => ({type: 'joined', room: ROOM, polite: false,
  peer_present: false, resume: 'token-1', resumed: false, ice_servers: TURN, ...fields});

/** In the room, alone: the lobby, Join, the server's `joined`. */
async function seatedAlone(fields, made = makeSession()) {
  made.session.openLobby(ROOM);
  await settle();
  made.session.join('Ada');
  await settle();
  made.server().serverOpens();
  made.server().serverSends(joined(fields));
  return made;
}

/** In the room with the other person, the connection negotiated and connected. */
async function inCall(made) {
  const call = await seatedAlone({}, made);
  call.server().serverSends({type: 'peer-joined', resumed: false});
  const pc = call.peers.at(-1);
  await pc.onnegotiationneeded();
  call.server().serverSends({type: 'signal', data: {session: 'theirs', to: undefined,
    description: {type: 'answer', sdp: 'their answer'}}});
  await settle();
  pc.connectionState = 'connected';
  pc.onconnectionstatechange();
  return {...call, pc};
}

test('join: the lobby previews, Join asks for the seat, and the seat waits for the other person',
  async () => {
    const {session, storage, mediaDevices, last, server, sent} = makeSession();
    session.openLobby(ROOM);
    await settle();
    assert.equal(session.phase, 'lobby');
    assert.equal(last('preview'), mediaDevices.streams[0]);

    session.join('Ada');
    await settle();
    assert.equal(session.phase, 'joining');
    assert.equal(mediaDevices.streams.length, 1, 'the preview stream goes on into the call');
    server().serverOpens();
    assert.deepEqual(sent('join'), [{type: 'join', room: ROOM}]);
    server().serverSends(joined());

    assert.equal(session.phase, 'in-room');
    assert.equal(last('joined'), ROOM);
    assert.equal(last('status'), 'waiting');
    assert.equal(last('waiting'), 'waiting');
    assert.equal(session.peerConnection, null, 'no connection before the other person comes');
    assert.equal(storage.getItem(`visavis.resume.${ROOM}`), 'token-1');
    assert.equal(storage.getItem('visavis.name'), 'Ada');
  });

test('the other person joins: we offer with the given ICE servers, then show connected',
  async () => {
    const {last, sent, pc} = await inCall();
    assert.deepEqual(pc.configuration, {iceServers: TURN});
    const [offer] = sent('signal');
    assert.equal(offer.data.description.type, 'offer');
    assert.equal(pc.remoteDescription.sdp, 'their answer');
    assert.equal(last('status'), 'connected');
    assert.equal(last('waiting'), null);
  });

test('reload: a stored resume token takes the seat back at once, without the lobby',
  async () => {
    const storage = new FakeStorage();
    storage.setItem(`visavis.resume.${ROOM}`, 'token-0');
    storage.setItem('visavis.name', 'Ada');
    const {session, events, server, sent, peers} = makeSession({storage});

    session.open(ROOM);
    await settle();
    server().serverOpens();
    assert.deepEqual(sent('join'), [{type: 'join', room: ROOM, resume: 'token-0'}]);
    assert.ok(!events.some(([type, detail]) => type === 'phase' && detail.phase === 'lobby'));
    // Our old connection died with the page: the one already there offers to the new one.
    server().serverSends(joined({peer_present: true, resume: 'token-2'}));

    assert.equal(peers.length, 1);
    const [hello] = sent('signal');
    assert.equal(hello.data.description, undefined, 'a hello, not an offer');
    assert.ok(hello.data.session);
    await peers[0].onnegotiationneeded();
    assert.equal(sent('signal').length, 1, 'the newcomer waits for the offer');
    assert.equal(storage.getItem(`visavis.resume.${ROOM}`), 'token-2');
  });

test('a link opened afresh shows the lobby', async () => {
  const {session} = makeSession();
  session.open(ROOM);
  await settle();
  assert.equal(session.phase, 'lobby');
});

test('socket drop: the call goes on, the seat is resumed and the same connection kept',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, last, server, sent, pc, peers} = await inCall();
    server().serverCloses(1006);
    assert.equal(session.phase, 'in-room');
    assert.equal(last('status'), 'serverReconnecting');
    assert.equal(pc.signalingState, 'stable', 'the media keeps flowing');

    t.mock.timers.tick(3000);
    server().serverOpens();
    assert.deepEqual(sent('join').at(-1), {type: 'join', room: ROOM, resume: 'token-1'});
    const signals = sent('signal').length;
    server().serverSends(joined({peer_present: true, resumed: true}));

    assert.equal(session.peerConnection, pc);
    assert.equal(peers.at(-1), pc, 'no new connection');
    assert.equal(sent('signal').length, signals + 1, 'a hello tells them which one is ours');
    assert.equal(last('status'), 'connected');
  });

test('server restart: room-restoring is asked again quietly, and the seat comes back',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, events, last, server, sent, pc} = await inCall();
    server().serverCloses(1012);
    t.mock.timers.tick(3000);
    server().serverOpens();
    const errorsBefore = events.filter(([type]) => type === 'callerror').length;
    server().serverSends({type: 'error', code: 'room-restoring', message: 'wait',
      retry_after: 2});

    assert.equal(events.filter(([type]) => type === 'callerror').length, errorsBefore);
    assert.equal(session.phase, 'in-room');
    assert.equal(last('status'), 'serverReconnecting');
    server().serverCloses(1000);
    t.mock.timers.tick(2000);
    server().serverOpens();
    assert.deepEqual(sent('join').at(-1), {type: 'join', room: ROOM, resume: 'token-1'});
    server().serverSends(joined({peer_present: true, resumed: true}));
    assert.equal(session.peerConnection, pc);
    assert.equal(last('status'), 'connected');
  });

test('peer-left while media flows: the connection closes and we wait for someone', async () => {
  const made = makeSession();
  const {session, last, server, pc} = await inCall(made);
  const remote = new FakeStream([new FakeTrack('video')]);
  pc.ontrack({track: remote.tracks[0], streams: [remote]});
  assert.equal(last('remotestream'), remote);

  server().serverSends({type: 'peer-left'});

  assert.equal(session.phase, 'in-room');
  assert.equal(pc.signalingState, 'closed');
  assert.equal(session.peerConnection, null);
  assert.equal(last('remotestream'), null);
  assert.equal(last('status'), 'peerLeft');
  assert.equal(last('waiting'), 'peerLeft');
  assert.ok(made.mediaDevices.streams[0].tracks.every((track) => !track.stopped),
    'our camera stays on for whoever comes next');
});

test('replaced: another tab took the seat; this one ends and keeps no way to resume',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, storage, last, server, pc, mediaDevices} = await inCall();
    server().serverSends({type: 'error', code: 'replaced', message: 'another tab'});
    server().serverCloses(1008);
    t.mock.timers.tick(60_000);

    assert.equal(session.phase, 'ended');
    assert.deepEqual(last('callerror'), {key: 'replaced', fatal: true});
    assert.equal(pc.signalingState, 'closed');
    assert.ok(mediaDevices.streams[0].tracks.every((track) => track.stopped));
    assert.equal(FakeWebSocket.instances.length, 1, 'the seat is not fought back for');
    assert.equal(storage.getItem(`visavis.resume.${ROOM}`), 'token-1',
      'the other tab holds the seat; a reload here may take it back');
  });

test('room-full: the attempt ends with its sentence, the resume token is forgotten',
  async () => {
    const storage = new FakeStorage();
    storage.setItem(`visavis.resume.${ROOM}`, 'stale');
    const {session, last, server, mediaDevices} = makeSession({storage});
    session.open(ROOM);
    await settle();
    server().serverOpens();
    server().serverSends({type: 'error', code: 'room-full', message: 'full'});

    assert.equal(session.phase, 'ended');
    assert.deepEqual(last('callerror'), {key: 'roomFull', fatal: true});
    assert.equal(storage.getItem(`visavis.resume.${ROOM}`), null);
    assert.ok(mediaDevices.streams[0].tracks.every((track) => track.stopped));
  });

test('an error the client does not expect is shown in its own words, the call goes on',
  async () => {
    const {session, last, server} = await inCall();
    server().serverSends({type: 'error', code: 'bad-message', message: 'what?'});
    assert.equal(session.phase, 'in-room');
    assert.deepEqual(last('callerror'), {key: 'errorBadMessage', fatal: false});
  });

test('a code this client does not know shows the server sentence, the call goes on',
  async () => {
    const {session, last, server} = await inCall();
    server().serverSends({type: 'error', code: 'from-the-future', message: 'what?'});
    assert.equal(session.phase, 'in-room');
    assert.deepEqual(last('callerror'), {key: 'serverError', message: 'what?', fatal: false});
  });

test('the meeting lost after a reconnect: the media goes on, the error says so', async () => {
  const {session, last, server} = await inCall();
  server().serverSends({type: 'error', code: 'room-not-found', message: 'gone'});
  assert.equal(session.phase, 'in-room');
  assert.deepEqual(last('callerror'), {key: 'meetingLost', fatal: false});
});

test('ice-servers: fresh TURN credentials reach this connection and the next one', async () => {
  const {server, pc, peers} = await inCall();
  const fresh = [{urls: ['turn:turn.test:3478'], username: 'u2', credential: 'c2'}];
  server().serverSends({type: 'ice-servers', ice_servers: fresh});
  assert.deepEqual(pc.configuration.iceServers, fresh);

  server().serverSends({type: 'peer-left'});
  server().serverSends({type: 'peer-joined', resumed: false});
  assert.deepEqual(peers.at(-1).configuration, {iceServers: fresh});
});

test('a page reload on the other side: their new connection replaces ours', async () => {
  const {server, pc, peers} = await inCall();
  const made = peers.length;
  server().serverSends({type: 'signal', data: {session: 'reloaded',
    description: {type: 'offer', sdp: 'fresh offer'}}});
  await settle();
  assert.equal(pc.signalingState, 'closed');
  assert.equal(peers.length, made + 1);
  assert.equal(peers.at(-1).remoteDescription.sdp, 'fresh offer');
});

/** The connection fails and ICE restarts do not help (two for a call that had connected). */
function giveUp(pc) {
  pc.connectionState = 'failed';
  pc.iceConnectionState = 'failed';
  for (let failure = 0; failure < 3; failure += 1) pc.onconnectionstatechange();
}

test('ICE giving up with the other person here says why: our relay did not help either',
  async () => {
    const {last, pc} = await inCall();
    giveUp(pc);
    assert.deepEqual(last('callerror'), {key: 'blockedRelay', fatal: false});
    assert.equal(last('status'), '', 'the error line says it');
    assert.equal(pc.iceRestarts, 2);
  });

test('ICE giving up after the other person never came back (server restart): just wait',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, events, last, server, pc} = await inCall();
    server().serverCloses(1012);
    t.mock.timers.tick(3000);
    server().serverOpens();
    server().serverSends(joined({peer_present: false, resumed: true}));
    assert.equal(session.peerConnection, pc, 'kept: they may yet come back');

    giveUp(pc);
    assert.equal(pc.signalingState, 'closed');
    assert.equal(last('status'), 'waiting');
    assert.ok(!events.some(([type, detail]) => type === 'callerror' && detail.key));
  });

test('hang up gives up the seat, stops the media and forgets the resume token', async () => {
  const {session, storage, sent, pc, mediaDevices} = await inCall();
  session.hangUp();
  assert.equal(session.phase, 'left');
  assert.deepEqual(sent('leave'), [{type: 'leave'}]);
  assert.equal(pc.signalingState, 'closed');
  assert.ok(mediaDevices.streams[0].tracks.every((track) => track.stopped));
  assert.equal(storage.getItem(`visavis.resume.${ROOM}`), null);
});

test('a seat that comes after the person went home is given back', async () => {
  const {session, server, sent} = makeSession();
  session.openLobby(ROOM);
  await settle();
  session.join('');
  await settle();
  server().serverOpens();
  session.goHome();
  server().serverSends(joined());
  assert.equal(session.phase, 'home');
  assert.deepEqual(sent('leave'), [{type: 'leave'}]);
});

test('chat, name and media state travel on the control channel', async () => {
  const {session, last, pc} = await inCall();
  const [channel] = pc.channels;
  channel.readyState = 'open';
  channel.onopen();
  session.media.toggle('audio');
  session.sendChat('hello');
  channel.onmessage({data: JSON.stringify({type: 'name', name: 'Grace'})});
  channel.onmessage({data: JSON.stringify({type: 'chat', text: 'hi'})});

  assert.deepEqual(channel.sent, [
    {type: 'media', mic: true, camera: true},
    {type: 'name', name: 'Ada'},
    {type: 'media', mic: false, camera: true},
    {type: 'chat', text: 'hello'},
  ]);
  assert.equal(last('remotename'), 'Grace');
  assert.deepEqual(last('chat'), {text: 'hi', mine: false, name: 'Grace'});
});

test('the connection facts are polled while a connection exists', async () => {
  const {last, pc, polls} = await inCall();
  pc.stats = [{id: 'rtt', type: 'candidate-pair', selected: true, currentRoundTripTime: 0.05,
    localCandidateId: 'local'}, {id: 'local', type: 'local-candidate', candidateType: 'host',
    protocol: 'udp'}];
  await polls.at(-1)();
  assert.equal(last('facts').rttMs, 50);
  assert.equal(last('facts').path, 'direct');
});

test('back on a new seat rather than our old one: the old connection is dropped', async (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {session, server, sent, pc, peers} = await inCall();
  server().serverCloses(1006);
  t.mock.timers.tick(3000);
  server().serverOpens();
  server().serverSends(joined({peer_present: true, resumed: false}));

  assert.equal(pc.signalingState, 'closed');
  assert.equal(session.peerConnection, peers.at(-1));
  assert.notEqual(peers.at(-1), pc);
  assert.equal(sent('signal').at(-1).data.description, undefined, 'a hello; they offer');
});

test('a meeting not found while joining ends the attempt (unlike one lost mid-call)',
  async () => {
    const {session, last, server} = makeSession();
    session.openLobby(ROOM);
    await settle();
    session.join('');
    await settle();
    server().serverOpens();
    server().serverSends({type: 'error', code: 'room-not-found', message: 'gone'});
    assert.equal(session.phase, 'ended');
    assert.deepEqual(last('callerror'), {key: 'roomNotFound', fatal: true});
  });

test('peer-left for someone who never came back tells a person waiting alone nothing new',
  async () => {
    const {last, server} = await seatedAlone();
    server().serverSends({type: 'peer-left'}); // after a server restart
    assert.equal(last('status'), 'waiting');
    assert.equal(last('waiting'), 'waiting');
  });

test('a network change: the server at once; new candidates only if we moved or are not connected',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, server, pc} = await inCall();
    session.networkChanged(false); // a speed estimate while connected
    assert.equal(pc.iceRestarts, 0);
    session.networkChanged(true); // Wi-Fi to mobile
    assert.equal(pc.iceRestarts, 1);

    server().serverCloses(1006);
    const sockets = FakeWebSocket.instances.length;
    session.networkChanged(false);
    assert.equal(FakeWebSocket.instances.length, sockets + 1, 'no waiting out the backoff');
  });

/** The control channel opens, as it does once DTLS and SCTP are up. */
function controlOpens(pc) {
  const control = pc.channels[0];
  control.readyState = 'open';
  control.onopen();
  return control;
}

test('peer-left while the connection works end to end: the call goes on, and their return '
  + 'needs no new negotiation', async () => {
  const {session, events, last, server, sent, pc, peers} = await inCall();
  controlOpens(pc);
  const offers = pc.offers;

  server().serverSends({type: 'peer-left'});

  assert.equal(session.peerConnection, pc);
  assert.notEqual(pc.signalingState, 'closed');
  assert.equal(last('status'), 'serverLostPeer');
  assert.ok(!events.some(([type, key]) => type === 'waiting' && key === 'peerLeft'));

  const signals = sent('signal').length;
  server().serverSends({type: 'peer-joined', resumed: false}); // their socket is back
  assert.equal(session.peerConnection, pc);
  assert.equal(peers.at(-1), pc, 'no new connection');
  assert.equal(pc.offers, offers, 'nothing renegotiated');
  assert.equal(sent('signal').length, signals + 1, 'a hello tells them which one is ours');
  assert.equal(last('status'), 'connected');
});

test('our own seat was released while the call went on: the new seat keeps the connection',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, last, server, pc, peers} = await inCall();
    controlOpens(pc);
    server().serverCloses(1006);
    t.mock.timers.tick(3000);
    server().serverOpens();
    server().serverSends(joined({peer_present: true, resumed: false, resume: 'token-2'}));
    assert.equal(session.peerConnection, pc);
    assert.equal(peers.at(-1), pc, 'no new connection');
    assert.equal(last('status'), 'connected');
  });

test('a new seat with another role, or a connection that does not work, starts afresh',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, server, pc} = await inCall();
    controlOpens(pc);
    server().serverCloses(1006);
    t.mock.timers.tick(3000);
    server().serverOpens();
    server().serverSends(joined({peer_present: true, resumed: false, polite: true}));
    assert.notEqual(session.peerConnection, pc);
    assert.equal(pc.signalingState, 'closed');
  });

for (const [how, depart] of [
  ['bye on the control channel', (control) => control.onmessage({data: '{"type":"bye"}'})],
  ['their end of the channel closing', (control) => control.onclose()],
]) {
  test(`the other page went away (${how}): "left" at once, and no failure sentence`,
    async () => {
      const {session, events, last, pc} = await inCall();
      const control = controlOpens(pc);
      depart(control);
      assert.equal(pc.signalingState, 'closed');
      assert.equal(session.peerConnection, null);
      assert.equal(last('status'), 'peerLeft');
      assert.equal(last('waiting'), 'peerLeft');
      assert.ok(!events.some(([type, detail]) => type === 'callerror' && detail.key));
    });
}

test('pagehide says bye and closes the control channel; the seat is kept for a reload',
  async () => {
    const {session, storage, sent, pc} = await inCall();
    const control = controlOpens(pc);
    session.pageHidden();
    assert.deepEqual(control.sent.at(-1), {type: 'bye'});
    assert.equal(control.readyState, 'closing', 'its closing reaches the other side too');
    assert.equal(sent('leave').length, 0, 'a reload takes the seat back');
    assert.equal(storage.getItem(`visavis.resume.${ROOM}`), 'token-1');
  });

test('hang up says bye, and the connection closes once the channel delivered it',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, sent, pc} = await inCall();
    const control = controlOpens(pc);
    session.hangUp();
    assert.deepEqual(control.sent.at(-1), {type: 'bye'});
    assert.equal(sent('leave').length, 1);
    assert.notEqual(pc.signalingState, 'closed', 'the bye is still on its way');
    control.onclose();
    assert.equal(pc.signalingState, 'closed');
  });

test('a control channel that never reports closing does not keep the connection open',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, pc} = await inCall();
    controlOpens(pc);
    session.hangUp();
    t.mock.timers.tick(1000);
    assert.equal(pc.signalingState, 'closed');
  });

test('a copy of a tab in the meeting opens the lobby with a note; Join there moves the call',
  async (t) => {
    const locks = new FakeLocks();
    const storage = new FakeStorage();
    const original = makeSession({storage, locks});
    await seatedAlone({}, original);
    await settle();

    const copy = makeSession({storage: storage.copy(), locks}); // sessionStorage is copied
    t.mock.timers.enable({apis: ['setTimeout']});
    const opened = copy.session.open(ROOM);
    await settle();
    t.mock.timers.tick(1000); // the original does not let go
    await opened;
    await settle();
    assert.equal(copy.session.phase, 'lobby');
    assert.deepEqual(copy.last('lobbyerror'), {key: 'openElsewhere', fatal: false});
    copy.server().serverOpens(); // the lobby's socket, opened ahead, asks for nothing
    assert.deepEqual(copy.sent('join'), [], 'the copy did not take the seat');
    assert.equal(original.session.phase, 'in-room');

    copy.session.join('');
    await settle();
    assert.deepEqual(copy.sent('join').at(-1), {type: 'join', room: ROOM, resume: 'token-1'});
  });

test('a reload finds the claim free and takes the seat back at once', async () => {
  const locks = new FakeLocks();
  const storage = new FakeStorage();
  const before = makeSession({storage, locks});
  await seatedAlone({}, before);
  await settle();
  before.session.pageHidden();
  before.session.hangUp(); // stands in for the page going away: the lock goes with it
  storage.setItem(`visavis.resume.${ROOM}`, 'token-1');

  const reloaded = makeSession({storage, locks});
  await reloaded.session.open(ROOM);
  await settle();
  assert.equal(reloaded.session.phase, 'joining');
  reloaded.server().serverOpens();
  assert.deepEqual(reloaded.sent('join').at(-1), {type: 'join', room: ROOM, resume: 'token-1'});
});

test('a browser that throws on setConfiguration still resumes: each recovery step runs',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, last, server, sent, pc} = await inCall();
    pc.setConfiguration = () => {
      throw Object.assign(new Error('not supported'), {name: 'InvalidModificationError'});
    };
    pc.connectionState = 'disconnected';
    server().serverCloses(1006);
    t.mock.timers.tick(3000);
    server().serverOpens();
    const signals = sent('signal').length;
    const restarts = pc.iceRestarts;
    server().serverSends(joined({peer_present: true, resumed: true}));

    assert.equal(session.peerConnection, pc);
    assert.ok(sent('signal').length > signals, 'the hello still went out');
    assert.equal(pc.iceRestarts, restarts + 1, 'and the broken path was restarted');
    pc.connectionState = 'connected';
    pc.onconnectionstatechange();
    assert.equal(last('status'), 'connected');

    server().serverSends({type: 'ice-servers', ice_servers: TURN}); // no throw either
    assert.equal(session.phase, 'in-room');
  });

test('file messages travel on the control channel; the connection closing ends them', async () => {
  const {session, pc} = await inCall();
  const files = [];
  session.addEventListener('file', ({detail}) => files.push(detail));
  const [channel] = pc.channels;
  assert.equal(session.sendControl({type: 'file-accept', id: '0123456789abcdef'}), false,
    'not before the channel is open');
  channel.readyState = 'open';
  channel.onopen();
  assert.equal(session.sendControl({type: 'file-accept', id: '0123456789abcdef'}), true);
  assert.deepEqual(channel.sent.at(-1), {type: 'file-accept', id: '0123456789abcdef'});
  channel.onmessage({data: JSON.stringify({type: 'file-cancel', id: '0123456789abcdef'})});
  channel.onmessage({data: JSON.stringify({type: 'chat', text: 'not a file message'})});
  assert.deepEqual(files, [{type: 'file-cancel', id: '0123456789abcdef'}]);
  session.hangUp();
  assert.equal(files.at(-1), null, 'transfers hear that the connection is gone');
});
