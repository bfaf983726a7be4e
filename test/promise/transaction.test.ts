/**
 * conn.transaction() against the embedded broker's coordinator: committed when the callback resolves
 * (sends become visible, accepts take effect), aborted when it throws (sends discarded, accepted
 * messages come back), and the error rethrown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Accepted, connect, Message, type PromiseConnection } from '../../src/index.js';
import { until } from '../support/container-harness.js';
import { type RunningBroker, startBroker } from './harness.js';

let broker: RunningBroker;
let conn: PromiseConnection;
let n = 0;
const fresh = (): string => `promise-tx-${++n}`;

before(async () => {
  broker = await startBroker();
  conn = await connect(broker.url, { timeout: 5000 });
});
after(async () => {
  await conn.close();
  await broker.stop();
});

describe('transactions', () => {
  it('commits when the callback resolves: sends appear, and the result is returned', async () => {
    const q = fresh();
    const s = await conn.openSender(q);
    const result = await conn.transaction(async (tx) => {
      const o = await tx.send(s, new Message({ body: 'in tx 1' }));
      assert.ok(o instanceof Accepted);
      await tx.send(s, new Message({ body: 'in tx 2' }));
      assert.equal(broker.depth(q), 0, 'held until commit');
      return 'done';
    });
    assert.equal(result, 'done');
    await until(2000, 'committed sends', () => broker.depth(q) === 2);
    await s.close();
  });

  it('aborts when the callback throws: sends are discarded and the error is rethrown', async () => {
    const q = fresh();
    const s = await conn.openSender(q);
    await assert.rejects(
      conn.transaction(async (tx) => {
        await tx.send(s, new Message({ body: 'never' }));
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(broker.depth(q), 0);
    await s.close();
  });

  it('accepts under a transaction: committed, the messages are gone; aborted, they come back', async () => {
    const q = fresh();
    const s = await conn.openSender(q);
    await s.sendMany([1, 2, 3].map((body) => new Message({ body })));
    const r = await conn.openReceiver(q, { credit: 1 });
    await conn.transaction(async (tx) => {
      tx.accept(await r.receive());
    });
    await assert.rejects(
      conn.transaction(async (tx) => {
        const d = await r.receive();
        assert.equal(d.message.body, 2);
        tx.accept(d);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    const bodies: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await r.receive({ timeout: 2000 });
      bodies.push(d.message.body);
      d.accept();
    }
    assert.deepEqual(bodies.sort(), [2, 3], 'the aborted accept was undone; 1 stayed consumed');
    await r.close();
    await s.close();
  });
});
