/**
 * What the tests of the fast performative readers and writers (transfer-reader, flow-codec,
 * disposition-codec) hold them to: the generic composite reader's result, and the field values peers
 * send (uints in each of their encodings' ranges, optional fields).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { readValue } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';

/** Where a performative's list starts: after its descriptor, `0x00 0x53` and its code. */
export const DESCRIPTOR_END = 3;

/** What the generic reader makes of `bytes` (a value and where it ends), or the error it throws. */
export function genericRead(bytes: Buffer): { value: unknown; end: number } | Error {
  try {
    const d = new Decoder(bytes);
    const value = readValue(d);
    return { value, end: d.pos };
  } catch (e) {
    return e as Error;
  }
}

/** A uint in the range of each of its encodings: uint0, smalluint, uint. */
export const uintArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 255 }),
  fc.integer({ min: 256, max: 2 ** 32 - 1 }),
);

/** An optional field: a value of `a`, or absent. */
export const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

/** Damage to an encoded performative: bytes of its list overwritten, and bytes cut off its end. */
export interface Mutation {
  edits: [number, number][];
  cut: number;
}

/** One to four overwritten bytes and a cut of up to eight. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  cut: fc.nat({ max: 8 }),
});

/** A copy of `encoded` with `m` done to it: the descriptor is never touched, the list may be cut whole. */
export function mutated(encoded: Uint8Array, m: Mutation): Buffer {
  const bytes = Buffer.from(encoded);
  for (const [at, v] of m.edits) bytes[DESCRIPTOR_END + (at % (bytes.length - DESCRIPTOR_END))] = v;
  return bytes.subarray(0, Math.max(DESCRIPTOR_END, bytes.length - m.cut));
}

/**
 * The bytes a fast writer writes for `value` after `lead` bytes already in the writer, or undefined when
 * it declines, which must leave the writer as it was.
 */
export function writtenFast<T>(
  write: (w: ByteWriter, value: T) => boolean,
  value: T,
  lead: number,
  what: string,
): Buffer | undefined {
  const w = new ByteWriter(16);
  w.pos = lead;
  w.ensure(0);
  if (!write(w, value)) {
    assert.equal(w.pos, lead, `a declined ${what} writes nothing`);
    return undefined;
  }
  return Buffer.from(w.buf.subarray(lead, w.pos));
}
