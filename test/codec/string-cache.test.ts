/**
 * The short-string cache: whatever the order and mix of strings, it answers exactly the text of the bytes
 * (or undefined for bytes that are not ASCII), however often strings share a slot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CACHED_MAX_BYTES, cachedAscii } from '../../src/codec/string-cache.js';

function expected(b: Buffer): string | undefined {
  return b.every((c) => c <= 0x7f) ? b.toString('latin1') : undefined;
}

describe('cachedAscii', () => {
  it('answers the exact text of any sequence of short byte strings, ASCII or not', () => {
    const bytesArb = fc.uint8Array({ minLength: 0, maxLength: CACHED_MAX_BYTES });
    fc.assert(
      fc.property(
        fc.array(bytesArb, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (pool, picks) => {
          for (const k of [...pool.keys(), ...picks]) {
            const raw = pool[k % pool.length]!;
            // At an offset inside a larger buffer, as strings sit inside a frame.
            const b = Buffer.concat([Buffer.from([0xff, 0x01]), raw, Buffer.from([0xfe])]);
            assert.equal(cachedAscii(b, 2, 2 + raw.length), expected(Buffer.from(raw)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart strings that differ only in the bytes the slot is not computed from', () => {
    // Same length, same first four, middle and last four bytes: the same slot, taken in turns.
    const a = Buffer.from('ID:bXXXX0-YYYY-0001', 'latin1');
    const b = Buffer.from('ID:bZZZZ0-WWWW-0001', 'latin1');
    for (let i = 0; i < 5; i++) {
      assert.equal(cachedAscii(a, 0, a.length), 'ID:bXXXX0-YYYY-0001');
      assert.equal(cachedAscii(b, 0, b.length), 'ID:bZZZZ0-WWWW-0001');
    }
    const nonAscii = Buffer.from('ID:b\u00e9XXX0-YYYY-0001', 'latin1');
    assert.equal(nonAscii.length, a.length);
    assert.equal(cachedAscii(nonAscii, 0, nonAscii.length), undefined);
    assert.equal(cachedAscii(a, 0, a.length), 'ID:bXXXX0-YYYY-0001');
  });

  it('the same bytes in another buffer give the same text, and no bytes the empty string', () => {
    const b = Buffer.from('queue://orders', 'latin1');
    const first = cachedAscii(b, 0, b.length);
    const copy = Buffer.from(b);
    assert.equal(cachedAscii(copy, 0, copy.length), first);
    assert.equal(cachedAscii(Buffer.alloc(0), 0, 0), '');
  });
});
