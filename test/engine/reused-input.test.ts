/**
 * Input read into memory that the next read overwrites (`Transport.push(bytes, true)`, a client socket
 * reading into one shared buffer): whatever the frame sizes, message sizes and read boundaries, every
 * message arrives whole with its tag, though each read's memory is scribbled over as soon as it is pushed
 * and the messages are read only after all of them came.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Receiver } from '../../src/engine/index.js';
import { connect, payload, readAll, sendLink, sendMessage } from '../support/flows.js';
import { drain, type Side } from '../support/pair.js';

/** Moves a side's output to the other through one scratch buffer, in reads of the given sizes (cycled). */
function moveReused(from: Side, to: Side, reads: readonly number[], scratch: Buffer): boolean {
  const out = from.transport.takeOutput();
  if (out === undefined) return false;
  let k = 0;
  for (let at = 0; at < out.length; k++) {
    const n = Math.min(reads[k % reads.length]!, out.length - at, scratch.length);
    out.copy(scratch, 0, at, at + n);
    to.transport.push(scratch.subarray(0, n), true);
    // The socket's next read lands here: nothing may still be looking at these bytes.
    scratch.fill(0xee, 0, n);
    at += n;
  }
  return true;
}

function pumpReused(client: Side, server: Side, reads: readonly number[], scratch: Buffer): void {
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const a = moveReused(client, server, reads, scratch);
    const b = moveReused(server, client, reads, scratch);
    if (!a && !b) return;
  }
  throw new Error('did not settle');
}

const SIZES = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 300, max: 70_000 }),
  fc.integer({ min: 60_000, max: 300_000 }),
);

describe('transport: input in reused memory', () => {
  it('every message arrives whole with its tag, read after all came', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(512, 4096, 65_536, 70_000, 1_048_576),
        fc.array(fc.record({ size: SIZES, tag: fc.uint8Array({ maxLength: 32 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }),
        (maxFrameSize, messages, reads) => {
          const env = connect({ server: { maxFrameSize } });
          const { snd, rcv } = sendLink(env, 'q', messages.length);
          const scratch = Buffer.alloc(300_000);
          messages.forEach((m, i) => {
            sendMessage(snd, payload(m.size, i + 1), m.tag);
          });
          pumpReused(env.client, env.server, reads, scratch);
          drain(env.server);
          assert.equal(env.server.transport.condition, undefined);
          messages.forEach((m, i) => {
            const d = (rcv as Receiver).current;
            assert.ok(d !== undefined, `message ${i} arrived`);
            assert.equal(d.partial, false);
            assert.deepEqual(Buffer.from(d.tag), Buffer.from(m.tag), `tag of message ${i}`);
            assert.deepEqual(readAll(rcv), payload(m.size, i + 1), `body of message ${i} (${m.size} bytes)`);
            rcv.advance();
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a message just larger than a frame arrives in one piece of memory', () => {
    const env = connect({ server: { maxFrameSize: 65_536 } });
    const { snd, rcv } = sendLink(env, 'q', 1);
    sendMessage(snd, payload(65_600, 3));
    pumpReused(env.client, env.server, [10_000], Buffer.alloc(10_000));
    const d = rcv.current!;
    assert.equal(d.partial, false);
    assert.equal(d.chunks.length, 1, 'the second frame went into the room after the first');
    assert.deepEqual(readAll(rcv), payload(65_600, 3));
  });
});

describe('a delivery appending into the room after its own memory', () => {
  function delivery() {
    const env = connect();
    const { snd } = sendLink(env, 'q', 1);
    return snd.delivery('t');
  }

  it('takes what fits into the room, starts a new chunk for what does not', () => {
    const d = delivery();
    const memory = Buffer.alloc(10, 0);
    memory.set([1, 2, 3, 4]);
    d.addOwnedChunk(memory, 4);
    d.addChunk(Buffer.from([5, 6]));
    assert.equal(d.chunks.length, 1);
    assert.deepEqual(Buffer.from(d.chunks[0]!), Buffer.from([1, 2, 3, 4, 5, 6]));
    d.addChunk(Buffer.from([7, 8, 9, 10, 11]));
    assert.equal(d.chunks.length, 2, 'five bytes do not fit in the four left');
    d.addChunk(Buffer.from([12]));
    assert.equal(d.chunks.length, 3, 'no room once a chunk of other memory came after');
    assert.deepEqual(Buffer.from(d.chunks[0]!), Buffer.from([1, 2, 3, 4, 5, 6]));
  });

  it('never writes into memory already taken', () => {
    const d = delivery();
    const memory = Buffer.alloc(8, 0);
    memory.set([1, 2]);
    d.addOwnedChunk(memory, 2);
    d.size = 2;
    const taken = d.take(2);
    d.addChunk(Buffer.from([9, 9]));
    assert.deepEqual(Buffer.from(taken), Buffer.from([1, 2]));
    assert.deepEqual([...memory], [1, 2, 0, 0, 0, 0, 0, 0], 'the room went with the bytes taken');
  });
});
