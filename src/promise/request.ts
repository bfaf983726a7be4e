/**
 * Request and response over AMQP (what Proton's SyncRequestResponse does, and the server side of it).
 * The client side: one dynamic receiver per connection is the reply queue; each request gets a fresh
 * correlation id and waits for the response that carries it. The server side: a receiver on the
 * service address hands each request to a function and sends what it returns to the request's
 * `replyTo`, with the request's correlation id (or, without one, its message id).
 */
import { InvalidOptionError } from '../errors.js';
import { Message } from '../message/message.js';
import type { PromiseConnection } from './connection.js';
import { PromiseReceiver, type ReceivedDelivery, type ReceiverOpenOptions } from './receiver.js';
import type { PromiseSender } from './sender.js';
import type { Settle, WaitOptions } from './wait.js';

/**
 * Options of `connection.request()`: the time limit covers the whole exchange. Proton:
 * `SyncRequestResponse.call()` waits with the connection's `timeout`.
 */
export type RequestOptions = WaitOptions;

/**
 * Answers one request: a `Message`, or the body of one. proton-ts only: in Proton, a `MessagingHandler`'s
 * `on_message` that sends the reply itself (as the `server.py` example does).
 */
export type RequestHandler = (request: Message, delivery: ReceivedDelivery) => unknown;

/** The time left before `deadline` as a wait's options. */
function remaining(options: WaitOptions, deadline: number | undefined): WaitOptions {
  if (deadline === undefined) return options;
  return { ...options, timeout: Math.max(1, deadline - Date.now()) };
}

function deadlineOf(options: WaitOptions): number | undefined {
  const t = options.timeout;
  return t !== undefined && t > 0 && Number.isFinite(t) ? Date.now() + t : undefined;
}

/** Senders to addresses, opened once each and shared. */
class SenderCache {
  private readonly senders = new Map<string, Promise<PromiseSender>>();
  constructor(private readonly connection: PromiseConnection) {}

  get(address: string, options: WaitOptions): Promise<PromiseSender> {
    let s = this.senders.get(address);
    if (s === undefined || !this.connection.isOpen) {
      s = this.connection.openSender(address, { signal: options.signal, timeout: options.timeout });
      this.senders.set(address, s);
      s.catch(() => this.senders.delete(address));
    }
    return s.then((sender) => {
      if (sender.isOpen) return sender;
      this.senders.delete(address);
      return this.get(address, options);
    });
  }

  async close(): Promise<void> {
    const all = [...this.senders.values()];
    this.senders.clear();
    for (const s of all) await s.then((sender) => sender.close()).catch(() => {});
  }
}

/**
 * The client side: the connection's reply queue and the requests waiting for their response. Proton:
 * `SyncRequestResponse`, without blocking and with many requests in flight.
 */
export class Requester {
  private readonly pending = new Map<string, Settle<Message>>();
  private readonly senders: SenderCache;
  private next = 0;

  private constructor(
    connection: PromiseConnection,
    /**
     * The dynamic receiver (AMQP `source.dynamic`) whose address is the `replyTo` of every request. Proton:
     * `SyncRequestResponse.receiver`.
     */
    readonly receiver: PromiseReceiver,
  ) {
    this.senders = new SenderCache(connection);
    receiver.consumer = (d) => this.response(d);
  }

  /**
   * Opens the reply queue: a dynamic receiver with 10 credit. Proton: what `SyncRequestResponse()` does
   * with `create_receiver(None, dynamic=True, credit=1)`.
   */
  static async open(connection: PromiseConnection, options: WaitOptions): Promise<Requester> {
    const r = new PromiseReceiver(connection, undefined, { dynamic: true, credit: 10 });
    const requester = new Requester(connection, r);
    await r.waitOpen(options);
    return requester;
  }

  /**
   * The reply-to address of the requests (AMQP `properties.reply-to`). Proton:
   * `SyncRequestResponse.reply_to`.
   */
  get replyTo(): string | undefined {
    return this.receiver.address;
  }

  /**
   * Sends `request` to `address` (else its own address) and resolves with the response: the one whose
   * AMQP `properties.correlation-id` matches. Proton: `SyncRequestResponse.call(request)`.
   */
  async call(address: string | undefined, request: Message, options: WaitOptions): Promise<Message> {
    const to = address ?? request.address;
    if (to === undefined) {
      throw new InvalidOptionError('address', `request message has no address: ${String(request)}`);
    }
    const deadline = deadlineOf(options);
    const sender = await this.senders.get(to, remaining(options, deadline));
    const id = String(++this.next);
    request.replyTo = this.replyTo;
    request.correlationId = id;
    let settleResponse: Settle<Message> | undefined;
    const response = this.receiver.waits.wait<Message>(
      'Waiting for response',
      remaining(options, deadline),
      (settle) => {
        settleResponse = settle;
        this.pending.set(id, settle);
        return () => this.pending.delete(id);
      },
    );
    // The response may fail first (timeout) while the send is awaited: it is awaited below.
    response.catch(() => {});
    try {
      await sender.send(request, remaining(options, deadline));
    } catch (e) {
      settleResponse?.reject(e);
    }
    return response;
  }

  private response(d: ReceivedDelivery): void {
    const id = d.message.correlationId;
    const settle = id === undefined ? undefined : this.pending.get(String(id));
    // A late or unknown response is accepted all the same: nobody will take it.
    d.accept();
    settle?.resolve(d.message);
  }
}

/**
 * The server side: answers the requests to one address (see `connection.serve()`). proton-ts only:
 * Proton Python has no counterpart (its `server.py` example writes one on `MessagingHandler`).
 */
export class Responder {
  private readonly senders: SenderCache;
  private receiverLink: PromiseReceiver | undefined = undefined;
  /**
   * Requests answered, their response sent and the request accepted (AMQP `accepted`), for diagnostics.
   * proton-ts only. @default 0
   */
  answered = 0;
  /** Requests whose handler threw, so they were rejected (AMQP `rejected`). proton-ts only. @default 0 */
  failed = 0;

  private constructor(
    connection: PromiseConnection,
    private readonly handler: RequestHandler,
  ) {
    this.senders = new SenderCache(connection);
  }

  /**
   * Opens the receiver on `address` and resolves once it is attached (AMQP `attach`). Wraps Proton's
   * `Container.create_receiver()`.
   */
  static async open(
    connection: PromiseConnection,
    address: string,
    handler: RequestHandler,
    options: ReceiverOpenOptions,
  ): Promise<Responder> {
    const responder = new Responder(connection, handler);
    const r = new PromiseReceiver(connection, address, options);
    r.consumer = (d) => {
      void responder.answer(d);
    };
    responder.receiverLink = r;
    await r.waitOpen(options);
    return responder;
  }

  /** The receiver of the requests. Proton: the `Receiver` a server example creates on its address. */
  get receiver(): PromiseReceiver {
    return this.receiverLink!;
  }

  /**
   * Stops answering: closes the request receiver and the reply senders (AMQP `detach` with closed=true).
   * Proton: `Link.close()` on each.
   */
  async close(options: WaitOptions = {}): Promise<void> {
    await this.receiverLink?.close(options);
    await this.senders.close();
  }

  private async answer(d: ReceivedDelivery): Promise<void> {
    const request = d.message;
    try {
      if (request.replyTo === undefined)
        throw new InvalidOptionError('replyTo', 'the request has no reply-to address');
      const result = await this.handler(request, d);
      const response = result instanceof Message ? result : new Message({ body: result as never });
      response.correlationId = request.correlationId ?? request.id;
      const sender = await this.senders.get(request.replyTo, {});
      await sender.send(response);
      if (!d.settled) d.accept();
      this.answered++;
    } catch (e) {
      this.failed++;
      if (d.settled) return;
      try {
        d.reject({ name: 'amqp:internal-error', description: e instanceof Error ? e.message : String(e) });
      } catch {
        // The link went away: the broker will deliver the request again.
      }
    }
  }
}
