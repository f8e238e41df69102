// The verification code: both people read the same digits only if each browser's DTLS
// fingerprint reached the other unchanged. A signaling server that swapped in its own
// certificate (to sit in the middle) makes the two codes differ.

const FINGERPRINT = /^a=fingerprint:(\S+) ([0-9a-f:]+)\s*$/gim;
const GROUPS = 3;
const GROUP_DIGITS = 4;

/**
 * The `a=fingerprint` values of one SDP, normalised (`sha-256 AB:CD:...`), without repeats.
 * @param {string} sdp
 * @returns {string[]}
 */
export function fingerprints(sdp) {
  const found = [...String(sdp).matchAll(FINGERPRINT)]
    .map(([, algorithm, value]) => `${algorithm.toLowerCase()} ${value.toUpperCase()}`);
  return [...new Set(found)];
}

/**
 * A code such as `0417 9932 5168` from the local and remote SDP: SHA-256 over both sides'
 * fingerprints, sorted so that the two browsers hash the same text. Null if either SDP has
 * no fingerprint.
 * @param {string} localSdp
 * @param {string} remoteSdp
 * @param {SubtleCrypto} [subtle]
 * @returns {Promise<string|null>}
 */
export async function verificationCode(localSdp, remoteSdp, subtle = globalThis.crypto.subtle) {
  const local = fingerprints(localSdp);
  const remote = fingerprints(remoteSdp);
  if (!local.length || !remote.length) return null;
  const text = [local.join(','), remote.join(',')].sort().join('\n');
  const digest = new DataView(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
  // 40 bits: too many for a server to find a certificate pair that collides during a call.
  const number = (BigInt(digest.getUint32(0)) << 8n) | BigInt(digest.getUint8(4));
  const digits = (number % 10n ** BigInt(GROUPS * GROUP_DIGITS))
    .toString().padStart(GROUPS * GROUP_DIGITS, '0');
  return digits.match(new RegExp(`\\d{${GROUP_DIGITS}}`, 'g')).join(' ');
}
