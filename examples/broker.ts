/**
 * Port of Proton's broker.py: a very small broker written as a plain `MessagingHandler` with a map of
 * queues, to show how little a broker needs (it is not the embedded broker of `src/broker`, which does
 * much more). It listens on `-a`; each sender link a client attaches (its source) subscribes to the
 * queue of that address, made on demand, or to a fresh queue with a UUID name for a dynamic source;
 * each message that comes in is put on the queue of its link's target address (or of the message's own
 * address on an anonymous link) and handed round robin to the queue's consumers that have credit. A
 * queue goes once it has no consumers and is dynamic or empty. Prints nothing; runs until interrupted.
 *
 * As broker.py 0.37: no selectors, no browsing, no transactions; messages are auto-accepted, and what a
 * consumer has not settled when it goes is lost.
 */
import { randomUUID } from 'node:crypto';
import {
  type Connection,
  Container,
  type Event,
  type Link,
  type Message,
  MessagingHandler,
  type Sender,
  State,
} from '../src/index.js';
import { containerOf, listenOrExit, parseOptions, runContainer, str } from './options.js';

/** A queue: messages in order, and the sender links consuming from it. */
class Queue {
  private readonly messages: Message[] = [];
  private readonly consumers: Sender[] = [];

  constructor(readonly dynamic = false) {}

  subscribe(consumer: Sender): void {
    this.consumers.push(consumer);
  }

  /** Removes a consumer; true when the queue should then be deleted. */
  unsubscribe(consumer: Link): boolean {
    const i = this.consumers.indexOf(consumer as Sender);
    if (i >= 0) this.consumers.splice(i, 1);
    return this.consumers.length === 0 && (this.dynamic || this.messages.length === 0);
  }

  publish(message: Message): void {
    this.messages.push(message);
    this.dispatch();
  }

  /** Hands out messages to `consumer` (else to every consumer) while there are messages and credit. */
  dispatch(consumer?: Sender): void {
    const to = consumer !== undefined ? [consumer] : this.consumers;
    while (this.deliverTo(to)) {}
  }

  /** One round: a message to each consumer with credit; false once nothing more went out. */
  private deliverTo(consumers: readonly Sender[]): boolean {
    let result = false;
    for (const c of consumers) {
      if (c.credit > 0) {
        const m = this.messages.shift();
        if (m === undefined) return false;
        c.send(m);
        result = true;
      }
    }
    return result;
  }
}

class Broker extends MessagingHandler {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly url: string) {
    super();
  }

  override onStart(event: Event): void {
    listenOrExit(containerOf(event), this.url, () => {});
  }

  private queue(address: string): Queue {
    let q = this.queues.get(address);
    if (q === undefined) {
      q = new Queue();
      this.queues.set(address, q);
    }
    return q;
  }

  override onLinkOpening(event: Event): void {
    const link = event.link;
    if (link === undefined) return;
    if (link.isSender) {
      if (link.remoteSource?.dynamic) {
        const address = randomUUID();
        link.source.address = address;
        const q = new Queue(true);
        this.queues.set(address, q);
        q.subscribe(link as Sender);
      } else if (link.remoteSource?.address) {
        link.source.address = link.remoteSource.address;
        this.queue(link.remoteSource.address).subscribe(link as Sender);
      }
    } else if (link.remoteTarget?.address) {
      link.target.address = link.remoteTarget.address;
    }
  }

  private unsubscribe(link: Link): void {
    const address = link.source.address;
    if (address === undefined) return;
    if (this.queues.get(address)?.unsubscribe(link)) this.queues.delete(address);
  }

  override onLinkClosing(event: Event): void {
    if (event.link?.isSender) this.unsubscribe(event.link);
  }

  override onConnectionClosing(event: Event): void {
    if (event.connection !== undefined) this.removeStaleConsumers(event.connection);
  }

  override onDisconnected(event: Event): void {
    if (event.connection !== undefined) this.removeStaleConsumers(event.connection);
  }

  /** The sender links the peer still had open when its connection went. */
  private removeStaleConsumers(connection: Connection): void {
    for (const l of connection.links) {
      if ((l.state & State.REMOTE_ACTIVE) !== 0 && l.isSender) this.unsubscribe(l);
    }
  }

  override onSendable(event: Event): void {
    const sender = event.sender;
    if (sender?.source.address !== undefined) this.queue(sender.source.address).dispatch(sender);
  }

  override onMessage(event: Event): void {
    const message = event.message;
    if (message === undefined) return;
    const address = event.link?.target.address ?? message.address;
    if (address !== undefined) this.queue(address).publish(message);
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672',
      help: 'address router listens on (default %default)',
    },
  ],
});
await runContainer(new Container(new Broker(str(opts, 'address'))));
