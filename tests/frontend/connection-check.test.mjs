// The lobby's connection check: the verdict from candidate lists (pure), the words for it,
// the extra STUN destination, and gathering and fetching with fakes of the browser's parts.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  CheckProblem, checkConnection, checkIceServers, classify, describe, gatherCandidates,
  offeredBy, readCandidate,
} from '../../frontend/js/connection-check.js';
import {strings} from '../../frontend/js/strings.js';

const SERVER = '203.0.113.10';
const DEPLOYED = [
  {urls: [`stun:${SERVER}:3478`]},
  {urls: [`turn:${SERVER}:3478?transport=udp`, `turn:${SERVER}:3478?transport=tcp`,
    `turns:${SERVER}:5349?transport=tcp`], username: '1:a', credential: 'c'},
];
const OFFERED = offeredBy(DEPLOYED);

const host = (port = 40000) => ({type: 'host', protocol: 'udp', address: '198.51.100.10', port,
  relatedAddress: null, relatedPort: null, relayProtocol: null});
const srflx = (port, base = 40000, relatedAddress = '198.51.100.10') => ({type: 'srflx',
  protocol: 'udp', address: '203.0.113.2', port, relatedAddress, relatedPort: base, relayProtocol: null});
const relay = (relayProtocol) => ({type: 'relay', protocol: 'udp', address: SERVER, port: 50001,
  relatedAddress: '203.0.113.2', relatedPort: 40000, relayProtocol});

test('one public address for every destination: a direct call is likely', () => {
  const verdict = classify([host(), srflx(40000), relay('udp'), relay('tcp'), relay('tls')], OFFERED);
  assert.deepEqual(verdict, {outcome: 'direct', relay: 'udp', network: 'open', relayState: 'reached'});
  assert.deepEqual(describe(verdict), ['checkDirect', 'checkRelayBackup']);
});

test('a new public port per destination (symmetric NAT): through the relay', () => {
  const verdict = classify([host(), srflx(61001), srflx(61002), relay('udp')], OFFERED);
  assert.deepEqual(verdict, {outcome: 'relay', relay: 'udp', network: 'symmetric', relayState: 'reached'});
  assert.deepEqual(describe(verdict), ['checkRelayUdp', 'whySymmetric']);
});

test('hidden local addresses (no camera permission) still show a symmetric NAT', () => {
  const hidden = [srflx(61001, 0, '0.0.0.0'), srflx(61002, 0, '0.0.0.0')];
  assert.equal(classify(hidden, OFFERED).network, 'symmetric');
});

test('two local interfaces, one public port each, are not a symmetric NAT (control)', () => {
  const verdict = classify([srflx(40000, 40000), srflx(40002, 40002), relay('udp')], OFFERED);
  assert.equal(verdict.network, 'open');
  assert.equal(verdict.outcome, 'direct');
});

test('no UDP out: through the relay over the best transport that answered', () => {
  const verdict = classify([host(), relay('tls'), relay('tcp')], OFFERED);
  assert.deepEqual(verdict, {outcome: 'relay', relay: 'tcp', network: 'no-udp', relayState: 'reached'});
  assert.deepEqual(describe(verdict), ['checkRelayTcp', 'whyNoUdp']);
  assert.deepEqual(describe(classify([relay('tls')], OFFERED)), ['checkRelayTls', 'whyNoUdp']);
});

test('no NAT (no srflx, as the browser drops one equal to a host address) but UDP relayed: direct', () => {
  const verdict = classify([host(), relay('udp'), relay('tcp')], OFFERED);
  assert.deepEqual(verdict, {outcome: 'direct', relay: 'udp', network: 'open', relayState: 'reached'});
  assert.deepEqual(describe(verdict), ['checkDirect', 'checkRelayBackup']);
});

test('nothing reaches the server: calls to other networks fail, and why', () => {
  const verdict = classify([host()], OFFERED);
  assert.deepEqual(verdict, {outcome: 'blocked', relay: null, network: 'no-udp', relayState: 'unreachable'});
  assert.deepEqual(describe(verdict), ['checkBlocked', 'whyNoUdp', 'whyRelayUnreachable']);
});

test('a symmetric NAT and a server without relay: blocked, the relay named as missing', () => {
  const verdict = classify([srflx(61001), srflx(61002)], offeredBy([DEPLOYED[0]]));
  assert.deepEqual(describe(verdict), ['checkBlocked', 'whySymmetric', 'whyNoRelay']);
});

test('a server with no ICE servers: calls within one network only', () => {
  const verdict = classify([host()], offeredBy([]));
  assert.equal(verdict.outcome, 'local');
  assert.deepEqual(describe(verdict), ['checkLocal']);
});

test('a relay with a transport the browser did not name is still a relay', () => {
  const verdict = classify([relay(null)], OFFERED);
  assert.deepEqual([verdict.outcome, verdict.relay], ['relay', null]);
  assert.deepEqual(describe(verdict), ['checkRelay', 'whyNoUdp']);
});

test('every sentence a verdict can need is in strings.js', () => {
  const networks = [[srflx(1)], [srflx(1), srflx(2)], [host()]];
  const relays = [[], [relay('udp')], [relay('tcp')], [relay('tls')], [relay(null)]];
  for (const servers of [DEPLOYED, [DEPLOYED[0]], [DEPLOYED[1]], []]) {
    for (const mapped of networks) {
      for (const relayed of relays) {
        for (const key of describe(classify([...mapped, ...relayed], offeredBy(servers)))) {
          assert.equal(typeof strings[key], 'string', key);
        }
      }
    }
  }
});

test('the check asks a second STUN destination: the TURN server on its TLS port', () => {
  const servers = checkIceServers(DEPLOYED);
  assert.deepEqual(servers.slice(0, 2), DEPLOYED);
  assert.deepEqual(servers[2], {urls: [`stun:${SERVER}:5349`]});
  assert.deepEqual(offeredBy(DEPLOYED), {stunGiven: true, relay: ['udp', 'tcp', 'tls']});
  // Nothing added without STUN, nor when every TURN place is a STUN URL already.
  assert.deepEqual(checkIceServers([DEPLOYED[1]]), [DEPLOYED[1]]);
  const both = [{urls: [`stun:${SERVER}:3478`, `stun:${SERVER}:5349`]}, DEPLOYED[1]];
  assert.deepEqual(checkIceServers(both), both);
  // Default ports: turns: is 5349, turn: 3478.
  assert.deepEqual(checkIceServers([{urls: 'stun:turn.example'}, {urls: 'turns:turn.example'}])[2],
    {urls: ['stun:turn.example:5349']});
});

test('candidates are read from their fields, or their SDP line where fields are missing', () => {
  const line = `candidate:1 1 udp 41885439 ${SERVER} 50123 typ relay raddr 203.0.113.2 rport 40000 generation 0`;
  assert.deepEqual(readCandidate(/** @type {any} */ ({candidate: line}), `turns:${SERVER}:5349?transport=tcp`), {
    type: 'relay', protocol: 'udp', address: SERVER, port: 50123, relatedAddress: '203.0.113.2',
    relatedPort: 40000, relayProtocol: 'tls'});
  const fields = {candidate: line, type: 'relay', protocol: 'udp', address: SERVER, port: 50123,
    relatedAddress: '203.0.113.2', relatedPort: 40000, relayProtocol: 'tcp'};
  assert.equal(readCandidate(/** @type {any} */ (fields), null).relayProtocol, 'tcp');
  const mapped = readCandidate(/** @type {any} */ ({candidate: line.replace('typ relay', 'typ srflx')}),
    `turn:${SERVER}:3478?transport=udp`);
  assert.equal(mapped.relayProtocol, null);
});

/** An RTCPeerConnection that gathers the given candidates (then completes, unless `hang`). */
function gatheringPeerConnection(script, {hang = false} = {}) {
  const made = [];
  class FakeGathering extends EventTarget {
    constructor(config) {
      super();
      this.config = config;
      this.closed = false;
      this.channels = [];
      made.push(this);
    }
    createDataChannel(label) {
      this.channels.push(label);
    }
    async createOffer() {
      return {type: 'offer', sdp: 'v=0'};
    }
    async setLocalDescription() {
      for (const [candidate, url] of script) {
        const event = Object.assign(new Event('icecandidate'), {candidate, url});
        queueMicrotask(() => this.dispatchEvent(event));
      }
      if (!hang) queueMicrotask(() => this.dispatchEvent(Object.assign(new Event('icecandidate'), {candidate: null})));
    }
    close() {
      this.closed = true;
    }
  }
  return {RTCPeerConnection: /** @type {any} */ (FakeGathering), made};
}

const SYMMETRIC_GATHERING = [
  [{candidate: 'candidate:1 1 udp 2122260223 198.51.100.10 40000 typ host'}, null],
  [{candidate: 'candidate:2 1 udp 1686052607 203.0.113.2 61001 typ srflx raddr 198.51.100.10 rport 40000'}, `stun:${SERVER}:3478`],
  [{candidate: 'candidate:3 1 udp 1686052607 203.0.113.2 61002 typ srflx raddr 198.51.100.10 rport 40000'}, `stun:${SERVER}:5349`],
  [{candidate: `candidate:4 1 udp 41885439 ${SERVER} 50123 typ relay raddr 203.0.113.2 rport 61001`}, `turn:${SERVER}:3478?transport=udp`],
];

test('gathering collects every candidate until the browser says it is done, then closes', async () => {
  const {RTCPeerConnection, made} = gatheringPeerConnection(SYMMETRIC_GATHERING);
  const found = await gatherCandidates(DEPLOYED, {RTCPeerConnection});
  assert.deepEqual(found.map((c) => `${c.type} ${c.port}`), ['host 40000', 'srflx 61001', 'srflx 61002', 'relay 50123']);
  assert.equal(found[3].relayProtocol, 'udp');
  assert.equal(made.length, 1);
  assert.deepEqual(made[0].config, {iceServers: DEPLOYED});
  assert.deepEqual(made[0].channels, ['check']);
  assert.ok(made[0].closed);
});

test('a network that drops everything ends the gathering at the timeout', async () => {
  const {RTCPeerConnection, made} = gatheringPeerConnection(SYMMETRIC_GATHERING.slice(0, 1), {hang: true});
  const timers = [];
  const clock = {setTimeout: (run, ms) => timers.push({run, ms}), clearTimeout: () => {}};
  const gathering = gatherCandidates(DEPLOYED, {RTCPeerConnection, timeoutMs: 1234, clock: /** @type {any} */ (clock)});
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(made[0].closed, false, 'still gathering: the browser never said it was done');
  assert.equal(timers[0].ms, 1234);
  timers[0].run();
  assert.deepEqual((await gathering).map((c) => c.type), ['host']);
  assert.ok(made[0].closed);
});

test('once the servers answered, what has not come within as long again is not waited for', async () => {
  const tcpRelay = [{candidate: `candidate:4 1 udp 25108223 ${SERVER} 50124 typ relay raddr 203.0.113.2 rport 40000`},
    `turn:${SERVER}:3478?transport=tcp`];
  for (const [answeredAt, settle] of [[800, 2000], [3000, 3000]]) {
    const {RTCPeerConnection, made} = gatheringPeerConnection([SYMMETRIC_GATHERING[0], tcpRelay], {hang: true});
    const timers = [];
    let time = 0;
    const clock = {setTimeout: (run, ms) => timers.push({run, ms}), clearTimeout: () => {},
      now: () => time};
    const gathering = gatherCandidates(DEPLOYED, {RTCPeerConnection, clock: /** @type {any} */ (clock)});
    time = answeredAt; // the relay's candidate comes now (the fake delivers it in a microtask)
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(timers.map(({ms}) => ms), [10_000, settle]);
    assert.equal(made[0].closed, false);
    timers[1].run();
    assert.deepEqual((await gathering).map((c) => `${c.type} ${c.relayProtocol}`), ['host null', 'relay tcp']);
  }
});

/** A fetch that answers `/ice-servers` with `status` and `body`, and notes the requests. */
function serverAnswering(status, body) {
  const asked = [];
  const fetch = async (url, options) => {
    asked.push({url, options});
    return {ok: status === 200, status, json: async () => body};
  };
  return {fetch: /** @type {any} */ (fetch), asked};
}

test('the whole check: the server\'s ICE servers plus the second STUN, and the verdict', async () => {
  const {fetch, asked} = serverAnswering(200, {ice_servers: DEPLOYED});
  const {RTCPeerConnection, made} = gatheringPeerConnection(SYMMETRIC_GATHERING);
  const {verdict} = await checkConnection({room: 'abcd-efgh-jkmn', fetch, RTCPeerConnection});
  assert.equal(asked[0].url, '/ice-servers?room=abcd-efgh-jkmn');
  assert.equal(asked[0].options.cache, 'no-store');
  assert.deepEqual(made[0].config.iceServers, checkIceServers(DEPLOYED));
  assert.deepEqual([verdict.outcome, verdict.relay, verdict.network], ['relay', 'udp', 'symmetric']);
});

test('a server with no ICE servers: no connection is made, the verdict is local', async () => {
  const {fetch, asked} = serverAnswering(200, {ice_servers: []});
  const {RTCPeerConnection, made} = gatheringPeerConnection([]);
  const {verdict} = await checkConnection({fetch, RTCPeerConnection});
  assert.equal(asked[0].url, '/ice-servers');
  assert.equal(made.length, 0);
  assert.equal(verdict.outcome, 'local');
});

test('a check that cannot run says why, in a sentence for the person', async () => {
  const {RTCPeerConnection} = gatheringPeerConnection([]);
  const cases = [
    [serverAnswering(429, {code: 'rate-limited'}).fetch, 'checkRateLimited'],
    [serverAnswering(403, {code: 'hosts-only'}).fetch, 'hostsOnly'],
    [serverAnswering(404, {code: 'room-not-found'}).fetch, 'roomNotFound'],
    [serverAnswering(500, {}).fetch, 'checkFailed'],
    [serverAnswering(200, {nothing: 1}).fetch, 'checkFailed'],
    [async () => { throw new TypeError('offline'); }, 'checkOffline'],
  ];
  for (const [fetch, key] of cases) {
    await assert.rejects(checkConnection({fetch: /** @type {any} */ (fetch), RTCPeerConnection}),
      (error) => error instanceof CheckProblem && error.key === key);
    assert.equal(typeof strings[key], 'string', key);
  }
  await assert.rejects(checkConnection({fetch: serverAnswering(200, {ice_servers: []}).fetch,
    RTCPeerConnection: /** @type {any} */ (null)}), (error) => error.key === 'noWebRTC');
});
