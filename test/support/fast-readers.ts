/**
 * What the tests of the fast performative readers and writers (transfer-reader, flow-codec,
 * disposition-codec) hold them to: the generic composite reader's result, and the field values peers
 * send (uints in each of their encodings' ranges, optional fields).
 */
import fc from 'fast-check';
import { readValue } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';

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
