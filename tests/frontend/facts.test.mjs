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

/**
 * A getStats() report as Firefox gives it: no `transport` entry, several pairs nominated
 * and succeeded, the one in use flagged with the non-standard `selected`, and (in some
 * versions) no `currentRoundTripTime`; the round trip comes from RTCP receiver reports.
 */
/** @param {{rtt?: number|null, remoteRtts?: number[], lost?: number}} [options] */
function firefoxReport({rtt = 0.08, remoteRtts = [0.07, 0.09], lost = 0} = {}) {
  const timestamp = 10_000;
  return [
    {id: 'P-tcp', type: 'candidate-pair', timestamp, localCandidateId: 'L-tcp',
      remoteCandidateId: 'R1', state: 'succeeded', nominated: true, selected: false},
    {id: 'P-relay', type: 'candidate-pair', timestamp, localCandidateId: 'L-relay',
      remoteCandidateId: 'R1', state: 'succeeded', nominated: true, selected: false},
    {id: 'P-udp', type: 'candidate-pair', timestamp, localCandidateId: 'L-udp',
      remoteCandidateId: 'R1', state: 'succeeded', nominated: true, selected: true,
      ...(rtt === null ? {} : {currentRoundTripTime: rtt})},
    {id: 'L-tcp', type: 'local-candidate', timestamp, candidateType: 'host', protocol: 'tcp'},
    {id: 'L-relay', type: 'local-candidate', timestamp, candidateType: 'relay',
      protocol: 'udp', relayProtocol: 'tls'},
    {id: 'L-udp', type: 'local-candidate', timestamp, candidateType: 'srflx', protocol: 'udp'},
    ...remoteRtts.map((roundTripTime, index) => ({id: `RI${index}`, type: 'remote-inbound-rtp',
      timestamp, kind: index ? 'video' : 'audio', roundTripTime})),
    {id: 'IV', type: 'inbound-rtp', kind: 'video', timestamp, bytesReceived: 100_000,
      packetsReceived: 1000 - lost, packetsLost: lost, frameWidth: 640, frameHeight: 480},
  ];
}

test('Firefox: the pair flagged `selected` is the one in use, not the first nominated', () => {
  const facts = summarizeStats(firefoxReport());
  assert.equal(facts.path, 'direct');
  assert.equal(facts.protocol, 'UDP');
  assert.equal(facts.rttMs, 80);
});

test('Firefox: without currentRoundTripTime, RTCP receiver reports give the round trip', () => {
  const facts = summarizeStats(firefoxReport({rtt: null, remoteRtts: [0.3, 0.32]}));
  assert.equal(facts.rttMs, 310);
  assert.equal(facts.quality, 'fair');
});

test('an unknown round trip stays unknown: no "good" verdict without it', () => {
  const facts = summarizeStats(firefoxReport({rtt: null, remoteRtts: []}));
  assert.equal(facts.path, 'direct');
  assert.equal(facts.rttMs, null);
  assert.equal(facts.quality, null);
  // Heavy loss is bad news whatever the round trip.
  assert.equal(summarizeStats(firefoxReport({rtt: null, remoteRtts: [], lost: 100}))
    .quality, 'poor');
});
