/**
 * The embedded broker, built only on the public API: a `MessagingHandler` that serves queues (created
 * on demand; competing consumers, round robin, credit respected), topics (every subscriber a copy: an
 * address with the topic prefix, or a terminus with the `topic` capability), dynamic nodes (temporary
 * reply queues), ANONYMOUS-RELAY (routing by the message's `to`), selectors, browsing, and redelivery
 * of what consumers release, fail or leave unsettled.
 */
import { randomUUID } from 'node:crypto';
import {
  AmqpSymbol,
  Condition,
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
  ULong,
} from '../index.js';
import { type Entry, Node } from './queue.js';
import { parseSelector, SELECTOR_FILTER, SELECTOR_FILTER_CODE } from './selector.js';

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
}

export class Broker extends MessagingHandler {
  readonly nodes = new Map<string, Node>();
  private readonly nodeOf = new WeakMap<Link, Node>();
  private readonly topicPrefix: string;
  private readonly dlq: string | undefined;
  private readonly limit: number;

  constructor(options: BrokerOptions = {}) {
    super({ prefetch: options.window ?? 100, autoAccept: false, autoSettle: true, logger: options.logger });
    this.topicPrefix = options.topicPrefix ?? 'topic://';
    this.dlq = options.deadLetterQueue;
    this.limit = options.redeliveryLimit ?? 5;
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
      return this.refuse(link, 'amqp:not-implemented', 'transactions are not supported yet');
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
  }

  override onMessage(event: Event): void {
    const delivery = event.delivery!;
    const message = event.message!;
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
    node.put(message);
    this.accept(delivery);
    node.dispatch();
  }

  override onAccepted(event: Event): void {
    this.outcome(event.delivery!, 'drop');
  }

  override onRejected(event: Event): void {
    const e = this.outcome(event.delivery!, 'drop');
    if (e !== undefined) this.deadLetter(e);
  }

  override onReleased(event: Event): void {
    const d = event.delivery!;
    const r = d.remote;
    if (r instanceof Modified) {
      this.outcome(d, r.undeliverableHere ? 'redeliver-elsewhere' : 'redeliver');
    } else if (r instanceof Released) {
      this.outcome(d, 'redeliver');
    }
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
