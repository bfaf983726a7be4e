/**
 * The embedded broker's local transactions (AMQP 1.0 part 4, `amqp:local-transactions`): a declare
 * gives an id; messages sent under it are held until the commit puts them into their nodes (the abort
 * drops them); messages the broker sent and a consumer accepted under it stay taken until the commit
 * consumes them (the abort puts them back for redelivery). A transaction not discharged within the
 * timeout, when one is set, is aborted.
 */
import {
  Accepted,
  AmqpSymbol,
  type AmqpValue,
  Condition,
  Declare,
  Declared,
  Described,
  Discharge,
  type Message,
  Rejected,
  ULong,
} from '../index.js';
import type { Back, Entry, Node } from './queue.js';

/** Back where it came from, not counted as a failed delivery. */
const REQUEUE: Back = { failed: false };

/** The condition of a discharge (or transactional work) naming no known transaction. */
export const UNKNOWN_ID = 'amqp:transaction:unknown-id';
/** The condition of a discharge of a transaction already rolled back because its timeout passed. */
export const TIMEOUT = 'amqp:transaction:timeout';

/**
 * A message a consumer settled under a transaction (accepted, or rejected, released, modified): its node,
 * its entry there, and what the commit does beyond consuming it (a rejected or released outcome).
 */
export interface HeldAccept {
  node: Node;
  entry: Entry;
  onCommit?: () => void;
  /** Whether `onCommit` puts the message back at the head of its node (released, modified). */
  requeues?: boolean;
}

/** A transaction's work, held until it is discharged. */
export interface TxnWork {
  readonly id: Uint8Array;
  /** The coordinator link that declared it: when that goes, the transaction is aborted. */
  readonly owner: object | undefined;
  /** Messages sent under it, with the nodes they go to: put there on commit. */
  readonly sends: { node: Node; message: Message }[];
  /** Messages accepted (or given another outcome) under it, by delivery: the outcome applied on commit. */
  readonly accepts: Map<object, HeldAccept>;
  /** Cancels the timeout, when there is one. */
  cancelTimer?: () => void;
}

/** How the manager arranges a call later (the broker's container): returns a canceller. */
export type Scheduler = (ms: number, f: () => void) => () => void;

/** A control message, decoded from its body. */
export type Control =
  | { kind: 'declare' }
  | { kind: 'discharge'; txnId: AmqpValue; fail: boolean }
  | { kind: 'unknown' };

function key(id: unknown): string {
  if (id instanceof Uint8Array) return Buffer.from(id).toString('hex');
  return `?${String(id)}`;
}

/** A rejected outcome with `condition`. */
export function rejected(condition: string, description: string): Rejected {
  return Object.assign(new Rejected(), { error: new Condition(condition, description).toError() });
}

/** What a coordinator's message is: a declare, a discharge (with its fields), or neither. */
export function parseControl(body: unknown): Control {
  if (body instanceof Declare) return { kind: 'declare' };
  if (body instanceof Discharge) return { kind: 'discharge', txnId: body.txnId, fail: body.fail === true };
  if (!(body instanceof Described)) return { kind: 'unknown' };
  const d = body.descriptor;
  let name: string | undefined;
  if (d instanceof AmqpSymbol) name = d.value;
  else if (d instanceof ULong) {
    const code = BigInt(d.value);
    if (code === BigInt(Declare.descriptor)) name = Declare.symbol;
    else if (code === BigInt(Discharge.descriptor)) name = Discharge.symbol;
  }
  const fields = Array.isArray(body.value) ? (body.value as AmqpValue[]) : [];
  if (name === Declare.symbol) return { kind: 'declare' };
  if (name === Discharge.symbol) {
    return { kind: 'discharge', txnId: fields[0] ?? null, fail: fields[1] === true };
  }
  return { kind: 'unknown' };
}

export class TransactionManager {
  private readonly txns = new Map<string, TxnWork>();
  private readonly expired = new Set<string>();
  private next = 1;
  /** How many transactions were aborted by their timeout. */
  timedOut = 0;

  constructor(
    /** Abort a transaction not discharged within this many ms; undefined never. */
    private readonly timeout: number | undefined,
    private readonly schedule: Scheduler,
    /** Called after work went back into nodes (to dispatch them). */
    private readonly changed: (nodes: Set<Node>) => void,
  ) {}

  /** The transactions declared and not discharged. */
  get open(): number {
    return this.txns.size;
  }

  /** The work of a transaction, or undefined for an unknown id. */
  get(id: unknown): TxnWork | undefined {
    return this.txns.get(key(id));
  }

  /** Declares a transaction: the Declared outcome with its new id. */
  declare(owner?: object): Declared {
    const id = new Uint8Array(Buffer.from(`txn:${this.next++}`));
    const work: TxnWork = { id, owner, sends: [], accepts: new Map() };
    this.txns.set(key(id), work);
    if (this.timeout !== undefined && this.timeout > 0) {
      work.cancelTimer = this.schedule(this.timeout, () => {
        if (this.txns.get(key(id)) !== work) return;
        this.timedOut++;
        this.expired.add(key(id));
        this.end(work, true);
      });
    }
    return Object.assign(new Declared(), { txnId: id });
  }

  /**
   * Discharges a transaction: Accepted; Rejected with amqp:transaction:unknown-id for an unknown id, with
   * amqp:transaction:timeout for one its timeout rolled back.
   */
  discharge(id: unknown, fail: boolean): Accepted | Rejected {
    const work = this.get(id);
    if (work === undefined) {
      if (this.expired.delete(key(id))) return rejected(TIMEOUT, 'the transaction timed out: rolled back');
      return rejected(UNKNOWN_ID, 'no such transaction');
    }
    this.end(work, fail);
    return new Accepted();
  }

  /** Holds a message sent under the transaction; false for an unknown id. */
  holdSend(id: unknown, node: Node, message: Message): boolean {
    const work = this.get(id);
    if (work === undefined) return false;
    work.sends.push({ node, message });
    node.held++;
    return true;
  }

  /**
   * Holds a message accepted under the transaction (out of its node's outstanding ones): consumed by the
   * commit (which calls `onCommit` too, for another outcome), back in its node after the abort.
   */
  holdAccept(
    id: unknown,
    delivery: object,
    node: Node,
    entry: Entry,
    onCommit?: () => void,
    requeues = false,
  ): boolean {
    const work = this.get(id);
    if (work === undefined) return false;
    work.accepts.set(delivery, { node, entry, onCommit, requeues });
    return true;
  }

  /** Aborts the open transactions declared on `owner` (a coordinator link that went away). */
  abortOwnedBy(owner: object): void {
    for (const work of [...this.txns.values()]) if (work.owner === owner) this.end(work, true);
  }

  /** Aborts every open transaction. */
  abortAll(): void {
    for (const work of [...this.txns.values()]) this.end(work, true);
  }

  private end(work: TxnWork, fail: boolean): void {
    this.txns.delete(key(work.id));
    work.cancelTimer?.();
    const touched = new Set<Node>();
    for (const s of work.sends) s.node.held--;
    if (fail) {
      // Back at the head of their nodes (or subscriptions), in the order they were sent. An abort is not
      // a failed delivery: the delivery-count stays, so aborts never count against the redelivery limit.
      for (const a of [...work.accepts.values()].reverse()) {
        a.node.putBack(a.entry, REQUEUE, 0);
        touched.add(a.node);
      }
    } else {
      // Rejected ones (dead-lettered) in order; released ones go back to the head of their nodes:
      // the last first, to keep their order.
      const held = [...work.accepts.values()];
      for (const a of [...held.filter((h) => !h.requeues), ...held.filter((h) => h.requeues).reverse()]) {
        if (a.onCommit === undefined) continue;
        a.onCommit();
        touched.add(a.node);
      }
      for (const s of work.sends) {
        s.node.put(s.message);
        touched.add(s.node);
      }
    }
    work.sends.length = 0;
    work.accepts.clear();
    if (touched.size > 0) this.changed(touched);
  }
}
