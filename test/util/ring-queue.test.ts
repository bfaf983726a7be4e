/** The ring-buffer FIFO, against an array as the model. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RingQueue } from '../../src/util/ring-queue.js';

describe('RingQueue', () => {
  it('is first in, first out', () => {
    const q = new RingQueue<number>();
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.peek(), undefined);
    q.push(1);
    q.push(2);
    q.push(3);
    assert.equal(q.length, 3);
    assert.equal(q.peek(), 1);
    assert.equal(q.peekLast(), 3);
    assert.equal(q.shift(), 1);
    assert.equal(q.shift(), 2);
    assert.equal(q.length, 1);
    assert.deepEqual([...q], [3]);
  });

  it('grows past its capacity while wrapped, keeping the order', () => {
    const q = new RingQueue<number>(4);
    for (let i = 0; i < 3; i++) q.push(i);
    q.shift();
    q.shift(); // head is now in the middle of the slots
    for (let i = 3; i < 40; i++) q.push(i);
    assert.equal(q.length, 38);
    assert.deepEqual(
      q.toArray(),
      Array.from({ length: 38 }, (_, i) => i + 2),
    );
    assert.equal(q.at(0), 2);
    assert.equal(q.at(37), 39);
    assert.equal(q.at(38), undefined);
    assert.equal(q.at(-1), undefined);
  });

  it('clear empties it and it can be used again', () => {
    const q = new RingQueue<string>(2);
    for (const s of ['a', 'b', 'c', 'd', 'e']) q.push(s);
    q.shift();
    q.clear();
    assert.equal(q.length, 0);
    assert.equal(q.peek(), undefined);
    assert.deepEqual([...q], []);
    q.push('x');
    assert.deepEqual(q.toArray(), ['x']);
  });

  it('holds undefined and null as items', () => {
    const q = new RingQueue<number | null | undefined>();
    q.push(undefined);
    q.push(null);
    assert.equal(q.length, 2);
    assert.equal(q.shift(), undefined);
    assert.equal(q.length, 1);
    assert.equal(q.shift(), null);
    assert.equal(q.length, 0);
  });

  it('drops its references to shifted and cleared items', () => {
    const q = new RingQueue<object>(4);
    q.push({});
    q.push({});
    q.shift();
    q.clear();
    const slots = (q as unknown as { slots: unknown[] }).slots;
    assert.ok(slots.every((s) => s === undefined));
  });

  it('behaves as an array under any sequence of operations (property)', () => {
    type Op = { op: 'push'; v: number } | { op: 'shift' } | { op: 'clear' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.integer().map((v) => ({ op: 'push' as const, v })) },
      { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.array(op, { maxLength: 300 }), (cap, ops) => {
        const q = new RingQueue<number>(cap);
        const model: number[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            q.push(o.v);
            model.push(o.v);
          } else if (o.op === 'shift') {
            assert.equal(q.shift(), model.shift());
          } else {
            q.clear();
            model.length = 0;
          }
          assert.equal(q.length, model.length);
          assert.equal(q.peek(), model[0]);
          assert.equal(q.peekLast(), model[model.length - 1]);
        }
        assert.deepEqual([...q], model);
        assert.deepEqual(q.toArray(), model);
      }),
      { numRuns: 300 },
    );
  });
});
