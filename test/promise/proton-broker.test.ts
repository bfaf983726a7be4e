/**
 * The promise API against Proton Python's example broker (broker.py, a child process on a free port):
 * connect, send and receive, pipelined sends, drain, request and response through a dynamic reply
 * queue, the blocking utilities, and the abort and timeout paths leaving no link, timer or listener.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  Accepted,
  BlockingConnection,
  connect,
  Message,
  OperationAborted,
  type PromiseConnection,
  SyncRequestResponse,
  Timeout,
} from '../../src/index.js';
import { protonAvailable, requireProton } from '../support/proton-python.js';
import {
  assertNoListeners,
  assertTimersBackTo,
  openLinks,
  type RunningBroker,
  startPythonBroker,
  timerCount,
} from './harness.js';

let broker: RunningBroker | undefined;
let conn: PromiseConnection | undefined;
let n = 0;
const fresh = (): string => `promise-py-${++n}`;

before(async () => {
  if (!protonAvailable()) return;
  broker = await startPythonBroker();
  conn = await connect(broker.url, { timeout: 10_000 });
});
after(async () => {
  await conn?.close();
  await broker?.stop();
});

/** The connection to broker.py, or undefined (the test skipped, or failed under CI) without Proton. */
function ready(t: TestContext): PromiseConnection | undefined {
  if (!requireProton(t)) return undefined;
  assert.ok(conn !== undefined, 'connected to broker.py');
  return conn;
}

describe('promise API against Proton Python broker.py', () => {
  it('sends (accepted) and receives in order, with for await', async (t) => {
    const c = ready(t);
    if (c === undefined) return;
    const q = fresh();
    const s = await c.openSender(q);
    for (let i = 0; i < 5; i++) assert.ok((await s.send(new Message({ body: `m${i}` }))) instanceof Accepted);
    const r = await c.openReceiver(q, { credit: 2 });
    const got: unknown[] = [];
    for await (const d of r) {
      got.push(d.message.body);
      d.accept();
      if (got.length === 5) break;
    }
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
    await r.close();
    await s.close();
    assert.deepEqual(openLinks(c), []);
  });

  it('pipelines 2,000 messages with sendMany', async (t) => {
    const c = ready(t);
    if (c === undefined) return;
    const q = fresh();
    const s = await c.openSender(q, { maxInFlight: 100 });
    const outcomes = await s.sendMany(Array.from({ length: 2000 }, (_, i) => new Message({ body: i })));
    assert.equal(outcomes.length, 2000);
    assert.ok(outcomes.every((o) => o instanceof Accepted));
    const r = await c.openReceiver(q, { credit: 200 });
    for (let i = 0; i < 2000; i++) {
      const d = await r.receive();
      assert.equal(d.message.body, i);
      d.accept();
    }
    await r.close();
    await s.close();
  });

  it('drain: broker.py never answers a drain (it does not call drained()): the wait times out cleanly', async (t) => {
    const c = ready(t);
    if (c === undefined) return;
    const q = fresh();
    const s = await c.openSender(q);
    await s.sendMany([1, 2].map((body) => new Message({ body })));
    const r = await c.openReceiver(q, { credit: 10 });
    const timers = timerCount();
    await assert.rejects(r.drain({ timeout: 300 }), Timeout);
    await assertTimersBackTo(timers);
    // Everything the credit covered still arrives, and the receiver goes on.
    for (const body of [1, 2]) {
      const d = await r.receive({ timeout: 2000 });
      assert.equal(d.message.body, body);
      d.accept();
    }
    await s.send(new Message({ body: 3 }));
    assert.equal((await r.receive({ timeout: 2000 })).message.body, 3);
    await r.close();
    await s.close();
  });

  it('request and serve through a dynamic reply queue', async (t) => {
    const c = ready(t);
    if (c === undefined) return;
    const server = await connect(broker!.url);
    const service = await server.serve('py-upper', (req) => String(req.body).toUpperCase());
    try {
      const answers = await Promise.all(
        ['a', 'b', 'c'].map((b) => c.request('py-upper', new Message({ body: b }), { timeout: 5000 })),
      );
      assert.deepEqual(
        answers.map((m) => m.body),
        ['A', 'B', 'C'],
      );
    } finally {
      await service.close();
      await server.close();
    }
  });

  it('helloworld_blocking and sync_client with the blocking utilities', async (t) => {
    if (!requireProton(t)) return;
    const conn2 = new BlockingConnection(broker!.url);
    const receiver = await conn2.createReceiver('py-examples');
    const sender = await conn2.createSender('py-examples');
    await sender.send(new Message({ body: 'Hello World!' }));
    const msg = await receiver.receive(30_000);
    assert.equal(msg.body, 'Hello World!');
    receiver.accept();

    const server = await connect(broker!.url);
    const service = await server.serve('py-rpc', (req) => `${String(req.body)}!`);
    const client = new SyncRequestResponse(conn2, 'py-rpc');
    assert.equal((await client.call(new Message({ body: 'ping' }))).body, 'ping!');
    await service.close();
    await server.close();
    await conn2.close();
  });

  it('receive and open called off by timeout and abort leave no link, timer or listener', async (t) => {
    const c = ready(t);
    if (c === undefined) return;
    const before = openLinks(c);
    const timers = timerCount();
    const r = await c.openReceiver(fresh());
    await assert.rejects(r.receive({ timeout: 50 }), Timeout);
    const ac = new AbortController();
    const p = r.receive({ signal: ac.signal });
    ac.abort();
    await assert.rejects(p, OperationAborted);
    await r.close();
    const ac2 = new AbortController();
    const opening = c.openSender(fresh(), { signal: ac2.signal });
    ac2.abort();
    await assert.rejects(opening, OperationAborted);
    assertNoListeners(ac.signal);
    assertNoListeners(ac2.signal);
    assert.deepEqual(openLinks(c), before);
    await assertTimersBackTo(timers);
    assert.equal(c.waits.size, 0);
  });
});
