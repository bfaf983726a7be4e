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

/** How bytes were read: into the scratch buffer, or into the place the transport gave (readTarget). */
interface ReadCount {
  scratch: number;
  direct: number;
}

/**
 * Moves a side's output to the other through one scratch buffer, in reads of the given sizes (cycled);
 * with `direct`, as a socket asking the transport where each read should go, a read goes into the place
 * `readTarget()` gives when it gives one (never more than that place holds).
 */
function moveReused(
  from: Side,
  to: Side,
  reads: readonly number[],
  scratch: Buffer,
  direct = false,
  count: ReadCount = { scratch: 0, direct: 0 },
): boolean {
  const out = from.transport.takeOutput();
  if (out === undefined) return false;
  let k = 0;
  for (let at = 0; at < out.length; k++) {
    const target = direct ? to.transport.readTarget() : undefined;
    const into = target ?? scratch;
    const n = Math.min(reads[k % reads.length]!, out.length - at, into.length);
    out.copy(into, 0, at, at + n);
    to.transport.push(into.subarray(0, n), true);
    if (target === undefined) {
      // The socket's next read lands here: nothing may still be looking at these bytes.
      scratch.fill(0xee, 0, n);
      count.scratch++;
    } else {
      count.direct++;
    }
    at += n;
  }
  return true;
}

function pumpReused(
  client: Side,
  server: Side,
  reads: readonly number[],
  scratch: Buffer,
  direct = false,
  count?: ReadCount,
): void {
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const a = moveReused(client, server, reads, scratch, direct, count);
    const b = moveReused(server, client, reads, scratch, direct, count);
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
        fc.boolean(),
        (maxFrameSize, messages, reads, direct) => {
          const env = connect({ server: { maxFrameSize } });
          const { snd, rcv } = sendLink(env, 'q', messages.length);
          const scratch = Buffer.alloc(300_000);
          messages.forEach((m, i) => {
            sendMessage(snd, payload(m.size, i + 1), m.tag);
          });
          pumpReused(env.client, env.server, reads, scratch, direct);
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

  it('the rest of a large transfer is read straight into its memory, and only that', () => {
    const env = connect({ server: { maxFrameSize: 1_048_576 } });
    const { snd, rcv } = sendLink(env, 'q', 2);
    sendMessage(snd, payload(300_000, 1));
    sendMessage(snd, payload(20_000, 2));
    const count = { scratch: 0, direct: 0 };
    pumpReused(env.client, env.server, [10_000], Buffer.alloc(10_000), true, count);
    // The first message (one frame of ~300,100 bytes): one read holds its start, the next 28 go straight
    // into its memory until less than 16 KiB (DIRECT_READ_MIN) is left, which is read with what follows;
    // the second message is too small for any.
    assert.equal(count.direct, 28);
    const first = rcv.current!;
    assert.equal(first.partial, false);
    assert.equal(first.chunks.length, 1);
    assert.deepEqual(readAll(rcv), payload(300_000, 1));
    rcv.advance();
    assert.deepEqual(readAll(rcv), payload(20_000, 2));
    assert.equal(env.server.transport.readTarget(), undefined, 'nothing arriving: no target');
  });

  it('whole frames read with the start of a large one keep a copy of their own bytes only', () => {
    const env = connect({ server: { maxFrameSize: 1_048_576 } });
    const { snd, rcv } = sendLink(env, 'q', 2);
    sendMessage(snd, payload(200, 1));
    sendMessage(snd, payload(200_000, 2));
    const out = env.client.transport.takeOutput()!;
    const t = env.server.transport;
    const scratch = Buffer.alloc(65_536);
    for (let at = 0; at < out.length; at += scratch.length) {
      const n = out.copy(scratch, 0, at, at + scratch.length);
      t.push(scratch.subarray(0, n), true);
      scratch.fill(0xee);
    }
    drain(env.server);
    assert.equal(t.condition, undefined);
    const small = rcv.current!;
    // Its copy is small (Node's pool of small buffers at most). Copied with the rest of the first read,
    // the small message would hold on to ~64 KiB, most of it the large message's start, which is copied
    // again into that message's own memory.
    assert.ok(small.chunks[0]!.buffer.byteLength <= 8192, `${small.chunks[0]!.buffer.byteLength} bytes kept`);
    assert.deepEqual(readAll(rcv), payload(200, 1));
    rcv.advance();
    const large = rcv.current!;
    assert.equal(large.chunks.length, 1);
    assert.deepEqual(readAll(rcv), payload(200_000, 2));
  });

  it('bytes that are not the place it gave are copied, even in the large memory', () => {
    const env = connect({ server: { maxFrameSize: 1_048_576 } });
    const { snd, rcv } = sendLink(env, 'q', 1);
    sendMessage(snd, payload(100_000, 4));
    const out = env.client.transport.takeOutput()!;
    const t = env.server.transport;
    // The transfer frame up to 20,000 bytes into the body: the rest goes on past this read.
    const start = out.length - 100_000 + 20_000;
    t.push(out.subarray(0, start), true);
    const target = t.readTarget()!;
    assert.ok(target.length >= 16_384);
    // A read elsewhere in that memory (not at the place given) is taken as a read of its own.
    const elsewhere = target.subarray(100, 1100);
    out.copy(elsewhere, 0, start, start + 1000);
    t.push(elsewhere, true);
    out.copy(target.subarray(1000), 0, start + 1000);
    t.push(target.subarray(1000, 1000 + out.length - start - 1000), true);
    drain(env.server);
    assert.equal(t.condition, undefined);
    assert.deepEqual(readAll(rcv), payload(100_000, 4));
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
