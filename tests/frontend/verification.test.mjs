import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';

import {fingerprints, verificationCode} from '../../frontend/js/verification.js';

const FP_A = '9D:1F:3B:27:4C:8E:AA:01:5E:66:0B:C2:93:7D:E4:10:2F:88:41:B9:C3:06:7A:55:D2:19:E0:4B:6C:F3:21:8A';
const FP_B = '04:B7:52:E8:1A:9C:6D:33:F0:27:C5:8E:42:19:BB:70:DE:65:0A:93:4F:21:7C:E6:38:B1:05:D9:6A:2E:C4:F8';
const sdp = (fingerprint, ...more) => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111', `a=fingerprint:sha-256 ${fingerprint}`, ...more,
  'm=video 9 UDP/TLS/RTP/SAVPF 96', `a=fingerprint:sha-256 ${fingerprint}`, ''].join('\r\n');

test('fingerprints are read from the SDP, normalised, without repeats', () => {
  assert.deepEqual(fingerprints(sdp(FP_A)), [`sha-256 ${FP_A}`]);
  assert.deepEqual(fingerprints(sdp(FP_A.toLowerCase()).replace('sha-256', 'SHA-256')),
    [`sha-256 ${FP_A}`]);
  assert.deepEqual(fingerprints('v=0\r\n'), []);
});

test('both sides derive the same code: the order of the two SDPs does not matter', async () => {
  const mine = await verificationCode(sdp(FP_A), sdp(FP_B));
  const theirs = await verificationCode(sdp(FP_B), sdp(FP_A));
  assert.match(mine, /^\d{4} \d{4} \d{4}$/);
  assert.equal(mine, theirs);
});

test('the code is SHA-256 over the sorted fingerprints, 40 bits shown as 12 digits',
  async () => {
    const text = [`sha-256 ${FP_A}`, `sha-256 ${FP_B}`].sort().join('\n');
    const digest = createHash('sha256').update(text).digest();
    const number = digest.readUIntBE(0, 5) % 1e12;
    const expected = String(number).padStart(12, '0').replace(/(\d{4})(?=\d)/g, '$1 ');
    assert.equal(await verificationCode(sdp(FP_A), sdp(FP_B)), expected);
  });

test('a fingerprint changed in transit gives the two sides different codes', async () => {
  const tampered = FP_B.replace('04:B7', '14:B7');
  const atA = await verificationCode(sdp(FP_A), sdp(tampered)); // A got B's SDP altered
  const atB = await verificationCode(sdp(FP_B), sdp(FP_A));
  assert.notEqual(atA, atB);
});

test('no code without a fingerprint on both sides', async () => {
  assert.equal(await verificationCode(sdp(FP_A), 'v=0\r\n'), null);
});
