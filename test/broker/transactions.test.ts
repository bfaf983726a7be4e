/**
 * The embedded broker's local transactions over loopback sockets: one container serves the broker,
 * another is the client (declaring with container.declareTransaction); then Proton Python's tx_send.py
 * and tx_recv.py examples against the broker.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import {
  type Event,
  type Message,
  MessagingHandler,
  type Receiver,
  Rejected,
  Released,
  type Sender,
  type Transaction,
} from '../../src/index.js';
import { Send } from '../support/broker-send.js';
import { PYTHON, requireProton } from '../support/proton-python.js';
import { client, conditionOf, messages, queued, startBroker } from './harness.js';

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

type End = 'commit' | 'abort';

/** Sends messages under one transaction, then commits or aborts it. */
class TxSend extends MessagingHandler {
  accepted = 0;
  rejected: string[] = [];
  result: string | undefined;
  dischargeCondition: string | undefined;
  private sender: Sender | undefined;
  private txn: Transaction | undefined;
  private sent = 0;
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly messages: Message[],
    private readonly end: End,
    private readonly opts: { badId?: 'send' | 'discharge'; waitMs?: number } = {},
  ) {
    super();
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    this.sender = e.container.createSender(conn, this.address);
    this.txn = e.container.declareTransaction(conn, this);
  }
  onTransactionDeclared(e: Event): void {
    if (this.opts.badId === 'send') this.txn!.id = new Uint8Array([9, 9, 9]);
    this.pump(e);
  }
  override onSendable(e: Event): void {
    this.pump(e);
  }
  private pump(e: Event): void {
    const s = this.sender!;
    if (this.txn?.phase !== 'declared' || s.credit <= 0) return;
    while (s.credit > 0 && this.sent < this.messages.length) this.txn.send(s, this.messages[this.sent++]!);
    if (this.opts.badId === 'send') return;
    if (this.sent === this.messages.length && this.messages.length === 0) this.discharge(e);
  }
  override onAccepted(e: Event): void {
    if (++this.accepted === this.messages.length) this.discharge(e);
  }
  override onRejected(e: Event): void {
    this.rejected.push(conditionOf(e.delivery) ?? '?');
    if (this.rejected.length === this.messages.length) e.connection!.close();
  }
  private discharge(e: Event): void {
    const go = () => {
      if (this.opts.badId === 'discharge') this.txn!.id = new Uint8Array([7, 7, 7]);
      if (this.end === 'commit') this.txn!.commit();
      else this.txn!.abort();
    };
    if (this.opts.waitMs === undefined) go();
    else e.container.schedule(this.opts.waitMs, { onTimerTask: go });
  }
  onTransactionCommitted(e: Event): void {
    this.result = 'committed';
    e.connection!.close();
  }
  onTransactionAborted(e: Event): void {
    this.result = 'aborted';
    e.connection!.close();
  }
  onTransactionCommitFailed(e: Event): void {
    this.result = 'commit-failed';
    this.dischargeCondition = conditionOf(e.delivery);
    e.connection!.close();
  }
}

/** Receives `n` messages and accepts them under one transaction, then commits or aborts it. */
class TxRecv extends MessagingHandler {
  readonly bodies: unknown[] = [];
  result: string | undefined;
  private receiver: Receiver | undefined;
  private txn: Transaction | undefined;
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly n: number,
    private readonly end: End,
    private readonly opts: { outcome?: 'reject' | 'release'; settleBeforeDischarge?: boolean } = {},
  ) {
    super({ prefetch: 0, autoAccept: false });
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    this.receiver = e.container.createReceiver(conn, this.address);
    this.txn = e.container.declareTransaction(conn, this, this.opts.settleBeforeDischarge);
  }
  onTransactionDeclared(_e: Event): void {
    this.receiver!.flow(this.n);
  }
  override onMessage(e: Event): void {
    this.bodies.push(e.message!.body);
    if (this.opts.outcome === 'reject') this.txn!.update(e.delivery!, new Rejected());
    else if (this.opts.outcome === 'release') this.txn!.update(e.delivery!, new Released());
    else this.txn!.accept(e.delivery!);
    if (this.bodies.length === this.n) {
      if (this.end === 'commit') this.txn!.commit();
      else this.txn!.abort();
    }
  }
  onTransactionCommitted(e: Event): void {
    this.result = 'committed';
    e.connection!.close();
  }
  onTransactionAborted(e: Event): void {
    this.result = 'aborted';
    e.connection!.close();
  }
}

/** Receives plainly, accepting. */
class Receive extends MessagingHandler {
  readonly bodies: unknown[] = [];
  readonly counts: number[] = [];
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly expected: number,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.createReceiver(e.container.connect(this.url, { reconnect: false }), this.address);
  }
  override onMessage(e: Event): void {
    this.bodies.push(e.message!.body);
    this.counts.push(e.message!.deliveryCount);
    if (this.bodies.length === this.expected) e.connection!.close();
  }
}

describe('broker transactions', () => {
  it('a transactional send is held until the commit, then the messages appear', async () => {
    const b = await startBroker();
    const s = new TxSend(b.url, 'tq1', messages(5), 'commit');
    await client(s);
    assert.equal(s.result, 'committed');
    assert.equal(s.accepted, 5);
    assert.deepEqual(queued(b, 'tq1'), ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.equal(b.broker.transactions.open, 0);
    const r = new Receive(b.url, 'tq1', 5);
    await client(r);
    assert.deepEqual(r.bodies, ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('a transactional send is dropped by the abort', async () => {
    const b = await startBroker();
    const s = new TxSend(b.url, 'tq2', messages(4), 'abort');
    await client(s);
    assert.equal(s.result, 'aborted');
    assert.equal(s.accepted, 4);
    assert.deepEqual(queued(b, 'tq2') ?? [], []);
    assert.equal(b.broker.transactions.open, 0);
  });

  it('transactional accepts are consumed by the commit', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq3', messages(6)));
    const r = new TxRecv(b.url, 'tq3', 4, 'commit');
    await client(r);
    assert.equal(r.result, 'committed');
    assert.deepEqual(r.bodies, ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual(queued(b, 'tq3'), ['m5', 'm6']);
    assert.equal(b.broker.nodes.get('tq3')!.outstanding.size, 0);
  });

  it('transactional accepts are undone by the abort: the messages are redelivered', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq4', messages(3)));
    const r = new TxRecv(b.url, 'tq4', 3, 'abort');
    await client(r);
    assert.equal(r.result, 'aborted');
    assert.deepEqual(r.bodies, ['m1', 'm2', 'm3']);
    assert.deepEqual(queued(b, 'tq4'), ['m1', 'm2', 'm3']);
    const again = new Receive(b.url, 'tq4', 3);
    await client(again);
    assert.deepEqual(again.bodies, ['m1', 'm2', 'm3']);
    // Issue 5: an abort is not a failed delivery, so the delivery-count stays.
    assert.deepEqual(again.counts, [0, 0, 0]);
  });

  it('aborts do not count against the redelivery limit (issue 5)', async () => {
    const b = await startBroker({ redeliveryLimit: 2, deadLetterQueue: 'dlq' });
    await client(new Send(b.url, 'tq13', messages(1)));
    for (let i = 0; i < 4; i++) {
      const r = new TxRecv(b.url, 'tq13', 1, 'abort');
      await client(r);
      assert.equal(r.result, 'aborted');
      assert.deepEqual(queued(b, 'tq13'), ['m1'], `after abort ${i + 1}`);
    }
    assert.equal(queued(b, 'dlq'), undefined, 'nothing dead');
    const again = new Receive(b.url, 'tq13', 1);
    await client(again);
    assert.deepEqual(again.counts, [0]);
  });

  it('transactional accepts settled before the discharge are consumed by the commit', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq9', messages(3)));
    const r = new TxRecv(b.url, 'tq9', 3, 'commit', { settleBeforeDischarge: true });
    await client(r);
    assert.equal(r.result, 'committed');
    assert.deepEqual(queued(b, 'tq9'), []);
    assert.equal(b.broker.nodes.get('tq9')!.outstanding.size, 0);
  });

  it('transactional accepts settled before the discharge come back after the abort', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq10', messages(2)));
    const r = new TxRecv(b.url, 'tq10', 2, 'abort', { settleBeforeDischarge: true });
    await client(r);
    assert.equal(r.result, 'aborted');
    assert.deepEqual(queued(b, 'tq10'), ['m1', 'm2']);
  });

  it('a transactional reject takes effect at the commit: to the dead-letter queue', async () => {
    const b = await startBroker({ deadLetterQueue: 'dlq' });
    await client(new Send(b.url, 'tq11', messages(2)));
    const r = new TxRecv(b.url, 'tq11', 2, 'commit', { outcome: 'reject' });
    await client(r);
    assert.equal(r.result, 'committed');
    assert.deepEqual(queued(b, 'tq11'), []);
    assert.deepEqual(queued(b, 'dlq'), ['m1', 'm2']);
  });

  it('a transactional release takes effect at the commit: the messages come back', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq12', messages(2)));
    const r = new TxRecv(b.url, 'tq12', 2, 'commit', { outcome: 'release' });
    await client(r);
    assert.equal(r.result, 'committed');
    assert.deepEqual(queued(b, 'tq12'), ['m1', 'm2']);
    assert.equal(b.broker.nodes.get('tq12')!.outstanding.size, 0);
  });

  it('a discharge of an unknown id is rejected with amqp:transaction:unknown-id', async () => {
    const b = await startBroker();
    const s = new TxSend(b.url, 'tq5', messages(2), 'commit', { badId: 'discharge' });
    await client(s);
    assert.equal(s.result, 'commit-failed');
    assert.equal(s.dischargeCondition, 'amqp:transaction:unknown-id');
    // The real transaction stayed open, its sends held; the client leaving aborted it.
    assert.deepEqual(queued(b, 'tq5') ?? [], []);
    assert.equal(b.broker.transactions.open, 0);
  });

  it('a send under an unknown id is rejected with amqp:transaction:unknown-id', async () => {
    const b = await startBroker();
    const s = new TxSend(b.url, 'tq6', messages(2), 'commit', { badId: 'send' });
    await client(s);
    assert.deepEqual(s.rejected, ['amqp:transaction:unknown-id', 'amqp:transaction:unknown-id']);
    assert.deepEqual(queued(b, 'tq6') ?? [], []);
  });

  it('a transaction not discharged within the timeout is aborted', async () => {
    const b = await startBroker({ transactionTimeout: 100 });
    const s = new TxSend(b.url, 'tq7', messages(3), 'commit', { waitMs: 400 });
    await client(s);
    assert.equal(s.result, 'commit-failed');
    assert.equal(s.dischargeCondition, 'amqp:transaction:timeout');
    assert.equal(b.broker.transactions.timedOut, 1);
    assert.equal(b.broker.transactions.open, 0);
    assert.deepEqual(queued(b, 'tq7') ?? [], []);
  });

  it('a transaction whose coordinator link goes away is aborted', async () => {
    const b = await startBroker();
    await client(new Send(b.url, 'tq8', messages(2)));
    class Leave extends TxRecv {
      override onMessage(e: Event): void {
        super.onMessage(e);
        if (this.bodies.length === 2) e.connection!.close();
      }
    }
    const r = new Leave(b.url, 'tq8', 3, 'commit');
    await client(r);
    assert.equal(b.broker.transactions.open, 0);
    assert.deepEqual(queued(b, 'tq8'), ['m1', 'm2']);
  });

  it("Proton Python's tx_send.py and tx_recv.py work against the broker", async (t) => {
    if (!requireProton(t)) return;
    const b = await startBroker();
    const dir = '/usr/share/proton/examples/python';
    const run = (script: string, args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(PYTHON, [`${dir}/${script}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(p);
        let out = '';
        let err = '';
        p.stdout!.on('data', (d) => (out += d));
        p.stderr!.on('data', (d) => (err += d));
        const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
        p.on('close', (code) => {
          clearTimeout(timer);
          children.delete(p);
          resolve({ code, out, err });
        });
      });
    const address = `127.0.0.1:${b.port}/examples`;
    const sent = await run('tx_send.py', ['-a', address, '-m', '10', '-b', '5']);
    assert.equal(sent.code, 0, sent.err);
    assert.match(sent.out, /all messages committed/);
    assert.equal(queued(b, 'examples')?.length, 10);
    const got = await run('tx_recv.py', ['-a', address, '-m', '10', '-b', '5']);
    assert.equal(got.code, 0, got.err);
    const lines = got.out.trim().split('\n');
    assert.deepEqual(
      lines,
      Array.from({ length: 10 }, (_, i) => `{'sequence': ${i + 1}}`),
    );
    assert.deepEqual(queued(b, 'examples'), []);
    assert.equal(b.broker.nodes.get('examples')!.outstanding.size, 0);
    assert.equal(b.broker.transactions.open, 0);
  });
});
