// Sending a file between two FileTransfers over fake DataChannels: nothing before accept,
// chunking, backpressure, decline, cancel from either side, a damaged file, bad offers.
import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {test} from 'node:test';

import {MAX_FILE_BYTES, readOffer, safeName} from '../../frontend/js/file-offer.js';
import {CHUNK_BYTES, HIGH_WATER_BYTES, LOW_WATER_BYTES} from '../../frontend/js/file-pump.js';
import {FileTransfers} from '../../frontend/js/file-transfer.js';
import {FakeFileConnection, settle} from './fakes.mjs';

/** Two people in a call: Ada sends, Bob receives; control messages go both ways. */
function call({lostAfterMs = 0} = {}) {
  const [adaPc, bobPc] = FakeFileConnection.pair();
  const control = {ada: [], bob: []}; // what each one sent on the control channel
  let open = true;
  const side = (name, pc, other) => {
    const transfers = new FileTransfers({
      send: (message) => {
        if (!open) return false;
        control[name].push(message);
        const copy = JSON.parse(JSON.stringify(message));
        queueMicrotask(() => other().message(copy));
        return true;
      },
      connection: () => (open ? /** @type {any} */ (pc) : null),
    }, {lostAfterMs});
    const seen = [];
    transfers.addEventListener('transfer', ({detail}) => seen.push(detail));
    const last = (id) => seen.findLast((t) => t.id === id);
    const states = (id) => [...new Set(seen.filter((t) => t.id === id).map((t) => t.state))];
    return {transfers, pc, seen, last, states};
  };
  const ada = side('ada', adaPc, () => bob.transfers);
  const bob = side('bob', bobPc, () => ada.transfers);
  return {ada, bob, control, hangUp: () => { open = false; }};
}

/** Let the network carry everything until nothing moves any more. */
async function flow(...sides) {
  for (let quiet = 0; quiet < 3;) {
    await settle();
    if (quiet) await new Promise((resolve) => setTimeout(resolve, 10)); // digests run off-thread
    let moved = 0;
    for (const {pc} of sides) {
      for (const channel of pc.channels) moved += channel.deliver();
    }
    quiet = moved ? 0 : quiet + 1;
  }
}

const randomFile = (size, name = 'photo.jpg') =>
  Object.assign(new Blob([randomBytes(size)]), {name});
const sha256 = async (blob) =>
  createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex');

test('a file arrives identical: offered, accepted, sent in 16 KiB chunks, checked', async () => {
  const {ada, bob, control} = call();
  const file = randomFile(3 * 1024 * 1024 + 123);
  const id = await ada.transfers.offer(file);
  await settle();
  const [offer] = control.ada;
  assert.deepEqual(Object.keys(offer).sort(), ['id', 'mime', 'name', 'sha256', 'size', 'type']);
  assert.equal(offer.sha256, await sha256(file));
  assert.deepEqual(bob.last(id), {id, direction: 'in', name: 'photo.jpg', size: file.size,
    state: 'offered', bytes: 0, by: null, problem: null, file: null});
  assert.equal(ada.pc.channels.length, 0, 'nothing is sent before they accept');

  bob.transfers.accept(id);
  await flow(ada, bob);
  const [channel] = ada.pc.channels;
  assert.equal(channel.label, `file-${id}`);
  assert.equal(channel.sentBytes, file.size);
  assert.equal(Math.ceil(file.size / CHUNK_BYTES), 193, 'so many messages');
  assert.equal(bob.last(id).state, 'done');
  assert.equal(await sha256(bob.last(id).file), await sha256(file));
  assert.equal(bob.last(id).file.type, 'application/octet-stream', 'never opened as a page');
  assert.deepEqual(ada.states(id), ['preparing', 'offered', 'sending', 'done']);
  assert.deepEqual(bob.states(id), ['offered', 'receiving', 'checking', 'done']);
  assert.deepEqual(control.bob.map(({type}) => type), ['file-accept', 'file-done']);
  assert.equal(control.bob[1].ok, true);
  // Progress: rising, on both sides; the sender's moves as its buffer drains.
  for (const [who, least] of [[ada, 5], [bob, 50]]) {
    const progress = who.seen.filter((t) => t.id === id).map((t) => t.bytes);
    assert.ok(progress.length > least, `${progress.length} updates`);
    assert.deepEqual(progress, [...progress].sort((x, y) => x - y));
  }
  assert.equal(channel.readyState, 'closed');
});

test('backpressure: sending pauses above the high-water mark and goes on once drained',
  async () => {
    const {ada, bob} = call();
    const file = randomFile(4 * 1024 * 1024);
    const id = await ada.transfers.offer(file);
    await settle();
    bob.transfers.accept(id);
    await settle();
    await settle();
    const [channel] = ada.pc.channels;
    assert.equal(channel.bufferedAmountLowThreshold, LOW_WATER_BYTES);
    await settle();
    const paused = channel.sentBytes;
    assert.ok(paused > HIGH_WATER_BYTES && paused <= HIGH_WATER_BYTES + CHUNK_BYTES,
      `paused after ${paused} bytes`);
    await settle();
    assert.equal(channel.sentBytes, paused, 'nothing more while the buffer is full');

    channel.deliver(paused - LOW_WATER_BYTES - CHUNK_BYTES); // not yet down to the threshold
    await settle();
    assert.equal(channel.sentBytes, paused, 'still paused above the low-water mark');
    channel.deliver(CHUNK_BYTES); // crosses it: bufferedamountlow
    await settle();
    await settle();
    assert.ok(channel.sentBytes > paused, 'resumed');
    await flow(ada, bob);
    assert.equal(bob.last(id).state, 'done');
    assert.ok(channel.highestBuffered <= HIGH_WATER_BYTES + CHUNK_BYTES,
      `at most ${channel.highestBuffered} bytes waited`);
  });

test('declining: nothing is sent, the sender is told, and the next file goes through',
  async () => {
    const {ada, bob, control} = call();
    const first = await ada.transfers.offer(randomFile(50_000));
    await settle();
    bob.transfers.decline(first);
    await flow(ada, bob);
    assert.deepEqual(ada.last(first), {...ada.last(first), state: 'declined', by: 'them'});
    assert.deepEqual(bob.last(first), {...bob.last(first), state: 'declined', by: 'you'});
    assert.equal(ada.pc.channels.length, 0);
    assert.deepEqual(control.bob, [{type: 'file-decline', id: first}]);

    const second = await ada.transfers.offer(randomFile(70_000, 'notes.txt'));
    await settle();
    bob.transfers.accept(second);
    await flow(ada, bob);
    assert.equal(bob.last(second).state, 'done');
    assert.equal(ada.last(second).state, 'done');
  });

for (const canceller of ['sender', 'receiver']) {
  test(`cancelling mid-transfer from the ${canceller}: both stop, both can send again`,
    async () => {
      const {ada, bob, control} = call({lostAfterMs: 5});
      const id = await ada.transfers.offer(randomFile(3 * 1024 * 1024));
      await settle();
      bob.transfers.accept(id);
      await settle();
      await settle();
      const [channel] = ada.pc.channels;
      channel.deliver(HIGH_WATER_BYTES / 2);
      await settle();
      assert.equal(bob.last(id).state, 'receiving');
      assert.ok(bob.last(id).bytes > 0 && bob.last(id).bytes < 3 * 1024 * 1024);

      const [me, them] = canceller === 'sender' ? [ada, bob] : [bob, ada];
      me.transfers.cancel(id);
      await flow(ada, bob);
      await new Promise((resolve) => setTimeout(resolve, 20)); // past lostAfterMs
      assert.equal(me.last(id).state, 'cancelled');
      assert.equal(me.last(id).by, 'you');
      assert.equal(them.last(id).state, 'cancelled', 'told, not merely lost');
      assert.equal(them.last(id).by, 'them');
      assert.equal(channel.readyState, 'closed');
      assert.ok(channel.sentBytes < 3 * 1024 * 1024, 'the rest was never sent');
      const sentBy = canceller === 'sender' ? control.ada : control.bob;
      assert.deepEqual(sentBy.at(-1), {type: 'file-cancel', id});

      // Both go on: Bob now sends Ada a file.
      const next = await bob.transfers.offer(randomFile(40_000));
      await settle();
      ada.transfers.accept(next);
      await flow(ada, bob);
      assert.equal(ada.last(next).state, 'done');
    });
}

test('a damaged file is not offered for saving, and both sides say so', async () => {
  const {ada, bob, control} = call();
  const id = await ada.transfers.offer(randomFile(100_000));
  await settle();
  bob.transfers.accept(id);
  await settle();
  await settle();
  ada.pc.channels[0].tamper = (bytes) => { bytes[7] ^= 1; };
  await flow(ada, bob);
  assert.equal(bob.last(id).state, 'failed');
  assert.equal(bob.last(id).problem, 'mismatch');
  assert.equal(bob.last(id).file, null);
  assert.deepEqual(control.bob.at(-1), {type: 'file-done', id, ok: false});
  assert.equal(ada.last(id).problem, 'mismatch');
});

test('the positive control of the damage test: untouched bytes pass the same check',
  async () => {
    const {ada, bob} = call();
    const id = await ada.transfers.offer(randomFile(100_000));
    await settle();
    bob.transfers.accept(id);
    await settle();
    await settle();
    ada.pc.channels[0].tamper = () => {};
    await flow(ada, bob);
    assert.equal(bob.last(id).state, 'done');
  });

test('files that cannot go: too large, empty, nobody there', async () => {
  const {ada, control, hangUp} = call();
  const huge = {name: 'disk.iso', size: MAX_FILE_BYTES + 1, type: '',
    arrayBuffer: () => assert.fail('a file over the limit is never read')};
  const tooLarge = await ada.transfers.offer(/** @type {any} */ (huge));
  assert.equal(ada.last(tooLarge).problem, 'too-large');
  const empty = await ada.transfers.offer(randomFile(0, 'folder'));
  assert.equal(ada.last(empty).problem, 'empty');
  assert.deepEqual(control.ada, [], 'nothing offered');
  hangUp();
  const alone = await ada.transfers.offer(randomFile(10));
  assert.equal(ada.last(alone).problem, 'no-peer');
});

test('offers from a modified client are declined with a reason the sender shows',
  async () => {
    const {bob, control} = call();
    const id = '0123456789abcdef';
    const good = {type: 'file-offer', id, name: 'a.txt', size: 10, mime: '', sha256: 'a'.repeat(64)};
    bob.transfers.message({...good, size: MAX_FILE_BYTES + 1});
    bob.transfers.message({...good, id: 'fedcba9876543210', sha256: 'not hex'});
    bob.transfers.message({...good, id: 'nonsense'}); // no id to answer
    assert.deepEqual(control.bob, [
      {type: 'file-decline', id, reason: 'too-large'},
      {type: 'file-decline', id: 'fedcba9876543210', reason: 'bad-offer'}]);
    assert.equal(bob.seen.length, 0, 'nothing shown');
    bob.transfers.message(good); // positive control: the same offer, well formed
    assert.equal(bob.last(id).state, 'offered');
  });

test('the sender shows why the other side refused an offer', async () => {
  const {ada} = call();
  const id = await ada.transfers.offer(randomFile(10));
  ada.transfers.message({type: 'file-decline', id, reason: 'too-large'});
  assert.equal(ada.last(id).state, 'failed');
  assert.equal(ada.last(id).problem, 'too-large');
});

test('a channel that closes without a cancel, or the other person leaving, is a loss',
  async () => {
    const {ada, bob} = call({lostAfterMs: 5});
    const id = await ada.transfers.offer(randomFile(3 * 1024 * 1024));
    await settle();
    bob.transfers.accept(id);
    await settle();
    await settle();
    ada.pc.channels[0].other.close(); // as if their side dropped it
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ada.last(id).problem, 'lost');
    assert.equal(bob.last(id).problem, 'lost');

    const offered = await ada.transfers.offer(randomFile(10));
    await settle();
    bob.transfers.peerGone();
    ada.transfers.peerGone();
    assert.equal(bob.last(offered).problem, 'lost');
    assert.equal(ada.last(offered).problem, 'lost');
  });

test('names are one plain component, never a path', () => {
  assert.equal(safeName('../../etc/passwd'), '.._.._etc_passwd');
  assert.equal(safeName('a\u0000b\nc.txt'), 'a_b_c.txt');
  assert.equal(safeName(''), 'file');
  assert.equal(safeName('..'), 'file');
  assert.equal(safeName('x'.repeat(400)).length, 255);
  const {offer} = readOffer({type: 'file-offer', id: '0123456789abcdef', name: '<img src=x onerror=alert(1)>.html',
    size: 1, sha256: 'b'.repeat(64)});
  assert.equal(offer?.name, '<img src=x onerror=alert(1)>.html', 'kept as text; the view never parses it');
});

test('a file that cannot be read fails with its own reason, before or while sending',
  async () => {
    const {ada, bob, control} = call();
    const gone = {name: 'moved.txt', size: 10, type: '',
      arrayBuffer: () => Promise.reject(Object.assign(new Error('gone'), {name: 'NotFoundError'}))};
    const early = await ada.transfers.offer(/** @type {any} */ (gone));
    assert.equal(ada.last(early).problem, 'unreadable');
    assert.deepEqual(control.ada, [], 'nothing offered');

    // Read once for the hash, then changed on disk: the next read fails mid-transfer.
    const file = randomFile(2 * 1024 * 1024, 'changing.bin');
    const changing = {name: file.name, size: file.size, type: '',
      arrayBuffer: () => file.arrayBuffer(), slice: () => gone};
    const late = await ada.transfers.offer(/** @type {any} */ (changing));
    await settle();
    bob.transfers.accept(late);
    await flow(ada, bob);
    assert.equal(ada.last(late).problem, 'unreadable');
    assert.equal(bob.last(late).state, 'cancelled', 'the receiver is told');
  });
