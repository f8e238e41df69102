// The lobby's connection check: what this network lets a call do, found before joining by
// gathering ICE candidates with the server's own ICE servers (`GET /ice-servers`, the same
// URLs a seat gets). No seat is taken and nothing is sent to anyone: the candidates never
// leave this page. `classify` is the judgement, pure; `gatherCandidates` the browser's part.

/** @typedef {'udp'|'tcp'|'tls'} RelayTransport browser ↔ TURN server */

/**
 * One gathered candidate, as RTCIceCandidate describes it.
 * @typedef {object} Candidate
 * @property {string} type 'host', 'srflx' (our address as a STUN server saw it), 'prflx' or 'relay'
 * @property {string} protocol 'udp' or 'tcp'
 * @property {string|null} address
 * @property {number|null} port
 * @property {string|null} relatedAddress srflx: the local address it maps (hidden: '0.0.0.0')
 * @property {number|null} relatedPort
 * @property {RelayTransport|null} relayProtocol relay only: how the browser reached the TURN server
 */

/**
 * What the server's ICE servers let the check find out.
 * @typedef {object} Offered
 * @property {boolean} stunGiven at least one STUN URL: the public address can be learnt
 * @property {RelayTransport[]} relay the transports of the TURN URLs handed out
 */

/**
 * @typedef {object} Verdict
 * @property {'direct'|'relay'|'blocked'|'local'} outcome direct: a direct call is likely;
 *   relay: calls to other networks go through the server's relay; blocked: they fail here;
 *   local: the server hands out no ICE servers, so only calls within one network work
 * @property {RelayTransport|null} relay the transport a relayed call would use (the best reached)
 * @property {'open'|'symmetric'|'no-udp'|'no-stun'} network open: the public address is
 *   one for every destination; symmetric: it changes with the destination (the other side
 *   cannot use it); no-udp: STUN got no answer; no-stun, the server hands out no STUN URL
 * @property {'reached'|'unreachable'|'none'} relayState none: the server has no TURN URL
 */

/** Gathering at most, ms: a network that drops packets never says it did. */
export const GATHER_TIMEOUT_MS = 10_000;
/**
 * Once the servers first answered after t ms, the rest gets max(t, this) more ms. A STUN
 * answer over UDP takes one round trip, a relay over TCP three or more: what has not come
 * by then (UDP dropped on the way) is not coming, and the person need not wait 10 s for it.
 */
export const SETTLE_MS = 2_000;
// The order a browser prefers relays in, and so the transport a relayed call uses.
const RELAY_ORDER = /** @type {const} */ (['udp', 'tcp', 'tls']);

/**
 * The verdict on what was gathered. Pure.
 * A NAT that maps one inside address to several public ports (one per destination: a
 * "symmetric" NAT) shows as two srflx candidates of one local address; the check asks two
 * STUN destinations for that reason (`checkIceServers`). When the browser hides local
 * addresses (no camera permission), all srflx count as one local address. No srflx while a
 * relay answered over UDP means no NAT: the browser drops a srflx equal to a host candidate
 * (a public address on the device itself, or the server's own network).
 * @param {Candidate[]} candidates @param {Offered} offered @returns {Verdict}
 */
export function classify(candidates, offered) {
  const relays = RELAY_ORDER.filter((transport) => candidates.some(
    (candidate) => candidate.type === 'relay' && candidate.relayProtocol === transport));
  const anyRelay = candidates.some((candidate) => candidate.type === 'relay');
  const relayState = anyRelay ? 'reached' : offered.relay.length ? 'unreachable' : 'none';
  const relay = relays[0] ?? null;
  const mapped = candidates.filter((c) => c.type === 'srflx' && c.protocol === 'udp');
  /** @type {Verdict['network']} */
  const network = !offered.stunGiven ? 'no-stun'
    : !mapped.length ? (relays.includes('udp') ? 'open' : 'no-udp')
      : mapsPerDestination(mapped) ? 'symmetric' : 'open';
  if (!offered.stunGiven && !offered.relay.length) {
    return {outcome: 'local', relay: null, network, relayState};
  }
  if (network === 'open') return {outcome: 'direct', relay, network, relayState};
  return {outcome: anyRelay ? 'relay' : 'blocked', relay, network, relayState};
}

/** @param {Candidate[]} mapped srflx candidates */
function mapsPerDestination(mapped) {
  /** @type {Map<string, Set<string>>} */
  const byBase = new Map();
  for (const {address, port, relatedAddress, relatedPort} of mapped) {
    const hidden = !relatedAddress || relatedAddress === '0.0.0.0' || relatedAddress === '::';
    const base = hidden ? 'hidden' : `${relatedAddress} ${relatedPort}`;
    const seen = byBase.get(base) ?? new Set();
    seen.add(`${address} ${port}`);
    byBase.set(base, seen);
  }
  return [...byBase.values()].some((publics) => publics.size > 1);
}

/**
 * The strings.js keys that say a verdict in words: what calls will do, then why.
 * @param {Verdict} verdict @returns {string[]}
 */
export function describe({outcome, relay, network, relayState}) {
  if (outcome === 'local') return ['checkLocal'];
  if (outcome === 'direct') return relayState === 'reached' ? ['checkDirect', 'checkRelayBackup'] : ['checkDirect'];
  const why = {symmetric: 'whySymmetric', 'no-udp': 'whyNoUdp', 'no-stun': 'whyNoStun', open: null}[network];
  const keys = why ? [why] : [];
  if (outcome === 'relay') {
    const via = {udp: 'checkRelayUdp', tcp: 'checkRelayTcp', tls: 'checkRelayTls'};
    return [relay ? via[relay] : 'checkRelay', ...keys];
  }
  return ['checkBlocked', ...keys, relayState === 'none' ? 'whyNoRelay' : 'whyRelayUnreachable'];
}

/**
 * What the server's ICE servers offer, for `classify`.
 * @param {RTCIceServer[]} iceServers @returns {Offered}
 */
export function offeredBy(iceServers) {
  const urls = iceServers.flatMap(({urls}) => (Array.isArray(urls) ? urls : [urls]));
  /** @type {RelayTransport[]} */
  const relay = [];
  for (const url of urls) {
    const transport = relayTransportOf(url);
    if (transport && !relay.includes(transport)) relay.push(transport);
  }
  return {stunGiven: urls.some((url) => /^stuns?:/i.test(url)), relay};
}

/**
 * The server's ICE servers plus one more STUN destination, so a NAT that maps per
 * destination shows (`classify`): a TURN URL's host and port that no STUN URL names yet
 * (coturn answers STUN on the UDP side of its TLS port too). Only when a STUN URL is given.
 * @param {RTCIceServer[]} iceServers @returns {RTCIceServer[]}
 */
export function checkIceServers(iceServers) {
  const urls = iceServers.flatMap(({urls}) => (Array.isArray(urls) ? urls : [urls]));
  const stunScheme = 'stun';
  const stunPlaces = urls.filter((url) => /^stuns?:/i.test(url)).map(placeOf);
  if (!stunPlaces.length) return iceServers;
  const extra = urls.filter((url) => relayTransportOf(url)).map(placeOf)
    .find((place) => place && !stunPlaces.includes(place));
  return extra ? [...iceServers, {urls: [`${stunScheme}:${extra}`]}] : iceServers;
}

/** `host:port` of an ICE URL (`scheme:host[:port][?query]`), or null. @param {string} url */
function placeOf(url) {
  const match = /^[a-z]+:(\[[^\]]+\]|[^:?]+)(?::(\d+))?/i.exec(url);
  if (!match) return null;
  const secure = /^(stuns|turns):/i.test(url);
  return `${match[1]}:${match[2] ?? (secure ? 5349 : 3478)}`;
}

/** The relay transport a TURN URL asks for, or null for another URL. @param {string} url @returns {RelayTransport|null} */
export function relayTransportOf(url) {
  if (/^turns:/i.test(url)) return 'tls';
  if (!/^turns?:/i.test(url)) return null; // (turns: is taken above)
  return /[?&]transport=tcp\b/i.test(url) ? 'tcp' : 'udp';
}

/**
 * A Candidate from what the browser gave: RTCIceCandidate's fields, or its SDP line where a
 * browser leaves them out; the relay's transport from `relayProtocol`, or from the URL of
 * the server that gave the candidate (`url` of the event or of the candidate).
 * @param {RTCIceCandidate & {relayProtocol?: string, url?: string}} candidate
 * @param {string|null} [url] the RTCPeerConnectionIceEvent's `url`
 * @returns {Candidate}
 */
export function readCandidate(candidate, url = null) {
  const line = parseCandidateLine(candidate.candidate ?? '');
  const type = candidate.type ?? line.type;
  const fromUrl = url || candidate.url ? relayTransportOf(url || candidate.url || '') : null;
  const relayProtocol = type !== 'relay' ? null
    : /** @type {RelayTransport|null} */ (candidate.relayProtocol ?? fromUrl);
  return {
    type,
    protocol: (candidate.protocol ?? line.protocol ?? '').toLowerCase(),
    address: candidate.address ?? line.address,
    port: candidate.port ?? line.port,
    relatedAddress: candidate.relatedAddress ?? line.relatedAddress,
    relatedPort: candidate.relatedPort ?? line.relatedPort,
    relayProtocol,
  };
}

/** `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> [raddr <a> rport <p>] ...` @param {string} text */
function parseCandidateLine(text) {
  const words = text.replace(/^a=/, '').split(/\s+/);
  const after = (word) => {
    const at = words.indexOf(word);
    return at >= 0 && at + 1 < words.length ? words[at + 1] : null;
  };
  const number = (value) => (value === null || value === undefined ? null : Number(value));
  return {
    protocol: words[2] ?? null,
    address: words[4] ?? null,
    port: number(words[5]),
    type: after('typ') ?? '',
    relatedAddress: after('raddr'),
    relatedPort: number(after('rport')),
  };
}

/**
 * Gather every candidate one RTCPeerConnection finds with `iceServers`, then close it. The
 * connection has no remote side: nothing is sent to anyone but the ICE servers.
 * @param {RTCIceServer[]} iceServers
 * @param {object} [options]
 * @param {typeof RTCPeerConnection} [options.RTCPeerConnection]
 * @param {number} [options.timeoutMs] stop waiting for gathering to complete after this, ms
 * @param {number} [options.settleMs] see SETTLE_MS
 * @param {{setTimeout: typeof setTimeout, clearTimeout: typeof clearTimeout, now?: () => number}} [options.clock]
 * @returns {Promise<Candidate[]>}
 */
export async function gatherCandidates(iceServers, {RTCPeerConnection = globalThis.RTCPeerConnection,
  timeoutMs = GATHER_TIMEOUT_MS, settleMs = SETTLE_MS, clock = globalThis} = {}) {
  const now = () => (clock.now ? clock.now() : Date.now());
  const started = now();
  const pc = new RTCPeerConnection({iceServers});
  /** @type {Candidate[]} */
  const found = [];
  /** @type {any[]} */
  const timers = [];
  try {
    await new Promise((resolve, reject) => {
      const finish = () => resolve(undefined);
      timers.push(clock.setTimeout(finish, timeoutMs));
      pc.addEventListener('icecandidate', (event) => {
        // `url` (the ICE server's) is in Chromium's events, not in every type library.
        const {candidate, url} = /** @type {RTCPeerConnectionIceEvent & {url?: string|null}} */ (event);
        if (!candidate) return finish();
        if (!candidate.candidate) return undefined;
        const read = readCandidate(candidate, url);
        if (read.type !== 'host' && !found.some(({type}) => type !== 'host')) {
          timers.push(clock.setTimeout(finish, Math.max(settleMs, now() - started)));
        }
        found.push(read);
        return undefined;
      });
      pc.createDataChannel('check'); // something to gather candidates for
      pc.createOffer().then((offer) => pc.setLocalDescription(offer)).catch(reject);
    });
  } finally {
    for (const timer of timers) clock.clearTimeout(timer);
    pc.close();
  }
  return found;
}

/** The check could not run; `key` is the strings.js sentence saying why. */
export class CheckProblem extends Error {
  /** @param {string} key */
  constructor(key) {
    super(key);
    this.key = key;
  }
}

/**
 * The whole check: the server's ICE servers, the candidates, the verdict.
 * @param {object} [options]
 * @param {string|null} [options.room] the lobby's meeting code (a guest on a hosts-only server)
 * @param {typeof fetch} [options.fetch]
 * @param {typeof RTCPeerConnection} [options.RTCPeerConnection]
 * @param {number} [options.timeoutMs]
 * @returns {Promise<{verdict: Verdict, candidates: Candidate[]}>}
 * @throws {CheckProblem} `noWebRTC`, `checkOffline` (no answer), `checkRateLimited`,
 *   `hostsOnly` (a hosts-only server and no meeting yet), `roomNotFound` (a hosts-only
 *   server and a code no meeting has), `checkFailed` (anything else)
 */
export async function checkConnection({room = null, fetch = globalThis.fetch,
  RTCPeerConnection = globalThis.RTCPeerConnection, timeoutMs = GATHER_TIMEOUT_MS} = {}) {
  if (!RTCPeerConnection) throw new CheckProblem('noWebRTC');
  const query = room ? `?room=${encodeURIComponent(room)}` : '';
  const answer = await fetch(`/ice-servers${query}`, {cache: 'no-store', credentials: 'same-origin'})
    .catch(() => null);
  if (!answer) throw new CheckProblem('checkOffline');
  if (answer.status === 429) throw new CheckProblem('checkRateLimited');
  if (answer.status === 403) throw new CheckProblem('hostsOnly');
  if (answer.status === 404) throw new CheckProblem('roomNotFound');
  /** @type {RTCIceServer[]|undefined} */
  const iceServers = answer.ok ? (await answer.json().catch(() => ({}))).ice_servers : undefined;
  if (!Array.isArray(iceServers)) throw new CheckProblem('checkFailed');
  const candidates = iceServers.length
    ? await gatherCandidates(checkIceServers(iceServers), {RTCPeerConnection, timeoutMs})
    : [];
  return {verdict: classify(candidates, offeredBy(iceServers)), candidates};
}
