/**
 * The embedded broker, built only on the public API: a `MessagingHandler` that serves queues (created
 * on demand; competing consumers, round robin, credit respected), topics (every subscriber a copy: an
 * address with the topic prefix, or a terminus with the `topic` capability), dynamic nodes (temporary
 * reply queues), ANONYMOUS-RELAY (routing by the message's `to`), selectors, browsing, and redelivery
 * of what consumers release, fail or leave unsettled, and local transactions (a coordinator accepting
 * `amqp:local-transactions`: transactional sends held until the commit, transactional accepts undone by
 * the abort; see transactions.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  Accepted,
  AmqpSymbol,
  Condition,
  type Container,
  type Delivery,
  Described,
  type Event,
  type Link,
  type Logger,
  type Message,
  MessagingHandler,
  Modified,
  type Receiver,
  Rejected,
  Released,
  Sender,
  TransactionalState,
  ULong,
} from '../index.js';
import { type Entry, Node } from './queue.js';
import { parseSelector, SELECTOR_FILTER, SELECTOR_FILTER_CODE } from './selector.js';
import { parseControl, rejected, TransactionManager, UNKNOWN_ID } from './transactions.js';

/** The capability of a coordinator for local transactions. */
const LOCAL_TRANSACTIONS = 'amqp:local-transactions';

/** Options of the broker. */
export interface BrokerOptions {
  /** Addresses with this prefix are topics. @default 'topic://' */
  topicPrefix?: string;
  /** Where rejected and dead messages go; undefined drops them. @default none */
  deadLetterQueue?: string;
  /** Deliveries of one message before it is dead. @default 5 */
  redeliveryLimit?: number;
  /** Credit given to each producer. @default 100 */
  window?: number;
  /** Where diagnostics go. @default none */
  logger?: Logger;
  /** Abort a transaction not discharged within this many ms. @default none (no timeout) */
  transactionTimeout?: number;
}

export class Broker extends MessagingHandler {
  readonly nodes = new Map<string, Node>();
  private readonly nodeOf = new WeakMap<Link, Node>();
  private readonly topicPrefix: string;
  private readonly dlq: string | undefined;
  private readonly limit: number;
  /** The coordinator links (receivers of declares and discharges). */
  private readonly coordinators = new WeakSet<Link>();
  /** The container serving the broker, known from its events (for the transaction timeouts). */
  private container: Container | undefined;
  /** The local transactions. */
  readonly transactions: TransactionManager;

  constructor(options: BrokerOptions = {}) {
    super({ prefetch: options.window ?? 100, autoAccept: false, autoSettle: true, logger: options.logger });
    this.topicPrefix = options.topicPrefix ?? 'topic://';
    this.dlq = options.deadLetterQueue;
    this.limit = options.redeliveryLimit ?? 5;
    this.transactions = new TransactionManager(
      options.transactionTimeout,
      (ms, f) => {
        const task = this.container?.schedule(ms, { onTimerTask: f });
        return () => task?.cancel();
      },
      (nodes) => {
        for (const n of nodes) n.dispatch();
      },
    );
  }

  /** The node of an address, made on demand. */
  node(address: string, topic = false, temporary = false): Node {
    let n = this.nodes.get(address);
    if (n === undefined) {
      n = new Node(address, topic || address.startsWith(this.topicPrefix), temporary);
      this.nodes.set(address, n);
    }
    return n;
  }

  override onConnectionOpening(event: Event): void {
    event.connection!.offeredCapabilities = ['ANONYMOUS-RELAY'];
  }

  override onLinkOpening(event: Event): void {
    const link = event.link!;
    if (link instanceof Sender) this.openConsumer(link);
    else this.openProducer(link as Receiver);
  }

  private openConsumer(link: Sender): void {
    const remote = link.remoteSource;
    if (remote === undefined) return this.refuse(link, 'amqp:not-found', 'no source');
    link.source.copy(remote);
    let address = remote.address;
    const temporary = remote.dynamic;
    if (temporary) {
      address = `dynamic-${randomUUID()}`;
      link.source.address = address;
    }
    if (address === undefined)
      return this.refuse(link, 'amqp:not-found', 'a consumer needs a source address');
    const topic = remote.capabilities?.includes('topic') ?? false;
    const node = this.node(address, topic, temporary);
    const browse = remote.distributionMode === 'copy';
    let selects: ((m: Message) => boolean) | undefined;
    link.source.filter = undefined;
    for (const [key, value] of remote.filter ?? []) {
      if (!(value instanceof Described)) continue;
      const d = value.descriptor;
      const isSelector =
        (d instanceof AmqpSymbol && d.value === SELECTOR_FILTER) ||
        (d instanceof ULong && d.value === SELECTOR_FILTER_CODE);
      if (!isSelector || typeof value.value !== 'string') continue;
      try {
        const s = parseSelector(value.value);
        selects = (m) => s.matches(m);
        // The filter is echoed back only when it is applied.
        link.source.filter = new Map([[key, value]]);
      } catch (e) {
        return this.refuse(link, 'amqp:invalid-field', `bad selector: ${(e as Error).message}`);
      }
    }
    node.consumers.push({ link, browse, selects, seen: 0 });
    this.nodeOf.set(link, node);
  }

  private openProducer(link: Receiver): void {
    const remote = link.remoteTarget;
    if (remote !== undefined) link.target.copy(remote);
    if (remote?.type === 'coordinator') {
      const asked = remote.capabilities;
      if (asked !== undefined && asked.length > 0 && !asked.includes(LOCAL_TRANSACTIONS)) {
        return this.refuse(link, 'amqp:not-implemented', 'only local transactions are supported');
      }
      link.target.capabilities = [LOCAL_TRANSACTIONS];
      this.coordinators.add(link);
      return;
    }
    const address = remote?.address;
    if (address !== undefined)
      this.nodeOf.set(link, this.node(address, remote?.capabilities?.includes('topic')));
  }

  private refuse(link: Link, condition: string, description: string): void {
    link.open();
    link.close(new Condition(condition, description));
  }

  override onSendable(event: Event): void {
    this.nodeOf.get(event.link!)?.dispatch();
    // A consumer asked to drain: what could go has gone, the rest of its credit is given back, so its
    // drain completes even when the queue is empty.
    const sender = event.sender;
    if (sender?.drain) sender.drained();
  }

  override onMessage(event: Event): void {
    const delivery = event.delivery!;
    const message = event.message!;
    this.container = event.container;
    if (this.coordinators.has(event.link!)) return this.control(delivery, message);
    const target = this.nodeOf.get(event.link!);
    const address = target?.address ?? message.address;
    if (address === undefined) {
      delivery.update(
        Object.assign(new Rejected(), { error: new Condition('amqp:not-found', 'no address').toError() }),
      );
      delivery.settle();
      return;
    }
    const node = target ?? this.node(address);
    const state = delivery.remote;
    if (state instanceof TransactionalState) {
      if (!this.transactions.holdSend(state.txnId, node, message)) {
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
    this.accept(delivery);
    node.dispatch();
  }

  /** A declare or a discharge on a coordinator link: answered with its outcome, settled. */
  private control(delivery: Delivery, message: Message): void {
    const c = parseControl(message.body);
    if (c.kind === 'declare') delivery.update(this.transactions.declare(delivery.link));
    else if (c.kind === 'discharge') delivery.update(this.transactions.discharge(c.txnId, c.fail));
    else delivery.update(rejected('amqp:not-implemented', 'not a declare or a discharge'));
    delivery.settle();
  }

  /**
   * An outcome under a transaction: the message stays taken until the discharge; the commit applies
   * the outcome (`what`), the abort puts the message back. Under an unknown id it is put back at once.
   * Returns false when the outcome is not transactional.
   */
  private transactional(d: Delivery, what: 'drop' | 'redeliver' | 'redeliver-elsewhere'): boolean {
    const state = d.remote;
    if (!(state instanceof TransactionalState)) return false;
    const node = this.nodeOf.get(d.link);
    const entry = node?.outstanding.get(d);
    if (node === undefined || entry === undefined) return true;
    const rejectedOutcome = state.outcome instanceof Rejected;
    const onCommit =
      what === 'drop' && !rejectedOutcome
        ? undefined
        : () => {
            // Outstanding again for a moment, so the commit settles it as a plain outcome would (the
            // consumer may be gone by now: its node was kept).
            node.outstanding.set(d, entry);
            const e = node.settled(d, what, this.limit);
            if (e !== undefined) this.deadLetter(e);
          };
    if (this.transactions.holdAccept(state.txnId, d, node, entry, onCommit, what !== 'drop')) {
      node.outstanding.delete(d);
    } else this.outcome(d, 'redeliver');
    return true;
  }

  override onAccepted(event: Event): void {
    const d = event.delivery!;
    if (!this.transactional(d, 'drop')) this.outcome(d, 'drop');
  }

  override onRejected(event: Event): void {
    const d = event.delivery!;
    if (this.transactional(d, 'drop')) return;
    const e = this.outcome(d, 'drop');
    if (e !== undefined) this.deadLetter(e);
  }

  override onReleased(event: Event): void {
    const d = event.delivery!;
    const r = d.remote instanceof TransactionalState ? d.remote.outcome : d.remote;
    let what: 'redeliver' | 'redeliver-elsewhere' | undefined;
    if (r instanceof Modified) what = r.undeliverableHere ? 'redeliver-elsewhere' : 'redeliver';
    else if (r instanceof Released) what = 'redeliver';
    if (what !== undefined && !this.transactional(d, what)) this.outcome(d, what);
  }

  private outcome(d: Delivery, what: 'drop' | 'redeliver' | 'redeliver-elsewhere'): Entry | undefined {
    const node = this.nodeOf.get(d.link);
    if (node === undefined) return undefined;
    const e = node.settled(d, what, this.limit);
    if (e !== undefined && what !== 'drop') this.deadLetter(e);
    node.dispatch();
    return e;
  }

  private deadLetter(e: Entry): void {
    if (this.dlq === undefined) return;
    this.node(this.dlq).put(e.message);
    this.node(this.dlq).dispatch();
  }

  /** A consumer went away: its unsettled messages go to the others; a dynamic node goes with it. */
  private gone(link: Link): void {
    if (this.coordinators.has(link)) {
      this.coordinators.delete(link);
      this.transactions.abortOwnedBy(link);
    }
    const node = this.nodeOf.get(link);
    if (node === undefined) return;
    this.nodeOf.delete(link);
    if (link instanceof Sender) {
      for (const dead of node.remove(link, this.limit)) this.deadLetter(dead);
      if (node.temporary && node.consumers.length === 0) this.nodes.delete(node.address);
      else node.dispatch();
    }
  }

  override onLinkClosing(event: Event): void {
    this.gone(event.link!);
  }

  override onLinkClosed(event: Event): void {
    this.gone(event.link!);
  }

  override onConnectionClosing(event: Event): void {
    for (const l of event.connection!.links) this.gone(l);
  }

  override onConnectionClosed(event: Event): void {
    for (const l of event.connection!.links) this.gone(l);
  }

  override onDisconnected(event: Event): void {
    for (const l of event.connection?.links ?? []) this.gone(l);
  }
}
