/**
 * Lent encode buffers (issue 7, 1 MiB messages): a buffer comes back for reuse only when its delivery has
 * let it go and every view of it the transport output held has been written, never before; what is kept
 * stays within its bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isLent,
  LENT_MIN,
  lendBuffer,
  lentBuffersFree,
  lentViewOut,
  lentViewWritten,
  MAX_FREE_BYTES,
  releaseLent,
} from '../../src/codec/lent-buffers.js';

/** Whether the next loan of `size` bytes is `b`'s memory again. */
function reused(b: Buffer, size: number): boolean {
  const next = lendBuffer(size);
  const same = next.buffer === b.buffer;
  // Hand it straight back, so that later checks start from the same free list.
  releaseLent(next.buffer);
  return same;
}

/** Whether `b`'s memory is among the buffers kept: loans of its size reach it before the kept ones run out. */
function keptForReuse(b: Buffer): boolean {
  const taken: Buffer[] = [];
  let found = false;
  for (let i = lentBuffersFree().buffers; i > 0 && !found; i--) {
    const next = lendBuffer(b.length);
    taken.push(next);
    found = next.buffer === b.buffer;
  }
  for (const t of taken) releaseLent(t.buffer);
  return found;
}

describe('lent encode buffers (issue 7)', () => {
  it('issue 7: a buffer comes back exactly when it is released and all its views are written', () => {
    // Each op: a view goes out, a view is written, or the delivery lets go (once).
    const op = fc.constantFrom('out', 'written', 'release');
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 0, max: 64 }), (ops, extraKiB) => {
        const size = LENT_MIN + 1 + extraKiB * 1024;
        const b = lendBuffer(size);
        assert.ok(isLent(b.buffer));
        assert.ok(b.length >= size && b.length < 2 * size);
        let held = true;
        let views = 0;
        for (const o of ops) {
          if (o === 'out') {
            if (!held) continue; // the delivery appends every view of its bytes before it lets go
            lentViewOut(b.buffer);
            views++;
          } else if (o === 'written') {
            if (views === 0) continue; // a write is of a view that went out
            lentViewWritten(b.buffer);
            views--;
          } else {
            releaseLent(b.buffer);
            held = false;
          }
          if (held || views > 0) {
            // Still readable by its delivery or the socket: never lent again meanwhile.
            assert.ok(isLent(b.buffer));
            assert.equal(reused(b, size), false, `lent again with held=${held}, views=${views}`);
          }
        }
        for (; views > 0; views--) lentViewWritten(b.buffer);
        releaseLent(b.buffer);
        assert.equal(isLent(b.buffer), false, 'back once released and written');
        assert.ok(keptForReuse(b), 'kept for a later loan');
      }),
      { numRuns: 200 },
    );
  });

  it('issue 7: a second release or a stray write changes nothing', () => {
    const b = lendBuffer(LENT_MIN + 4096);
    lentViewOut(b.buffer);
    releaseLent(b.buffer);
    releaseLent(b.buffer);
    assert.ok(isLent(b.buffer), 'a view is still unwritten');
    lentViewWritten(b.buffer);
    assert.equal(isLent(b.buffer), false);
    const free = lentBuffersFree();
    lentViewWritten(b.buffer);
    releaseLent(b.buffer);
    assert.deepEqual(lentBuffersFree(), free, 'memory not lent is not taken in');
  });

  it('issue 7: small sizes are not lent, and memory that was never lent is never taken in', () => {
    const small = lendBuffer(LENT_MIN - 1);
    assert.equal(isLent(small.buffer), false);
    const free = lentBuffersFree();
    const mine = Buffer.allocUnsafeSlow(LENT_MIN * 2);
    lentViewOut(mine.buffer);
    lentViewWritten(mine.buffer);
    releaseLent(mine.buffer);
    assert.deepEqual(lentBuffersFree(), free);
  });

  it('issue 7: what is kept stays within MAX_FREE_BYTES, and a loan too large for it is not kept', () => {
    const size = 3 * 1024 * 1024;
    const loans = Array.from({ length: 8 }, () => lendBuffer(size));
    for (const b of loans) releaseLent(b.buffer);
    const free = lentBuffersFree();
    assert.ok(free.bytes <= MAX_FREE_BYTES, `${free.bytes} bytes kept`);
    assert.ok(free.buffers >= Math.floor(MAX_FREE_BYTES / (2 * size)), 'it keeps what fits');
    const huge = lendBuffer(MAX_FREE_BYTES + 1);
    releaseLent(huge.buffer);
    assert.equal(isLent(huge.buffer), false);
    assert.ok(lentBuffersFree().bytes <= MAX_FREE_BYTES);
    assert.notEqual(lendBuffer(MAX_FREE_BYTES + 1).buffer, huge.buffer);
  });
});
