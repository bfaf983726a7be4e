/**
 * The embedded broker over loopback sockets: one container serves the broker, another is the client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Copy, type Event, MessagingHandler, type Receiver, Release, Selector } from '../../src/index.js';
import { Send } from '../support/broker-send.js';
import { client, messages, startBroker } from './harness.js';

class Receive extends MessagingHandler {
  readonly bodies: unknown[] = [];
  constructor(
    private readonly url: string,
    private readonly address: string | undefined,
    private readonly expected: number,
    private readonly opts: { options?: object[]; dynamic?: boolean; release?: number } = {},
  ) {
    super();
  }
  receiver: Receiver | undefined;
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    this.receiver = e.container.createReceiver(conn, this.address, {
      options: this.opts.options as never,
      dynamic: this.opts.dynamic,
    });
  }
  override onMessage(e: Event): void {
    if (this.opts.release !== undefined && this.opts.release > 0) {
      this.opts.release--;
      throw new Release();
    }
    this.bodies.push(e.message!.body);
    if (this.bodies.length === this.expected) e.connection!.close();
  }
}

describe('broker', () => {
  it('queues: what is sent is received, in order', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'q1', messages(20)));
    const r = new Receive(b.url, 'q1', 20);
    await client(r);
    assert.deepEqual(
      r.bodies,
      messages(20).map((m) => m.body),
    );
  });

  it('competing consumers share a queue, each message once', async () => {
    const b = await startBroker();
    const r1 = new Receive(b.url, 'q2', 10);
    const r2 = new Receive(b.url, 'q2', 10);
    const running = Promise.all([client(r1), client(r2)]);
    await new Promise((res) => setTimeout(res, 200));
    await client(new Send(b.url, 'q2', messages(20)));
    await running;
    assert.equal(r1.bodies.length + r2.bodies.length, 20);
    assert.deepEqual(new Set([...r1.bodies, ...r2.bodies]).size, 20);
    assert.ok(r1.bodies.length > 0 && r2.bodies.length > 0, 'both consumers got some');
  });

  it('topics give every subscriber a copy', async () => {
    const b = await startBroker();
    const r1 = new Receive(b.url, 'topic://news', 5);
    const r2 = new Receive(b.url, 'topic://news', 5);
    const running = Promise.all([client(r1), client(r2)]);
    await new Promise((res) => setTimeout(res, 200));
    await client(new Send(b.url, 'topic://news', messages(5)));
    await running;
    assert.deepEqual(r1.bodies, ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.deepEqual(r2.bodies, ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('a selector picks the matching messages; the rest stay for others', async () => {
    const b = await startBroker();
    await client(
      new Send(
        b.url,
        'q3',
        messages(6, (i) => ({ properties: { colour: i % 2 ? 'red' : 'green' } })),
      ),
    );
    const red = new Receive(b.url, 'q3', 3, { options: [new Selector("colour = 'red'")] });
    await client(red);
    assert.deepEqual(red.bodies, ['m2', 'm4', 'm6']);
    const rest = new Receive(b.url, 'q3', 3);
    await client(rest);
    assert.deepEqual(rest.bodies, ['m1', 'm3', 'm5']);
  });

  it('browsing sees the messages without taking them', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'q4', messages(3)));
    const browser = new Receive(b.url, 'q4', 3, { options: [new Copy()] });
    await client(browser);
    assert.deepEqual(browser.bodies, ['m1', 'm2', 'm3']);
    const taker = new Receive(b.url, 'q4', 3);
    await client(taker);
    assert.deepEqual(taker.bodies, ['m1', 'm2', 'm3']);
  });

  it('a message given back by Release (modified, not failed) comes back, its delivery-count kept', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'q5', messages(2)));
    const seen: string[] = [];
    const r = new (class extends Receive {
      override onMessage(e: Event): void {
        seen.push(`${e.message!.body}:${e.message!.deliveryCount}:${e.message!.firstAcquirer}`);
        super.onMessage(e);
      }
    })(b.url, 'q5', 2, { release: 1 });
    await client(r);
    assert.deepEqual(r.bodies.slice().sort(), ['m1', 'm2']);
    // Proton's Release is modified without delivery-failed: not a failed attempt, but acquired before.
    assert.deepEqual(seen.slice().sort(), ['m1:0:false', 'm1:0:true', 'm2:0:true']);
  });

  it('a dynamic receiver gets a temporary queue, deleted when it goes', async () => {
    const b = await startBroker();
    let address: string | undefined;
    const r = new (class extends MessagingHandler {
      override onStart(e: Event): void {
        e.container.createReceiver(e.container.connect(b.url, { reconnect: false }), undefined, {
          dynamic: true,
        });
      }
      override onLinkOpened(e: Event): void {
        address = e.receiver?.remoteSource?.address;
        e.connection!.close();
      }
    })();
    await client(r);
    assert.match(address ?? '', /^dynamic-/);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(b.broker.nodes.has(address!), false);
  });

  it('a drain completes, even on an empty queue', async () => {
    const b = await startBroker();
    let drained = false;
    const r = new (class extends MessagingHandler {
      constructor() {
        super({ prefetch: 0 });
      }
      override onStart(e: Event): void {
        const rcv = e.container.createReceiver(e.container.connect(b.url, { reconnect: false }), 'q-empty');
        rcv.drainCredit(5);
      }
      onLinkFlow(e: Event): void {
        const rcv = e.receiver;
        if (rcv !== undefined && !rcv.draining() && rcv.credit === 0) {
          drained = true;
          e.connection!.close();
        }
      }
    })();
    await client(r);
    assert.equal(drained, true, 'the receiver saw its drain complete');
  });

  it('anonymous relay: a sender with no target routes by the message address', async () => {
    const b = await startBroker();
    const relay = new (class extends Send {
      override onStart(e: Event): void {
        e.container.createSender(e.container.connect(b.url, { reconnect: false }), undefined);
      }
    })(
      b.url,
      '',
      messages(2, () => ({ address: 'q6' })),
    );
    await client(relay);
    const r = new Receive(b.url, 'q6', 2);
    await client(r);
    assert.deepEqual(r.bodies, ['m1', 'm2']);
  });
});
