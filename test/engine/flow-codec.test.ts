/**
 * The fast flow reader and writer agree with the generic composite codec: what the writer writes is
 * byte for byte what the generic encoder writes, and it declines (writing nothing) whatever it does not
 * take; what the reader reads is what the generic reader reads, and on anything else (properties, other
 * encodings, mutated bytes) it gives up rather than guess.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Flow } from '../../src/codec/composite-types.js';
import { encodeComposite } from '../../src/codec/composites.js';
import { readFlow, writeFlow } from '../../src/engine/flow-codec.js';
import {
  DESCRIPTOR_END,
  genericRead,
  maybe,
  mutated,
  mutationArb,
  uintArb,
  writtenFast,
} from '../support/fast-readers.js';

const flowArb = fc.record({
  nextIncomingId: maybe(uintArb),
  incomingWindow: uintArb,
  nextOutgoingId: uintArb,
  outgoingWindow: uintArb,
  handle: maybe(uintArb),
  deliveryCount: maybe(uintArb),
  linkCredit: maybe(uintArb),
  available: maybe(uintArb),
  drain: maybe(fc.boolean()),
  echo: maybe(fc.boolean()),
});
const toFlow = (fields: Record<string, unknown>): Flow => Object.assign(new Flow(), fields);

/** The bytes writeFlow writes for `f` after `lead` bytes already in the writer, or undefined if it declines. */
const fast = (f: Flow, lead = 0) => writtenFast(writeFlow, f, lead, 'flow');

test('a flow without properties is written byte for byte as the generic encoder writes it', () => {
  fc.assert(
    fc.property(flowArb, fc.nat({ max: 40 }), (fields, lead) => {
      const f = toFlow(fields);
      assert.deepEqual(fast(f, lead), encodeComposite(f));
    }),
    { numRuns: 1000 },
  );
});

test('a flow in compact or Proton 0.37 widths is read as the generic reader reads it', () => {
  fc.assert(
    fc.property(flowArb, fc.constantFrom('compact', 'proton-0.37' as const), (fields, widths) => {
      const bytes = encodeComposite(toFlow(fields), { widths: widths as 'compact' });
      const read = readFlow(bytes, DESCRIPTOR_END, bytes.length);
      assert.ok(read !== undefined, "a plain flow is in the fast reader's encodings");
      const slow = genericRead(bytes);
      assert.ok(!(slow instanceof Error));
      assert.deepEqual(read, slow.value);
    }),
    { numRuns: 1000 },
  );
});

test('a mutated flow: the fast reader gives up or agrees with the generic reader, never differs', () => {
  fc.assert(
    fc.property(flowArb, mutationArb, (fields, mutation) => {
      const input = mutated(encodeComposite(toFlow(fields)), mutation);
      const read = readFlow(input, DESCRIPTOR_END, input.length);
      if (read === undefined) return;
      const slow = genericRead(input);
      assert.ok(!(slow instanceof Error), `generic reader refused what the fast one read: ${String(slow)}`);
      assert.deepEqual(read, slow.value);
      assert.equal(slow.end, input.length, 'the fast reader took a frame with bytes after its flow');
    }),
    { numRuns: 3000 },
  );
});

test('a flow with properties, or a value the generic encoder would check, is left to the generic codec', () => {
  const plain = { incomingWindow: 10, nextOutgoingId: 1, outgoingWindow: 10, handle: 0, linkCredit: 5 };
  const withProps = toFlow({ ...plain, properties: new Map([['k', 1]]) });
  assert.equal(fast(withProps), undefined);
  const bytes = encodeComposite(withProps);
  assert.equal(readFlow(bytes, DESCRIPTOR_END, bytes.length), undefined);
  assert.ok((genericRead(bytes) as { value: Flow }).value.properties instanceof Map);
  for (const [key, bad] of [
    ['linkCredit', -1],
    ['linkCredit', 2 ** 32],
    ['linkCredit', 1.5],
    ['handle', '3'],
    ['incomingWindow', undefined],
    ['outgoingWindow', null],
  ] as const) {
    const f = toFlow({ ...plain, [key]: bad });
    assert.equal(fast(f), undefined, `${key} ${String(bad)}`);
    assert.throws(() => encodeComposite(f), `the generic encoder refuses ${key} ${String(bad)}`);
  }
  // A boolean field holding something else: the generic encoder's own reading of it stands.
  const oddDrain = toFlow({ ...plain, drain: 1 });
  assert.equal(fast(oddDrain), undefined);
  assert.ok(encodeComposite(oddDrain).length > 0);
});

test('a flow whose mandatory fields are missing, or with bytes after it, is left to the generic reader', () => {
  // incoming-window null: mandatory, so the generic reader must report it.
  const nullWindow = Buffer.from([0x00, 0x53, 0x13, 0xc0, 0x05, 0x04, 0x40, 0x40, 0x43, 0x43]);
  assert.equal(readFlow(nullWindow, DESCRIPTOR_END, nullWindow.length), undefined);
  assert.ok(genericRead(nullWindow) instanceof Error);
  const short = Buffer.from([0x00, 0x53, 0x13, 0xc0, 0x03, 0x02, 0x43, 0x43]);
  assert.equal(readFlow(short, DESCRIPTOR_END, short.length), undefined);
  assert.ok(genericRead(short) instanceof Error);
  const f = encodeComposite(toFlow({ incomingWindow: 1, nextOutgoingId: 2, outgoingWindow: 3 }));
  const trailing = Buffer.concat([f, Buffer.from([0x40])]);
  assert.equal(readFlow(trailing, DESCRIPTOR_END, trailing.length), undefined);
  assert.deepEqual(
    readFlow(trailing, DESCRIPTOR_END, f.length),
    toFlow({ incomingWindow: 1, nextOutgoingId: 2, outgoingWindow: 3 }),
  );
  // A uintArb field in a ulong: the generic reader takes it, the fast one leaves it.
  const ulongHandle = Buffer.from([0x00, 0x53, 0x13, 0xc0, 0x07, 0x05, 0x40, 0x43, 0x43, 0x43, 0x53, 0x01]);
  assert.equal(readFlow(ulongHandle, DESCRIPTOR_END, ulongHandle.length), undefined);
  assert.equal(((genericRead(ulongHandle) as { value: Flow }).value as Flow).handle, 1);
});
