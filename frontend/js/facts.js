// Connection facts for people from getStats(): path, round trip, loss, bitrate, resolution
// and a quality verdict.

// Above these a conversation starts to suffer (talking over each other, frozen frames).
const FAIR = {rttMs: 250, lossPercent: 2};
const POOR = {rttMs: 500, lossPercent: 8};

/**
 * The candidate pair in use and its local candidate ({} before one is chosen). Chromium
 * names it in the `transport` entry; Firefox has no such entry and flags it with the
 * non-standard `selected`, while several pairs may be nominated and succeeded at once.
 * @param {any[]} stats
 */
function selectedPair(stats) {
  const byId = new Map(stats.map((entry) => [entry.id, entry]));
  const pairs = stats.filter((entry) => entry.type === 'candidate-pair');
  const transport = stats.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId);
  const pair = transport ? byId.get(transport.selectedCandidatePairId)
    : pairs.find((entry) => entry.selected === true) ??
      pairs.find((entry) => entry.selected === undefined && entry.nominated &&
        entry.state === 'succeeded');
  return pair ? {pair, local: byId.get(pair.localCandidateId)} : {};
}

/**
 * Round trip in seconds: the pair's STUN measurement, else the mean of the RTCP receiver
 * reports' (`remote-inbound-rtp`, which Firefox fills when the pair has none), else null.
 * @param {any} pair @param {any[]} stats
 */
function roundTrip(pair, stats) {
  if (typeof pair?.currentRoundTripTime === 'number') return pair.currentRoundTripTime;
  const reported = stats.filter((entry) => entry.type === 'remote-inbound-rtp' &&
    typeof entry.roundTripTime === 'number').map((entry) => entry.roundTripTime);
  return reported.length ? reported.reduce((a, b) => a + b) / reported.length : null;
}

/**
 * {path: 'direct'|'relayed', protocol, rttMs, lossPercent, kbps, width, height, quality,
 * counters: {timestamp (ms), bytes, audioBytes, videoBytes, received, lost}}, each null
 * when unknown; rates are measured since `previous`.
 * @param {Iterable<object>} report an RTCStatsReport's values
 * @param {{counters: {timestamp: number, bytes: number, received: number, lost: number}}|null}
 *   [previous] the summary of the report before
 */
export function summarizeStats(report, previous = null) {
  const stats = [...report];
  const {pair, local} = selectedPair(stats);
  const inbound = stats.filter((entry) => entry.type === 'inbound-rtp');
  const video = inbound.find((entry) => entry.kind === 'video');
  /** @param {string} key @param {string} [kind] only this kind's entries */
  const sum = (key, kind) => inbound.filter((entry) => !kind || entry.kind === kind)
    .reduce((total, entry) => total + (entry[key] ?? 0), 0);
  const counters = {
    timestamp: Math.max(0, ...stats.map((entry) => entry.timestamp ?? 0)),
    bytes: sum('bytesReceived'),
    audioBytes: sum('bytesReceived', 'audio'),
    videoBytes: sum('bytesReceived', 'video'),
    received: sum('packetsReceived'),
    lost: sum('packetsLost'),
  };
  const before = previous?.counters;
  const seconds = before ? (counters.timestamp - before.timestamp) / 1000 : 0;
  const kbps = before && seconds > 0
    ? Math.round((counters.bytes - before.bytes) * 8 / seconds / 1000) : null;
  const received = counters.received - (before?.received ?? 0);
  const lost = Math.max(0, counters.lost - (before?.lost ?? 0));
  const lossPercent = received + lost > 0 ? Math.round(1000 * lost / (received + lost)) / 10
    : null;
  const rtt = pair ? roundTrip(pair, stats) : null;
  const rttMs = rtt === null ? null : Math.round(rtt * 1000);
  const relayed = local?.candidateType === 'relay';
  const protocol = (relayed ? local.relayProtocol : local?.protocol) ?? null;
  return {
    path: local ? (relayed ? 'relayed' : 'direct') : null,
    protocol: protocol && protocol.toUpperCase(),
    rttMs,
    lossPercent,
    kbps,
    width: video?.frameWidth ?? null,
    height: video?.frameHeight ?? null,
    quality: local ? quality(rttMs, lossPercent) : null,
    counters,
  };
}

/**
 * 'poor' or 'fair' as soon as one known figure is over its limit; 'good' only when both are
 * known (an unknown round trip is no evidence of a good one); else null.
 * @param {number|null} rttMs @param {number|null} lossPercent
 */
function quality(rttMs, lossPercent) {
  const over = (limits) => (rttMs ?? 0) > limits.rttMs || (lossPercent ?? 0) > limits.lossPercent;
  if (over(POOR)) return 'poor';
  if (over(FAIR)) return 'fair';
  return rttMs === null || lossPercent === null ? null : 'good';
}

const STATS_INTERVAL_MS = 2000;

/** The facts of one connection at a time, read every STATS_INTERVAL_MS while it lasts. */
export class FactsWatch {
  /** @type {{getStats: () => Promise<RTCStatsReport>, connectionState: string}|null} */
  #peer = null;
  /** @type {ReturnType<typeof summarizeStats>|null} */
  #facts = null;
  /** @type {ReturnType<typeof setInterval>|undefined} */
  #timer = undefined;
  #clock;
  #show;

  /**
   * @param {{setInterval: typeof setInterval, clearInterval: typeof clearInterval}} clock
   * @param {(facts: ReturnType<typeof summarizeStats>) => void} show each new summary
   */
  constructor(clock, show) {
    this.#clock = clock;
    this.#show = show;
  }

  /** Read `peer`'s facts from now on, instead of any other's. */
  watch(peer) {
    this.stop();
    this.#peer = peer;
    this.#timer = this.#clock.setInterval(() => this.#read(peer), STATS_INTERVAL_MS);
  }

  stop() {
    this.#clock.clearInterval(this.#timer);
    this.#peer = null;
    this.#facts = null;
  }

  async #read(peer) {
    if (this.#peer !== peer || peer.connectionState === 'closed') return;
    try {
      const report = await peer.getStats();
      if (this.#peer !== peer) return;
      this.#facts = summarizeStats(report.values(), this.#facts);
      this.#show(this.#facts);
    } catch {
      // the connection closed while the stats were gathered
    }
  }
}
