/**
 * A receiver of the promise API: `for await (const delivery of receiver)`, or `receive()` one at a time.
 * Credit follows consumption: the peer is granted `credit` messages up front, and more as the
 * application takes them (in batches of half the window), so messages nobody takes never pile up here
 * beyond the window. With `credit: 0`, each `receive()` that finds nothing grants one (as Proton's
 * BlockingReceiver). `drain()` asks the sender to use or give back what credit it holds.
 *
 * Nothing is accepted for the application: each delivery is settled with its `accept()`, `reject()`,
 * `release()` or `settle()`.
 */
import type { Event } from '../container/event.js';
import { type LinkOption, Selector } from '../container/link-options.js';
import type { Delivery, DeliveryStateValue } from '../engine/delivery.js';
import { State } from '../engine/endpoint.js';
import type { Receiver } from '../engine/link.js';
import { type ConditionLike, LinkDetached } from '../errors.js';
import * as acking from '../handlers/acking.js';
import type { Message } from '../message/message.js';
import type { PromiseConnection } from './connection.js';
import { PromiseLink } from './link.js';
import type { Settle, WaitOptions } from './wait.js';

/** Options of `openReceiver`. Proton: the keyword arguments of `Container.create_receiver()`. */
export interface ReceiverOpenOptions extends WaitOptions {
  /**
   * The window of credit kept granted (AMQP `flow.link-credit`); 0 grants one per `receive()` that finds
   * nothing. Proton: `BlockingConnection.create_receiver(credit=...)`, or `MessagingHandler`'s `prefetch`.
   * @default 10
   */
  credit?: number;
  /**
   * A JMS selector: only messages it matches are received (a source filter,
   * `apache.org:selector-filter:string`). Proton: the `Selector` link option. @default none
   */
  selector?: string;
  /** The link name (AMQP `attach.name`). Proton: `name`. @default `<container-id>-<address>` */
  name?: string;
  /** The target address (AMQP `target.address`). Proton: `target`. @default none */
  target?: string;
  /**
   * Ask the peer for a dynamic node (a temporary queue); its address is then `receiver.address`. AMQP:
   * `source.dynamic`; Proton: `dynamic`. @default false
   */
  dynamic?: boolean;
  /** Link options (`Copy`, `Filter`, `DurableSubscription`...). Proton: `options`. @default none */
  options?: LinkOption | readonly LinkOption[];
}

/**
 * A message received, and how to settle it. Proton: the `event.message` and `event.delivery` of
 * `on_message`, with `MessagingHandler`'s `accept()`, `reject()`, `release()` and `settle()`.
 */
export class ReceivedDelivery {
  constructor(
    /** The receiver it came on. Proton: `event.receiver`. */
    readonly receiver: PromiseReceiver,
    /** The engine delivery (AMQP `transfer`). Proton: `event.delivery`. */
    readonly delivery: Delivery,
    /** The message. Proton: `event.message`. */
    readonly message: Message,
  ) {}

  /**
   * Whether it has been settled here. proton-ts only: Proton's `Delivery.settled` means settled by the
   * peer.
   */
  get settled(): boolean {
    return this.delivery.settled;
  }

  /** Accepts the message and settles it (AMQP outcome `accepted`). Proton: `Acking.accept(delivery)`. */
  accept(): void {
    this.check();
    acking.accept(this.delivery);
  }

  /**
   * Rejects the message (with `condition` as the error) and settles it (AMQP `rejected.error`). Proton:
   * `Acking.reject(delivery)`, which sends no error.
   */
  reject(condition?: ConditionLike): void {
    this.check();
    acking.reject(this.delivery, condition);
  }

  /**
   * Releases the message for redelivery and settles it: AMQP `modified` (delivery-failed) when
   * `delivered` (the default), else `released`. Proton: `Acking.release(delivery, delivered=True)`.
   */
  release(delivered = true): void {
    this.check();
    acking.release(this.delivery, delivered);
  }

  /**
   * Settles the message, with `state` first when given (default none).
   * Proton: `Acking.settle(delivery, state)`.
   */
  settle(state?: DeliveryStateValue): void {
    this.check();
    acking.settle(this.delivery, state);
  }

  /** A delivery of a link lost to a reconnect cannot be settled: the peer will redeliver it. */
  private check(): void {
    if (!this.delivery.settled && !this.delivery.link.deliveries.has(this.delivery)) {
      throw new LinkDetached(
        `the link of this delivery (${this.delivery.link.name}) was lost: it cannot be settled, and the peer will deliver it again`,
      );
    }
  }
}

/**
 * A receiving link of the promise API, from `connection.openReceiver()`: an async iterable of
 * deliveries, or `receive()` one at a time; the application settles each (Proton: a `Receiver` with a
 * `BlockingReceiver`'s waits, without blocking the thread).
 */
export class PromiseReceiver extends PromiseLink implements AsyncIterable<ReceivedDelivery> {
  /**
   * The credit window kept granted (0: one credit per `receive()`); default 10. AMQP: `flow.link-credit`;
   * Proton: `MessagingHandler`'s `prefetch`.
   */
  readonly window: number;
  /** @internal Takes every delivery as it comes, instead of the buffer (request and response). */
  consumer: ((d: ReceivedDelivery) => void) | undefined = undefined;
  private readonly buffer: ReceivedDelivery[] = [];
  private head = 0;
  private readonly takers: Settle<ReceivedDelivery>[] = [];
  private readonly drainWaits = new Set<Settle<void>>();
  /** No top-ups after a drain, until the application asks for the next message. */
  private paused = false;

  /** @internal Use `connection.openReceiver()`. */
  constructor(connection: PromiseConnection, address: string | undefined, options: ReceiverOpenOptions) {
    const linkOptions: LinkOption[] = [];
    if (options.options !== undefined) {
      linkOptions.push(
        ...(Array.isArray(options.options) ? options.options : [options.options as LinkOption]),
      );
    }
    if (options.selector !== undefined) linkOptions.push(new Selector(options.selector));
    const link = connection.container.createReceiver(connection.connection, address, {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.target === undefined ? {} : { target: options.target }),
      ...(options.dynamic === true ? { dynamic: true } : {}),
      ...(linkOptions.length === 0 ? {} : { options: linkOptions }),
    });
    super(connection, link);
    this.window = options.credit ?? 10;
  }

  /** The engine receiver. Proton: `Receiver`, as `BlockingReceiver.link` holds it. */
  get receiver(): Receiver {
    return this.link as Receiver;
  }

  /**
   * The source address: for a dynamic receiver, the one the peer made (a reply-to address). AMQP:
   * `source.address`; Proton: `Link.remote_source.address`, else `Link.source.address`.
   */
  get address(): string | undefined {
    return this.link.remoteSource?.address ?? this.link.source.address;
  }

  /** Messages received and not yet taken. proton-ts only; Proton's nearest is `Link.queued`. */
  get buffered(): number {
    return this.buffer.length - this.head;
  }

  /** How the link is named in errors, as Proton's `LinkDetached` text: `receiver <name> from <source>`. */
  protected describe(): string {
    return `receiver ${this.name} from ${this.link.source.address ?? '(dynamic)'}`;
  }

  /**
   * Whether the peer's attach carries a source (AMQP `attach.source`); none means it refuses the link.
   * Proton: `Link.remote_source`.
   */
  protected accepted(): boolean {
    return this.link.remoteSource !== undefined;
  }

  /**
   * The next message, as soon as there is one. Proton: `BlockingReceiver.receive()`, which returns the
   * message only.
   */
  receive(options: WaitOptions = {}): Promise<ReceivedDelivery> {
    this.paused = false;
    const next = this.take();
    if (next !== undefined) return Promise.resolve(next);
    return this.waits.wait<ReceivedDelivery>(
      `Receiving on receiver ${this.name}`,
      this.defaults(options),
      (settle) => {
        this.takers.push(settle);
        this.topUp();
        return () => {
          const i = this.takers.indexOf(settle);
          if (i >= 0) this.takers.splice(i, 1);
        };
      },
    );
  }

  /**
   * The messages, as they come, until the receiver or its connection is closed here (a failure, such as
   * the peer detaching the link, is thrown). Leaving the loop leaves the link open. proton-ts only:
   * Proton's counterpart is the `on_message` callback.
   */
  messages(options: WaitOptions = {}): AsyncIterable<ReceivedDelivery> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ReceivedDelivery>> => {
          try {
            return { value: await this.receive(options), done: false };
          } catch (e) {
            if (this.closeRequested || this.connection.closeRequested)
              return { value: undefined, done: true };
            throw e;
          }
        },
        return: async (): Promise<IteratorResult<ReceivedDelivery>> => ({ value: undefined, done: true }),
      }),
    };
  }

  /**
   * `for await (const d of receiver)`: the deliveries as they come, as {@link PromiseReceiver.messages} with
   * no options. proton-ts only: Proton's counterpart is the `on_message` callback.
   */
  [Symbol.asyncIterator](): AsyncIterator<ReceivedDelivery> {
    return this.messages()[Symbol.asyncIterator]();
  }

  /** Grants `n` more credit by hand (AMQP `flow.link-credit`). Proton: `Receiver.flow(n)`. */
  flow(n: number): void {
    this.receiver.flow(n);
  }

  /**
   * Asks the sender to use up or give back the credit it holds, and resolves once it has: then every
   * message it had credit for has arrived (`buffered`). Credit is granted again on the next `receive()`.
   * AMQP: `flow.drain`; wraps Proton's `Receiver.drain()` and `Receiver.draining()`.
   */
  drain(options: WaitOptions = {}): Promise<void> {
    this.paused = true;
    return this.waits.wait<void>(`Draining receiver ${this.name}`, this.defaults(options), (settle) => {
      if (this.receiver.linkCredit === 0) {
        settle.resolve();
        return undefined;
      }
      if (!this.receiver.drain) this.receiver.drainCredit(0);
      this.drainWaits.add(settle);
      return () => this.drainWaits.delete(settle);
    });
  }

  private take(): ReceivedDelivery | undefined {
    if (this.head >= this.buffer.length) return undefined;
    const d = this.buffer[this.head]!;
    this.buffer[this.head++] = undefined as unknown as ReceivedDelivery;
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer.splice(0, this.head);
      this.head = 0;
    }
    this.topUp();
    return d;
  }

  /** Grants credit back up to the window, once half of it is used (consumption drives credit). */
  private topUp(): void {
    const r = this.receiver;
    if (this.paused || !this.isOpen) return;
    if (this.window <= 0) {
      if (this.takers.length > 0 && r.linkCredit === 0 && this.buffered === 0) r.flow(1);
      return;
    }
    // `credit` counts the deliveries the engine holds and has not handed on yet, as well as the wire's.
    const want = this.window - r.credit - this.buffered;
    if (want >= Math.max(1, Math.floor(this.window / 2))) r.flow(want);
  }

  // ------------------------------------------------------------------------------------------------
  // LinkEvents

  /** @internal */
  flowed(): void {
    if (this.drainWaits.size > 0 && !this.receiver.draining()) {
      for (const w of [...this.drainWaits]) w.resolve();
    }
    // After a reconnect the link is attached anew with no credit: grant it again.
    if (this.link.localState === State.LOCAL_ACTIVE && this.receiver.linkCredit === 0) this.topUp();
  }

  /** @internal */
  message(event: Event): void {
    const d = event.delivery;
    const m = event.message;
    if (d === undefined || m === undefined) return;
    const rd = new ReceivedDelivery(this, d, m);
    if (this.consumer !== undefined) {
      this.consumer(rd);
      this.topUp();
    } else if (this.takers.length > 0) {
      this.takers.shift()!.resolve(rd);
      this.topUp();
    } else this.buffer.push(rd);
  }

  protected failed(_error: Error): void {
    this.drainWaits.clear();
  }
}
