/**
 * PromiseReceiver: `for await`, receive(), accept/reject/release, credit that follows consumption,
 * selectors, drain, a refused attach, and the abort and timeout paths leaving no link, taker, timer or
 * listener behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Condition,
  connect,
  LinkDetached,
  Message,
  OperationAborted,
  State,
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

const env = useBrokerConnection('promise-recv');
const { fresh } = env;

async function fill(q: string, count: number, props?: (i: number) => Record<string, string>): Promise<void> {
  const s = await env.conn.openSender(q);
  await s.sendMany(
    Array.from(
      { length: count },
      (_, i) => new Message({ body: i, ...(props ? { properties: props(i) } : {}) }),
    ),
  );
  await s.close();
}

describe('PromiseReceiver', () => {
  it('for await yields each message; accept settles it; break leaves the link open', async () => {
    const q = fresh();
    await fill(q, 5);
    const r = await env.conn.openReceiver(q);
    const bodies: unknown[] = [];
    for await (const d of r) {
      bodies.push(d.message.body);
      d.accept();
      assert.ok(d.settled);
      if (bodies.length === 5) break;
    }
    assert.deepEqual(bodies, [0, 1, 2, 3, 4]);
    assert.ok(r.isOpen);
    await r.close();
    assert.equal(r.link.remoteState, State.REMOTE_CLOSED);
    assert.equal(env.broker.depth(q), 0);
  });

  it('release and reject: a released message comes again, a rejected one does not', async () => {
    const q = fresh();
    await fill(q, 2);
    const r = await env.conn.openReceiver(q, { credit: 1 });
    const first = await r.receive();
    assert.equal(first.message.body, 0);
    first.release();
    // The window of one was granted again when the first was taken: 1 comes, then 0 again.
    const second = await r.receive();
    assert.equal(second.message.body, 1);
    second.accept();
    const again = await r.receive();
    assert.equal(again.message.body, 0, 'the released message is redelivered');
    assert.ok((again.message.deliveryCount ?? 0) >= 1);
    again.reject({ name: 'amqp:invalid-field', description: 'bad' });
    await assert.rejects(r.receive({ timeout: 100 }), Timeout);
    await r.close();
  });

  it('credit follows consumption: at most the window is granted, and more as messages are taken', async () => {
    const q = fresh();
    await fill(q, 50);
    const r = await env.conn.openReceiver(q, { credit: 10 });
    await until(2000, 'the window arrives', () => r.buffered === 10);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.buffered, 10, 'no more than the window');
    assert.equal(env.broker.depth(q), 40);
    for (let i = 0; i < 5; i++) (await r.receive()).accept();
    // Half the window taken: it is topped up.
    await until(2000, 'the top-up', () => r.buffered === 10);
    assert.equal(env.broker.depth(q), 35);
    for (let i = 5; i < 50; i++) {
      const d = await r.receive();
      assert.equal(d.message.body, i);
      d.accept();
      assert.ok(r.receiver.credit + r.buffered <= 10, `credit ${r.receiver.credit} + ${r.buffered}`);
    }
    await r.close();
  });

  it('credit 0: each receive() grants one message', async () => {
    const q = fresh();
    await fill(q, 3);
    const r = await env.conn.openReceiver(q, { credit: 0 });
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.buffered, 0);
    assert.equal(env.broker.depth(q), 3);
    (await r.receive()).accept();
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(env.broker.depth(q), 2);
    await r.close();
  });

  it('a selector picks the messages', async () => {
    const q = fresh();
    await fill(q, 6, (i) => ({ colour: i % 2 === 0 ? 'red' : 'green' }));
    const r = await env.conn.openReceiver(q, { selector: "colour = 'green'" });
    const got: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await r.receive();
      got.push(d.message.body);
      d.accept();
    }
    assert.deepEqual(got, [1, 3, 5]);
    await r.close();
  });

  it('drain resolves once the sender has used or given back its credit', async () => {
    const q = fresh();
    await fill(q, 3);
    const r = await env.conn.openReceiver(q, { credit: 10 });
    await r.drain({ timeout: 2000 });
    assert.equal(r.receiver.linkCredit, 0);
    assert.equal(r.buffered, 3, 'everything the credit covered has arrived');
    // Nothing more is granted until the application asks.
    await fill(q, 1);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.buffered, 3);
    for (let i = 0; i < 4; i++) (await r.receive()).accept();
    await r.close();
  });

  it('receive is called off by timeout and abort, leaving no taker, timer or listener', async () => {
    const q = fresh();
    const r = await env.conn.openReceiver(q);
    const timers = timerCount();
    await assert.rejects(r.receive({ timeout: 50 }), Timeout);
    const ac = new AbortController();
    const p = r.receive({ signal: ac.signal });
    ac.abort();
    await assert.rejects(p, OperationAborted);
    assertNoListeners(ac.signal);
    await assertTimersBackTo(timers);
    assert.equal(r.waits.size, 0);
    // A message arriving now waits in the buffer for the next receive.
    await fill(q, 1);
    await until(2000, 'buffered', () => r.buffered === 1);
    assert.equal((await r.receive()).message.body, 0);
    await r.close();
  });

  it('an open called off closes the link it started', async () => {
    const before = openLinks(env.conn);
    const ac = new AbortController();
    const p = env.conn.openReceiver(fresh(), { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, OperationAborted);
    assert.deepEqual(openLinks(env.conn), before);
    assertNoListeners(ac.signal);
    await until(2000, 'closed both ways', () =>
      env.conn.connection.links.every((l) => l.remoteState !== State.REMOTE_ACTIVE),
    );
  });

  it('a refused attach rejects with LinkDetached, with the condition', async () => {
    const peer = await new DirectPeer().start();
    peer.refuse = 'no such node';
    const c = await connect(peer.url);
    try {
      await assert.rejects(c.openReceiver('missing'), (e: unknown) => {
        assert.ok(e instanceof LinkDetached);
        assert.equal(e.condition, 'amqp:not-found');
        assert.match(e.message, /no such node/);
        return true;
      });
      assert.deepEqual(openLinks(c), []);
    } finally {
      await c.close();
      await peer.stop();
    }
  });

  it('iteration ends when the receiver is closed here, and throws LinkDetached when the peer detaches', async () => {
    const peer = await new DirectPeer().start();
    const c = await connect(peer.url);
    try {
      const r1 = await c.openReceiver('a');
      const loop1 = (async () => {
        let count = 0;
        for await (const d of r1) {
          d.accept();
          count++;
        }
        return count;
      })();
      await until(2000, 'peer sender', () => peer.senders.length === 1);
      await until(2000, 'credit', () => peer.senders[0]!.credit > 0);
      peer.senders[0]!.send(new Message({ body: 'x' }));
      await until(2000, 'received', () => peer.messages.length === 0 && r1.receiver.deliveryCount === 1);
      await r1.close();
      assert.equal(await loop1, 1);

      const r2 = await c.openReceiver('b');
      const loop2 = (async () => {
        for await (const d of r2) d.accept();
      })();
      await until(2000, 'peer sender', () => peer.senders.length === 2);
      peer.senders[1]!.close(new Condition('amqp:resource-deleted', 'queue deleted'));
      await assert.rejects(loop2, (e: unknown) => {
        assert.ok(e instanceof LinkDetached);
        assert.equal(e.condition, 'amqp:resource-deleted');
        return true;
      });
    } finally {
      await c.close();
      await peer.stop();
    }
  });
});
