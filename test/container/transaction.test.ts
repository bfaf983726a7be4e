/**
 * Transactions end to end against the in-process coordinator of test/support/coordinator.ts: declare,
 * sends and accepts under a transaction, commit, abort, the failure paths, the reuse of the `txn-ctrl`
 * link, and the control messages byte for byte as Proton 0.37 sends them. Then the Transaction's
 * logic on bare engine objects. After Proton's Transaction (1.2.6 and 2.5 of the API reference).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Accepted,
  Declared,
  Rejected,
  Released,
  TransactionalState,
} from '../../src/codec/composite-types.js';
import { Container } from '../../src/container/container.js';
import { Event } from '../../src/container/event.js';
import { declareTransaction, LOCAL_TRANSACTIONS, Transaction } from '../../src/container/transaction.js';
import { Connection } from '../../src/engine/connection.js';
import { Delivery } from '../../src/engine/delivery.js';
import type { Receiver, Sender } from '../../src/engine/link.js';
import { ProtonError } from '../../src/errors.js';
import type { MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import { TransactionalClientHandler } from '../../src/handlers/transaction-handler.js';
import { Message } from '../../src/message/message.js';
import type { Logger } from '../../src/util/logger.js';
import { type CoordinatorOptions, TestCoordinator } from '../support/coordinator.js';

/** The control message bodies Proton 0.37 sends (reference 1.1.12), as hex. */
const PROTON_DECLARE = '005370450053734500537700a311616d71703a6465636c6172653a6c697374d0000000050000000140';
const PROTON_DISCHARGE_TXN1_COMMIT =
  '005370450053734500537700a313616d71703a6469736368617267653a6c697374d00000000b00000002a00474786e3142';
/** The same with fail=true, as Proton 0.37 encodes it. */
const PROTON_DISCHARGE_TXN1_ABORT =
  '005370450053734500537700a313616d71703a6469736368617267653a6c697374d00000000b00000002a00474786e3141';

const text = (id: unknown): string => Buffer.from(id as Uint8Array).toString();

/** A client: connects to the coordinator on start, records what happens, closes with `done()`. */
class Client extends TransactionalClientHandler {
  readonly log: string[] = [];
  readonly received: string[] = [];
  container!: Container;
  connection!: Connection;

  constructor(
    readonly url: string,
    options: MessagingHandlerOptions = {},
  ) {
    super(options);
  }

  override onStart(e: Event): void {
    this.container = e.container as Container;
    this.connection = this.container.connect(this.url);
    this.begin();
  }

  begin(): void {}

  done(): void {
    this.connection.close();
  }

  override onTransactionDeclared(e: Event): void {
    this.log.push(`declared ${text((e.transaction as Transaction).id)}`);
  }
  override onTransactionDeclareFailed(_e: Event): void {
    this.log.push('declare failed');
  }
  override onTransactionCommitted(_e: Event): void {
    this.log.push('committed');
  }
  override onTransactionAborted(_e: Event): void {
    this.log.push('aborted');
  }
  override onTransactionCommitFailed(_e: Event): void {
    this.log.push('commit failed');
  }
}

/** Runs a client against a new coordinator; fails after `ms`. Returns the coordinator, stopped. */
async function session(
  client: (url: string) => Client,
  options: CoordinatorOptions = {},
  setup?: (c: TestCoordinator) => void,
  ms = 3000,
): Promise<{ coordinator: TestCoordinator; client: Client }> {
  const coordinator = await TestCoordinator.start(options);
  setup?.(coordinator);
  const c = client(coordinator.url);
  const container = new Container(c);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      container.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          container.stop();
          reject(
            new Error(`timed out; client: ${c.log.join(', ')}; coordinator: ${coordinator.log.join(', ')}`),
          );
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await coordinator.stop();
  }
  return { coordinator, client: c };
}

describe('Transaction against a coordinator', () => {
  it('declares on a txn-ctrl sender to a coordinator; onTransactionDeclared has the id', async () => {
    let txn: Transaction | undefined;
    let seen: Transaction | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          override begin(): void {
            txn = this.container.declareTransaction(this.connection, this);
            assert.equal(txn.phase, 'declaring');
            assert.equal(txn.id, undefined);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            seen = e.transaction as Transaction;
            assert.equal(e.connection, this.connection);
            assert.equal(e.link?.name, 'txn-ctrl');
            this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1']);
    assert.equal(seen, txn);
    assert.equal(txn?.phase, 'declared');
    assert.equal(text(txn?.id), 'txn-1');
    assert.deepEqual(coordinator.coordinatorLinks, ['txn-ctrl']);
    assert.deepEqual(coordinator.coordinatorTargets[0]?.capabilities, [LOCAL_TRANSACTIONS]);
    assert.equal(coordinator.coordinatorTargets[0]?.type, 'coordinator');
  });

  it('sends under a transaction: the coordinator holds the messages until the commit', async () => {
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          sender!: Sender;
          txn!: Transaction;
          override begin(): void {
            this.sender = this.container.createSender(this.connection, 'q');
            this.container.createReceiver(this.connection, 'q');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            for (const body of ['one', 'two']) {
              const d = this.txn.send(this.sender, new Message({ body }));
              const state = d.local as TransactionalState;
              assert.ok(state instanceof TransactionalState);
              assert.equal(text(state.txnId), 'txn-1');
              assert.equal(state.outcome, undefined);
            }
            this.txn.commit();
            assert.equal(this.txn.phase, 'discharging');
          }
          override onTransactionCommitted(e: Event): void {
            super.onTransactionCommitted(e);
            assert.equal(e.transaction, this.txn);
            this.check();
          }
          override onMessage(e: Event): void {
            this.received.push(String(e.message?.body));
            this.accept(e.delivery as Delivery);
            this.check();
          }
          check(): void {
            if (this.received.length === 2 && this.log.includes('committed')) this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'committed']);
    assert.deepEqual(client.received, ['one', 'two']);
    // Held until the commit: the receiver, there from the start, can only have had them after it.
    assert.deepEqual(coordinator.log.slice(0, 4), [
      'declare txn-1',
      'send q txn-1',
      'send q txn-1',
      'commit txn-1',
    ]);
    assert.equal(coordinator.openTransactions, 0);
  });

  it('aborts: the messages sent are dropped', async () => {
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          sender!: Sender;
          txn!: Transaction;
          override begin(): void {
            this.sender = this.container.createSender(this.connection, 'q');
            this.container.createReceiver(this.connection, 'q');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.txn.send(this.sender, new Message({ body: 'one' }));
            this.txn.send(this.sender, new Message({ body: 'two' }));
            this.txn.abort();
            assert.equal(this.txn.failed, true);
          }
          override onTransactionAborted(e: Event): void {
            super.onTransactionAborted(e);
            // A plain send after it, to show the queue had nothing before.
            this.sender.send(new Message({ body: 'after' }));
          }
          override onMessage(e: Event): void {
            this.received.push(String(e.message?.body));
            this.accept(e.delivery as Delivery);
            this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'aborted']);
    assert.deepEqual(client.received, ['after']);
    assert.equal(coordinator.dropped, 2);
    assert.ok(coordinator.log.includes('abort txn-1'));
  });

  it('accepts under a transaction: pending until the commit, then consumed (not settled here, as Proton)', async () => {
    let delivery: Delivery | undefined;
    let txn: Transaction | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          receiver!: Receiver;
          override begin(): void {
            this.receiver = this.container.createReceiver(this.connection, 'in');
            txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.receiver.flow(1);
          }
          override onMessage(e: Event): void {
            this.received.push(String(e.message?.body));
            delivery = e.delivery as Delivery;
            this.accept(delivery, txn);
            const state = delivery.local as TransactionalState;
            assert.ok(state instanceof TransactionalState);
            assert.equal(text(state.txnId), 'txn-1');
            assert.ok(state.outcome instanceof Accepted);
            assert.equal(delivery.settled, false);
            assert.deepEqual(txn?.pending, [delivery]);
            txn?.commit();
          }
          override onTransactionCommitted(e: Event): void {
            super.onTransactionCommitted(e);
            // As Proton: the pending list is cleared after the callback.
            assert.deepEqual(txn?.pending, [delivery]);
            this.done();
          }
        })(url, { prefetch: 0 }),
      {},
      (c) => c.queue('in').push(new Message({ body: 'm1' })),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'committed']);
    assert.deepEqual(client.received, ['m1']);
    assert.equal(coordinator.queue('in').length, 0);
    assert.deepEqual(
      coordinator.consumed.get('in')?.map((m) => m.body),
      ['m1'],
    );
    assert.equal(delivery?.settled, false);
    assert.deepEqual(txn?.pending, []);
  });

  it('aborts: the deliveries accepted under it are released and settled, and come again', async () => {
    let first: Delivery | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          receiver!: Receiver;
          txn!: Transaction;
          override begin(): void {
            this.receiver = this.container.createReceiver(this.connection, 'in');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.receiver.flow(1);
          }
          override onMessage(e: Event): void {
            this.received.push(String(e.message?.body));
            const d = e.delivery as Delivery;
            if (first === undefined) {
              first = d;
              this.accept(d, this.txn);
              this.txn.abort();
            } else {
              this.accept(d);
              this.done();
            }
          }
          override onTransactionAborted(e: Event): void {
            super.onTransactionAborted(e);
            // As Proton: the pending deliveries are released after the callback.
            assert.deepEqual(this.txn.pending, [first]);
            assert.equal(first?.settled, false);
            this.receiver.flow(1);
          }
        })(url, { prefetch: 0 }),
      {},
      (c) => c.queue('in').push(new Message({ body: 'm1' })),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'aborted']);
    assert.deepEqual(client.received, ['m1', 'm1']);
    assert.equal(first?.settled, true);
    assert.ok(first?.local instanceof Released);
    assert.deepEqual(
      coordinator.consumed.get('in')?.map((m) => m.body),
      ['m1'],
    );
  });

  it('settles at once what it accepts with settleBeforeDischarge', async () => {
    let txn: Transaction | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          receiver!: Receiver;
          override begin(): void {
            this.receiver = this.container.createReceiver(this.connection, 'in');
            txn = this.container.declareTransaction(this.connection, this, true);
            assert.equal(txn.settleBeforeDischarge, true);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.receiver.flow(1);
          }
          override onMessage(e: Event): void {
            const d = e.delivery as Delivery;
            this.accept(d, txn);
            assert.equal(d.settled, true);
            assert.deepEqual(txn?.pending, []);
            txn?.commit();
          }
          override onTransactionCommitted(e: Event): void {
            super.onTransactionCommitted(e);
            this.done();
          }
        })(url, { prefetch: 0 }),
      {},
      (c) => c.queue('in').push(new Message({ body: 'm1' })),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'committed']);
    assert.deepEqual(
      coordinator.consumed.get('in')?.map((m) => m.body),
      ['m1'],
    );
  });

  it('reports a failed commit, and releases the deliveries accepted under it', async () => {
    let accepted: Delivery | undefined;
    let condition: string | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          receiver!: Receiver;
          sender!: Sender;
          txn!: Transaction;
          override begin(): void {
            this.sender = this.container.createSender(this.connection, 'q');
            this.receiver = this.container.createReceiver(this.connection, 'in');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.receiver.flow(1);
          }
          override onMessage(e: Event): void {
            accepted = e.delivery as Delivery;
            this.accept(accepted, this.txn);
            this.txn.send(this.sender, new Message({ body: 'out' }));
            this.txn.commit();
          }
          override onTransactionCommitFailed(e: Event): void {
            super.onTransactionCommitFailed(e);
            condition = ((e.delivery as Delivery).remote as Rejected).error?.condition;
            assert.equal(this.txn.phase, 'commit-failed');
            this.done();
          }
        })(url, { prefetch: 0 }),
      { failCommit: true },
      (c) => c.queue('in').push(new Message({ body: 'm1' })),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'commit failed']);
    assert.equal(condition, 'amqp:transaction:rollback');
    assert.equal(accepted?.settled, true);
    assert.ok(accepted?.local instanceof Released);
    assert.equal(coordinator.dropped, 1);
    assert.equal(coordinator.queue('q').length, 0);
    assert.deepEqual(
      coordinator.queue('in').map((m) => m.body),
      ['m1'],
    );
  });

  it('reports a commit the coordinator rejects as an unknown id as a failed commit', async () => {
    let condition: string | undefined;
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          txn!: Transaction;
          override begin(): void {
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.txn.id = Buffer.from('no-such-txn');
            this.txn.commit();
          }
          override onTransactionCommitFailed(e: Event): void {
            super.onTransactionCommitFailed(e);
            condition = ((e.delivery as Delivery).remote as Rejected).error?.condition;
            this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'commit failed']);
    assert.equal(condition, 'amqp:transaction:unknown-id');
    assert.ok(coordinator.log.includes('discharge no-such-txn unknown-id'));
    assert.equal(coordinator.openTransactions, 1);
  });

  it('reports a rejected declare; no work can be done under it', async () => {
    let txn: Transaction | undefined;
    const { client } = await session(
      (url) =>
        new (class extends Client {
          override begin(): void {
            txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclareFailed(e: Event): void {
            super.onTransactionDeclareFailed(e);
            assert.ok((e.delivery as Delivery).remote instanceof Rejected);
            assert.equal(e.transaction, txn);
            assert.throws(() => txn?.commit(), ProtonError);
            this.done();
          }
        })(url),
      { refuseDeclare: true },
    );
    assert.deepEqual(client.log, ['declare failed']);
    assert.equal(txn?.phase, 'declare-failed');
    assert.equal(txn?.id, undefined);
  });

  it('fails the declare when the coordinator refuses the link (Proton 0.37 never calls back)', async () => {
    const linkEvents: string[] = [];
    const { client } = await session(
      (url) =>
        new (class extends Client {
          override begin(): void {
            this.container.declareTransaction(this.connection, this);
          }
          override onLinkError(e: Event): void {
            linkEvents.push(`error ${e.link?.name} ${e.link?.remoteCondition?.name}`);
          }
          override onTransactionDeclareFailed(e: Event): void {
            super.onTransactionDeclareFailed(e);
            this.done();
          }
        })(url),
      { refuseLink: true },
    );
    assert.deepEqual(client.log, ['declare failed']);
    // The link's own events go to the handler of the transaction, as Proton's.
    assert.deepEqual(linkEvents, ['error txn-ctrl amqp:not-implemented']);
  });

  it('fires the callbacks only when the coordinator settles', async () => {
    let coordinatorRef: TestCoordinator | undefined;
    const settledAt: number[] = [];
    const { client } = await session(
      (url) =>
        new (class extends Client {
          txn!: Transaction;
          override begin(): void {
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            settledAt.push(coordinatorRef?.log.filter((l) => l === 'settled').length ?? -1);
            this.txn.commit();
          }
          override onTransactionCommitted(e: Event): void {
            super.onTransactionCommitted(e);
            settledAt.push(coordinatorRef?.log.filter((l) => l === 'settled').length ?? -1);
            this.done();
          }
        })(url),
      { settleDelay: 40 },
      (c) => {
        coordinatorRef = c;
      },
    );
    assert.deepEqual(client.log, ['declared txn-1', 'committed']);
    assert.deepEqual(settledAt, [1, 2]);
  });

  it('reuses the txn-ctrl link for transactions in sequence', async () => {
    const txns: Transaction[] = [];
    const { coordinator, client } = await session(
      (url) =>
        new (class extends Client {
          override begin(): void {
            txns.push(this.container.declareTransaction(this.connection, this));
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            const t = e.transaction as Transaction;
            if (txns.length === 1) t.commit();
            else t.abort();
          }
          override onTransactionCommitted(e: Event): void {
            super.onTransactionCommitted(e);
            txns.push(this.container.declareTransaction(this.connection, this));
          }
          override onTransactionAborted(e: Event): void {
            super.onTransactionAborted(e);
            this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1', 'committed', 'declared txn-2', 'aborted']);
    assert.equal(txns.length, 2);
    assert.equal(txns[0]?.txnCtrl, txns[1]?.txnCtrl);
    assert.deepEqual(coordinator.coordinatorLinks, ['txn-ctrl']);
    assert.deepEqual(
      txns.map((t) => t.phase),
      ['committed', 'aborted'],
    );
  });

  it('sends the declare and discharge bodies byte for byte as Proton 0.37', async () => {
    const { coordinator } = await session(
      (url) =>
        new (class extends Client {
          count = 0;
          override begin(): void {
            this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            const t = e.transaction as Transaction;
            if (this.count++ === 0) t.commit();
            else t.abort();
          }
          override onTransactionCommitted(_e: Event): void {
            this.container.declareTransaction(this.connection, this);
          }
          override onTransactionAborted(_e: Event): void {
            this.done();
          }
        })(url),
      { txnId: () => Buffer.from('txn1') },
    );
    assert.deepEqual(
      coordinator.controlBodies.map((b) => Buffer.from(b).toString('hex')),
      [PROTON_DECLARE, PROTON_DISCHARGE_TXN1_COMMIT, PROTON_DECLARE, PROTON_DISCHARGE_TXN1_ABORT],
    );
  });

  it('sends to the connection handler, else the container handlers, when no handler is given', async () => {
    const linkOpened: string[] = [];
    const { client } = await session(
      (url) =>
        new (class extends Client {
          override begin(): void {
            this.container.declareTransaction(this.connection);
          }
          override onLinkOpened(e: Event): void {
            linkOpened.push(String(e.link?.name));
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.done();
          }
        })(url),
    );
    assert.deepEqual(client.log, ['declared txn-1']);
    // Without a handler, the txn-ctrl link's own events go nowhere (as Proton's).
    assert.deepEqual(linkOpened, []);
  });

  it('leaves the transactional outcome of a sent message in the delivery state', async () => {
    let remote: unknown;
    await session(
      (url) =>
        new (class extends Client {
          sender!: Sender;
          txn!: Transaction;
          override begin(): void {
            this.sender = this.container.createSender(this.connection, 'q');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.txn.send(this.sender, new Message({ body: 'x' }));
          }
          override onSettled(e: Event): void {
            remote = e.delivery?.remote;
            this.txn.commit();
          }
          override onTransactionCommitted(_e: Event): void {
            this.done();
          }
        })(url),
    );
    assert.ok(remote instanceof TransactionalState);
    assert.equal(text(remote.txnId), 'txn-1');
    assert.ok(remote.outcome instanceof Accepted);
  });

  it('reports the outcome of a transactional disposition of a sent message (onAccepted)', async () => {
    const outcomes: string[] = [];
    await session(
      (url) =>
        new (class extends Client {
          sender!: Sender;
          txn!: Transaction;
          override begin(): void {
            this.sender = this.container.createSender(this.connection, 'q');
            this.txn = this.container.declareTransaction(this.connection, this);
          }
          override onTransactionDeclared(e: Event): void {
            super.onTransactionDeclared(e);
            this.txn.send(this.sender, new Message({ body: 'x' }));
          }
          override onAccepted(_e: Event): void {
            outcomes.push('accepted');
          }
          override onSettled(_e: Event): void {
            this.txn.commit();
          }
          override onTransactionCommitted(_e: Event): void {
            this.done();
          }
        })(url),
    );
    assert.deepEqual(outcomes, ['accepted']);
  });
});

describe('Transaction on bare engine objects', () => {
  const CONTAINER = { containerId: 'test' };
  let connection: Connection;

  before(() => {
    connection = new Connection();
  });
  after(() => {
    connection.close();
  });

  function ctrl(): Sender {
    const s = connection.session();
    const l = s.sender(`txn-ctrl-${Math.random()}`);
    l.open();
    return l;
  }

  /** The coordinator's settlement of `d` with `state`, as the link handler hands it over. */
  function settle(txn: Transaction, d: Delivery, state: unknown): void {
    d.remote = state as Delivery['remote'];
    d.remoteSettled = true;
    txn.handleOutcome(new Event('delivery', d, CONTAINER));
  }

  function declared(id: string): Declared {
    const d = new Declared();
    d.txnId = Buffer.from(id);
    return d;
  }

  function recorder(): { log: string[] } & Record<string, unknown> {
    const log: string[] = [];
    const h: Record<string, unknown> = { log };
    for (const name of ['Declared', 'DeclareFailed', 'Committed', 'Aborted', 'CommitFailed']) {
      h[`onTransaction${name}`] = (e: Event) => {
        assert.ok(e.transaction instanceof Transaction);
        log.push(name);
      };
    }
    return h as { log: string[] } & Record<string, unknown>;
  }

  function lastDelivery(l: Sender): Delivery {
    return [...l.deliveries].at(-1) as Delivery;
  }

  it('declares on creation; a declared outcome gives the id', () => {
    const l = ctrl();
    const h = recorder();
    const txn = new Transaction(l, h);
    const d = lastDelivery(l);
    assert.equal(txn.phase, 'declaring');
    settle(txn, d, declared('abc'));
    assert.deepEqual(h.log, ['Declared']);
    assert.equal(text(txn.id), 'abc');
  });

  it('logs an unexpected declare outcome and fails the declare', () => {
    const l = ctrl();
    const h = recorder();
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const txn = new Transaction(l, h, false, logger);
    settle(txn, lastDelivery(l), new Accepted());
    assert.deepEqual(h.log, ['DeclareFailed']);
    assert.deepEqual(warnings, ['unexpected outcome for declare: Accepted']);
  });

  it('throws on work under a transaction not declared, or discharged', () => {
    const l = ctrl();
    const txn = new Transaction(l, recorder());
    const other = ctrl();
    assert.throws(() => txn.commit(), /declaring, not declared/);
    assert.throws(() => txn.send(other, new Message({ body: 1 })), ProtonError);
    assert.throws(() => txn.declare(), /cannot declare/);
    settle(txn, lastDelivery(l), declared('t'));
    txn.commit();
    assert.throws(() => txn.abort(), /discharging/);
    settle(txn, lastDelivery(l), new Accepted());
    assert.equal(txn.phase, 'committed');
    assert.throws(() => txn.send(other, new Message({ body: 1 })), /committed, not declared/);
  });

  it('declares anew after a discharge, with a fresh id', () => {
    const l = ctrl();
    const h = recorder();
    const txn = new Transaction(l, h);
    settle(txn, lastDelivery(l), declared('t1'));
    txn.abort();
    settle(txn, lastDelivery(l), new Accepted());
    txn.declare();
    assert.equal(txn.id, undefined);
    assert.equal(txn.failed, false);
    settle(txn, lastDelivery(l), declared('t2'));
    assert.deepEqual(h.log, ['Declared', 'Aborted', 'Declared']);
    assert.equal(text(txn.id), 't2');
  });

  it('updates a delivery with a transactional state, from an outcome or its code', () => {
    const l = ctrl();
    const txn = new Transaction(l, recorder());
    settle(txn, lastDelivery(l), declared('t'));
    const r = connection.session().receiver('in');
    const d = new Delivery(Buffer.from('1'), r, false);
    txn.update(d, 0x24);
    let s = d.local as TransactionalState;
    assert.equal(text(s.txnId), 't');
    assert.ok(s.outcome instanceof Accepted);
    txn.update(d, new Rejected());
    s = d.local as TransactionalState;
    assert.ok(s.outcome instanceof Rejected);
    txn.update(d, 0x26);
    assert.ok((d.local as TransactionalState).outcome instanceof Released);
    // Proton's `if state:` — nothing for none.
    txn.update(d, 0);
    txn.update(d);
    assert.ok((d.local as TransactionalState).outcome instanceof Released);
  });

  it('reports a rejected abort as aborted (Proton 0.37 calls nothing) and releases the pending', () => {
    const l = ctrl();
    const h = recorder();
    const txn = new Transaction(l, h);
    settle(txn, lastDelivery(l), declared('t'));
    const r = connection.session().receiver('in');
    const d = new Delivery(Buffer.from('1'), r, false);
    txn.accept(d);
    txn.abort();
    settle(txn, lastDelivery(l), new Rejected());
    assert.deepEqual(h.log, ['Declared', 'Aborted']);
    assert.equal(d.settled, true);
    assert.ok(d.local instanceof Released);
  });

  it('ignores the settlement of a delivery that is not its own', () => {
    const l = ctrl();
    const h = recorder();
    const txn = new Transaction(l, h);
    const stray = l.send(new Message({ body: 'x' }));
    settle(txn, stray, declared('t'));
    assert.deepEqual(h.log, []);
    assert.equal(txn.phase, 'declaring');
  });

  it('declareTransaction wants a connection or a session', () => {
    const container = new Container({ containerId: 'c' });
    assert.throws(
      () => declareTransaction(container, 'amqp://x' as unknown as Connection),
      /connection or a session/,
    );
  });
});
