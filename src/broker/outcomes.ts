/**
 * What the embedded broker does with the outcome a consumer gives a message it sent: accepted, it is
 * consumed; rejected, dead-lettered (or dropped); released or modified, put back for redelivery, with
 * its delivery-count raised when the attempt counts as failed, until it is dead. Under a transaction the
 * outcome waits for the discharge (see transactions.ts).
 */
import {
  type AmqpValue,
  type Delivery,
  type Link,
  type Logger,
  Modified,
  Rejected,
  Released,
  TransactionalState,
} from '../index.js';
import { type Back, type Entry, FAILED, type Node } from './queue.js';
import type { TransactionManager } from './transactions.js';

/** What the outcomes need of the broker. */
export interface OutcomeHost {
  readonly nodeOf: WeakMap<Link, Node>;
  readonly transactions: TransactionManager;
  /** The node of an address, made on demand. */
  node(address: string): Node;
  /** Sends what a node's consumers may take, and gives its producers credit. */
  dispatch(node: Node): void;
  readonly redeliveryLimit: number;
  readonly deadLetterQueue: string | undefined;
  readonly maxQueueDepth: number;
  readonly logger: Logger;
}

export class Outcomes {
  constructor(private readonly host: OutcomeHost) {}

  /**
   * An outcome under a transaction: the message stays taken until the discharge; the commit applies
   * the outcome (`back`), the abort puts the message back. Under an unknown id it is put back at once.
   * Returns false when the outcome is not transactional.
   */
  private transactional(d: Delivery, back: Back): boolean {
    const state = d.remote;
    if (!(state instanceof TransactionalState)) return false;
    const node = this.host.nodeOf.get(d.link);
    const entry = node?.outstanding.get(d);
    if (node === undefined || entry === undefined) return true;
    const rejectedOutcome = state.outcome instanceof Rejected;
    const onCommit =
      back === 'drop' && !rejectedOutcome
        ? undefined
        : () => {
            // Outstanding again for a moment, so the commit settles it as a plain outcome would (the
            // consumer may be gone by now: its node was kept).
            node.outstanding.set(d, entry);
            const e = node.settled(d, back, this.host.redeliveryLimit);
            if (e !== undefined) this.deadLetter(e);
          };
    if (this.host.transactions.holdAccept(state.txnId, d, node, entry, onCommit, back !== 'drop')) {
      node.outstanding.delete(d);
    } else this.outcome(d, FAILED);
    return true;
  }

  /** The consumer accepted: consumed (at the commit, under a transaction). */
  accepted(d: Delivery): void {
    if (!this.transactional(d, 'drop')) this.outcome(d, 'drop');
  }

  /** The consumer rejected: dead-lettered, or dropped. */
  rejected(d: Delivery): void {
    if (this.transactional(d, 'drop')) return;
    const e = this.outcome(d, 'drop');
    if (e !== undefined) this.deadLetter(e);
  }

  /**
   * Released: back, counted as a failed delivery. Modified: back, counted as failed only with
   * delivery-failed, kept from the same link with undeliverable-here, its message-annotations merged
   * (on a queue).
   */
  released(d: Delivery): void {
    const r = d.remote instanceof TransactionalState ? d.remote.outcome : d.remote;
    let back: Back | undefined;
    if (r instanceof Modified) {
      back = { failed: r.deliveryFailed === true, elsewhere: r.undeliverableHere === true };
      const entry = this.host.nodeOf.get(d.link)?.outstanding.get(d);
      // A topic's copies share one message: annotations for one subscription are not given to the others.
      if (entry !== undefined && entry.subscription === undefined && r.messageAnnotations !== undefined) {
        const m = entry.message;
        const more = r.messageAnnotations;
        const added = more instanceof Map ? [...more] : (Object.entries(more) as [string, AmqpValue][]);
        m.annotations = new Map([...(m.annotations ?? []), ...added]);
      }
    } else if (r instanceof Released) back = FAILED;
    if (back !== undefined && !this.transactional(d, back)) this.outcome(d, back);
  }

  /**
   * The consumer settled with no outcome the broker acts on (none, or a non-terminal state): the message
   * goes back as a failed delivery, as when a consumer goes away without settling, rather than staying
   * taken until its link goes.
   */
  settledWithoutOutcome(d: Delivery): void {
    if (this.host.nodeOf.get(d.link)?.outstanding.has(d)) this.outcome(d, FAILED);
  }

  private outcome(d: Delivery, back: Back): Entry | undefined {
    const node = this.host.nodeOf.get(d.link);
    if (node === undefined) return undefined;
    const e = node.settled(d, back, this.host.redeliveryLimit);
    if (e !== undefined && back !== 'drop') this.deadLetter(e);
    this.host.dispatch(node);
    return e;
  }

  /** A dead message goes to the dead-letter queue when there is one (and it has room), else is dropped. */
  deadLetter(e: Entry): void {
    if (this.host.deadLetterQueue === undefined) return;
    const dlq = this.host.node(this.host.deadLetterQueue);
    if (dlq.depth >= this.host.maxQueueDepth) {
      this.host.logger.warn(
        `maxQueueDepth reached on the dead-letter queue '${this.host.deadLetterQueue}': a message was dropped`,
      );
      return;
    }
    dlq.put(e.message);
    this.host.dispatch(dlq);
  }
}
