/**
 * PromiseSender: outcomes (accepted; rejected, released and modified as SendException carrying the
 * outcome) against a direct peer that settles as told; waiting for credit and back-pressure against a
 * peer that grants credit by hand; sendMany against the embedded broker; abort and timeout paths
 * leaving no queued send, timer or listener behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Accepted,
  AtMostOnce,
  connect,
  Message,
  Modified,
  OperationAborted,
  Rejected,
  Released,
  reject,
  release,
  SendException,
  Timeout,
} from '../../src/index.js';
import { until } from '../support/container-harness.js';
import {
  assertNoListeners,
  assertTimersBackTo,
  DirectPeer,
  openLinks,
  timerCount,
  useBrokerConnection,
} from './harness.js';

const env = useBrokerConnection('promise-send');
const { fresh } = env;

describe('PromiseSender outcomes', () => {
  it('send resolves with Accepted once the broker has the message', async () => {
    const q = fresh();
    const s = await env.conn.openSender(q);
    const outcome = await s.send(new Message({ body: 'one' }));
    assert.ok(outcome instanceof Accepted);
    assert.equal(env.broker.depth(q), 1);
    assert.equal(s.pending, 0);
    await s.close();
    assert.deepEqual(openLinks(env.conn), []);
  });

  it('rejected, released and modified reject with SendException carrying the outcome', async () => {
    const peer = await new DirectPeer().start();
    const c = await connect(peer.url);
    try {
      peer.decide = (m, d) => {
        if (m.body === 'reject') reject(d, { name: 'amqp:invalid-field', description: 'no thanks' });
        else if (m.body === 'release') release(d, false);
        else if (m.body === 'modify') release(d, true);
        else d.settle();
      };
      const s = await c.openSender('anywhere');
      await assert.rejects(s.send(new Message({ body: 'reject' })), (e: unknown) => {
        assert.ok(e instanceof SendException);
        assert.equal(e.outcome, 'rejected');
        assert.ok(e.state instanceof Rejected);
        assert.equal(e.condition, 'amqp:invalid-field');
        assert.match(e.message, /no thanks/);
        return true;
      });
      await assert.rejects(s.send(new Message({ body: 'release' })), (e: unknown) => {
        assert.ok(e instanceof SendException && e.outcome === 'released' && e.state instanceof Released);
        return true;
      });
      await assert.rejects(s.send(new Message({ body: 'modify' })), (e: unknown) => {
        assert.ok(e instanceof SendException && e.outcome === 'modified' && e.state instanceof Modified);
        assert.equal((e.state as Modified).deliveryFailed, true);
        return true;
      });
      // Settled without an outcome: resolves, with no outcome.
      assert.equal(await s.send(new Message({ body: 'plain' })), undefined);
      assert.equal(s.pending, 0);
    } finally {
      await c.close();
      await peer.stop();
    }
  });

  it('a pre-settled link resolves as soon as the message is handed on', async () => {
    const q = fresh();
    const s = await env.conn.openSender(q, { options: new AtMostOnce() });
    assert.equal(await s.send(new Message({ body: 'fire and forget' })), undefined);
    await until(2000, 'the broker has it', () => env.broker.depth(q) === 1);
    await s.close();
  });
});

describe('PromiseSender credit and back-pressure', () => {
  it('waits for credit instead of failing, then sends in order as credit comes', async () => {
    const peer = await new DirectPeer(0).start();
    const c = await connect(peer.url);
    try {
      const s = await c.openSender('q');
      assert.equal(s.sender.credit, 0);
      const sends = [1, 2, 3].map((i) => s.send(new Message({ body: i })));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(peer.messages.length, 0, 'nothing goes without credit');
      assert.equal(s.pending, 3);
      peer.grant(2);
      await Promise.all(sends.slice(0, 2));
      assert.deepEqual(
        peer.messages.map((m) => m.body),
        [1, 2],
      );
      peer.grant(1);
      assert.ok((await sends[2]) instanceof Accepted);
      assert.deepEqual(
        peer.messages.map((m) => m.body),
        [1, 2, 3],
      );
    } finally {
      await c.close();
      await peer.stop();
    }
  });

  it('keeps at most maxInFlight unsettled; the rest wait their turn', async () => {
    const peer = await new DirectPeer(100).start();
    const held: import('../../src/index.js').Delivery[] = [];
    peer.decide = (_m, d) => held.push(d);
    const c = await connect(peer.url);
    try {
      const s = await c.openSender('q', { maxInFlight: 3 });
      const sends = Array.from({ length: 5 }, (_, i) => s.send(new Message({ body: i })));
      await until(2000, 'three in flight', () => peer.messages.length === 3);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(peer.messages.length, 3, 'no more than maxInFlight unsettled');
      for (const d of held.splice(0)) {
        d.update(new Accepted());
        d.settle();
      }
      await until(2000, 'the last two', () => peer.messages.length === 5);
      for (const d of held.splice(0)) {
        d.update(new Accepted());
        d.settle();
      }
      for (const o of await Promise.all(sends)) assert.ok(o instanceof Accepted);
    } finally {
      await c.close();
      await peer.stop();
    }
  });

  it('a send waiting for credit is called off by abort or timeout, and nothing is sent', async () => {
    const peer = await new DirectPeer(0).start();
    const c = await connect(peer.url);
    try {
      const s = await c.openSender('q');
      const timers = timerCount();
      const ac = new AbortController();
      const aborted = s.send(new Message({ body: 'aborted' }), { signal: ac.signal });
      const timedOut = s.send(new Message({ body: 'late' }), { timeout: 60 });
      ac.abort();
      await assert.rejects(aborted, OperationAborted);
      await assert.rejects(timedOut, Timeout);
      assertNoListeners(ac.signal);
      assert.equal(s.pending, 0);
      await assertTimersBackTo(timers);
      peer.grant(5);
      assert.ok((await s.send(new Message({ body: 'kept' }))) instanceof Accepted);
      assert.deepEqual(
        peer.messages.map((m) => m.body),
        ['kept'],
      );
    } finally {
      await c.close();
      await peer.stop();
    }
  });
});

describe('PromiseSender.sendMany', () => {
  it('pipelines a thousand messages, in order, and resolves with their outcomes', async () => {
    const q = fresh();
    const s = await env.conn.openSender(q, { maxInFlight: 50 });
    const messages = Array.from({ length: 1000 }, (_, i) => new Message({ body: i }));
    const outcomes = await s.sendMany(messages);
    assert.equal(outcomes.length, 1000);
    for (const o of outcomes) assert.ok(o instanceof Accepted);
    assert.equal(env.broker.depth(q), 1000);
    const r = await env.conn.openReceiver(q, { credit: 100 });
    for (let i = 0; i < 1000; i++) {
      const d = await r.receive();
      assert.equal(d.message.body, i);
      d.accept();
    }
    await r.close();
    await s.close();
  });

  it('takes an async iterable, and stops at the first failure, rejecting with it', async () => {
    const peer = await new DirectPeer().start();
    peer.decide = (m, d) => (m.body === 3 ? reject(d) : d.settle());
    const c = await connect(peer.url);
    try {
      const s = await c.openSender('q', { maxInFlight: 1 });
      async function* gen() {
        for (let i = 0; i < 10; i++) yield new Message({ body: i });
      }
      await assert.rejects(s.sendMany(gen()), SendException);
      assert.ok(peer.messages.length <= 5, `sent ${peer.messages.length}, past the failure`);
    } finally {
      await c.close();
      await peer.stop();
    }
  });
});
