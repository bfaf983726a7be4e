/**
 * Load through the embedded broker: 4 producers and 4 competing consumers, each its own Container in
 * this process, through one queue; at-least-once (the producers wait for the broker's acceptance, the
 * consumers accept), and every message must arrive exactly once. The broker's memory (this process's)
 * must stay bounded.
 *
 * LOAD_MESSAGES sets the total (default below); the rate is printed as a test diagnostic.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import { Container, type Event, Message, MessagingHandler } from '../../src/index.js';

const TOTAL = Number(process.env.LOAD_MESSAGES ?? 100_000);
const PRODUCERS = 4;
const CONSUMERS = 4;
const QUEUE = 'load';
const MB = 1024 * 1024;

const containers: Container[] = [];
after(() => {
  for (const c of containers) c.stop();
});

class Producer extends MessagingHandler {
  private sent = 0;
  confirmed = 0;
  constructor(
    private readonly url: string,
    private readonly id: number,
    private readonly count: number,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.createSender(e.container.connect(this.url, { reconnect: false }), QUEUE);
  }
  override onSendable(e: Event): void {
    const s = e.sender!;
    while (s.credit > 0 && this.sent < this.count) {
      s.send(new Message({ body: `${this.id}:${this.sent}` }));
      this.sent++;
    }
  }
  override onAccepted(e: Event): void {
    if (++this.confirmed === this.count) e.connection!.close();
  }
}

/** What all consumers received, shared. */
class Tally {
  received = 0;
  readonly seen = new Set<string>();
  readonly duplicates: string[] = [];
  readonly consumers: Consumer[] = [];
  add(body: string): void {
    this.received++;
    if (this.seen.has(body)) this.duplicates.push(body);
    else this.seen.add(body);
    if (this.seen.size === TOTAL) for (const c of this.consumers) c.finish();
  }
}

class Consumer extends MessagingHandler {
  received = 0;
  private conn: Event['connection'];
  constructor(
    private readonly url: string,
    private readonly tally: Tally,
  ) {
    super({ prefetch: 200 });
    tally.consumers.push(this);
  }
  override onStart(e: Event): void {
    this.conn = e.container.connect(this.url, { reconnect: false });
    e.container.createReceiver(this.conn, QUEUE);
  }
  override onMessage(e: Event): void {
    this.received++;
    this.tally.add(String(e.message!.body));
  }
  finish(): void {
    this.conn?.close();
  }
}

test(`${PRODUCERS} producers, ${CONSUMERS} consumers, ${TOTAL} messages through one queue`, async (t) => {
  const broker = new Broker();
  const bc = new Container(broker, { containerId: 'load-broker' });
  containers.push(bc);
  const acceptor = await bc.listen('127.0.0.1:0');
  const brokerDone = bc.run();
  const url = `127.0.0.1:${acceptor.port}`;

  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let peakDepth = 0;
  const sampler = setInterval(() => {
    peakDepth = Math.max(peakDepth, broker.nodes.get(QUEUE)?.depth ?? 0);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);

  const tally = new Tally();
  const consumers = Array.from({ length: CONSUMERS }, () => new Consumer(url, tally));
  const producers = Array.from(
    { length: PRODUCERS },
    (_, id) => new Producer(url, id, Math.floor(TOTAL / PRODUCERS) + (id < TOTAL % PRODUCERS ? 1 : 0)),
  );
  const started = Date.now();
  const runs = [...consumers, ...producers].map((h) => {
    const c = new Container(h);
    containers.push(c);
    return c.run();
  });
  const limit = setTimeout(() => {
    for (const c of containers) c.stop();
  }, 120_000);
  try {
    await Promise.all(runs);
  } finally {
    clearTimeout(limit);
    clearInterval(sampler);
  }
  const seconds = (Date.now() - started) / 1000;
  const afterRun = process.memoryUsage();
  peakRss = Math.max(peakRss, afterRun.rss);
  peakHeap = Math.max(peakHeap, afterRun.heapUsed);

  const confirmed = producers.reduce((n, p) => n + p.confirmed, 0);
  t.diagnostic(
    `${TOTAL} messages in ${seconds.toFixed(1)} s: ${Math.round(TOTAL / seconds)} msg/s; ` +
      `rss ${(before.rss / MB).toFixed(0)} -> peak ${(peakRss / MB).toFixed(0)} -> ${(afterRun.rss / MB).toFixed(0)} MB, ` +
      `heapUsed ${(before.heapUsed / MB).toFixed(0)} -> peak ${(peakHeap / MB).toFixed(0)} -> ${(afterRun.heapUsed / MB).toFixed(0)} MB; ` +
      `per consumer ${consumers.map((c) => c.received).join('/')}; queue depth peak ${peakDepth}`,
  );

  assert.equal(confirmed, TOTAL, 'every message accepted by the broker');
  assert.deepEqual(tally.duplicates.slice(0, 10), [], 'nothing duplicated');
  assert.equal(tally.seen.size, TOTAL, 'nothing lost');
  assert.equal(tally.received, TOTAL);
  for (let p = 0; p < PRODUCERS; p++) {
    for (let i = 0; i < producers[p]!.confirmed; i++) assert.ok(tally.seen.has(`${p}:${i}`), `${p}:${i}`);
  }
  assert.ok(
    consumers.every((c) => c.received > 0),
    'every consumer got some',
  );
  assert.equal(broker.nodes.get(QUEUE)?.messages.length ?? 0, 0, 'the queue is empty');
  assert.ok(peakDepth <= broker.limits.maxQueueDepth, `the queue reached ${peakDepth}`);
  assert.ok(peakRss - before.rss < 300 * MB, `rss grew by ${((peakRss - before.rss) / MB).toFixed(0)} MB`);

  bc.stop();
  await brokerDone.catch(() => {});
});
