// What the lobby and a host waiting alone get ready before they are needed (issue 18): the
// socket, the connection and its certificate, the host's offer. Driven like session.test.mjs:
// a fake socket for the server, fake connections for the browser, a clock the test moves.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {Certificate} from '../../frontend/js/certificate.js';
import {HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS} from '../../frontend/js/heartbeat.js';
import {FULL_SIZE_AFTER_MS} from '../../frontend/js/media.js';
import {CallSession} from '../../frontend/js/session.js';
import {FakeMediaDevices, FakeStorage, FakeWebSocket, QuickPeerConnection, settle} from './fakes.mjs';

const ROOM = 'abcd-efgh-jkmn';
const TURN = [{urls: ['turn:turn.test:3478'], username: '100:a', credential: 'c1'}];
const FRESH_TURN = [{urls: ['turn:turn.test:3478'], username: '200:a', credential: 'c2'}];
const HOUR_MS = 60 * 60 * 1000;


function makeSession({probe = undefined} = {}) {
  const sockets = FakeWebSocket.instances = [];
  const peers = QuickPeerConnection.made = [];
  const mediaDevices = new FakeMediaDevices();
  const clock = {setInterval: () => 0, clearInterval: () => {}};
  const session = new CallSession({url: 'wss://meet.example.org/ws', WebSocket: FakeWebSocket,
    RTCPeerConnection: QuickPeerConnection, mediaDevices, storage: () => new FakeStorage(),
    clock, probe});
  const events = [];
  for (const type of ['status', 'callerror', 'lobbyerror', 'waiting']) {
    session.addEventListener(type, ({detail}) => events.push([type, detail]));
  }
  const sent = (type) => sockets.flatMap((socket) => socket.sent)
    .filter((frame) => type === undefined || frame.type === type);
  return {session, sockets, peers, mediaDevices, events, sent};
}

const joined = (fields = {}) => ({type: 'joined', room: ROOM, polite: false,
  peer_present: false, resume: 'token-1', resumed: false, ice_servers: TURN, ...fields});

async function inLobby(options) {
  const made = makeSession(options);
  made.session.openLobby(ROOM);
  await settle();
  made.events.length = 0; // the preview's (no problem to show)
  return made;
}

/** A host alone in the room, its connection prepared (the browser asked for an offer). */
async function waitingAlone() {
  const made = await inLobby();
  made.sockets[0].serverOpens();
  made.session.join('Ada');
  made.sockets[0].serverSends(joined());
  const spare = made.peers.at(-1);
  await spare.onnegotiationneeded();
  spare.onicecandidate({candidate: {candidate: 'candidate:1 1 udp 1 198.51.100.7 5000 typ host'}});
  return {...made, spare};
}

test('the lobby opens the socket and the connection ahead, and nothing leaves before Join',
  async () => {
    const {session, sockets, peers, mediaDevices, sent} = await inLobby();
    assert.equal(sockets.length, 1, 'the socket opens with the lobby');
    sockets[0].serverOpens();
    assert.equal(peers.length, 1, 'the connection is made in the lobby');
    assert.deepEqual(peers[0].senders.map(({track}) => track),
      mediaDevices.streams[0].getTracks(), 'with the preview tracks attached');
    await peers[0].onnegotiationneeded(); // a newcomer lets the other side offer
    assert.deepEqual(sent(), [], 'no seat asked for and no signal sent');
    assert.equal(session.seated, false);

    session.join('Ada');
    assert.deepEqual(sent(), [{type: 'join', room: ROOM}], 'Join sends one frame, at once');
  });

test('Join in the lobby uses the connection made there, with the seat\'s role and servers',
  async () => {
    const {session, sockets, peers, sent} = await inLobby();
    sockets[0].serverOpens();
    session.join('Ada');
    sockets[0].serverSends(joined({peer_present: true, polite: true}));

    assert.equal(peers.length, 1, 'no second connection');
    assert.equal(session.peerConnection, peers[0]);
    assert.deepEqual(peers[0].configuration.iceServers, TURN);
    const [hello] = sent('signal');
    assert.equal(hello.data.description, undefined, 'a hello: the one already there offers');
  });

test('a browser that cannot change ICE servers: the seat\'s make a new connection', async () => {
  const {session, sockets, peers} = await inLobby();
  peers[0].setConfiguration = () => {
    throw Object.assign(new Error('not supported'), {name: 'InvalidModificationError'});
  };
  sockets[0].serverOpens();
  session.join('Ada');
  sockets[0].serverSends(joined({peer_present: true}));
  assert.notEqual(session.peerConnection, peers[0]);
  assert.equal(peers[0].signalingState, 'closed');
  assert.deepEqual(session.peerConnection.configuration.iceServers, TURN);
});

test('a device changed in the lobby: the connection is made again with the new tracks',
  async () => {
    const {session, sockets, peers, mediaDevices} = await inLobby();
    await session.switchDevice('videoinput', 'video-2');
    await settle();
    const camera = mediaDevices.streams.flatMap((stream) => stream.getVideoTracks())
      .find((track) => track.deviceId === 'video-2');
    assert.ok(camera, 'the new camera is on');

    sockets[0].serverOpens();
    const made = peers.length;
    session.join('Ada');
    sockets[0].serverSends(joined({peer_present: true}));
    const used = session.peerConnection;
    assert.ok(used.senders.some(({track}) => track === camera), 'it sends the new camera');
    assert.equal(peers.length, made, 'made in the lobby, not at Join');
    assert.ok(peers.filter((pc) => pc !== used).every((pc) => pc.signalingState === 'closed'));
  });

test('alone in the room, the offer is made ahead and held until the other person comes',
  async () => {
    const {sockets, spare, sent, session} = await waitingAlone();
    assert.equal(spare.localDescription.type, 'offer', 'the offer is ready');
    assert.deepEqual(sent('signal'), [], 'but nobody is there to see it');
    assert.equal(session.peerConnection, null);

    sockets[0].serverSends({type: 'peer-joined', resumed: false});
    const signals = sent('signal').map(({data}) => data);
    assert.equal(signals.length, 2, 'the offer and the candidate leave at once');
    assert.deepEqual(signals[0].description, spare.localDescription);
    assert.match(signals[1].candidate.candidate, /198\.51\.100\.7/);
    assert.equal(session.peerConnection, spare);
  });

test('fresh TURN credentials while alone: the held offer is made again with them', async () => {
  const {sockets, spare, peers, sent} = await waitingAlone();
  sockets[0].serverSends({type: 'ice-servers', ice_servers: FRESH_TURN});
  const again = peers.at(-1);
  assert.notEqual(again, spare);
  assert.equal(spare.signalingState, 'closed', 'candidates made with the old ones are gone');
  assert.deepEqual(again.configuration.iceServers, FRESH_TURN);
  await again.onnegotiationneeded();

  sockets[0].serverSends({type: 'peer-joined', resumed: false});
  const [offer] = sent('signal');
  assert.deepEqual(offer.data.description, again.localDescription);
  assert.equal(sent('signal').length, 1, 'nothing of the first connection');
});

test('a lobby left open an hour holds no dead socket, and Join still works', async (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {session, sockets, events, sent} = await inLobby();
  sockets[0].serverOpens();
  // The path dies silently (a laptop slept, a NAT forgot us): the heartbeat finds out.
  t.mock.timers.tick(HEARTBEAT_INTERVAL_MS);
  assert.deepEqual(sockets[0].sent, [{type: 'ping'}]);
  t.mock.timers.tick(HEARTBEAT_TIMEOUT_MS);
  assert.equal(sockets[0].closedWith, 1000, 'the silent socket is given up');
  t.mock.timers.tick(HOUR_MS);
  assert.equal(sockets.length, 1, 'and not opened again while nobody acts');
  assert.deepEqual(events, [], 'nothing to tell the person');

  session.prepareJoin(); // they point at Join
  assert.equal(sockets.length, 2, 'a fresh socket');
  sockets[1].serverOpens();
  session.join('Ada');
  assert.deepEqual(sent('join'), [{type: 'join', room: ROOM}]);
  assert.deepEqual(sockets[1].sent.at(-1), {type: 'join', room: ROOM});
});

test('the server closes a lobby socket as idle: quietly, and Join opens a new one', async (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {session, sockets, events} = await inLobby();
  sockets[0].serverOpens();
  sockets[0].serverSends({type: 'error', code: 'idle', message: 'Closed after a while.'});
  sockets[0].serverCloses(1008);
  t.mock.timers.tick(HOUR_MS);
  assert.equal(sockets.length, 1, 'no reconnecting for a forgotten tab');
  assert.deepEqual(events, []);

  session.join('Ada');
  assert.equal(sockets.length, 2);
  sockets[1].serverOpens();
  assert.deepEqual(sockets[1].sent, [{type: 'join', room: ROOM}]);
});

test('a server that refuses this page says so in the lobby, and again on Join', async () => {
  const {session, sockets, events} = makeSession({probe: async () => true});
  session.openLobby(ROOM);
  sockets[0].serverCloses(1006); // refused before it opened (HTTP 403), before the preview
  await settle();
  assert.deepEqual(events.at(-1), ['lobbyerror', {key: 'socketRefused', fatal: false}],
    'the preview keeps the sentence');

  session.join('Ada');
  sockets[1].serverCloses(1006);
  await settle();
  assert.deepEqual(events.at(-1), ['callerror', {key: 'socketRefused', fatal: false}]);
  session.hangUp(); // no reconnect left waiting
});

test('leaving the lobby for home closes its socket', async () => {
  const {session, sockets, peers} = await inLobby();
  sockets[0].serverOpens();
  session.goHome();
  assert.equal(sockets[0].closedWith, 1000);
  assert.equal(peers[0].signalingState, 'closed', 'and its connection');
});

test('the certificate is made once ahead and renewed when it is about to expire', async () => {
  let now = 0;
  const made = [];
  class Maker {
    static async generateCertificate(key) {
      made.push(key);
      return {expires: now + 30 * 24 * HOUR_MS};
    }
  }
  const certificate = new Certificate(/** @type {any} */ (Maker), () => now);
  assert.equal(certificate.current, null);
  certificate.prepare();
  certificate.prepare(); // while one is being made
  await settle();
  assert.deepEqual(made, [{name: 'ECDSA', namedCurve: 'P-256'}]);
  const first = certificate.current;
  assert.ok(first);

  now += 29.5 * 24 * HOUR_MS; // a page open for weeks
  assert.equal(certificate.current, null, 'not handed out within a day of expiry');
  certificate.prepare();
  await settle();
  assert.equal(made.length, 2);
  assert.notEqual(certificate.current, first);
});

test('a browser without generateCertificate: connections make their own', () => {
  const certificate = new Certificate(/** @type {any} */ (class {}));
  certificate.prepare();
  assert.equal(certificate.current, null);
});

test('the camera starts at 640x360 and goes to 1280x720 a second after the call connects',
  async (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {session, sockets, mediaDevices} = await inLobby();
    assert.deepEqual(mediaDevices.asked[0].video.height, {ideal: 360});
    const camera = mediaDevices.streams[0].getVideoTracks()[0];
    sockets[0].serverOpens();
    session.join('Ada');
    sockets[0].serverSends(joined({peer_present: true}));
    const pc = session.peerConnection;
    pc.connectionState = 'connecting';
    pc.onconnectionstatechange();
    t.mock.timers.tick(FULL_SIZE_AFTER_MS);
    assert.deepEqual(camera.applied, [], 'not before the connection');

    pc.connectionState = 'connected';
    pc.onconnectionstatechange();
    t.mock.timers.tick(FULL_SIZE_AFTER_MS - 1);
    assert.deepEqual(camera.applied, [], 'the first frames go out small');
    t.mock.timers.tick(1);
    await settle();
    assert.deepEqual(camera.applied.map(({width, height}) => [width, height]),
      [[{ideal: 1280}, {ideal: 720}]]);
    assert.deepEqual(camera.applied[0].deviceId, {exact: camera.deviceId}, 'the same camera');

    await session.switchDevice('videoinput', 'video-2'); // mid-call: at the full size
    assert.deepEqual(mediaDevices.asked.at(-1).video.height, {ideal: 720});
    session.hangUp();
  });
