/**
 * The fast transfer reader agrees with the generic composite reader: on every transfer it accepts it
 * gives the same fields and payload offset, and on anything else (other encodings, mutated bytes) it
 * gives up rather than guess.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Accepted, Flow, Transfer } from '../../src/codec/composite-types.js';
import { decodeComposite, encodeComposite } from '../../src/codec/composites.js';
import { TransferReader } from '../../src/engine/transfer-reader.js';
import {
  DESCRIPTOR_END,
  genericRead,
  maybe,
  mutated,
  mutationArb,
  uintArb,
} from '../support/fast-readers.js';

const reader = new TransferReader();

const transferArb = fc.record({
  handle: uintArb,
  deliveryId: maybe(uintArb),
  deliveryTag: maybe(fc.uint8Array({ maxLength: 40 })),
  messageFormat: maybe(uintArb),
  settled: maybe(fc.boolean()),
  more: maybe(fc.boolean()),
  rcvSettleMode: maybe(fc.integer({ min: 0, max: 1 })),
  resume: maybe(fc.boolean()),
  aborted: maybe(fc.boolean()),
  batchable: maybe(fc.boolean()),
});

const toTransfer = (fields: Record<string, unknown>): Transfer => Object.assign(new Transfer(), fields);

test('a transfer in compact or Proton 0.37 widths is read as the generic reader reads it', () => {
  fc.assert(
    fc.property(
      transferArb,
      fc.constantFrom('compact', 'proton-0.37' as const),
      fc.uint8Array({ maxLength: 20 }),
      (fields, widths, payload) => {
        const bytes = Buffer.concat([
          encodeComposite(toTransfer(fields), { widths: widths as 'compact' }),
          payload,
        ]);
        const fast = reader.read(bytes, DESCRIPTOR_END);
        assert.ok(fast !== undefined, "a plain transfer is in the fast reader's encodings");
        const slow = genericRead(bytes);
        assert.ok(!(slow instanceof Error));
        assert.deepEqual(fast, slow.value);
        assert.equal(reader.end, slow.end);
      },
    ),
  );
});

test('a mutated transfer: the fast reader gives up or agrees with the generic reader, never differs', () => {
  fc.assert(
    fc.property(transferArb, mutationArb, (fields, mutation) => {
      const input = mutated(encodeComposite(toTransfer(fields)), mutation);
      const fast = reader.read(input, DESCRIPTOR_END);
      if (fast === undefined) return;
      const slow = genericRead(input);
      assert.ok(!(slow instanceof Error), `generic reader refused what the fast one read: ${String(slow)}`);
      assert.deepEqual(fast, slow.value);
      assert.ok(reader.end <= input.length);
    }),
    { numRuns: 2000 },
  );
});

test('a transfer carrying a delivery state, or a ulong handle, is left to the generic reader', () => {
  const withState = toTransfer({ handle: 1, deliveryId: 2, state: new Accepted() });
  assert.equal(reader.read(encodeComposite(withState), DESCRIPTOR_END), undefined);
  assert.ok(decodeComposite(encodeComposite(withState)) instanceof Transfer);
  // list: 0xc0 size 2+? count 1, handle as ulong 0x53 0x01
  const ulongHandle = Buffer.from([0x00, 0x53, 0x14, 0xc0, 0x03, 0x01, 0x53, 0x01]);
  assert.equal(reader.read(ulongHandle, DESCRIPTOR_END), undefined);
  assert.equal((decodeComposite(ulongHandle) as Transfer).handle, 1);
  // no handle: mandatory, so the generic reader must report it
  const noHandle = Buffer.from([0x00, 0x53, 0x14, 0xc0, 0x02, 0x01, 0x40]);
  assert.equal(reader.read(noHandle, DESCRIPTOR_END), undefined);
  assert.ok(genericRead(noHandle) instanceof Error);
});

test('readBody reads a transfer from where the frame body starts, and nothing else', () => {
  const t = toTransfer({ handle: 3, deliveryId: 9, deliveryTag: Buffer.from('t'), more: true });
  const body = encodeComposite(t);
  const frame = Buffer.concat([Buffer.alloc(8), body, Buffer.from('payload')]);
  assert.deepEqual(reader.readBody(frame, 8), t);
  assert.equal(frame.subarray(reader.end).toString(), 'payload');
  const flow = Buffer.concat([
    Buffer.alloc(8),
    encodeComposite(Object.assign(new Flow(), { incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1 })),
  ]);
  assert.equal(reader.readBody(flow, 8), undefined, 'a flow is not a transfer');
  assert.equal(reader.readBody(frame.subarray(0, 10), 8), undefined, 'a body cut inside its descriptor');
});

test('readBody stops at the frame end given, inside a buffer that holds more frames', () => {
  const t = toTransfer({ handle: 1, deliveryId: 2, deliveryTag: Buffer.from('a'), settled: true });
  const body = encodeComposite(t);
  const frame = Buffer.concat([Buffer.alloc(8), body, Buffer.from('xy')]);
  const two = Buffer.concat([frame, frame]);
  assert.deepEqual(reader.readBody(two, 8, frame.length), t);
  assert.equal(two.subarray(reader.end, frame.length).toString(), 'xy');
  assert.equal(
    reader.readBody(two, 8, 8 + body.length - 1),
    undefined,
    'a frame end inside the performative',
  );
  // The next transfer read has only its own fields, not those left by this one.
  const bare = toTransfer({ handle: 4 });
  assert.deepEqual(reader.readBody(Buffer.concat([Buffer.alloc(8), encodeComposite(bare)]), 8), bare);
});
