/**
 * The short-string cache: whatever the order and mix of strings, it answers exactly the text of the bytes
 * (or undefined for bytes that are not ASCII), however often strings share a slot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CACHED_MAX_BYTES, cachedAscii, isAscii, wordView } from '../../src/codec/string-cache.js';

/** The cache's lookup of `b[start..end)`, with the DataView the decoder would pass. */
function lookup(b: Buffer, start: number, end: number): string | undefined {
  return cachedAscii(b, wordView(b.buffer), b.byteOffset, start, end);
}

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
            assert.equal(lookup(b, 2, 2 + raw.length), expected(Buffer.from(raw)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart strings that differ only in the bytes the slot is not computed from', () => {
    // 19 bytes with the same first word, middle word (bytes 7 to 10) and last word: one slot, taken in turns.
    const a = Buffer.from('ID:bXXXMMMMYYYY0001', 'latin1');
    const b = Buffer.from('ID:bZZZMMMMWWWW0001', 'latin1');
    for (let i = 0; i < 5; i++) {
      assert.equal(lookup(a, 0, a.length), 'ID:bXXXMMMMYYYY0001');
      assert.equal(lookup(b, 0, b.length), 'ID:bZZZMMMMWWWW0001');
    }
    // Equal but for one byte in a word the comparison reads whole, at the start, inside and at the end.
    for (const at of [0, 5, 12, 18]) {
      const c = Buffer.from(a);
      c[at] = 0x21;
      assert.equal(lookup(c, 0, c.length), c.toString('latin1'));
      assert.equal(lookup(a, 0, a.length), 'ID:bXXXMMMMYYYY0001');
    }
    const nonAscii = Buffer.from('ID:b\u00e9XXMMMMYYYY0001', 'latin1');
    assert.equal(nonAscii.length, a.length);
    assert.equal(lookup(nonAscii, 0, nonAscii.length), undefined);
    assert.equal(lookup(a, 0, a.length), 'ID:bXXXMMMMYYYY0001');
  });

  it('the same bytes in another buffer give the same text, and no bytes the empty string', () => {
    const b = Buffer.from('queue://orders', 'latin1');
    const first = lookup(b, 0, b.length);
    const copy = Buffer.from(b);
    assert.equal(lookup(copy, 0, copy.length), first);
    assert.equal(lookup(Buffer.alloc(0), 0, 0), '');
  });
});

describe('wordView', () => {
  it('keeps the view of small memory for the next input in it, and never of large memory', () => {
    const small = new ArrayBuffer(8192);
    const first = wordView(small);
    assert.equal(wordView(small), first);
    const large = new ArrayBuffer(64 * 1024 + 1);
    const v = wordView(large);
    assert.equal(v.byteLength, large.byteLength);
    assert.notEqual(wordView(large), v);
    // A large one is never kept, so the small one's view is still the one kept...
    assert.equal(wordView(small), first);
    // ...until other small memory takes its place.
    const other = new ArrayBuffer(100);
    assert.equal(wordView(other), wordView(other));
    assert.notEqual(wordView(small), first);
  });

  it('reads strings at any offset of large memory, at any offset of the buffer in it', () => {
    const memory = Buffer.alloc(80 * 1024, 0x41);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: CACHED_MAX_BYTES }),
        fc.nat({ max: 1000 }),
        fc.nat({ max: 70 * 1024 }),
        (raw, lead, at) => {
          memory.set(raw, at + lead);
          // A buffer starting at `at` within the memory, the string `lead` bytes into it.
          const b = memory.subarray(at, at + lead + raw.length + 3);
          assert.equal(lookup(b, lead, lead + raw.length), expected(Buffer.from(raw)));
          assert.equal(
            isAscii(b, wordView(b.buffer), b.byteOffset, lead, lead + raw.length),
            expected(Buffer.from(raw)) !== undefined,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
