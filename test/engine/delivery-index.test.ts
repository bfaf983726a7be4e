/**
 * A session's deliveries by delivery-id (issue 7): the ring that replaced a Map must answer as the Map did
 * for any order of ids set and let go, across the 2^32 wrap, with stragglers far behind the rest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Delivery } from '../../src/engine/delivery.js';
import { DeliveryIndex } from '../../src/engine/delivery-index.js';
import { serialAdd } from '../../src/util/serial.js';

const fake = (id: number) => ({ id }) as Delivery;

/** Checks every id of `ids` (and the model's) against the model. */
function agrees(index: DeliveryIndex, model: Map<number, Delivery>, ids: number[]): void {
  assert.equal(index.size, model.size);
  for (const id of ids) assert.equal(index.get(id), model.get(id), `id ${id}`);
  assert.deepEqual(new Map(index), model);
}

describe('DeliveryIndex (issue 7)', () => {
  it('issue 7: ids set in order and let go in any order give what a Map gives, across the wrap', () => {
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('next' as const), skip: fc.nat(3) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('jump' as const), skip: fc.nat(5000) }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('clear' as const) }), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2 ** 32 - 40, 1_000_000),
        fc.array(op, { maxLength: 300 }),
        (start, ops) => {
          const index = new DeliveryIndex();
          const model = new Map<number, Delivery>();
          const seen: number[] = [];
          let next = start;
          for (const o of ops) {
            if (o.kind === 'next' || o.kind === 'jump') {
              // Ids only go up (serially), with gaps where deliveries were never held (settled ones).
              next = serialAdd(next, o.skip);
              const d = fake(next);
              index.set(next, d);
              model.set(next, d);
              seen.push(next);
              next = serialAdd(next, 1);
            } else if (o.kind === 'delete') {
              if (seen.length === 0) continue;
              const id = seen[o.pick % seen.length]!;
              assert.equal(index.delete(id), model.delete(id));
            } else {
              index.clear();
              model.clear();
            }
          }
          agrees(index, model, seen);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('issue 7: one delivery left far behind goes aside, and the ring stays small', () => {
    const index = new DeliveryIndex();
    const model = new Map<number, Delivery>();
    const old = fake(0);
    index.set(0, old);
    model.set(0, old);
    for (let id = 1; id < 100_000; id++) {
      index.set(id, fake(id));
      index.delete(id);
    }
    const ring = (index as unknown as { ring: unknown[] }).ring;
    assert.ok(ring.length <= 2048, `the ring has ${ring.length} slots for one delivery`);
    agrees(index, model, [0, 1, 99_999]);
    assert.equal(index.delete(0), true);
    assert.equal(index.size, 0);
  });

  it('issue 7: a delivery set again under its id replaces the one held', () => {
    const index = new DeliveryIndex();
    const a = fake(5);
    const b = fake(5);
    index.set(5, a);
    index.set(5, b);
    assert.equal(index.size, 1);
    assert.equal(index.get(5), b);
  });
});
