// The verification code: both people see the same digits only if each browser's DTLS
// fingerprint reached the other unchanged (docs/protocol.md).

const FINGERPRINT = /^a=fingerprint:(\S+) ([0-9a-f:]+)\s*$/gim;

/** The `a=fingerprint` values of an SDP, normalised (`sha-256 AB:CD:...`), once each. */
export function fingerprints(sdp) {
  const found = [...String(sdp).matchAll(FINGERPRINT)]
    .map(([, algorithm, value]) => `${algorithm.toLowerCase()} ${value.toUpperCase()}`);
  return [...new Set(found)];
}

/**
 * `0417 9932 5168` from SHA-256 over both sides' fingerprints, sorted so that both browsers
 * hash the same text; null without fingerprints.
 */
export async function verificationCode(localSdp, remoteSdp, subtle = globalThis.crypto.subtle) {
  const local = fingerprints(localSdp);
  const remote = fingerprints(remoteSdp);
  if (!local.length || !remote.length) return null;
  const text = [local.join(','), remote.join(',')].sort().join('\n');
  const digest = new DataView(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
  // 40 bits as 12 digits: too many for a server to find colliding certificates mid-call.
  const number = (digest.getUint32(0) * 256 + digest.getUint8(4)) % 1e12;
  return String(number).padStart(12, '0').replace(/\d{4}(?=\d)/g, '$& ');
}
