/**
 * The transaction callbacks: `TransactionHandler` for any handler that declares transactions, and
 * `TransactionalClientHandler`, a `MessagingHandler` that also accepts messages inside a transaction.
 */
import type { Event } from '../container/event.js';
import type { Delivery } from '../engine/delivery.js';
import { Handler } from './handler.js';
import { MessagingHandler, type MessagingHandlerOptions } from './messaging-handler.js';

/**
 * What accepting under a transaction needs of one (the container's `Transaction`). proton-ts only: the
 * part of Proton's `Transaction` that `TransactionalClientHandler.accept` uses.
 */
export interface TransactionLike {
  /** Accepts a received message as part of the transaction. Proton: `Transaction.accept`. */
  accept(delivery: Delivery): void;
}

/**
 * The callbacks of a transaction's life; `event.transaction` is the transaction. Proton: the methods of
 * `TransactionHandler`, each triggered by the coordinator's `disposition` of a `declare` or `discharge`.
 */
export interface TransactionCallbacks {
  /** The transaction was declared: work may be done under it. Proton: `on_transaction_declared`. */
  onTransactionDeclared(event: Event): void;
  /** The transaction was discharged successfully: committed. Proton: `on_transaction_committed`. */
  onTransactionCommitted(event: Event): void;
  /** The transaction was discharged unsuccessfully: aborted. Proton: `on_transaction_aborted`. */
  onTransactionAborted(event: Event): void;
  /** The coordinator refused to declare the transaction. Proton: `on_transaction_declare_failed`. */
  onTransactionDeclareFailed(event: Event): void;
  /** The coordinator could not commit the transaction. Proton: `on_transaction_commit_failed`. */
  onTransactionCommitFailed(event: Event): void;
}

/** A handler of transaction callbacks; each does nothing until overridden. Proton: `TransactionHandler`. */
export class TransactionHandler extends Handler implements TransactionCallbacks {
  onTransactionDeclared(_event: Event): void {}
  onTransactionCommitted(_event: Event): void {}
  onTransactionAborted(_event: Event): void {}
  onTransactionDeclareFailed(_event: Event): void {}
  onTransactionCommitFailed(_event: Event): void {}
}

/** The options of a {@link MessagingHandler} with `autoAccept` false unless set. */
function withManualAccept(options: unknown): MessagingHandlerOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    // Not options at all: the MessagingHandler says so.
    return options as MessagingHandlerOptions;
  }
  const o = options as MessagingHandlerOptions;
  return { ...o, autoAccept: o.autoAccept ?? false };
}

/**
 * A {@link MessagingHandler} with the transaction callbacks, for applications using transactions.
 * Messages are not accepted automatically (`autoAccept` defaults to false): accept them with
 * `accept(delivery, transaction)`, inside the transaction. Proton: `TransactionalClientHandler`.
 */
export class TransactionalClientHandler extends MessagingHandler implements TransactionCallbacks {
  constructor(options: MessagingHandlerOptions = {}) {
    super(withManualAccept(options));
  }

  /**
   * Accepts a received message: as part of `transaction` when one is given (`transaction.accept`),
   * otherwise a plain accept and settle. Proton: `TransactionalClientHandler.accept(delivery, transaction)`;
   * AMQP: `accepted`, inside a `transactional-state` under a transaction.
   */
  override accept(delivery: Delivery, transaction?: TransactionLike): void {
    if (transaction !== undefined) transaction.accept(delivery);
    else super.accept(delivery);
  }

  onTransactionDeclared(_event: Event): void {}
  onTransactionCommitted(_event: Event): void {}
  onTransactionAborted(_event: Event): void {}
  onTransactionDeclareFailed(_event: Event): void {}
  onTransactionCommitFailed(_event: Event): void {}
}
