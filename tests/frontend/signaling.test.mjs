import assert from 'node:assert/strict';
import {test} from 'node:test';

import {HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS} from '../../frontend/js/heartbeat.js';
import {SILENT_SOCKET, Signaling, backoffDelay, socketUrl} from '../../frontend/js/signaling.js';
import {FakeWebSocket} from './fakes.mjs';

function connected() {
  FakeWebSocket.instances = [];
  const signaling = new Signaling('wss://meet.example.org/ws', {WebSocket: FakeWebSocket});
  const events = [];
  for (const type of ['open', 'close', 'joined', 'peer-joined', 'peer-left', 'signal', 'error',
    'ice-servers']) {
    signaling.addEventListener(type, (event) => events.push([type, event.detail]));
  }
  return {signaling, events, sockets: FakeWebSocket.instances};
}

test('socketUrl follows the page: wss for https, ws for http', () => {
  assert.equal(socketUrl({protocol: 'https:', host: 'meet.example.org'}), 'wss://meet.example.org/ws');
  assert.equal(socketUrl({protocol: 'http:', host: '127.0.0.1:8000'}), 'ws://127.0.0.1:8000/ws');
});

test('frames sent while the socket opens go out in order once it is open', () => {
  const {signaling, sockets} = connected();

  signaling.join('abcd-efgh-jkmn');
  signaling.signal({description: {type: 'offer', sdp: 'v=0'}});
  sockets[0].serverOpens();

  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].url, 'wss://meet.example.org/ws');
  assert.deepEqual(sockets[0].sent, [
    {type: 'join', room: 'abcd-efgh-jkmn'},
    {type: 'signal', data: {description: {type: 'offer', sdp: 'v=0'}}},
  ]);
});

test('join carries the resume token only when there is one', () => {
  const {signaling, sockets} = connected();
  signaling.connect();
  sockets[0].serverOpens();

  signaling.join('abcd-efgh-jkmn', 'token-1');
  signaling.create();
  signaling.leave();

  assert.deepEqual(sockets[0].sent, [
    {type: 'join', room: 'abcd-efgh-jkmn', resume: 'token-1'},
    {type: 'create'},
    {type: 'leave'},
  ]);
});

test('each server frame becomes an event named after its type', () => {
  const {signaling, events, sockets} = connected();
  signaling.connect();
  sockets[0].serverOpens();
  const joined = {type: 'joined', room: 'abcd-efgh-jkmn', polite: true, peer_present: false,
    resume: 'r', resumed: false, ice_servers: []};

  sockets[0].serverSends(joined);
  sockets[0].serverSends({type: 'peer-joined', resumed: false});
  sockets[0].serverSends('not json');
  sockets[0].serverSends({no: 'type'});
  sockets[0].serverSends({type: 'error', code: 'room-full', message: 'full'});

  assert.deepEqual(events, [
    ['open', null],
    ['joined', joined],
    ['peer-joined', {type: 'peer-joined', resumed: false}],
    ['error', {type: 'error', code: 'room-full', message: 'full'}],
  ]);
});

test('a dropped socket is reported once; frames without a socket are dropped', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {signaling, events, sockets} = connected();
  signaling.create();
  sockets[0].serverOpens();

  sockets[0].serverCloses(1006);
  signaling.signal({candidate: {}});

  assert.deepEqual(events.at(-1), ['close', {code: 1006, reason: '', reconnecting: true}]);
  assert.equal(signaling.open, false);
  assert.equal(sockets.length, 1, 'a signal does not open a new socket');
});

test('connect after a drop opens a new socket (what a reconnect policy builds on)', () => {
  const {signaling, sockets} = connected();
  signaling.connect();
  signaling.connect();
  assert.equal(sockets.length, 1, 'connect is idempotent while a socket exists');
  sockets[0].serverCloses();

  signaling.join('abcd-efgh-jkmn', 'token-1');
  sockets[1].serverOpens();

  assert.deepEqual(sockets[1].sent, [{type: 'join', room: 'abcd-efgh-jkmn', resume: 'token-1'}]);
});

test('close() on purpose closes normally and emits no close event', () => {
  const {signaling, events, sockets} = connected();
  signaling.connect();
  sockets[0].serverOpens();

  signaling.close();
  sockets[0].serverCloses(1000);

  assert.equal(sockets[0].closedWith, 1000);
  assert.equal(events.some(([type]) => type === 'close'), false);
});

test('backoff doubles from 250 ms up to 3 s, each delay drawn from its upper half', () => {
  const ceilings = [250, 500, 1000, 2000, 3000, 3000, 3000];
  ceilings.forEach((ceiling, attempt) => {
    assert.equal(backoffDelay(attempt, 0), ceiling / 2, `attempt ${attempt}, least`);
    assert.equal(backoffDelay(attempt, 0.999999), ceiling, `attempt ${attempt}, most`);
  });
  assert.equal(backoffDelay(1000, 0.5), 2250, 'no overflow after many attempts');
});

function seatedSignaling() {
  const tools = connected();
  tools.signaling.create();
  tools.sockets[0].serverOpens();
  tools.sockets[0].serverSends({type: 'joined', room: 'abcd-efgh-jkmn', polite: false,
    peer_present: false, resume: 'token-1', resumed: false, ice_servers: []});
  return tools;
}

test('a dropped seat is taken back with the resume token, after a backoff delay', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {signaling, events, sockets} = seatedSignaling();
  assert.equal(signaling.seated, true);

  sockets[0].serverCloses(1006);
  assert.equal(signaling.seated, false);
  assert.deepEqual(events.at(-1), ['close', {code: 1006, reason: '', reconnecting: true}]);
  assert.equal(sockets.length, 1, 'not at once');
  t.mock.timers.tick(250);
  assert.equal(sockets.length, 2);

  sockets[1].serverCloses(1006); // the server is still down
  t.mock.timers.tick(249);
  assert.equal(sockets.length, 2);
  t.mock.timers.tick(251);
  assert.equal(sockets.length, 3);
  sockets[2].serverOpens();

  assert.deepEqual(sockets[2].sent, [{type: 'join', room: 'abcd-efgh-jkmn', resume: 'token-1'}]);
});

test('reconnectNow skips the wait; a seat taken by another tab is not reclaimed', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {signaling, events, sockets} = seatedSignaling();
  sockets[0].serverCloses(1006);
  signaling.reconnectNow();
  assert.equal(sockets.length, 2);
  sockets[1].serverOpens();

  sockets[1].serverSends({type: 'error', code: 'replaced', message: 'another tab'});
  sockets[1].serverCloses(1008);
  t.mock.timers.tick(60_000);

  assert.equal(sockets.length, 2);
  assert.deepEqual(events.at(-1), ['close', {code: 1008, reason: '', reconnecting: false}]);
});

test('no reconnect after leave, nor when asking for the seat failed', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const first = seatedSignaling();
  first.signaling.leave();
  first.sockets[0].serverCloses(1006);
  t.mock.timers.tick(60_000);
  assert.equal(first.sockets.length, 1);

  const second = connected();
  second.signaling.join('abcd-efgh-jkmn');
  second.sockets[0].serverOpens();
  second.sockets[0].serverSends({type: 'error', code: 'room-full', message: 'full'});
  second.sockets[0].serverCloses(1006);
  t.mock.timers.tick(60_000);
  assert.equal(second.sockets.length, 1);
});

test('a 1001 "going away" (server restart) reconnects like any other drop', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {events, sockets} = seatedSignaling();
  sockets[0].serverCloses(1001);
  t.mock.timers.tick(250);
  assert.equal(sockets.length, 2);
  assert.equal(events.at(-1)[1].reconnecting, true);
});

test('a refusal that may pass (restoring, rate limit) is asked again after retry_after', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {signaling, events, sockets} = connected();
  signaling.join('abcd-efgh-jkmn', 'token-1');
  sockets[0].serverOpens();

  sockets[0].serverSends({type: 'error', code: 'rate-limited', message: 'slow down',
    retry_after: 1.5});
  assert.equal(sockets[0].closedWith, 1000);
  assert.equal(events.at(-1)[1].retrying, true);
  sockets[0].serverCloses(1000);
  t.mock.timers.tick(1499);
  assert.equal(sockets.length, 1);
  t.mock.timers.tick(1);
  sockets[1].serverOpens();

  assert.deepEqual(sockets[1].sent, [{type: 'join', room: 'abcd-efgh-jkmn', resume: 'token-1'}]);
});

const pings = (socket) => socket.sent.filter((frame) => frame.type === 'ping').length;

test('heartbeat: a ping every 5 s; any answer keeps the socket, and pong is no event', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {events, sockets} = seatedSignaling();
  const before = events.length;
  for (let beat = 1; beat <= 3; beat += 1) {
    t.mock.timers.tick(HEARTBEAT_INTERVAL_MS);
    assert.equal(pings(sockets[0]), beat);
    sockets[0].serverSends({type: 'pong'});
  }
  t.mock.timers.tick(HEARTBEAT_TIMEOUT_MS);
  assert.equal(sockets.length, 1, 'an answered socket stays');
  assert.equal(events.length, before, 'pong is not an event');
});

test('heartbeat: a socket silent for 3 s after a ping is given up and the seat resumed',
  (t) => {
    t.mock.timers.enable({apis: ['setTimeout']});
    const {signaling, events, sockets} = seatedSignaling();
    t.mock.timers.tick(HEARTBEAT_INTERVAL_MS); // the ping the frozen path swallows
    t.mock.timers.tick(HEARTBEAT_TIMEOUT_MS - 1);
    assert.equal(signaling.seated, true);
    t.mock.timers.tick(1);

    assert.equal(signaling.seated, false);
    assert.equal(sockets[0].closedWith, 1000, 'closed here, not waited for');
    assert.deepEqual(events.at(-1), ['close', {code: 1006, reason: SILENT_SOCKET,
      reconnecting: true}]);
    sockets[0].serverCloses(1006); // the browser's own close, much later: ignored
    assert.equal(events.filter(([type]) => type === 'close').length, 1);
    t.mock.timers.tick(250);
    sockets[1].serverOpens();
    assert.deepEqual(sockets[1].sent, [{type: 'join', room: 'abcd-efgh-jkmn',
      resume: 'token-1'}]);
  });

test('checkNow: pings an open socket at once; reconnects at once without one', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const {signaling, events, sockets} = seatedSignaling();
  t.mock.timers.tick(1000);
  signaling.checkNow(); // the tab became visible after the laptop slept
  assert.equal(pings(sockets[0]), 1);
  t.mock.timers.tick(HEARTBEAT_TIMEOUT_MS);
  assert.equal(events.at(-1)[1].reason, SILENT_SOCKET);

  signaling.checkNow();
  assert.equal(sockets.length, 2, 'no waiting out the backoff');
});

test('sockets that never open while the server answers: refused, said once per run', async (t) => {
  FakeWebSocket.instances = [];
  const asked = [];
  const signaling = new Signaling('wss://meet.example.org/ws', {WebSocket: FakeWebSocket,
    probe: async (url) => { asked.push(url); return true; }});
  let refusals = 0;
  signaling.addEventListener('refused', () => { refusals += 1; });
  t.mock.timers.enable({apis: ['setTimeout']});
  signaling.join('abcd-efgh-jkmn');
  FakeWebSocket.instances[0].serverCloses(1006); // HTTP 403: the browser says only 1006
  await new Promise((resolve) => setImmediate(resolve));
  t.mock.timers.tick(3000);
  FakeWebSocket.instances[1].serverCloses(1006);
  await new Promise((resolve) => setImmediate(resolve));

  assert.deepEqual(asked, ['wss://meet.example.org/ws']);
  assert.equal(refusals, 1);
  assert.equal(FakeWebSocket.instances.length, 2, 'and it keeps trying meanwhile');
});

test('a socket lost after it opened, or a server that does not answer, is no refusal',
  async (t) => {
    FakeWebSocket.instances = [];
    const asked = [];
    const signaling = new Signaling('wss://meet.example.org/ws', {WebSocket: FakeWebSocket,
      probe: async (url) => { asked.push(url); return false; }});
    let refusals = 0;
    signaling.addEventListener('refused', () => { refusals += 1; });
    t.mock.timers.enable({apis: ['setTimeout']});
    signaling.join('abcd-efgh-jkmn');
    FakeWebSocket.instances[0].serverOpens();
    FakeWebSocket.instances[0].serverCloses(1006);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(asked, [], 'it opened: lost on the way, not refused');
    t.mock.timers.tick(3000);
    FakeWebSocket.instances[1].serverCloses(1006); // the server is down altogether
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(asked.length, 1);
    assert.equal(refusals, 0);
  });
