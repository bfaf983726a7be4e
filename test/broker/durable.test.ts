/**
 * Issue 5: durable subscriptions to topics, named by the client's container-id and the link name. They
 * outlive a detach (and a lost connection), keep what is published meanwhile, and end with a close.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import {
  DurableSubscription,
  type Event,
  MessagingHandler,
  type Receiver,
  Selector,
} from '../../src/index.js';
import { Send } from '../support/broker-send.js';
import { PYTHON, requireProton } from '../support/proton-python.js';
import { client, messages, type Running, startBroker } from './harness.js';

/**
 * A Proton Python subscriber (container-id `py-durable`, link `sub`, DurableSubscription): prints the
 * bodies of the first N messages, then detaches its link and closes the connection.
 */
const PY_SUBSCRIBER = `
import sys
from proton.handlers import MessagingHandler
from proton.reactor import Container, DurableSubscription

class Sub(MessagingHandler):
    def __init__(self, url, n):
        super().__init__()
        self.url, self.n, self.got = url, n, 0
    def on_start(self, event):
        conn = event.container.connect(self.url)
        self.rcv = event.container.create_receiver(conn, 'topic://news', name='sub', options=DurableSubscription())
    def on_link_opened(self, event):
        if self.n == 0:
            self.end()
    def on_message(self, event):
        print(event.message.body, flush=True)
        self.got += 1
        if self.got == self.n:
            self.end()
    def end(self):
        self.rcv.detach()
        self.rcv.connection.close()

c = Container(Sub(sys.argv[1], int(sys.argv[2])))
c.container_id = 'py-durable'
c.run()
`;

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Runs the Python subscriber for `n` messages: its exit code and what it printed. */
function pythonSubscriber(url: string, n: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ['-c', PY_SUBSCRIBER, url, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      children.delete(p);
      resolve({ code, out });
    });
  });
}

type End = 'detach' | 'close' | 'connection';

/** Subscribes to a topic, takes `expected` messages, then ends as told. */
class Subscriber extends MessagingHandler {
  readonly bodies: unknown[] = [];
  readonly counts: number[] = [];
  echoed: { durable: number; expiryPolicy: string } | undefined;
  remoteDetached = false;
  private receiver: Receiver | undefined;
  constructor(
    private readonly url: string,
    private readonly opts: {
      name: string;
      expected: number;
      end: End;
      durable?: boolean;
      selector?: string;
      topic?: string;
      /** Accept what arrives (else leave it unsettled). @default true */
      accept?: boolean;
    },
  ) {
    super({ autoAccept: opts.accept !== false });
  }
  override onStart(e: Event): void {
    const options = [];
    if (this.opts.durable !== false) options.push(new DurableSubscription());
    if (this.opts.selector !== undefined) options.push(new Selector(this.opts.selector));
    this.receiver = e.container.createReceiver(
      e.container.connect(this.url, { reconnect: false }),
      this.opts.topic ?? 'topic://news',
      { name: this.opts.name, options },
    );
  }
  override onLinkOpened(e: Event): void {
    const s = e.receiver?.remoteSource;
    if (s !== undefined) this.echoed = { durable: s.durable, expiryPolicy: s.expiryPolicy };
    if (this.opts.expected === 0) setTimeout(() => this.finish(e), 100);
  }
  override onMessage(e: Event): void {
    this.bodies.push(e.message!.body);
    this.counts.push(e.message!.deliveryCount);
    if (this.bodies.length === this.opts.expected) this.finish(e);
  }
  private finish(e: Event): void {
    if (this.opts.end === 'detach') this.receiver!.detach();
    else if (this.opts.end === 'close') this.receiver!.close();
    else e.connection!.close();
  }
  onLinkRemoteDetach(e: Event): void {
    this.remoteDetached = true;
    e.connection!.close();
  }
  override onLinkClosed(e: Event): void {
    e.connection!.close();
  }
}

/** Subscribes (in a container named `containerId`) and runs to the end. */
async function subscribe(b: Running, containerId: string, opts: ConstructorParameters<typeof Subscriber>[1]) {
  const s = new Subscriber(b.url, opts);
  await client(s, 5000, containerId);
  return s;
}

const publish = (b: Running, n: number, from = 1, topic = 'topic://news') =>
  client(new Send(b.url, topic, messages(n + from - 1).slice(from - 1)));

describe('broker durable subscriptions', () => {
  it('a detached durable subscription keeps what is published; re-attaching resumes it', async () => {
    const b = await startBroker();
    const first = await subscribe(b, 'app-1', { name: 'sub', expected: 0, end: 'detach' });
    assert.deepEqual(first.echoed, { durable: 2, expiryPolicy: 'never' }, 'the attach echoes durability');
    assert.equal(first.remoteDetached, true, 'the broker answered the detach with a detach');
    assert.equal(b.broker.durables.size, 1);

    await publish(b, 3);
    const sub = [...b.broker.durables.values()][0]!;
    assert.equal(sub.subscription.consumer, undefined, 'detached');
    assert.equal(sub.subscription.backlog.length, 3, 'kept while detached');

    const again = await subscribe(b, 'app-1', { name: 'sub', expected: 3, end: 'detach' });
    assert.deepEqual(again.bodies, ['m1', 'm2', 'm3']);
    assert.deepEqual(again.counts, [0, 0, 0]);
    assert.equal(b.broker.durables.size, 1, 'still there after a second detach');
  });

  it('a lost connection keeps the subscription too; closing the link deletes it', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-2', { name: 'sub', expected: 0, end: 'connection' });
    await publish(b, 2);
    const back = await subscribe(b, 'app-2', { name: 'sub', expected: 2, end: 'close' });
    assert.deepEqual(back.bodies, ['m1', 'm2']);
    assert.equal(b.broker.durables.size, 0, 'closed: deleted');
    await publish(b, 2, 3);
    assert.equal(b.broker.nodes.get('topic://news')!.subscriptions.size, 0, 'nothing is kept for it');
  });

  it('a subscription is named by container-id and link name: another container gets its own', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-3', { name: 'sub', expected: 0, end: 'detach' });
    await subscribe(b, 'app-4', { name: 'sub', expected: 0, end: 'detach' });
    assert.equal(b.broker.durables.size, 2);
    await publish(b, 2);
    const three = await subscribe(b, 'app-3', { name: 'sub', expected: 2, end: 'close' });
    const four = await subscribe(b, 'app-4', { name: 'sub', expected: 2, end: 'close' });
    assert.deepEqual(three.bodies, ['m1', 'm2']);
    assert.deepEqual(four.bodies, ['m1', 'm2']);
    assert.equal(b.broker.durables.size, 0);
  });

  it('an attach by the same name that is not durable deletes the subscription', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-5', { name: 'sub', expected: 0, end: 'detach' });
    await publish(b, 2);
    const plain = await subscribe(b, 'app-5', { name: 'sub', expected: 0, end: 'detach', durable: false });
    assert.deepEqual(plain.bodies, [], 'a plain subscriber does not get the durable backlog');
    assert.deepEqual(plain.echoed, { durable: 0, expiryPolicy: 'session-end' });
    assert.equal(b.broker.durables.size, 0);
    assert.equal(b.broker.nodes.get('topic://news')!.subscriptions.size, 0);
  });

  it('a non-durable subscriber keeps nothing once detached', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-6', { name: 'plain', expected: 0, end: 'detach', durable: false });
    await publish(b, 2);
    assert.equal(b.broker.nodes.get('topic://news')!.subscriptions.size, 0);
    assert.equal(b.broker.durables.size, 0);
  });

  it('a durable subscription keeps its selector; another selector makes a new subscription', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-7', { name: 'sub', expected: 0, end: 'detach', selector: "colour = 'red'" });
    await client(
      new Send(
        b.url,
        'topic://news',
        messages(4, (i) => ({ properties: { colour: i % 2 ? 'red' : 'green' } })),
      ),
    );
    const kept = [...b.broker.durables.values()][0]!.subscription.backlog.map((e) => e.message.body);
    assert.deepEqual(kept, ['m2', 'm4']);
    const other = await subscribe(b, 'app-7', {
      name: 'sub',
      expected: 0,
      end: 'close',
      selector: "colour = 'green'",
    });
    assert.deepEqual(other.bodies, [], 'a changed selector starts afresh');
    assert.equal(b.broker.durables.size, 0);
  });

  it('messages unsettled at the detach are sent again on resume, their delivery-count raised', async () => {
    const b = await startBroker();
    await subscribe(b, 'app-8', { name: 'sub', expected: 0, end: 'detach' });
    await publish(b, 2);
    // Takes both without settling them, then detaches.
    const unsettled = await subscribe(b, 'app-8', { name: 'sub', expected: 2, end: 'detach', accept: false });
    assert.deepEqual(unsettled.bodies, ['m1', 'm2']);
    const again = await subscribe(b, 'app-8', { name: 'sub', expected: 2, end: 'close' });
    assert.deepEqual(again.bodies, ['m1', 'm2']);
    assert.deepEqual(again.counts, [1, 1]);
  });

  it("Proton Python's DurableSubscription detaches and resumes against the broker", async (t) => {
    if (!requireProton(t)) return;
    const b = await startBroker();
    const first = await pythonSubscriber(b.url, 0);
    assert.equal(first.code, 0, first.out);
    assert.equal(b.broker.durables.size, 1, 'the detach kept the subscription');
    await publish(b, 3);
    const again = await pythonSubscriber(b.url, 3);
    assert.equal(again.code, 0, again.out);
    assert.deepEqual(again.out.trim().split('\n'), ['m1', 'm2', 'm3']);
  });
});
