/**
 * Messages into the embedded broker: each goes to its link's node (or, on an anonymous-relay link, to
 * the node its `to` names), is held by its transaction until the discharge, or, on a coordinator link,
 * declares or discharges one. A message to a node that cannot exist, or into a full queue, is rejected
 * (amqp:not-found, amqp:resource-limit-exceeded); one sent settled is dropped, with a warning.
 */
import {
  Accepted,
  Condition,
  type Delivery,
  ErrorCondition,
  type Link,
  type Logger,
  type Message,
  type Receiver,
  Rejected,
  TransactionalState,
} from '../index.js';
import type { Node } from './queue.js';
import { parseControl, rejected, type TransactionManager, UNKNOWN_ID } from './transactions.js';

/** What the routing needs of the broker. */
export interface IncomingHost {
  /** The coordinator links. */
  readonly coordinators: WeakSet<Link>;
  readonly transactions: TransactionManager;
  /** The node of an address, made on demand. */
  node(address: string): Node;
  /** Whether an address cannot name a node. */
  cannotExist(address: string): boolean;
  /** Sends what a node's consumers may take, and gives its producers credit. */
  dispatch(node: Node): void;
  readonly maxQueueDepth: number;
  readonly logger: Logger;
}

const notFound = (description: string) => new Condition(ErrorCondition.notFound, description);

export class Incoming {
  constructor(private readonly host: IncomingHost) {}

  /** A message from a producer (or a control message from a coordinator link), routed and settled. */
  receive(delivery: Delivery, message: Message, link: Receiver, target: Node | undefined): void {
    if (this.host.coordinators.has(link)) return this.control(delivery, message);
    const address = target?.address ?? message.address;
    if (address === undefined) return this.refuseMessage(delivery, notFound('no address'));
    if (target === undefined && this.host.cannotExist(address)) {
      return this.refuseMessage(delivery, notFound(`no such node: ${address}`));
    }
    const node = target ?? this.host.node(address);
    const max = this.host.maxQueueDepth;
    if (node.depth >= max) {
      if (delivery.remoteSettled) {
        this.host.logger.warn(
          `maxQueueDepth (${max}) reached on '${address}': a message sent settled was dropped`,
        );
      }
      const full = new Condition(
        ErrorCondition.resourceLimitExceeded,
        `maxQueueDepth (${max}) reached on '${address}'`,
      );
      return this.refuseMessage(delivery, full);
    }
    const state = delivery.remote;
    if (state instanceof TransactionalState) {
      if (!this.host.transactions.holdSend(state.txnId, node, message)) {
        delivery.update(rejected(UNKNOWN_ID, 'no such transaction'));
      } else {
        delivery.update(
          Object.assign(new TransactionalState(), { txnId: state.txnId, outcome: new Accepted() }),
        );
      }
      delivery.settle();
      return;
    }
    node.put(message);
    delivery.update(new Accepted());
    delivery.settle();
    this.host.dispatch(node);
  }

  private refuseMessage(delivery: Delivery, condition: Condition): void {
    delivery.update(Object.assign(new Rejected(), { error: condition.toError() }));
    delivery.settle();
  }

  /** A declare or a discharge on a coordinator link: answered with its outcome, settled. */
  private control(delivery: Delivery, message: Message): void {
    const c = parseControl(message.body);
    if (c.kind === 'declare') delivery.update(this.host.transactions.declare(delivery.link));
    else if (c.kind === 'discharge') delivery.update(this.host.transactions.discharge(c.txnId, c.fail));
    else delivery.update(rejected('amqp:not-implemented', 'not a declare or a discharge'));
    delivery.settle();
  }
}
