/**
 * Proton's blocking utilities (`proton.utils`) under their own names, on the promise API: where Python
 * blocks, these return promises, so a Proton program reads the same with `await` added. Times are in
 * milliseconds (Python's are seconds); a call's `timeout` left out means the connection's (60 s by
 * default, as Proton's), and 0 or Infinity means none. The exceptions are Proton's: `SendException`,
 * `LinkDetached`, `ConnectionClosed`, `Timeout`.
 */

import type { LinkOption } from '../container/link-options.js';
import type { ConnectOptions } from '../container/options.js';
import type { Url } from '../container/url.js';
import type { Delivery, DeliveryStateValue } from '../engine/delivery.js';
import { type ConditionLike, ProtonError, SendException } from '../errors.js';
import type { Message } from '../message/message.js';
import { connect } from './connect.js';
import type { PromiseConnection } from './connection.js';
import type { PromiseReceiver, ReceivedDelivery } from './receiver.js';
import { checkOutcome, type PromiseSender, type SendableMessage } from './sender.js';

/**
 * Options of a {@link BlockingConnection}: those of `Container.connect`, and the default time limit.
 * Proton: the keyword arguments of `BlockingConnection(url, timeout, ..., **kwargs)`.
 */
export interface BlockingConnectionOptions extends ConnectOptions {
  /**
   * The time limit of every call, in ms. Proton: `BlockingConnection(timeout=...)`, in seconds.
   * @default 60000
   */
  timeout?: number;
}

/**
 * Link options of `createSender` and `createReceiver`. Proton: their `name` and `options` keyword arguments.
 */
export interface BlockingLinkOptions {
  /** The link name (AMQP `attach.name`). @default `<container-id>-<address>`, as Proton's */
  name?: string;
  /** Link options (`AtMostOnce`, `AtLeastOnce`, `Selector`...), as Proton's `LinkOption`s. @default none */
  options?: LinkOption | readonly LinkOption[];
}

/**
 * A connection whose calls are awaited one after the other (Proton's `BlockingConnection`). It starts
 * connecting when made; the first call awaited reports a failure to connect.
 */
export class BlockingConnection {
  /** The default time limit of every call, in ms. Proton: `BlockingConnection.timeout`, in seconds. */
  readonly timeout: number;
  private readonly opening: Promise<PromiseConnection>;
  private conn: PromiseConnection | undefined = undefined;

  constructor(url?: string | Url, options: BlockingConnectionOptions = {}) {
    this.timeout = options.timeout ?? 60_000;
    this.opening = connect(url, { ...options, timeout: this.timeout });
    this.opening.then(
      (c) => {
        this.conn = c;
      },
      // Reported by the first call that awaits the connection.
      () => {},
    );
  }

  /**
   * Resolves with the promise-API connection underneath, once open. proton-ts only: Proton's constructor
   * blocks until the peer's open instead.
   */
  get opened(): Promise<PromiseConnection> {
    return this.opening;
  }

  /**
   * The promise-API connection, once open. Proton: `BlockingConnection.conn`, which there is the engine
   * connection (here `connection.connection`).
   */
  get connection(): PromiseConnection | undefined {
    return this.conn;
  }

  /** Opens a sender to `address` (Proton's `create_sender`). */
  async createSender(
    address: string | undefined,
    options: BlockingLinkOptions = {},
  ): Promise<BlockingSender> {
    const c = await this.opening;
    return new BlockingSender(await c.openSender(address, options), this.timeout);
  }

  /**
   * Opens a receiver from `address` (Proton's `create_receiver`). Without `credit`, each `receive()`
   * grants one message of credit; with it, that window is kept granted.
   */
  async createReceiver(
    address?: string,
    options: BlockingLinkOptions & { credit?: number; dynamic?: boolean } = {},
  ): Promise<BlockingReceiver> {
    const c = await this.opening;
    const r = await c.openReceiver(address, { ...options, credit: options.credit ?? 0 });
    return new BlockingReceiver(r, this.timeout);
  }

  /** Closes the connection (idempotent). Proton: `BlockingConnection.close()`. */
  async close(): Promise<void> {
    const c = await this.opening.catch(() => undefined);
    await c?.close();
  }
}

/** A sender whose `send` resolves once the message is settled (Proton's `BlockingSender`). */
export class BlockingSender {
  constructor(
    /** The promise-API sender underneath. Proton: `BlockingSender.link`, there the engine link. */
    readonly link: PromiseSender,
    private readonly timeout: number,
  ) {}

  /**
   * Sends `msg` and resolves with its delivery once the receiver has settled it; rejects with
   * `SendException` when its outcome is one of `errorStates` ('rejected' and 'released' by default, as
   * Proton's; 'modified' may be added).
   */
  async send(
    msg: SendableMessage,
    options: { timeout?: number; errorStates?: readonly string[] } = {},
  ): Promise<Delivery> {
    const d = await this.link.transmit(msg, { timeout: options.timeout ?? this.timeout });
    try {
      checkOutcome(d, `sender ${this.link.name}`);
    } catch (e) {
      const states = options.errorStates ?? ['rejected', 'released'];
      if (e instanceof SendException && states.includes(e.outcome)) throw e;
    }
    return d;
  }

  /**
   * Closes the link (a detach with closed=true) and resolves once the peer has answered (Proton: `close`).
   */
  close(): Promise<void> {
    return this.link.close({ timeout: this.timeout });
  }
}

/** A receiver whose `receive` resolves with the next message (Proton's `BlockingReceiver`). */
export class BlockingReceiver {
  private readonly unsettled: ReceivedDelivery[] = [];

  constructor(
    /** The promise-API receiver underneath. Proton: `BlockingReceiver.link`, there the engine link. */
    readonly link: PromiseReceiver,
    private readonly timeout: number,
  ) {}

  /**
   * The next message; rejects with `Timeout` after `timeout` ms (the connection's by default). Proton:
   * `BlockingReceiver.receive(timeout)`.
   */
  async receive(timeout?: number): Promise<Message> {
    const d = await this.link.receive({ timeout: timeout ?? this.timeout });
    this.unsettled.push(d);
    return d.message;
  }

  /**
   * Accepts the oldest message received and not yet settled (AMQP outcome `accepted`). Proton:
   * `BlockingReceiver.accept()`.
   */
  accept(): void {
    this.oldest().accept();
  }

  /**
   * Rejects the oldest message received and not yet settled (AMQP outcome `rejected`, with `condition` as its
   * error). Proton: `BlockingReceiver.reject()`, which takes no condition.
   */
  reject(condition?: ConditionLike): void {
    this.oldest().reject(condition);
  }

  /**
   * Releases the oldest message received and not yet settled: AMQP `modified` (delivery-failed) when
   * `delivered` (the default), else `released`. Proton: `BlockingReceiver.release(delivered=True)`.
   */
  release(delivered = true): void {
    this.oldest().release(delivered);
  }

  /**
   * Settles the oldest message received and not yet settled, with `state` when given (default none). Proton:
   * `BlockingReceiver.settle(state=None)`.
   */
  settle(state?: DeliveryStateValue): void {
    this.oldest().settle(state);
  }

  /**
   * Closes the link (a detach with closed=true) and resolves once the peer has answered (Proton: `close`).
   */
  close(): Promise<void> {
    return this.link.close({ timeout: this.timeout });
  }

  private oldest(): ReceivedDelivery {
    const d = this.unsettled.shift();
    if (d === undefined)
      throw new ProtonError('no message received and not settled', { condition: 'amqp:illegal-state' });
    return d;
  }
}

/**
 * The client side of request and response (Proton's `SyncRequestResponse`): `call(request)` sends to
 * `address` (else the request's own) with a dynamic reply queue and a correlation id, and resolves with
 * the response.
 */
export class SyncRequestResponse {
  constructor(
    /** The connection requests and the reply receiver go over. Proton: `SyncRequestResponse.connection`. */
    readonly connection: BlockingConnection,
    /**
     * Where requests go; without it, each request's own `address` (Proton: `SyncRequestResponse.address`).
     */
    readonly address?: string,
  ) {}

  /**
   * Sends `request` and resolves with its response (rejects with `Timeout` after `timeout` ms, the
   * connection's by default). Proton: `SyncRequestResponse.call(request)`.
   */
  async call(request: Message, timeout?: number): Promise<Message> {
    const c = await this.connection.opened;
    return c.request(this.address, request, { timeout: timeout ?? this.connection.timeout });
  }
}
