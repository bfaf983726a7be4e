/**
 * Issue 5: the broker's limits. Connections, sessions and links over their limit are closed with
 * amqp:resource-limit-exceeded naming the limit, and the broker serves on; a full queue stops its
 * producers by flow control, and a message that reaches it anyway is rejected (or dropped if settled).
 * Issue 8, from the hostile side: a consumer that never settles holds at most its connection's
 * unsettled limit, a producer that never settles leaves nothing unsettled in the broker, and a client
 * leaving large messages unfinished on many links is cut off at its connection's byte limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import { UsageError } from '../../src/cli/args.js';
import { brokerConfig } from '../../src/cli/broker-command.js';
import {
  Accepted,
  AtMostOnce,
  type Connection,
  type Delivery,
  type Event,
  InvalidOptionError,
  Message,
  MessagingHandler,
  type Sender,
} from '../../src/index.js';
import { assertHeapBack, settledHeap } from '../limits/hostile.js';
import { Send } from '../support/broker-send.js';
import {
  client,
  conditionOf,
  keepingLogger,
  messages,
  queued,
  Receive,
  type Running,
  sleep,
  startBroker,
  until,
} from './harness.js';

/** Opens a connection (and, when asked, extra sessions and links) and records what the broker closes. */
class Opener extends MessagingHandler {
  opened = false;
  received = 0;
  connection: Connection | undefined;
  readonly closed: string[] = [];
  constructor(
    private readonly url: string,
    private readonly opts: { sessions?: number; links?: number } = {},
  ) {
    super();
  }
  override onStart(e: Event): void {
    this.connection = e.container.connect(this.url, { reconnect: false });
    for (let i = 0; i < (this.opts.sessions ?? 0); i++) this.connection.session().open();
    for (let i = 0; i < (this.opts.links ?? 0); i++) e.container.createReceiver(this.connection, `q-${i}`);
  }
  override onConnectionOpened(): void {
    this.opened = true;
  }
  override onMessage(): void {
    this.received++;
  }
  private record(what: string, c: { name: string; description?: string } | undefined): void {
    this.closed.push(`${what} ${c?.name} ${c?.description}`);
  }
  override onConnectionError(e: Event): void {
    this.record('connection', e.connection?.remoteCondition);
  }
  override onSessionError(e: Event): void {
    this.record('session', e.session?.remoteCondition);
  }
  override onLinkError(e: Event): void {
    this.record('link', e.link?.remoteCondition);
  }
  close(): void {
    this.connection?.close();
  }
}

/** Runs an opener until it has been told something (or `ms`), then closes it. */
async function open(b: Running, opts: ConstructorParameters<typeof Opener>[1] = {}, ms = 300) {
  const o = new Opener(b.url, opts);
  const running = client(o);
  await until(() => o.opened || o.closed.length > 0, 3000, 'the connection to open');
  await sleep(ms);
  return { o, done: running };
}

/** An anonymous-relay sender: each message goes to its own address. */
class Relay extends Send {
  rejected: string[] = [];
  constructor(
    private readonly to: string,
    ms: ReturnType<typeof messages>,
    private readonly presettled = false,
  ) {
    super(to, '', ms);
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.to, { reconnect: false });
    e.container.createSender(conn, undefined, { options: this.presettled ? [new AtMostOnce()] : [] });
  }
  override onSendable(e: Event): void {
    super.onSendable(e);
    if (this.presettled) e.connection!.close();
  }
  override onRejected(e: Event): void {
    this.rejected.push(conditionOf(e.delivery) ?? '?');
    if (this.rejected.length + this.confirmed === 2) e.connection!.close();
  }
}

describe('broker limits', () => {
  it('the limits are checked as the broker is made', () => {
    assert.throws(() => new Broker({ maxConnections: 0 }), InvalidOptionError);
    assert.throws(() => new Broker({ maxQueueDepth: 1.5 }), /maxQueueDepth/);
    assert.equal(new Broker().limits.maxQueueDepth, 10_000);
    assert.equal(new Broker({ maxLinksPerConnection: Infinity }).limits.maxLinksPerConnection, Infinity);
    assert.equal(new Broker().limits.maxUnsettledPerConnection, 10_000);
    assert.equal(new Broker().limits.maxBufferedBytesPerConnection, 64 * 1024 * 1024);
    assert.throws(() => new Broker({ maxUnsettledPerConnection: 0 }), /maxUnsettledPerConnection/);
    assert.throws(() => new Broker({ maxBufferedBytesPerConnection: -1 }), /maxBufferedBytesPerConnection/);
  });

  it('the broker command takes the per-connection limits as flags', () => {
    const flags = ['--max-unsettled-per-connection', '5', '--max-buffered-bytes-per-connection', '1024'];
    const limits = new Broker(brokerConfig(flags).broker).limits;
    assert.equal(limits.maxUnsettledPerConnection, 5);
    assert.equal(limits.maxBufferedBytesPerConnection, 1024);
    assert.throws(
      () => brokerConfig(['--max-buffered-bytes-per-connection', '0']),
      (e: unknown) => e instanceof UsageError && /--max-buffered-bytes-per-connection/.test(e.message),
    );
  });

  it('a connection over maxConnections is closed with amqp:resource-limit-exceeded', async () => {
    const b = await startBroker({ maxConnections: 2 });
    const one = await open(b, {}, 0);
    const two = await open(b, {}, 0);
    const three = await open(b);
    await three.done;
    assert.deepEqual(three.o.closed, ['connection amqp:resource-limit-exceeded maxConnections (2) reached']);
    assert.deepEqual([one.o.closed, two.o.closed], [[], []]);
    // One goes: there is room again.
    one.o.close();
    await one.done;
    const four = await open(b);
    assert.deepEqual(four.o.closed, []);
    for (const c of [two, four]) {
      c.o.close();
      await c.done;
    }
  });

  it('a session over maxSessionsPerConnection is ended; the connection lives on', async () => {
    const b = await startBroker({ maxSessionsPerConnection: 2 });
    const c = await open(b, { sessions: 3 });
    assert.deepEqual(c.o.closed, [
      'session amqp:resource-limit-exceeded maxSessionsPerConnection (2) reached',
    ]);
    assert.equal(b.broker.connections.size, 1);
    c.o.close();
    await c.done;
  });

  it('a link over maxLinksPerConnection is refused; the others work', async () => {
    const b = await startBroker({ maxLinksPerConnection: 2 });
    const c = await open(b, { links: 3 });
    assert.deepEqual(c.o.closed, ['link amqp:resource-limit-exceeded maxLinksPerConnection (2) reached']);
    await client(new Send(b.url, 'q-0', messages(1)));
    await until(() => c.o.received === 1, 3000, 'the message to arrive');
    c.o.close();
    await c.done;
  });

  it('a full queue gives its producers no credit until consumers drain it', async () => {
    const b = await startBroker({ maxQueueDepth: 10, window: 4 });
    const send = new Send(b.url, 'deep', messages(40));
    const sending = client(send, 10_000);
    await until(() => (queued(b, 'deep')?.length ?? 0) >= 10, 3000, 'the queue to fill');
    await sleep(200);
    assert.equal(queued(b, 'deep')!.length, 10, 'no deeper than the limit');
    assert.equal(send.confirmed, 10, 'the producer stopped: no credit');
    let deepest = 0;
    const sampler = setInterval(() => {
      deepest = Math.max(deepest, b.broker.nodes.get('deep')!.depth);
    }, 2);
    const r = new Receive(b.url, 'deep', 40, { prefetch: 3 });
    try {
      await Promise.all([sending, client(r, 10_000)]);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(send.confirmed, 40, 'the producer resumed as the queue drained');
    assert.deepEqual(
      r.bodies,
      messages(40).map((m) => m.body),
    );
    assert.ok(deepest <= 10, `the queue reached ${deepest}`);
  });

  it('a message relayed into a full queue is rejected; one sent settled is dropped with a warning', async () => {
    const logger = keepingLogger();
    const b = await startBroker({ maxQueueDepth: 3, logger });
    await client(new Send(b.url, 'full', messages(3)));
    const relay = new Relay(
      b.url,
      messages(2, () => ({ address: 'full' })),
    );
    await client(relay);
    assert.deepEqual(relay.rejected, ['amqp:resource-limit-exceeded', 'amqp:resource-limit-exceeded']);
    const settled = new Relay(
      b.url,
      messages(1, () => ({ address: 'full' })),
      true,
    );
    await client(settled);
    await until(() => logger.lines.length > 0, 3000, 'the warning');
    assert.match(logger.lines[0]!, /^warn: maxQueueDepth \(3\) reached on 'full'/);
    assert.deepEqual(queued(b, 'full'), ['m1', 'm2', 'm3']);
    // Room again: the relay gets through.
    await client(new Receive(b.url, 'full', 3));
    const later = new Relay(
      b.url,
      messages(2, () => ({ address: 'full' })),
    );
    await client(later);
    assert.equal(later.confirmed, 2);
  });
});

/** A consumer on `addresses` granting `credit` on each link, settling only when told to. */
class Hoarder extends MessagingHandler {
  readonly deliveries: Delivery[] = [];
  readonly counts: number[] = [];
  connection: Connection | undefined;
  constructor(
    private readonly url: string,
    private readonly addresses: string[],
    private readonly credit: number,
  ) {
    super({ prefetch: 0, autoAccept: false });
  }
  override onStart(e: Event): void {
    this.connection = e.container.connect(this.url, { reconnect: false });
    for (const a of this.addresses) e.container.createReceiver(this.connection, a).flow(this.credit);
  }
  override onMessage(e: Event): void {
    this.deliveries.push(e.delivery!);
    this.counts.push(e.message!.deliveryCount);
  }
}

/** Sends `n` messages and never settles them (the broker's outcome is all it waits for). */
class NeverSettles extends MessagingHandler {
  readonly sent: Delivery[] = [];
  accepted = 0;
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly n: number,
  ) {
    super({ autoSettle: false });
  }
  override onStart(e: Event): void {
    e.container.createSender(e.container.connect(this.url, { reconnect: false }), this.address);
  }
  override onSendable(e: Event): void {
    const s = e.sender!;
    while (s.credit > 0 && this.sent.length < this.n) this.sent.push(s.send(new Message({ body: 'x' })));
  }
  override onAccepted(): void {
    this.accepted++;
  }
}

/** Opens `links` senders and starts one message on each, `chunk` long, that it never finishes. */
class Unfinished extends MessagingHandler {
  readonly closed: string[] = [];
  started = 0;
  private readonly begun = new WeakSet<Sender>();
  constructor(
    private readonly url: string,
    private readonly links: number,
    private readonly chunk: Buffer,
  ) {
    super({ prefetch: 0 });
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    for (let i = 0; i < this.links; i++) e.container.createSender(conn, `unfinished-${i}`);
  }
  override onSendable(e: Event): void {
    const s = e.sender!;
    if (this.begun.has(s)) return;
    this.begun.add(s);
    s.delivery();
    // Streamed, never advanced: the transfers go out with more=true and the message never ends.
    s.stream(this.chunk);
    this.started++;
  }
  override onConnectionError(e: Event): void {
    const c = e.connection?.remoteCondition;
    this.closed.push(`${c?.name} ${c?.description}`);
  }
}

describe('broker limits per connection (issue 8)', () => {
  it('a consumer that never settles holds maxUnsettledPerConnection over all its links, and resumes as it settles', async () => {
    const b = await startBroker({ maxUnsettledPerConnection: 20 });
    await client(new Send(b.url, 'hold-a', messages(100)));
    await client(new Send(b.url, 'hold-b', messages(100)));
    const waiting = () => queued(b, 'hold-a')!.length + queued(b, 'hold-b')!.length;
    // 1000 credit on each of two links, and nothing settled: 20 in all, not 20 a link.
    const h = new Hoarder(b.url, ['hold-a', 'hold-b'], 1000);
    const running = client(h, 20_000);
    await until(() => h.deliveries.length >= 20, 3000, 'the first 20');
    await sleep(300);
    assert.equal(h.deliveries.length, 20, 'no more than the limit');
    assert.equal(waiting(), 180);
    const [served] = [...b.broker.connections];
    const out = served!.links.filter((l) => l.isSender).reduce((n, l) => n + l.unsettledCount, 0);
    assert.equal(out, 20, 'the broker holds 20 unsettled deliveries for it');
    // An outcome without settling keeps them unsettled: still nothing more.
    for (const d of h.deliveries.slice(0, 10)) d.update(new Accepted());
    await sleep(300);
    assert.equal(h.deliveries.length, 20, 'accepted but unsettled still counts');
    // Settled: room for 10 more.
    for (const d of h.deliveries.slice(0, 10)) d.settle();
    await until(() => h.deliveries.length >= 30, 3000, '10 more once 10 are settled');
    await sleep(200);
    assert.equal(h.deliveries.length, 30);
    assert.equal(waiting(), 170, 'the 10 settled are consumed');
    // Settled with no outcome: back in the queue as failed deliveries, and sent again (room again).
    for (const d of h.deliveries.slice(10, 15)) d.settle();
    await until(() => h.deliveries.length >= 35, 3000, 'five sent again');
    assert.deepEqual(h.counts.slice(30), [1, 1, 1, 1, 1], 'redelivered, counted as failed once');
    assert.equal(waiting(), 170);
    // The broker serves others all the while: another connection takes what is left of hold-a.
    const left = queued(b, 'hold-a')!.length;
    const r = new Receive(b.url, 'hold-a', left, { prefetch: 50 });
    await client(r);
    assert.equal(r.bodies.length, left);
    h.connection!.close();
    await running;
    // What the hoarder held goes back: 20 unsettled (15 of them on hold-a or hold-b) are waiting again.
    await until(() => waiting() === 170 - left + 20, 3000, 'the unsettled back in their queues');
  });

  it('a producer that never settles: the broker settles each message as it takes it, holding none', async () => {
    const b = await startBroker();
    const p = new NeverSettles(b.url, 'in', 500);
    const running = client(p, 10_000);
    await until(() => p.accepted === 500, 5000, 'every message accepted');
    assert.ok(
      p.sent.every((d) => d.remoteSettled),
      'each was settled by the broker',
    );
    const [conn] = [...b.broker.connections];
    const held = conn!.links.filter((l) => l.isReceiver).reduce((n, l) => n + l.unsettledCount, 0);
    assert.equal(held, 0, 'the broker holds no unsettled delivery of the producer');
    assert.equal(queued(b, 'in')!.length, 500);
    p.sent.at(-1)!.link.connection.close();
    await running;
  });

  it('50 links each with an unfinished 1 MiB message: closed at maxBufferedBytesPerConnection, memory back', async () => {
    const max = 8 * 1024 * 1024;
    const b = await startBroker({ maxBufferedBytesPerConnection: max });
    // Warm: the first connection's one-time costs are not a leak.
    await client(new Send(b.url, 'warm', messages(1)));
    await client(new Receive(b.url, 'warm', 1));
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const heap = settledHeap();
    const u = new Unfinished(b.url, 50, chunk);
    await client(u, 10_000);
    assert.deepEqual(u.closed, [
      `amqp:resource-limit-exceeded maxBufferedBytesPerConnection (${max}) reached`,
    ]);
    assert.ok(u.started > max / chunk.length, `${u.started} messages begun`);
    await until(() => b.broker.connections.size === 0, 3000, 'the broker to let the connection go');
    // The broker serves on.
    const small = new Send(b.url, 'after', messages(2));
    await client(small);
    const r = new Receive(b.url, 'after', 2);
    await client(r);
    assert.deepEqual(r.bodies, ['m1', 'm2']);
    await assertHeapBack(heap, 'unfinished messages on 50 links');
  });
});
