// A file pushed into a DataChannel in 16 KiB messages without letting the channel's buffer
// grow: sending pauses above a high-water mark and goes on at `bufferedamountlow`. No DOM.

/** Bytes per DataChannel message: 16 KiB, what every browser passes whole. */
export const CHUNK_BYTES = 16 * 1024;
/** Sending pauses while more than this many bytes wait in the channel's buffer. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** ...and goes on when the buffer falls to this (`bufferedamountlow`). */
export const LOW_WATER_BYTES = 256 * 1024;
// Read from the file in blocks of this size, sent as CHUNK_BYTES pieces.
const READ_BYTES = 1024 * 1024;

/**
 * Send `file` from byte `from` on, in CHUNK_BYTES messages; the channel's
 * `bufferedAmountLowThreshold` must be LOW_WATER_BYTES.
 * @param {Blob} file
 * @param {RTCDataChannel} channel open
 * @param {object} hooks
 * @param {() => boolean} hooks.going false stops it (cancelled, ended)
 * @param {(sent: number) => void} hooks.sent bytes handed to the channel so far
 * @returns {Promise<boolean>} true once every byte was handed over, false if stopped
 * @throws {DOMException} the file could not be read (moved, changed on disk)
 */
export async function pumpFile(file, channel, {going, sent}) {
  const open = () => going() && channel.readyState === 'open';
  let offset = 0;
  while (offset < file.size) {
    if (!open()) return false;
    const block = new Uint8Array(await file.slice(offset, offset + READ_BYTES).arrayBuffer());
    for (let at = 0; at < block.byteLength; at += CHUNK_BYTES) {
      if (channel.bufferedAmount > HIGH_WATER_BYTES) await drained(channel);
      if (!open()) return false;
      const chunk = block.subarray(at, at + CHUNK_BYTES);
      channel.send(chunk);
      offset += chunk.byteLength;
      sent(offset);
    }
  }
  return true;
}

/** Resolves when the channel's buffer fell to its threshold, or the channel closed. */
function drained(channel) {
  return new Promise((resolve) => {
    const done = () => {
      channel.removeEventListener('bufferedamountlow', done);
      channel.removeEventListener('close', done);
      resolve(undefined);
    };
    channel.addEventListener('bufferedamountlow', done);
    channel.addEventListener('close', done);
  });
}
