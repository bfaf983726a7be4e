/**
 * The embedded broker, built only on the public API: a `MessagingHandler` that serves queues (created
 * on demand; competing consumers, round robin, credit respected), topics (every subscription a copy: an
 * address with the topic prefix, or a terminus with the `topic` capability; durable subscriptions, see
 * durable.ts), dynamic nodes (temporary reply queues), ANONYMOUS-RELAY (routing by the message's `to`),
 * selectors, browsing, redelivery of what consumers release, fail or leave unsettled, local
 * transactions (see transactions.ts), limits on connections, sessions, links, queue depth, and each
 * connection's unsettled deliveries and buffered bytes (see limits.ts), access control by user and
 * address (see acl.ts), a count of failed logins, and a clean shutdown.
 */
import { randomUUID } from 'node:crypto';
import {
  Condition,
  type Connection,
  type Container,
  ErrorCondition,
  type Event,
  type Link,
  type Logger,
  MessagingHandler,
  Receiver,
  Sender,
  State,
} from '../index.js';
import { AccessGuard, type Acl, printable } from './acl.js';
import { type Durable, DurableSubscriptions } from './durable.js';
import { Incoming } from './incoming.js';
import {
  type BrokerLimits,
  consumerNodes,
  openLinks,
  openSessions,
  overLimit,
  ProducerCredit,
  resolveLimits,
  UnsettledDeliveries,
} from './limits.js';
import { Outcomes } from './outcomes.js';
import { type Consumer, Node } from './queue.js';
import { type AppliedFilter, selectorFilter } from './source-filter.js';
import { TransactionManager } from './transactions.js';

/** The capability of a coordinator for local transactions. */
const LOCAL_TRANSACTIONS = 'amqp:local-transactions';
/**
 * The addresses of dynamic nodes begin with this. The prefix is reserved: such an address that names
 * no live dynamic node cannot exist (a link to it is refused with amqp:not-found, a message to it
 * rejected), so a reply to a client gone does not make a queue that nobody will ever read.
 */
export const DYNAMIC_PREFIX = 'dynamic-';

/** Options of the broker (the limits are described in limits.ts). */
export interface BrokerOptions extends BrokerLimits {
  /** Addresses with this prefix are topics. @default 'topic://' */
  topicPrefix?: string;
  /** Where rejected and dead messages go; undefined drops them. @default none */
  deadLetterQueue?: string;
  /** Failed deliveries of one message after which it is dead (dead-lettered or dropped). @default 5 */
  redeliveryLimit?: number;
  /** Credit given to each producer (at most: a queue near its depth limit gives less). @default 100 */
  window?: number;
  /** Where diagnostics go. @default none */
  logger?: Logger;
  /** Abort a transaction not discharged within this many ms. @default none (no timeout) */
  transactionTimeout?: number;
  /** Who may send to and receive from which addresses (see acl.ts). @default none: everyone, everything */
  acl?: Acl;
}

/** What the broker has refused, counted since it started. */
export interface BrokerStats {
  /** Connections whose SASL exchange failed (each closed with `amqp:unauthorized-access`). */
  authFailures: number;
  /** Links and relayed messages refused by the ACL. */
  accessDenied: number;
}

/** Options of {@link Broker.shutdown}. */
export interface ShutdownOptions {
  /** How long to wait for the peers to close their side before the sockets are dropped, in ms. @default 1000 */
  timeout?: number;
}

const notFound = (description: string) => new Condition(ErrorCondition.notFound, description);

export class Broker extends MessagingHandler {
  readonly nodes = new Map<string, Node>();
  /** The durable subscriptions, attached or not. */
  readonly durables = new DurableSubscriptions();
  /** The limits in force. */
  readonly limits: Required<BrokerLimits>;
  /** The local transactions. */
  readonly transactions: TransactionManager;
  /** The connections served (open here). */
  readonly connections = new Set<Connection>();
  /** The node of each link (a consumer's source, a producer's target). */
  readonly nodeOf = new WeakMap<Link, Node>();
  /** What the broker has refused. */
  readonly stats: BrokerStats = { authFailures: 0, accessDenied: 0 };
  /** The ACL in force, if any. */
  private readonly guard: AccessGuard | undefined;
  private readonly durableOf = new WeakMap<Link, Durable>();
  private readonly topicPrefix: string;
  private readonly limit: number;
  private readonly credit: ProducerCredit;
  /** The deliveries sent to each connection and not settled (maxUnsettledPerConnection). */
  private readonly unsettled: UnsettledDeliveries;
  private readonly outcomes: Outcomes;
  private readonly incoming: Incoming;
  /** The coordinator links (receivers of declares and discharges). */
  private readonly coordinators = new WeakSet<Link>();
  /** The container serving the broker, known from its events. */
  private container: Container | undefined;
  /** Set by shutdown(): called once the last connection is gone. */
  private stopping: (() => void) | undefined;

  constructor(options: BrokerOptions = {}) {
    // Credit to producers is given here, not by the flow controller, to respect queue depths.
    super({ prefetch: 0, autoAccept: false, autoSettle: true, logger: options.logger });
    this.limits = resolveLimits(options);
    this.topicPrefix = options.topicPrefix ?? 'topic://';
    this.limit = options.redeliveryLimit ?? 5;
    this.guard = options.acl && new AccessGuard(options.acl, this.logger, this.stats);
    this.credit = new ProducerCredit(options.window ?? 100, this.limits.maxQueueDepth);
    this.unsettled = new UnsettledDeliveries(this.limits.maxUnsettledPerConnection);
    this.transactions = new TransactionManager(
      options.transactionTimeout,
      (ms, f) => {
        const task = this.container?.schedule(ms, { onTimerTask: f });
        return () => task?.cancel();
      },
      (nodes) => {
        for (const n of nodes) this.dispatch(n);
      },
    );
    this.incoming = new Incoming({
      coordinators: this.coordinators,
      transactions: this.transactions,
      node: (address) => this.node(address),
      cannotExist: (address) => this.cannotExist(address),
      dispatch: (node) => this.dispatch(node),
      maxQueueDepth: this.limits.maxQueueDepth,
      logger: this.logger,
    });
    this.outcomes = new Outcomes({
      nodeOf: this.nodeOf,
      transactions: this.transactions,
      node: (address) => this.node(address),
      dispatch: (node) => this.dispatch(node),
      redeliveryLimit: this.limit,
      deadLetterQueue: options.deadLetterQueue,
      maxQueueDepth: this.limits.maxQueueDepth,
      logger: this.logger,
    });
  }

  /** The node of an address, made on demand. */
  node(address: string, topic = false, temporary = false): Node {
    let n = this.nodes.get(address);
    if (n === undefined) {
      n = new Node(address, topic || address.startsWith(this.topicPrefix), temporary, this.unsettled);
      this.nodes.set(address, n);
    }
    return n;
  }

  /** Whether an address cannot name a node: a dynamic node's address, that node gone. */
  private cannotExist(address: string): boolean {
    return address.startsWith(DYNAMIC_PREFIX) && !this.nodes.has(address);
  }

  /**
   * Closes every connection (`amqp:connection:forced`, so clients that reconnect will), waits for the
   * peers to close theirs (up to `timeout`), then stops the container. New connections meanwhile are
   * closed as they open.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const condition = new Condition(ErrorCondition.connectionForced, 'the broker is shutting down');
    return new Promise<void>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        // Those that did not answer are dropped with the sockets.
        for (const c of [...this.connections]) this.untrack(c);
        this.container?.stop();
        resolve();
      };
      const timer = setTimeout(finish, options.timeout ?? 1000);
      this.stopping = finish;
      this.transactions.abortAll();
      for (const c of [...this.connections]) c.close(condition);
      if (this.connections.size === 0) finish();
    });
  }

  private untrack(c: Connection | undefined): void {
    if (c === undefined) return;
    for (const l of c.links) this.gone(l, false);
    if (this.connections.delete(c) && this.connections.size === 0) this.stopping?.();
  }

  // Connections and sessions ------------------------------------------------------------------------

  override onReactorInit(event: Event): void {
    this.container = event.container;
    super.onReactorInit(event);
  }

  override onConnectionOpening(event: Event): void {
    const c = event.connection!;
    this.container = event.container;
    c.offeredCapabilities = ['ANONYMOUS-RELAY'];
    if (this.stopping !== undefined) {
      c.close(new Condition(ErrorCondition.connectionForced, 'the broker is shutting down'));
    } else if (this.connections.size >= this.limits.maxConnections) {
      c.close(overLimit('maxConnections', this.limits.maxConnections));
    } else this.connections.add(c);
  }

  override onConnectionClosing(event: Event): void {
    this.untrack(event.connection);
  }

  override onConnectionClosed(event: Event): void {
    this.untrack(event.connection);
  }

  override onConnectionError(event: Event): void {
    super.onConnectionError(event);
    this.untrack(event.connection);
  }

  override onDisconnected(event: Event): void {
    this.untrack(event.connection);
  }

  /**
   * A failed login is counted and logged as a warning (the reason names the user tried, never the
   * password); the transport has sent the failed outcome and closes the connection itself.
   */
  override onTransportError(event: Event): void {
    const t = event.transport;
    const outcome = t?.server ? t.sasl?.outcome : undefined;
    if (outcome !== undefined && outcome !== 0) {
      const n = ++this.stats.authFailures;
      const why = printable(t?.condition?.description ?? `outcome ${outcome}`);
      this.logger.warn(`login failed (${n} since start): ${why}`);
    } else super.onTransportError(event);
  }

  onTransportClosed(event: Event): void {
    this.untrack(event.connection);
  }

  override onSessionOpening(event: Event): void {
    const s = event.session!;
    const max = this.limits.maxSessionsPerConnection;
    if (openSessions(s.connection, s) >= max) s.close(overLimit('maxSessionsPerConnection', max));
  }

  /** A session ended: its links are detached, not closed (durable subscriptions stay). */
  override onSessionClosing(event: Event): void {
    for (const l of event.session!.links) this.gone(l, false);
  }

  override onSessionClosed(event: Event): void {
    for (const l of event.session!.links) this.gone(l, false);
  }

  /** A peer ending a session with an error ends that session only, not the connection. */
  override onSessionError(event: Event): void {
    this.logger.warn(`session ended by peer: ${event.session?.remoteCondition?.description ?? ''}`);
    for (const l of event.session!.links) this.gone(l, false);
  }

  // Links ---------------------------------------------------------------------------------------------

  override onLinkOpening(event: Event): void {
    const link = event.link!;
    const max = this.limits.maxLinksPerConnection;
    if (openLinks(link.connection, link) >= max)
      return this.refuse(link, overLimit('maxLinksPerConnection', max));
    const denied = this.guard?.refusal(link);
    if (denied !== undefined) return this.refuse(link, denied);
    if (link instanceof Sender) this.openConsumer(link);
    else this.openProducer(link as Receiver);
  }

  override onLinkOpened(event: Event): void {
    const r = event.receiver;
    if (r !== undefined) this.credit.topUp(r, this.nodeOf.get(r));
  }

  private openConsumer(link: Sender): void {
    const remote = link.remoteSource;
    if (remote === undefined) return this.refuse(link, notFound('no source'));
    link.source.copy(remote);
    let address = remote.address;
    const temporary = remote.dynamic;
    if (temporary) {
      address = `${DYNAMIC_PREFIX}${randomUUID()}`;
      link.source.address = address;
    }
    if (!address) return this.refuse(link, notFound('a consumer needs a source address'));
    if (!temporary && this.cannotExist(address))
      return this.refuse(link, notFound(`no such node: ${address}`));
    let filter: AppliedFilter | undefined;
    try {
      filter = selectorFilter(remote.filter);
    } catch (e) {
      const bad = `bad selector: ${(e as Error).message}`;
      return this.refuse(link, new Condition(ErrorCondition.invalidField, bad));
    }
    link.source.filter = filter?.echo;
    const node = this.node(address, remote.capabilities?.includes('topic') ?? false, temporary);
    const consumer: Consumer = {
      link,
      browse: remote.distributionMode === 'copy',
      selects: filter?.selects,
      seen: 0,
    };
    if (node.topic) {
      const durable = this.durables.subscribe(consumer, node, filter, (holder) => this.steal(holder));
      if (durable !== undefined) this.durableOf.set(link, durable);
    }
    node.consumers.push(consumer);
    this.nodeOf.set(link, node);
  }

  /** A durable subscription's link loses it to a new attach (a client back before its old link was seen go). */
  private steal(holder: Sender): void {
    holder.detach(new Condition(ErrorCondition.stolen, 'the subscription was attached elsewhere'));
    this.gone(holder, false);
  }

  private openProducer(link: Receiver): void {
    const remote = link.remoteTarget;
    if (remote !== undefined) link.target.copy(remote);
    if (remote?.type === 'coordinator') {
      const asked = remote.capabilities;
      if (asked !== undefined && asked.length > 0 && !asked.includes(LOCAL_TRANSACTIONS)) {
        const c = new Condition(ErrorCondition.notImplemented, 'only local transactions are supported');
        return this.refuse(link, c);
      }
      link.target.capabilities = [LOCAL_TRANSACTIONS];
      this.coordinators.add(link);
      return;
    }
    const address = remote?.address;
    if (address === undefined) return; // the anonymous relay: routed by each message's address
    if (this.cannotExist(address)) return this.refuse(link, notFound(`no such node: ${address}`));
    const node = this.node(address, remote?.capabilities?.includes('topic'));
    this.nodeOf.set(link, node);
    node.producers.add(link);
  }

  /** Refuses a link: attached and closed at once with `condition`; its session lives on. */
  private refuse(link: Link, condition: Condition): void {
    link.open();
    link.close(condition);
  }

  override onLinkClosing(event: Event): void {
    this.gone(event.link!, true);
  }

  override onLinkClosed(event: Event): void {
    this.gone(event.link!, true);
  }

  /** A peer closing a link with an error closes that link only, not the connection. */
  override onLinkError(event: Event): void {
    this.logger.warn(`link closed by peer: ${event.link?.remoteCondition?.description ?? ''}`);
    this.gone(event.link!, true);
  }

  /** The peer detached a link without closing it: detached here too, its durable subscription kept. */
  onLinkRemoteDetach(event: Event): void {
    const link = event.link!;
    if (link.localState === State.LOCAL_ACTIVE) link.detach();
    this.gone(link, false);
  }

  /**
   * A link went away: a consumer's unsettled messages go back for the others (or its durable
   * subscription, kept unless `closed`); a dynamic node goes with its last consumer.
   */
  private gone(link: Link, closed: boolean): void {
    if (this.coordinators.has(link)) {
      this.coordinators.delete(link);
      this.transactions.abortOwnedBy(link);
    }
    // Its deliveries go with it: they no longer count against its connection's unsettled limit.
    const resumed = this.unsettled.linkGone(link);
    const node = this.nodeOf.get(link);
    if (node === undefined) return;
    this.nodeOf.delete(link);
    if (link instanceof Receiver) {
      node.producers.delete(link);
      return;
    }
    const durable = this.durableOf.get(link);
    this.durableOf.delete(link);
    for (const dead of node.remove(link as Sender, this.limit, durable !== undefined && !closed)) {
      this.outcomes.deadLetter(dead);
    }
    if (durable !== undefined && closed) this.durables.delete(durable);
    if (node.temporary && node.consumers.length === 0) this.nodes.delete(node.address);
    else this.dispatch(node);
    if (resumed) this.resume(link.connection);
  }

  /** A connection is under its unsettled limit again: the nodes its consumers take from are dispatched. */
  private resume(c: Connection): void {
    for (const n of consumerNodes(c, this.nodeOf)) this.dispatch(n);
  }

  // Messages ------------------------------------------------------------------------------------------

  override onSendable(event: Event): void {
    const n = this.nodeOf.get(event.link!);
    if (n !== undefined) this.dispatch(n);
    // A consumer asked to drain: what could go has gone, the rest of its credit is given back, so its
    // drain completes even when the queue is empty.
    const sender = event.sender;
    if (sender?.drain) sender.drained();
  }

  /** Sends what a node's consumers have credit for, then gives its producers the room it has. */
  private dispatch(node: Node): void {
    node.dispatch();
    this.credit.refill(node);
  }

  override onMessage(event: Event): void {
    const delivery = event.delivery!;
    const link = event.receiver!;
    this.container = event.container;
    const target = this.nodeOf.get(link);
    // On the anonymous relay, the ACL is checked for each message's address.
    const relayed = target === undefined && !this.coordinators.has(link);
    if (!(relayed && this.guard?.refuseRelayed(delivery, event.message!.address)))
      this.incoming.receive(delivery, event.message!, link, target);
    this.credit.topUp(link, target);
  }

  override onAccepted(event: Event): void {
    this.outcomes.accepted(event.delivery!);
  }

  override onRejected(event: Event): void {
    this.outcomes.rejected(event.delivery!);
  }

  override onReleased(event: Event): void {
    this.outcomes.released(event.delivery!);
  }

  /**
   * A consumer settled a delivery (after its outcome, if it gave one): it no longer counts against the
   * connection's unsettled limit, and one at the limit is sent to again.
   */
  override onSettled(event: Event): void {
    const d = event.delivery!;
    if (!d.outgoing) return;
    this.outcomes.settledWithoutOutcome(d);
    if (this.unsettled.settled(d)) this.resume(d.link.connection);
  }

  /**
   * Each transfer in: a connection holding more than maxBufferedBytesPerConnection of unread messages
   * (multi-frame ones still arriving, on all its links) is cut off. Its transport fails, so none of its
   * input is read after the close; a close alone would let it send on until it read ours.
   */
  onDelivery(event: Event): void {
    const c = event.connection;
    const max = this.limits.maxBufferedBytesPerConnection;
    if (c === undefined || event.receiver === undefined || c.incomingBytes <= max) return;
    const over = overLimit('maxBufferedBytesPerConnection', max);
    c.transport?.fail(over.name, over.description ?? '');
  }
}
