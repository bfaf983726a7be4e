/**
 * Transactions as a callback: `await conn.transaction(async (tx) => { ... })` declares a transaction on
 * the connection's coordinator, runs the callback with it, commits when the callback resolves and
 * aborts when it throws (then rethrows). Sends and accepts made through `tx` belong to the transaction.
 */
import type { Event } from '../container/event.js';
import type { Transaction } from '../container/transaction.js';
import { ProtonError } from '../errors.js';
import type { PromiseConnection } from './connection.js';
import type { ReceivedDelivery } from './receiver.js';
import { checkOutcome, type PromiseSender, type SendableMessage } from './sender.js';
import type { Settle, WaitOptions } from './wait.js';

/** What a transaction needs of its connection. */
export type TransactionContext = PromiseConnection;

/**
 * The work of a transaction: what runs between the AMQP `declare` and `discharge`. proton-ts only: in
 * Proton, the code between `on_transaction_declared` and `Transaction.commit()`.
 */
export type TransactionBody<T> = (tx: PromiseTransaction) => Promise<T> | T;

/** The transaction handed to the callback. Wraps Proton's `Transaction` (from `declare_transaction()`). */
export class PromiseTransaction {
  constructor(
    /** The container's transaction underneath. Proton: `Transaction`. */
    readonly transaction: Transaction,
  ) {}

  /** The transaction id the coordinator gave (AMQP `declared.txn-id`). Proton: `Transaction.id`. */
  get id(): unknown {
    return this.transaction.id;
  }

  /**
   * Sends `message` on `sender` under the transaction; resolves with the outcome, which takes effect
   * only if the transaction commits (AMQP `transactional-state`). Proton: `Transaction.send(sender, msg)`.
   */
  async send(sender: PromiseSender, message: SendableMessage, options: WaitOptions = {}): Promise<unknown> {
    const d = await sender.transmit(message, options, this.transaction);
    return checkOutcome(d, `sender ${sender.name}`);
  }

  /**
   * Accepts a received message under the transaction: undone if the transaction aborts (AMQP
   * `transactional-state` with outcome `accepted`). Proton: `Transaction.accept(delivery)`.
   */
  accept(delivery: ReceivedDelivery): void {
    this.transaction.accept(delivery.delivery);
  }
}

/** Receives the transaction callbacks and settles the wait for the current step. */
class TransactionEvents {
  current: Settle<void> | undefined = undefined;
  private step(_event: Event): void {
    this.current?.resolve();
  }
  onTransactionDeclared(e: Event): void {
    this.step(e);
  }
  onTransactionDeclareFailed(e: Event): void {
    this.step(e);
  }
  onTransactionCommitted(e: Event): void {
    this.step(e);
  }
  onTransactionCommitFailed(e: Event): void {
    this.step(e);
  }
  onTransactionAborted(e: Event): void {
    this.step(e);
  }
  onUnhandled(): void {}
}

function until(
  conn: PromiseConnection,
  events: TransactionEvents,
  what: string,
  options: WaitOptions,
): Promise<void> {
  return conn.waits.wait<void>(what, options, (settle) => {
    events.current = settle;
    return () => {
      if (events.current === settle) events.current = undefined;
    };
  });
}

/** Declares, runs `body`, then commits (or aborts when `body` throws). */
export async function runTransaction<T>(
  conn: TransactionContext,
  body: TransactionBody<T>,
  options: WaitOptions,
): Promise<T> {
  const events = new TransactionEvents();
  const t = conn.container.declareTransaction(conn.connection, events);
  await until(conn, events, 'Declaring transaction', options);
  if (t.phase !== 'declared') {
    throw new ProtonError('the transaction could not be declared', {
      condition: 'amqp:transaction:unknown-id',
    });
  }
  let result: T;
  try {
    result = await body(new PromiseTransaction(t));
  } catch (e) {
    if (t.phase === 'declared' && conn.isOpen) {
      t.abort();
      await until(conn, events, 'Aborting transaction', options);
    }
    throw e;
  }
  t.commit();
  await until(conn, events, 'Committing transaction', options);
  if ((t.phase as string) !== 'committed') {
    throw new ProtonError('the transaction was rolled back: the commit failed', {
      condition: 'amqp:transaction:rollback',
    });
  }
  return result;
}
