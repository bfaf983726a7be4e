/**
 * The encoding of messages given to `Sender.send` (issue 7): small ones as views of a shared slab, large
 * binary bodies in lent memory. Each must be the bytes `Message.encode` makes, and stay so however many
 * messages are encoded after it, a failed one among them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { EncodeError } from '../../src/errors.js';
import { Message } from '../../src/message/message.js';
import { encodeMessage, encodeMessageToSend } from '../../src/message/message-codec.js';

const message = fc.record({
  id: fc.nat(),
  subject: fc.string({ maxLength: 40 }),
  body: fc.oneof(
    fc.string({ maxLength: 3000 }),
    fc.uint8Array({ maxLength: 9000 }).map((b) => Buffer.from(b)),
    // Now and then past the size whose encoding is lent.
    fc.integer({ min: 60_000, max: 70_000 }).map((n) => Buffer.alloc(n, n & 0xff)),
  ),
  data: fc.boolean(),
  broken: fc.boolean(),
});

describe('encodeMessageToSend (issue 7)', () => {
  it('issue 7: each message sent is the bytes of Message.encode, unchanged by the ones encoded after it', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 60 }), (specs) => {
        const sent: { m: Message; bytes: Buffer }[] = [];
        for (const s of specs) {
          const m = new Message({ id: s.id, subject: s.subject, body: s.body });
          if (s.data && typeof s.body !== 'string') m.bodyKind = 'data';
          if (s.broken) {
            // A failed encoding between two good ones leaves nothing behind.
            const bad = new Message({ id: s.id, subject: s.subject, body: s.body });
            bad.bodyKind = 'nonsense' as never; // fails after the sections before the body are written
            assert.throws(() => encodeMessageToSend(bad), EncodeError);
          }
          sent.push({ m, bytes: encodeMessageToSend(m) });
        }
        for (const [i, { m, bytes }] of sent.entries()) {
          assert.ok(bytes.equals(encodeMessage(m)), `message ${i} of ${sent.length}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('issue 7: small messages share a slab, one after the other', () => {
    const a = encodeMessageToSend(new Message({ body: 'a' }));
    const b = encodeMessageToSend(new Message({ body: 'b' }));
    assert.equal(a.buffer, b.buffer);
    assert.equal(b.byteOffset, a.byteOffset + a.length);
  });
});

describe('ByteWriter as an arena (issue 7)', () => {
  it('issue 7: outputs are views in one buffer until the room left is short, then a new slab', () => {
    const w = new ByteWriter(64);
    w.beginView(16, 64);
    w.bytes(Buffer.alloc(30, 1));
    const first = w.takeView();
    w.beginView(16, 64);
    w.bytes(Buffer.alloc(20, 2));
    const second = w.takeView();
    assert.equal(second.buffer, first.buffer);
    w.beginView(16, 64); // 14 bytes left: a new slab
    w.bytes(Buffer.alloc(10, 3));
    w.dropView();
    w.bytes(Buffer.alloc(5, 4));
    const third = w.takeView();
    assert.notEqual(third.buffer, first.buffer);
    assert.deepEqual([...first], Array(30).fill(1));
    assert.deepEqual([...second], Array(20).fill(2));
    assert.deepEqual([...third], Array(5).fill(4), 'what was dropped is not in the next output');
  });
});
