/**
 * The session's queue of deliveries owing a disposition (issue 7): it must behave as the `Set` it
 * replaced, each delivery at most once, whatever the order of adds, removals and takes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Delivery } from '../../src/engine/delivery.js';
import { DispositionQueue } from '../../src/engine/disposition-queue.js';

const POOL = 6;

describe('DispositionQueue (issue 7)', () => {
  it('issue 7: adds, removals, takes and clears give what a Set of the same deliveries gives', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add'), i: fc.nat(POOL - 1) }),
      fc.record({ kind: fc.constant('delete'), i: fc.nat(POOL - 1) }),
      fc.record({ kind: fc.constant('take'), i: fc.constant(0) }),
      fc.record({ kind: fc.constant('clear'), i: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const ds = Array.from({ length: POOL }, (_, id) => ({ id, dispositionQueued: false }) as Delivery);
        const q = new DispositionQueue();
        const model = new Set<Delivery>();
        for (const { kind, i } of ops) {
          const d = ds[i]!;
          if (kind === 'add') {
            q.add(d);
            model.add(d);
          } else if (kind === 'delete') {
            assert.equal(q.delete(d), model.delete(d));
          } else if (kind === 'take') {
            const taken = q.take();
            assert.equal(new Set(taken).size, taken.length, 'each delivery once');
            assert.deepEqual(new Set(taken), model);
            model.clear();
          } else {
            q.clear();
            model.clear();
          }
          assert.equal(q.size, model.size);
          for (const x of ds) assert.equal(q.has(x), model.has(x));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('issue 7: a queue emptied by removals holds none of the deliveries it had', () => {
    const q = new DispositionQueue();
    const d = { dispositionQueued: false } as Delivery;
    q.add(d);
    q.delete(d);
    assert.deepEqual((q as unknown as { items: Delivery[] }).items, [], 'nothing kept for an idle session');
  });
});
