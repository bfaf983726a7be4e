/**
 * The fast disposition reader and writer agree with the generic composite codec: what the writer
 * writes is byte for byte what the generic encoder writes, and it declines (writing nothing) a state it
 * does not take; what the reader reads is what the generic reader reads, and on anything else (a state
 * with fields, other encodings, mutated bytes) it gives up rather than guess.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Accepted,
  AmqpError,
  Disposition,
  Modified,
  Received,
  Rejected,
  Released,
  TransactionalState,
} from '../../src/codec/composite-types.js';
import { encodeComposite } from '../../src/codec/composites.js';
import { readDisposition, writeDisposition } from '../../src/engine/disposition-codec.js';
import {
  DESCRIPTOR_END,
  genericRead,
  maybe,
  mutated,
  mutationArb,
  uintArb,
  writtenFast,
} from '../support/fast-readers.js';

const rejectedWith = (condition: string) =>
  Object.assign(new Rejected(), { error: Object.assign(new AmqpError(), { condition }) });

/** States the fast codec takes (outcomes of no fields, or none). */
const plainState = fc.constantFrom(undefined, new Accepted(), new Released(), new Rejected(), new Modified());
/** States it leaves to the generic codec. */
const fieldedState = fc.oneof(
  fc.string({ maxLength: 10 }).map((s) => rejectedWith(`amqp:${s}`)),
  fc.boolean().map((b) => Object.assign(new Modified(), { deliveryFailed: b })),
  fc.boolean().map((b) => Object.assign(new Modified(), { undeliverableHere: b })),
  uintArb.map((n) => Object.assign(new Received(), { sectionNumber: n, sectionOffset: n })),
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .map((id) =>
      Object.assign(new TransactionalState(), { txnId: Buffer.from(id), outcome: new Accepted() }),
    ),
);
const dispositionArb = (state: fc.Arbitrary<unknown>) =>
  fc.record({
    role: fc.boolean(),
    first: uintArb,
    last: maybe(uintArb),
    settled: maybe(fc.boolean()),
    state,
    batchable: maybe(fc.boolean()),
  });
const toDisposition = (fields: Record<string, unknown>): Disposition =>
  Object.assign(new Disposition(), fields);

/** The bytes writeDisposition writes for `d` after `lead` bytes, or undefined if it declines. */
const fast = (d: Disposition, lead = 0) => writtenFast(writeDisposition, d, lead, 'disposition');

test('a disposition with an outcome of no fields, or none, is written as the generic encoder writes it', () => {
  fc.assert(
    fc.property(dispositionArb(plainState), fc.nat({ max: 40 }), (fields, lead) => {
      const d = toDisposition(fields);
      assert.deepEqual(fast(d, lead), encodeComposite(d));
    }),
    { numRuns: 1000 },
  );
});

test('a disposition whose state has fields is left to the generic encoder', () => {
  fc.assert(
    fc.property(dispositionArb(fieldedState), (fields) => {
      assert.equal(fast(toDisposition(fields)), undefined);
    }),
  );
});

test('a disposition in compact or Proton 0.37 widths is read as the generic reader reads it', () => {
  fc.assert(
    fc.property(
      dispositionArb(fc.oneof(plainState, fieldedState)),
      fc.constantFrom('compact', 'proton-0.37' as const),
      (fields, widths) => {
        const bytes = encodeComposite(toDisposition(fields), { widths: widths as 'compact' });
        const read = readDisposition(bytes, DESCRIPTOR_END, bytes.length);
        const slow = genericRead(bytes);
        assert.ok(!(slow instanceof Error));
        const plain = fields.state === undefined || (fast(toDisposition(fields)) ?? null) !== null;
        if (!plain) return assert.equal(read, undefined, 'a state with fields is for the generic reader');
        assert.ok(read !== undefined, "a plain disposition is in the fast reader's encodings");
        assert.deepEqual(read, slow.value);
      },
    ),
    { numRuns: 1000 },
  );
});

test('a mutated disposition: the fast reader gives up or agrees with the generic reader, never differs', () => {
  fc.assert(
    fc.property(dispositionArb(plainState), mutationArb, (fields, mutation) => {
      const input = mutated(encodeComposite(toDisposition(fields)), mutation);
      const read = readDisposition(input, DESCRIPTOR_END, input.length);
      if (read === undefined) return;
      const slow = genericRead(input);
      assert.ok(!(slow instanceof Error), `generic reader refused what the fast one read: ${String(slow)}`);
      assert.deepEqual(read, slow.value);
      assert.equal(slow.end, input.length);
    }),
    { numRuns: 3000 },
  );
});

test('each read gives a state object of its own, and empty outcomes in any list width', () => {
  const d = encodeComposite(toDisposition({ role: true, first: 1, settled: true, state: new Accepted() }));
  const a = readDisposition(d, DESCRIPTOR_END, d.length);
  const b = readDisposition(d, DESCRIPTOR_END, d.length);
  assert.ok(a?.state instanceof Accepted && b?.state instanceof Accepted);
  assert.notEqual(a.state, b.state);
  // released as list8 of no fields, and as list32 of no fields
  const list8 = Buffer.from([
    0x00, 0x53, 0x15, 0xc0, 0x0b, 0x05, 0x41, 0x43, 0x40, 0x41, 0x00, 0x53, 0x26, 0xc0, 0x01, 0x00,
  ]);
  assert.ok(readDisposition(list8, DESCRIPTOR_END, list8.length)?.state instanceof Released);
  assert.ok((genericRead(list8) as { value: Disposition }).value.state instanceof Released);
  const list32 = Buffer.from([
    0x00, 0x53, 0x15, 0xc0, 0x11, 0x05, 0x41, 0x43, 0x40, 0x41, 0x00, 0x53, 0x27, 0xd0, 0, 0, 0, 4, 0, 0, 0,
    0,
  ]);
  assert.ok(readDisposition(list32, DESCRIPTOR_END, list32.length)?.state instanceof Modified);
  assert.ok((genericRead(list32) as { value: Disposition }).value.state instanceof Modified);
  // received (0x23) has mandatory fields: an empty one is the generic reader's to refuse
  const emptyReceived = Buffer.from([
    0x00, 0x53, 0x15, 0xc0, 0x09, 0x05, 0x41, 0x43, 0x40, 0x41, 0x00, 0x53, 0x23, 0x45,
  ]);
  assert.equal(readDisposition(emptyReceived, DESCRIPTOR_END, emptyReceived.length), undefined);
  assert.ok(genericRead(emptyReceived) instanceof Error);
  // no role: mandatory
  const noRole = Buffer.from([0x00, 0x53, 0x15, 0xc0, 0x03, 0x02, 0x40, 0x43]);
  assert.equal(readDisposition(noRole, DESCRIPTOR_END, noRole.length), undefined);
  assert.ok(genericRead(noRole) instanceof Error);
});
