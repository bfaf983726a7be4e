/**
 * Issue 5: the broker's limits. Connections, sessions and links over their limit are closed with
 * amqp:resource-limit-exceeded naming the limit, and the broker serves on; a full queue stops its
 * producers by flow control, and a message that reaches it anyway is rejected (or dropped if settled).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import {
  AtMostOnce,
  type Connection,
  type Event,
  InvalidOptionError,
  MessagingHandler,
} from '../../src/index.js';
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
