/**
 * The event queue: events come out in order, a repeat of the last one queued is dropped (as Proton's
 * collector drops it), and an event taken is no longer held by the queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { Collector, NO_EVENT } from '../../src/engine/collector.js';
import { EventType, type EventTypeName } from '../../src/engine/event.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TYPES: EventTypeName[] = [EventType.delivery, EventType.linkFlow, EventType.transport];

describe('Collector', () => {
  it('gives events in order, without the repeats of the last one queued, by pop or take', () => {
    const contexts = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const op = fc.oneof(
      fc.record({ put: fc.constantFrom(...TYPES), on: fc.nat(2) }),
      fc.record({ take: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const c = new Collector();
        const model: [EventTypeName, object][] = [];
        for (const o of ops) {
          if ('put' in o) {
            const last = model[model.length - 1];
            const context = contexts[o.on]!;
            if (last === undefined || last[0] !== o.put || last[1] !== context) model.push([o.put, context]);
            c.put(o.put, context);
          } else if (o.take) {
            const context = c.take();
            const want = model.shift();
            if (want === undefined) assert.equal(context, NO_EVENT);
            else assert.deepEqual([c.takenType, context], want);
          } else {
            const e = c.pop();
            const want = model.shift();
            assert.deepEqual(e === undefined ? undefined : [e.type, e.context], want);
          }
          assert.equal(c.more, model.length > 0);
          const next = c.peek();
          assert.deepEqual(next === undefined ? undefined : [next.type, next.context], model[0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a repeat is dropped only after the last event still queued: once taken, the same event comes again', () => {
    const c = new Collector();
    const d = {};
    c.put(EventType.delivery, d);
    c.put(EventType.delivery, d);
    assert.equal(c.take(), d);
    assert.equal(c.take(), NO_EVENT);
    c.put(EventType.delivery, d);
    assert.equal(c.take(), d);
  });

  it('keeps nothing of an event once it is taken, or once the queue is released', async () => {
    const c = new Collector();
    const refs = ((): WeakRef<object>[] => {
      const taken = { big: new Uint8Array(16) };
      const released = { big: new Uint8Array(16) };
      c.put(EventType.delivery, taken);
      c.put(EventType.transport, {});
      c.put(EventType.linkFlow, released);
      assert.equal(c.take(), taken);
      return [new WeakRef(taken), new WeakRef(released)];
    })();
    c.release();
    // A WeakRef keeps its target through the job that made it: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(refs[0]!.deref(), undefined, 'a taken context is let go');
    assert.equal(refs[1]!.deref(), undefined, 'a released context is let go');
    assert.equal(c.more, false);
  });
});
