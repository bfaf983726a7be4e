/**
 * Issue 5: redelivery. What a consumer gives back comes back (released and modified with
 * delivery-failed raise the delivery-count; first-acquirer is then false), undeliverable-here keeps it
 * from that link, and after the redelivery limit it is dead. And addresses that cannot exist are refused
 * with amqp:not-found, the session living on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Accepted,
  type Delivery,
  type DeliveryStateValue,
  type Event,
  MessagingHandler,
  Modified,
  Released,
} from '../../src/index.js';
import { Send } from '../support/broker-send.js';
import {
  client,
  conditionOf,
  messages,
  queued,
  Receive,
  type Running,
  startBroker,
  until,
} from './harness.js';

const modified = (deliveryFailed: boolean, undeliverableHere: boolean) =>
  Object.assign(new Modified(), { deliveryFailed, undeliverableHere });

/** Takes messages one at a time and settles each with what `decide` says; stops when `done` says so. */
class Settler extends MessagingHandler {
  readonly seen: string[] = [];
  /** Told each message's annotations. */
  onAnnotations: ((a: Map<unknown, unknown> | undefined) => void) | undefined;
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly decide: (n: number) => DeliveryStateValue,
    private readonly done: (self: Settler) => boolean,
  ) {
    // One at a time: credit for the next once this one is settled.
    super({ prefetch: 0, autoAccept: false });
  }
  private container: Event['container'] | undefined;
  override onStart(e: Event): void {
    this.container = e.container;
    e.container.createReceiver(e.container.connect(this.url, { reconnect: false }), this.address);
  }
  override onLinkOpened(e: Event): void {
    e.receiver!.flow(1);
  }
  /** Ends the client. */
  stop(): void {
    this.container?.stop();
  }
  override onMessage(e: Event): void {
    const m = e.message!;
    this.onAnnotations?.(m.annotations);
    this.seen.push(`${m.body}:${m.deliveryCount}:${m.firstAcquirer}`);
    this.settle(e.delivery!, this.decide(this.seen.length));
    if (this.done(this)) e.connection!.close();
    else e.receiver!.flow(1);
  }
}

async function sendTo(b: Running, address: string, n = 1): Promise<void> {
  await client(new Send(b.url, address, messages(n)));
}

describe('broker redelivery', () => {
  it('released and modified with delivery-failed come back with delivery-count + 1, not first-acquirer', async () => {
    const b = await startBroker();
    await sendTo(b, 'r1');
    const outcomes = [new Released(), modified(true, false), new Accepted()];
    const s = new Settler(
      b.url,
      'r1',
      (n) => outcomes[n - 1]!,
      (x) => x.seen.length === 3,
    );
    await client(s);
    assert.deepEqual(s.seen, ['m1:0:true', 'm1:1:false', 'm1:2:false']);
    assert.deepEqual(queued(b, 'r1'), []);
  });

  it('modified with message-annotations: the message comes back with them added', async () => {
    const b = await startBroker();
    await client(
      new Send(
        b.url,
        'r6',
        messages(1, () => ({ annotations: new Map([['x-opt-a', 1]]) })),
      ),
    );
    const annotated: string[] = [];
    const tried = Object.assign(modified(false, false), {
      messageAnnotations: new Map([['x-opt-tried', 'yes']]),
    });
    const s = new Settler(
      b.url,
      'r6',
      (n) => (n === 1 ? tried : new Accepted()),
      (x) => x.seen.length === 2,
    );
    s.onAnnotations = (a) => annotated.push(JSON.stringify([...(a ?? [])].map(([k, v]) => [String(k), v])));
    await client(s);
    assert.deepEqual(annotated, ['[["x-opt-a",1]]', '[["x-opt-a",1],["x-opt-tried","yes"]]']);
  });

  it('a message is dead after 5 failed deliveries: to the dead-letter queue', async () => {
    const b = await startBroker({ deadLetterQueue: 'dlq' });
    await sendTo(b, 'r2');
    const s = new Settler(
      b.url,
      'r2',
      () => modified(true, false),
      () => false,
    );
    const running = client(s);
    await until(() => queued(b, 'dlq')?.length === 1, 3000, 'the dead letter');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(s.seen, ['m1:0:true', 'm1:1:false', 'm1:2:false', 'm1:3:false', 'm1:4:false']);
    assert.deepEqual(queued(b, 'r2'), []);
    const dead = new Receive(b.url, 'dlq', 1);
    await client(dead);
    assert.deepEqual(dead.bodies, ['m1']);
    s.stop();
    await running;
  });

  it('without a dead-letter queue a dead message is dropped; the limit is an option', async () => {
    const b = await startBroker({ redeliveryLimit: 2 });
    await sendTo(b, 'r3');
    const s = new Settler(
      b.url,
      'r3',
      () => new Released(),
      () => false,
    );
    const running = client(s);
    await until(
      () => s.seen.length === 2 && b.broker.nodes.get('r3')!.outstanding.size === 0,
      3000,
      'the drop',
    );
    s.stop();
    await running;
    assert.deepEqual(s.seen, ['m1:0:true', 'm1:1:false']);
    assert.deepEqual(queued(b, 'r3'), []);
  });

  it('modified with undeliverable-here goes to another consumer, never back to the same link', async () => {
    const b = await startBroker();
    const refuser = new Settler(
      b.url,
      'r4',
      () => modified(false, true),
      () => false,
    );
    const refusing = client(refuser);
    await until(() => b.broker.nodes.get('r4')?.consumers.length === 1, 3000, 'the first consumer');
    await sendTo(b, 'r4');
    await until(() => refuser.seen.length === 1, 3000, 'the first delivery');
    await new Promise((r) => setTimeout(r, 100));
    // The only consumer refused it for itself: it waits for another.
    assert.deepEqual(queued(b, 'r4'), ['m1']);
    const other = new Receive(b.url, 'r4', 1);
    await client(other);
    assert.deepEqual(other.bodies, ['m1']);
    assert.deepEqual(other.counts, [0], 'not a failed delivery');
    assert.deepEqual(other.firstAcquirers, [false]);
    assert.deepEqual(refuser.seen, ['m1:0:true']);
    refuser.stop();
    await refusing;
  });

  it('a consumer on a dynamic node that is gone is refused with amqp:not-found; its session lives on', async () => {
    const b = await startBroker();
    let gone: string | undefined;
    class Temp extends MessagingHandler {
      override onStart(e: Event): void {
        e.container.createReceiver(e.container.connect(b.url, { reconnect: false }), undefined, {
          dynamic: true,
        });
      }
      override onLinkOpened(e: Event): void {
        gone = e.receiver!.remoteSource!.address;
        e.connection!.close();
      }
    }
    await client(new Temp());
    await until(() => gone !== undefined && !b.broker.nodes.has(gone), 3000, 'the dynamic node to go');
    await sendTo(b, 'r5');
    const errors: string[] = [];
    const bodies: unknown[] = [];
    class Late extends MessagingHandler {
      override onStart(e: Event): void {
        e.container.createReceiver(e.container.connect(b.url, { reconnect: false }), gone);
        e.container.createSender(e.container.connect(b.url, { reconnect: false }), gone);
      }
      override onLinkError(e: Event): void {
        const c = e.link!.remoteCondition!;
        errors.push(`${e.link!.isSender ? 'sender' : 'receiver'} ${c.name} ${c.description}`);
        if (!e.link!.isSender) e.container.createReceiver(e.session!, 'r5');
      }
      override onMessage(e: Event): void {
        bodies.push(e.message!.body);
        e.container.stop();
      }
    }
    await client(new Late());
    assert.deepEqual(errors.sort(), [
      `receiver amqp:not-found no such node: ${gone}`,
      `sender amqp:not-found no such node: ${gone}`,
    ]);
    assert.deepEqual(bodies, ['m1'], 'the same session still receives');
  });

  it('a message relayed to a dynamic node that is gone is rejected with amqp:not-found', async () => {
    const b = await startBroker();
    const rejected: string[] = [];
    class Relay extends Send {
      override onStart(e: Event): void {
        e.container.createSender(e.container.connect(b.url, { reconnect: false }), undefined);
      }
      override onRejected(e: Event): void {
        rejected.push(conditionOf(e.delivery as Delivery) ?? '?');
        e.connection!.close();
      }
    }
    await client(
      new Relay(
        b.url,
        '',
        messages(1, () => ({ address: 'dynamic-none' })),
      ),
    );
    assert.deepEqual(rejected, ['amqp:not-found']);
    assert.equal(b.broker.nodes.has('dynamic-none'), false, 'no queue was made for it');
  });
});
