// Connection facts for people from getStats(): path, round trip, loss, bitrate, resolution
// and a quality verdict.

// Above these a conversation starts to suffer (talking over each other, frozen frames).
const FAIR = {rttMs: 250, lossPercent: 2};
const POOR = {rttMs: 500, lossPercent: 8};

function selectedPair(stats) {
  const byId = new Map(stats.map((entry) => [entry.id, entry]));
  const transport = stats.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId);
  const pair = transport ? byId.get(transport.selectedCandidatePairId)
    : stats.find((entry) => entry.type === 'candidate-pair' &&
        (entry.selected || (entry.nominated && entry.state === 'succeeded')));
  return pair ? {pair, local: byId.get(pair.localCandidateId)} : {};
}

/**
 * {path: 'direct'|'relayed', protocol, rttMs, lossPercent, kbps, width, height, quality,
 * counters}, each null when unknown; rates are measured since `previous`.
 * @param {Iterable<object>} report an RTCStatsReport's values
 * @param {{counters: {timestamp: number, bytes: number, received: number, lost: number}}|null}
 *   [previous] the summary of the report before
 */
export function summarizeStats(report, previous = null) {
  const stats = [...report];
  const {pair, local} = selectedPair(stats);
  const inbound = stats.filter((entry) => entry.type === 'inbound-rtp');
  const video = inbound.find((entry) => entry.kind === 'video');
  const sum = (key) => inbound.reduce((total, entry) => total + (entry[key] ?? 0), 0);
  const counters = {
    timestamp: Math.max(0, ...stats.map((entry) => entry.timestamp ?? 0)),
    bytes: sum('bytesReceived'),
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
  const rtt = pair?.currentRoundTripTime;
  const rttMs = typeof rtt === 'number' ? Math.round(rtt * 1000) : null;
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

function quality(rttMs, lossPercent) {
  const over = (limits) => (rttMs ?? 0) > limits.rttMs || (lossPercent ?? 0) > limits.lossPercent;
  if (over(POOR)) return 'poor';
  if (over(FAIR)) return 'fair';
  return 'good';
}
