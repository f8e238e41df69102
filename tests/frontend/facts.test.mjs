import assert from 'node:assert/strict';
import {test} from 'node:test';

import {summarizeStats} from '../../frontend/js/facts.js';

/** A getStats() report as Chromium gives it, cut down to what facts.js reads. */
function report({timestamp = 10_000, candidateType = 'host', protocol = 'udp',
  relayProtocol, rtt = 0.042, bytes = 500_000, received = 1000, lost = 0,
  width = 1280, height = 720, selectedVia = 'transport'} = {}) {
  const pair = {id: 'CP1', type: 'candidate-pair', timestamp, localCandidateId: 'L1',
    remoteCandidateId: 'R1', state: 'succeeded', nominated: true, currentRoundTripTime: rtt};
  return [
    ...(selectedVia === 'transport'
      ? [{id: 'T1', type: 'transport', timestamp, selectedCandidatePairId: 'CP1'}] : []),
    {id: 'CP0', type: 'candidate-pair', timestamp, localCandidateId: 'L0', state: 'failed',
      currentRoundTripTime: 9},
    pair,
    {id: 'L0', type: 'local-candidate', timestamp, candidateType: 'relay', protocol: 'udp'},
    {id: 'L1', type: 'local-candidate', timestamp, candidateType, protocol, relayProtocol},
    {id: 'IA', type: 'inbound-rtp', kind: 'audio', timestamp, bytesReceived: bytes / 10,
      packetsReceived: received / 2, packetsLost: lost / 2},
    {id: 'IV', type: 'inbound-rtp', kind: 'video', timestamp, bytesReceived: bytes,
      packetsReceived: received / 2, packetsLost: lost / 2, frameWidth: width,
      frameHeight: height},
  ];
}

test('a direct UDP path, its round trip and resolution; rates need a second sample', () => {
  const facts = summarizeStats(report());
  assert.equal(facts.path, 'direct');
  assert.equal(facts.protocol, 'UDP');
  assert.equal(facts.rttMs, 42);
  assert.equal(facts.width, 1280);
  assert.equal(facts.height, 720);
  assert.equal(facts.kbps, null);
  assert.equal(facts.quality, 'good');
});

test('bitrate and loss are measured between two samples', () => {
  const first = summarizeStats(report({timestamp: 10_000, bytes: 500_000, received: 1000}));
  const second = summarizeStats(
    report({timestamp: 12_000, bytes: 750_000, received: 1960, lost: 40}), first);
  // (750000 - 500000) * 1.1 bytes over 2 s; 40 lost of 1000 sent in between
  assert.equal(second.kbps, 1100);
  assert.equal(second.lossPercent, 4);
  assert.equal(second.quality, 'fair');
});

test('a relayed path names the protocol to the relay (UDP, TCP or TLS)', () => {
  const facts = summarizeStats(report({candidateType: 'relay', protocol: 'udp',
    relayProtocol: 'tls'}));
  assert.equal(facts.path, 'relayed');
  assert.equal(facts.protocol, 'TLS');
});

test('without a transport entry, the nominated succeeded pair is the one in use', () => {
  const facts = summarizeStats(report({selectedVia: 'pair', protocol: 'tcp'}));
  assert.equal(facts.path, 'direct');
  assert.equal(facts.protocol, 'TCP');
  assert.equal(facts.rttMs, 42);
});

test('quality: long round trips or heavy loss make it poor', () => {
  assert.equal(summarizeStats(report({rtt: 0.3})).quality, 'fair');
  assert.equal(summarizeStats(report({rtt: 0.6})).quality, 'poor');
  const first = summarizeStats(report({timestamp: 0, received: 1000}));
  assert.equal(summarizeStats(report({timestamp: 1000, received: 1900, lost: 100}), first)
    .quality, 'poor');
});

test('before any path is chosen there are no facts to show', () => {
  const facts = summarizeStats([]);
  assert.deepEqual({...facts, counters: undefined}, {path: null, protocol: null, rttMs: null,
    lossPercent: null, kbps: null, width: null, height: null, quality: null,
    counters: undefined});
});
