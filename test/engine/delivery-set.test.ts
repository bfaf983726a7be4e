/**
 * A link's unsettled deliveries (issue 7): the list threaded through the deliveries must answer as the
 * Set it replaced, keep their order, and let a loop settle what it visits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Delivery } from '../../src/engine/delivery.js';
import { DeliverySet } from '../../src/engine/delivery-set.js';

const POOL = 8;
const fresh = () =>
  Array.from(
    { length: POOL },
    (_, id) => ({ id, listedIn: undefined, listPrev: undefined, listNext: undefined }) as unknown as Delivery,
  );

describe('DeliverySet (issue 7)', () => {
  it('issue 7: adds, deletes and clears give what a Set gives, in insertion order', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), i: fc.nat(POOL - 1) }),
      fc.record({ kind: fc.constant('delete' as const), i: fc.nat(POOL - 1) }),
      fc.record({ kind: fc.constant('clear' as const), i: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const ds = fresh();
        const set = new DeliverySet();
        const model = new Set<Delivery>();
        for (const { kind, i } of ops) {
          const d = ds[i]!;
          if (kind === 'add') {
            set.add(d);
            model.add(d);
          } else if (kind === 'delete') assert.equal(set.delete(d), model.delete(d));
          else {
            set.clear();
            model.clear();
          }
          assert.equal(set.size, model.size);
          assert.deepEqual([...set], [...model]);
          for (const x of ds) assert.equal(set.has(x), model.has(x));
        }
        // Nothing taken off keeps a neighbour (nothing dead points at the living).
        for (const x of ds) {
          if (set.has(x)) continue;
          assert.equal(x.listPrev, undefined);
          assert.equal(x.listNext, undefined);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('issue 7: a loop may delete what it visits, or what it has yet to visit', () => {
    const ds = fresh();
    const set = new DeliverySet();
    for (const d of ds) set.add(d);
    const visited: number[] = [];
    for (const d of set) {
      visited.push((d as unknown as { id: number }).id);
      set.delete(d);
      if ((d as unknown as { id: number }).id === 2) set.delete(ds[3]!); // one not yet visited
    }
    assert.deepEqual(visited, [0, 1, 2, 4, 5, 6, 7]);
    assert.equal(set.size, 0);
  });

  it('issue 7: it reads as a Set: forEach, keys, entries, and a delivery of another link is refused', () => {
    const ds = fresh();
    const set = new DeliverySet();
    set.add(ds[0]!).add(ds[1]!);
    const seen: Delivery[] = [];
    set.forEach((v, k, s) => {
      assert.equal(v, k);
      assert.equal(s, set);
      seen.push(v);
    });
    assert.deepEqual(seen, [ds[0], ds[1]]);
    assert.deepEqual([...set.keys()], seen);
    assert.deepEqual(
      [...set.entries()],
      [
        [ds[0], ds[0]],
        [ds[1], ds[1]],
      ],
    );
    assert.equal(Object.prototype.toString.call(set), '[object DeliverySet]');
    assert.throws(() => new DeliverySet().add(ds[0]!), /its own link only/);
  });
});
