/**
 * Local transactions (AMQP 1.0 part 4), as Proton's `Transaction` and `declare_transaction`: a sender
 * named `txn-ctrl` to the peer's transaction coordinator, one per connection, carries the declare and
 * discharge messages; work done under a transaction carries its id in a transactional state.
 *
 * The control messages are the bytes Proton 0.37 sends: an amqp-value body holding
 * `Described(symbol('amqp:declare:list'), [null])` or `Described(symbol('amqp:discharge:list'), [id,
 * failed])`, with the empty header and properties sections and the 32-bit list of Proton's encoder.
 *
 * The handler's callbacks come when the coordinator SETTLES a control message, as Proton's (a disposition
 * that does not settle changes nothing): `onTransactionDeclared`, `onTransactionDeclareFailed`,
 * `onTransactionCommitted`, `onTransactionAborted`, `onTransactionCommitFailed`, each with
 * `event.transaction` set and `event.delivery` the control message's delivery.
 */
import {
  Accepted,
  Declared,
  type Outcome,
  Rejected,
  Released,
  TransactionalState,
} from '../codec/composite-types.js';
import { AmqpSymbol, type AmqpValue, Described, symbol, ULong, ulong } from '../codec/types.js';
import { Connection } from '../engine/connection.js';
import type { Delivery } from '../engine/delivery.js';
import { outcomeOfCode } from '../engine/disposition-codec.js';
import { State } from '../engine/endpoint.js';
import type { Sender } from '../engine/link.js';
import type { Session } from '../engine/session.js';
import { InvalidOptionError, ProtonError } from '../errors.js';
import { Message } from '../message/message.js';
import { type Logger, NULL_LOGGER } from '../util/logger.js';
import type { Container } from './container.js';
import { dispatch } from './dispatch.js';
import { Event } from './event.js';

/** The link name of the coordinator sender, as Proton's. */
export const TXN_CTRL = 'txn-ctrl';
/** The capability the coordinator target asks for. AMQP: the `txn-capability` `amqp:local-transactions`. */
export const LOCAL_TRANSACTIONS = 'amqp:local-transactions';

/**
 * Where a transaction is in its life. proton-ts only: Proton Python tracks it only through the callbacks
 * (`on_transaction_declared`...).
 */
export type TransactionPhase =
  | 'declaring'
  | 'declared'
  | 'declare-failed'
  | 'discharging'
  | 'committed'
  | 'aborted'
  | 'commit-failed';

/** The transaction each control delivery in flight belongs to. */
const CONTROL = new WeakMap<Delivery, Transaction>();
/** The coordinator sender of each connection. */
const CONTROLLERS = new WeakMap<Connection, Sender>();

/** A control message: an amqp-value body `Described(symbol(descriptor), fields)`, encoded as Proton 0.37. */
function controlMessage(descriptor: string, fields: AmqpValue[]): { encode(): Uint8Array } {
  const m = new Message({ body: new Described(symbol(descriptor), fields) });
  return { encode: () => m.encode({ widths: 'proton-0.37' }) };
}

/** The outcome of a number (Proton's `update(delivery, 0x24)`), or the outcome itself. */
function toOutcome(state: Outcome | AmqpValue | number): Outcome | AmqpValue {
  if (typeof state !== 'number') return state;
  return outcomeOfCode(state) ?? new Described(ulong(state), []);
}

/** The txn-id of a declared outcome, whether decoded to its class or kept as a described list. */
function declaredId(state: unknown): AmqpValue | undefined {
  if (state instanceof Declared) return state.txnId ?? undefined;
  if (state instanceof Described && Array.isArray(state.value)) {
    const d = state.descriptor;
    const isDeclared =
      (d instanceof ULong && BigInt(d.value) === BigInt(Declared.descriptor)) ||
      (d instanceof AmqpSymbol && d.value === Declared.symbol);
    if (isDeclared) return (state.value[0] as AmqpValue | undefined) ?? undefined;
  }
  return undefined;
}

function describeState(state: unknown): string {
  if (state === undefined) return 'no state';
  if (typeof state === 'object' && state !== null) return state.constructor.name;
  return String(state);
}

/**
 * A transaction, declared on creation (use {@link declareTransaction}). Once `onTransactionDeclared` has
 * come, send under it with {@link send}, accept received messages under it with {@link accept}, then
 * {@link commit} or {@link abort}.
 *
 * Deliveries accepted under the transaction are kept pending until it is discharged (or settled at once
 * with `settleBeforeDischarge`); on abort or a failed commit each is released and settled, as Proton does.
 * On commit they are just forgotten (as Proton: the library does not settle them).
 *
 * Differences from Proton 0.37, which sends whatever it is asked to: work under a transaction not (or
 * no longer) declared, and discharging one not declared, throw a `ProtonError` (amqp:illegal-state)
 * instead of sending a null or stale txn-id; a rejected abort calls `onTransactionAborted` (Proton calls
 * nothing, leaving the application waiting); and if the coordinator link closes while a control message
 * is in flight, the transaction fails (`onTransactionDeclareFailed`, or `onTransactionCommitFailed` /
 * `onTransactionAborted`) where Proton never calls back.
 */
export class Transaction {
  /**
   * The txn-id the coordinator gave; undefined until declared. Proton: `Transaction.id`; AMQP:
   * `declared.txn-id`.
   */
  id: AmqpValue | undefined = undefined;
  /**
   * Whether the discharge asked is an abort (set by `abort()`). Proton: `Transaction.failed`; AMQP:
   * `discharge.fail`.
   * @default false
   */
  failed = false;
  /** Where the transaction is in its life. proton-ts only: Proton Python has no counterpart. */
  phase: TransactionPhase = 'declaring';
  private declareDelivery: Delivery | undefined = undefined;
  private dischargeDelivery: Delivery | undefined = undefined;
  private pendingDeliveries: Delivery[] = [];

  constructor(
    /**
     * The coordinator sender (Proton: `Transaction.txn_ctrl`; AMQP: a link whose target is a `coordinator`).
     */
    readonly txnCtrl: Sender,
    /** Where the transaction callbacks go (Proton: `Transaction.handler`, a `TransactionHandler`). */
    readonly handler: object,
    /**
     * Settle each delivery accepted under the transaction at once, instead of keeping it pending (Proton:
     * `Transaction.settle_before_discharge`). Default false.
     */
    readonly settleBeforeDischarge = false,
    private readonly logger: Logger = NULL_LOGGER,
  ) {
    this.sendDeclare();
  }

  /**
   * The deliveries accepted under the transaction and not settled yet (until it is discharged). Proton
   * keeps the same list private, as `Transaction._pending`.
   */
  get pending(): readonly Delivery[] {
    return this.pendingDeliveries;
  }

  /**
   * Sends the declare (done on creation). Again after a failed declare or a discharge, it declares the
   * transaction anew, with a new id. Proton: `Transaction.declare()`; AMQP: a `declare` message
   * (`amqp:declare:list`) to the coordinator.
   */
  declare(): void {
    if (this.phase === 'declaring' || this.phase === 'declared' || this.phase === 'discharging') {
      throw new ProtonError(`cannot declare: the transaction is ${this.phase}`, {
        condition: 'amqp:illegal-state',
      });
    }
    this.sendDeclare();
  }

  private sendDeclare(): void {
    this.id = undefined;
    this.failed = false;
    this.pendingDeliveries = [];
    this.phase = 'declaring';
    this.declareDelivery = this.sendControl('amqp:declare:list', [null]);
  }

  /**
   * Sends the discharge: `failed` true aborts, false commits. Proton: `Transaction.discharge(failed)`; AMQP:
   * a `discharge` message (`amqp:discharge:list`) with `txn-id` and `fail`.
   */
  discharge(failed: boolean): void {
    this.checkDeclared(failed ? 'abort' : 'commit');
    this.failed = failed;
    this.phase = 'discharging';
    this.dischargeDelivery = this.sendControl('amqp:discharge:list', [this.id as AmqpValue, failed]);
  }

  /**
   * Commits: the work done under the transaction takes effect. Proton: `Transaction.commit()`; AMQP: a
   * `discharge` with `fail` false.
   */
  commit(): void {
    this.discharge(false);
  }

  /**
   * Aborts (rolls back): the work done under the transaction is undone. Proton: `Transaction.abort()`;
   * AMQP: a `discharge` with `fail` true.
   */
  abort(): void {
    this.discharge(true);
  }

  /**
   * Sends `message` on `sender` under the transaction: the transfer carries the transactional state
   * with the txn-id. Returns the delivery. Proton: `Transaction.send(sender, msg, tag)`; AMQP:
   * `transfer.state`, a `transactional-state`.
   */
  send(sender: Sender, message: { encode(): Uint8Array }, tag?: Uint8Array | string): Delivery {
    this.checkDeclared('send');
    const d = sender.delivery(tag);
    const state = new TransactionalState();
    state.txnId = this.id as AmqpValue;
    d.update(state);
    sender.stream(message.encode());
    sender.advance();
    return d;
  }

  /**
   * Accepts a received message under the transaction: a transactional state with the txn-id and the
   * accepted outcome. The delivery is settled at once with `settleBeforeDischarge`, else kept pending.
   * Proton: `Transaction.accept()`; AMQP: a `disposition` whose state is a `transactional-state` holding
   * `accepted`.
   */
  accept(delivery: Delivery): void {
    this.update(delivery, new Accepted());
    if (this.settleBeforeDischarge) {
      if (!delivery.settled) delivery.settle();
    } else {
      this.pendingDeliveries.push(delivery);
    }
  }

  /**
   * Sets `delivery`'s state to `state` under the transaction: an outcome (`new Accepted()`...) or, as
   * Proton takes it, its descriptor code (0x24 accepted...); nothing for none (or 0).
   */
  update(delivery: Delivery, state?: Outcome | AmqpValue | number): void {
    if (state === undefined || state === null || state === 0) return;
    this.checkDeclared('update a delivery');
    const ts = new TransactionalState();
    ts.txnId = this.id as AmqpValue;
    ts.outcome = toOutcome(state);
    delivery.update(ts);
  }

  /**
   * Acts on the coordinator's settlement of a control message (`event.delivery`): the declared or
   * rejected declare, the accepted or rejected discharge. Proton: `Transaction.handle_outcome(event)`;
   * AMQP: the coordinator's `disposition` (`declared`, `accepted` or `rejected`).
   */
  handleOutcome(event: Event): void {
    const d = event.delivery;
    if (d === undefined) return;
    event.transaction = this;
    if (d === this.declareDelivery) {
      this.declareDelivery = undefined;
      const id = declaredId(d.remote);
      if (id !== undefined) {
        this.id = id;
        this.phase = 'declared';
        this.raise('transaction_declared', event);
      } else {
        if (!(d.remote instanceof Rejected)) {
          this.logger.warn(`unexpected outcome for declare: ${describeState(d.remote)}`);
        }
        this.phase = 'declare-failed';
        this.raise('transaction_declare_failed', event);
      }
    } else if (d === this.dischargeDelivery) {
      this.dischargeDelivery = undefined;
      this.discharged(d.remote instanceof Rejected, event);
    }
  }

  /** @internal The coordinator link closed with `d`, a control message of this transaction, unsettled. */
  controlLost(d: Delivery, event: Event): void {
    event.transaction = this;
    if (d === this.declareDelivery) {
      this.declareDelivery = undefined;
      this.phase = 'declare-failed';
      this.raise('transaction_declare_failed', event);
    } else if (d === this.dischargeDelivery) {
      this.dischargeDelivery = undefined;
      this.discharged(true, event);
    }
  }

  private discharged(rejected: boolean, event: Event): void {
    if (this.failed) {
      this.phase = 'aborted';
      this.raise('transaction_aborted', event);
      this.releasePending();
    } else if (rejected) {
      this.phase = 'commit-failed';
      this.raise('transaction_commit_failed', event);
      this.releasePending();
    } else {
      this.phase = 'committed';
      this.raise('transaction_committed', event);
    }
    this.pendingDeliveries = [];
  }

  /** Releases and settles each pending delivery (after an abort or a failed commit). */
  private releasePending(): void {
    const pending = this.pendingDeliveries;
    this.pendingDeliveries = [];
    for (const d of pending) {
      if (d.settled) continue;
      d.update(new Released());
      d.settle();
    }
  }

  private raise(type: string, cause: Event): void {
    const e = new Event(type, cause.context, cause.container);
    e.transaction = this;
    dispatch(this.handler, e);
  }

  private sendControl(descriptor: string, fields: AmqpValue[]): Delivery {
    const d = this.txnCtrl.send(controlMessage(descriptor, fields));
    CONTROL.set(d, this);
    return d;
  }

  private checkDeclared(what: string): void {
    if (this.phase !== 'declared') {
      throw new ProtonError(`cannot ${what}: the transaction is ${this.phase}, not declared`, {
        condition: 'amqp:illegal-state',
      });
    }
  }
}

/**
 * The handler of a coordinator sender, as Proton's internal one (an outgoing message handler that
 * settles): when the coordinator settles a control message, its transaction acts on the outcome, then
 * the delivery is settled here. Link flow is taken here; every other event of the link goes to the
 * handler given with the first transaction declared on the connection.
 */
class CoordinatorLinkHandler {
  constructor(private readonly forward: object | undefined) {}

  onDelivery(event: Event): void {
    const d = event.delivery;
    if (d === undefined || !d.outgoing || !d.updated) return;
    d.clearUpdated();
    if (!d.remoteSettled) return;
    const txn = CONTROL.get(d);
    if (txn !== undefined) {
      CONTROL.delete(d);
      txn.handleOutcome(event);
    }
    if (!d.settled) d.settle();
  }

  onLinkFlow(_event: Event): void {}

  onLinkRemoteClose(event: Event): void {
    this.closed(event, 'onLinkRemoteClose');
  }

  onLinkRemoteDetach(event: Event): void {
    this.closed(event, 'onLinkRemoteDetach');
  }

  onUnhandled(_name: string, event: Event): void {
    if (this.forward !== undefined) dispatch(this.forward, event);
  }

  /** The coordinator closed the link: the control messages in flight will never be settled. */
  private closed(event: Event, name: string): void {
    const link = event.link;
    if (link !== undefined) {
      for (const d of [...link.deliveries]) {
        const txn = CONTROL.get(d);
        if (txn === undefined) continue;
        CONTROL.delete(d);
        txn.controlLost(d, new Event(event.type, d, event.container));
      }
    }
    this.onUnhandled(name, event);
    if (link !== undefined && link.localState !== State.LOCAL_CLOSED) link.close();
  }
}

/**
 * Declares a transaction on `context`'s connection (Proton's `declare_transaction`) and returns it. The
 * first time for a connection, a sender named `txn-ctrl` is created on it (on `context` itself when it is
 * a session), targeting a coordinator with the capability `amqp:local-transactions`; later transactions
 * reuse it (a new one is made if it was closed). The callbacks go to `handler`, else the connection's
 * handler, else the container's handlers; the coordinator link's own events (opened, closed...) go to the
 * `handler` of the first transaction, when one was given.
 */
export function declareTransaction(
  container: Container,
  context: Connection | Session,
  handler?: object,
  settleBeforeDischarge = false,
): Transaction {
  const connection = context instanceof Connection ? context : (context as Session | undefined)?.connection;
  if (!(connection instanceof Connection)) {
    throw new InvalidOptionError('context', 'a transaction is declared on a connection or a session');
  }
  let ctrl = CONTROLLERS.get(connection);
  if (
    ctrl === undefined ||
    ctrl.localState === State.LOCAL_CLOSED ||
    ctrl.remoteState === State.REMOTE_CLOSED
  ) {
    ctrl = container.createSender(context, undefined, {
      name: TXN_CTRL,
      handler: new CoordinatorLinkHandler(handler),
    });
    // Before the attach is written (with the next output).
    ctrl.target.type = 'coordinator';
    ctrl.target.capabilities = [LOCAL_TRANSACTIONS];
    CONTROLLERS.set(connection, ctrl);
  }
  const target = handler ?? (connection.handler as object | undefined) ?? container.handler;
  return new Transaction(ctrl, target, settleBeforeDischarge, container.logger);
}
