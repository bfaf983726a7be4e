/**
 * A connection of the promise API: an engine `Connection` made by a `Container` of its own, run on
 * Node's event loop, whose events settle the promises of the calls made on it. Every call takes an
 * AbortSignal and a timeout (the connection's `timeout` by default) and undoes what it started when
 * called off. When the connection is closed or lost for good, everything waiting on it rejects with
 * `ConnectionClosed` (a send already on the wire with `DeliveryInDoubt`).
 */
import { Container } from '../container/container.js';
import type { Event } from '../container/event.js';
import type { ConnectOptions } from '../container/options.js';
import type { Url } from '../container/url.js';
import type { Condition } from '../engine/condition.js';
import type { Connection } from '../engine/connection.js';
import { State } from '../engine/endpoint.js';
import { ConnectionClosed } from '../errors.js';
import type { Message } from '../message/message.js';
import { type ConnectionEvents, PromiseConnectionHandler } from './connection-handler.js';
import type { PromiseLink } from './link.js';
import { PromiseReceiver, type ReceiverOpenOptions } from './receiver.js';
import { Requester, type RequestHandler, type RequestOptions, Responder } from './request.js';
import { PromiseSender, type SenderOpenOptions } from './sender.js';
import { runTransaction, type TransactionBody, type TransactionContext } from './transaction.js';
import type { Settle, WaitOptions } from './wait.js';
import { withDefaults } from './wait.js';
import { Waits } from './waits.js';

/**
 * Options of {@link connect}: those of `Container.connect` (Proton: its keyword arguments), and the wait's.
 */
export interface PromiseConnectOptions extends ConnectOptions, WaitOptions {
  /**
   * The time limit of the connect itself, and the default of every later call on the connection that
   * takes one. Proton: `BlockingConnection(timeout=...)`, in seconds there. @default none
   */
  timeout?: number | undefined;
}

/**
 * A connection of the promise API, from `connect()`: open senders and receivers, send, receive,
 * request and serve with `await`. Its own container runs it on Node's event loop. Proton Python has no
 * promise API; its nearest is `BlockingConnection` (also here, built on this).
 */
export class PromiseConnection implements ConnectionEvents {
  /** The container that runs this connection (its own). Proton: `BlockingConnection.container`. */
  readonly container: Container;
  /** The engine connection. Proton: `BlockingConnection.conn`. */
  readonly connection: Connection;
  /**
   * The default time limit of every call, in ms; undefined (the default) for none. Proton:
   * `BlockingConnection.timeout`, in seconds.
   */
  readonly timeout: number | undefined;
  /** @internal The waits under way on the connection. */
  readonly waits = new Waits();
  /**
   * The condition of the last transport failure, if any (a refused socket, a failed SASL...). Proton:
   * `Transport.condition`, as `BlockingConnection.disconnected` keeps it.
   */
  transportCondition: Condition | undefined = undefined;
  /** @internal The links opened on this connection and not yet closed. */
  readonly links = new Set<PromiseLink>();

  private readonly openWaits = new Set<Settle<void>>();
  private readonly closeWaits = new Set<Settle<void>>();
  private readonly running: Promise<void>;
  private readonly reconnects: boolean;
  private closedBothWays = false;
  /** @internal Set once the application asked to close the connection. */
  closeRequested = false;
  private requester: Promise<Requester> | undefined = undefined;

  /** @internal Use {@link connect}. */
  constructor(url: string | Url | undefined, options: PromiseConnectOptions) {
    const { signal: _signal, timeout, ...connectOptions } = options;
    this.timeout = timeout;
    // As Proton's BlockingConnection: one URL and no reconnect asked for means no reconnect.
    this.reconnects =
      options.reconnect !== undefined ? options.reconnect !== false : (options.urls?.length ?? 0) > 0;
    this.container = new Container(
      options.containerId === undefined ? {} : { containerId: options.containerId },
    );
    const handler = new PromiseConnectionHandler(this);
    this.connection = this.container.connect(url ?? {}, {
      ...connectOptions,
      reconnect: this.reconnects ? connectOptions.reconnect : false,
      handler,
    });
    this.running = this.container.run().then(
      () => this.fail(this.lostError('the container stopped')),
      (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** @internal Waits for the peer's open; on failure or abort, stops everything it started. */
  async open(options: WaitOptions): Promise<this> {
    try {
      await this.waits.wait<void>('Opening connection', withDefaults(options, this.timeout), (settle) => {
        if (this.connection.remoteState === State.REMOTE_ACTIVE) settle.resolve();
        else this.openWaits.add(settle);
        return () => this.openWaits.delete(settle);
      });
      return this;
    } catch (e) {
      this.container.stop();
      await this.running;
      throw e;
    }
  }

  /**
   * Whether the connection is open here and not failed. proton-ts only; Proton's nearest: `Connection.state`
   * has `LOCAL_ACTIVE`.
   */
  get isOpen(): boolean {
    return this.waits.failure === undefined && this.connection.localState === State.LOCAL_ACTIVE;
  }

  /**
   * Opens a sender to `address` and resolves once the peer has attached it (AMQP `attach`). Wraps Proton's
   * `Container.create_sender()` and waits as `BlockingConnection.create_sender()` does.
   */
  async openSender(address: string | undefined, options: SenderOpenOptions = {}): Promise<PromiseSender> {
    const s = new PromiseSender(this, address, options);
    await s.waitOpen(options);
    return s;
  }

  /**
   * Opens a receiver from `address` (undefined with `dynamic`) and resolves once the peer has attached it
   * (AMQP `attach`). Wraps Proton's `Container.create_receiver()`, waiting as
   * `BlockingConnection.create_receiver()` does.
   */
  async openReceiver(
    address: string | undefined,
    options: ReceiverOpenOptions = {},
  ): Promise<PromiseReceiver> {
    const r = new PromiseReceiver(this, address, options);
    await r.waitOpen(options);
    return r;
  }

  /**
   * Sends `request` to `address` with `replyTo` the connection's dynamic reply queue and a fresh
   * `correlationId` (both set on `request`), and resolves with the response carrying that id. Proton:
   * `SyncRequestResponse.call()`, with one shared reply queue per connection.
   */
  async request(
    address: string | undefined,
    request: Message,
    options: RequestOptions = {},
  ): Promise<Message> {
    const o = withDefaults(options, this.timeout);
    if (this.requester === undefined) {
      const r = Requester.open(this, o);
      this.requester = r;
      r.catch(() => {
        if (this.requester === r) this.requester = undefined;
      });
    }
    const requester = await this.requester;
    return requester.call(address, request, o);
  }

  /**
   * Answers the requests that come to `address`: each goes to `handler`, whose result (a `Message`, or
   * a body) goes to the request's `replyTo` with its correlation id (else its id); then the request is
   * accepted. A handler that throws has the request rejected. Resolves once listening. proton-ts only:
   * Proton Python has no server-side counterpart (its examples write one on `MessagingHandler`).
   */
  serve(address: string, handler: RequestHandler, options: ReceiverOpenOptions = {}): Promise<Responder> {
    return Responder.open(this, address, handler, options);
  }

  /**
   * Runs `body` in a transaction: declared first, committed when `body` resolves, aborted when it
   * throws (and the error rethrown). Resolves with what `body` resolved with. Wraps Proton's
   * `Container.declare_transaction()` and `Transaction.commit()` / `abort()` (AMQP `declare`, `discharge`).
   */
  transaction<T>(body: TransactionBody<T>, options: WaitOptions = {}): Promise<T> {
    return runTransaction(this as TransactionContext, body, withDefaults(options, this.timeout));
  }

  /**
   * Closes the connection and resolves once the peer has closed it too and the container has stopped.
   * When called off (signal or timeout), the socket is dropped at once and the promise rejects. Proton:
   * `BlockingConnection.close()` (AMQP `close`).
   */
  async close(options: WaitOptions = {}): Promise<void> {
    this.closeRequested = true;
    if (!this.closedBothWays && this.connection.localState !== State.LOCAL_CLOSED) this.connection.close();
    try {
      await this.waitClosed(options);
    } catch (e) {
      this.container.stop();
      await this.running;
      throw e;
    }
    await this.running;
  }

  private waitClosed(options: WaitOptions): Promise<void> {
    if (this.closedBothWays || this.waits.failure !== undefined) return Promise.resolve();
    return this.waits
      .wait<void>('Closing connection', withDefaults(options, this.timeout), (settle) => {
        this.closeWaits.add(settle);
        return () => this.closeWaits.delete(settle);
      })
      .catch((e: unknown) => {
        // Lost or stopped while closing: closed all the same.
        if (e instanceof ConnectionClosed) return;
        throw e;
      });
  }

  /** @internal Every wait on the connection fails with `error`; the links are told. */
  fail(error: Error): void {
    if (this.waits.failure !== undefined) return;
    this.waits.fail(error);
    for (const l of [...this.links]) l.connectionFailed(error);
  }

  /** @internal The error for a connection gone: `why`, and the transport's condition if there was one. */
  lostError(why: string): ConnectionClosed {
    const c = this.connection.remoteCondition ?? this.transportCondition;
    const host = this.container.urlOf(this.connection)?.toString() ?? this.connection.hostname ?? '';
    const due = c === undefined ? '' : ` due to: ${c.name}${c.description ? ` (${c.description})` : ''}`;
    return new ConnectionClosed(`Connection ${host} ${why}${due}`, {
      ...(c === undefined ? {} : { condition: c.name, info: c.info }),
    });
  }

  // ------------------------------------------------------------------------------------------------
  // What the handler tells (ConnectionEvents)

  /** @internal */
  opened(): void {
    for (const s of [...this.openWaits]) s.resolve();
  }

  /** @internal The peer closed the connection: nothing more can complete. */
  remoteClosed(): void {
    this.fail(this.lostError('closed by peer'));
  }

  /** @internal */
  closed(): void {
    this.closedBothWays = true;
    for (const s of [...this.closeWaits]) s.resolve();
    this.fail(this.lostError('closed'));
  }

  /** @internal The socket is gone: with reconnect on, the links deal with their in-doubt sends. */
  disconnected(event: Event): void {
    if (this.reconnects && this.connection.localState === State.LOCAL_ACTIVE) {
      for (const l of [...this.links]) l.disconnected(event);
      return;
    }
    this.fail(this.lostError('disconnected'));
  }

  /** @internal */
  transportError(event: Event): void {
    this.transportCondition = event.transport?.condition;
    if (!this.reconnects) this.fail(this.lostError('disconnected'));
  }
}
