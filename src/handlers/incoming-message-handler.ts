/**
 * `IncomingMessageHandler`: reads each message as it arrives whole, and calls `onMessage`; accepts it
 * after, when asked to; reports aborted deliveries and the sender's late settlement.
 */
import { Released } from '../codec/composite-types.js';
import type { Event } from '../container/event.js';
import type { Delivery } from '../engine/delivery.js';
import { State } from '../engine/endpoint.js';
import type { Receiver } from '../engine/link.js';
import { type ConditionLike, DecodeError, Reject, Release } from '../errors.js';
import { Message } from '../message/message.js';
import { type Logger, NULL_LOGGER } from '../util/logger.js';
import * as acking from './acking.js';
import { raise } from './delegate.js';
import { Handler } from './handler.js';
import { checkOptions } from './options.js';

/**
 * Options of an {@link IncomingMessageHandler} (Proton: the `IncomingMessageHandler(auto_accept, delegate)`
 * constructor arguments).
 */
export interface IncomingMessageHandlerOptions {
  /**
   * Accept and settle each message once `onMessage` returns (Proton: `auto_accept`; AMQP: the `accepted`
   * outcome in a settled `disposition`).
   * @default true
   */
  autoAccept?: boolean;
  /**
   * The handler whose callbacks are called (a `MessagingHandler`) (Proton: `delegate`).
   * @default this handler
   */
  delegate?: object;
  /**
   * Where a message that cannot be decoded is reported. proton-ts only: Proton Python lets the decode error
   * escape instead.
   * @default no logging
   */
  logger?: Logger;
}

/**
 * On each `delivery` event of a receiving link:
 *
 * - aborted by the sender: `onAborted`, then the delivery is settled;
 * - arrived whole: the message is read (`event.message`) and the link advanced. On a link closed here
 *   the message is released (when auto-accepting) and `onMessage` not called. Otherwise `onMessage`,
 *   then, with `autoAccept`, accepted and settled. If `onMessage` throws {@link Reject}, the delivery is
 *   rejected (with the Reject's error) and settled; {@link Release}, modified with delivery-failed and
 *   undeliverable-here false (as Proton 0.37) and settled, whatever `autoAccept`. Any other exception
 *   propagates, the delivery left unsettled;
 * - settled by the sender after its arrival: `onSettled`.
 *
 * A message that cannot be decoded is rejected with `amqp:decode-error` and logged, and `onMessage` is
 * not called (Proton lets the decode error escape, which ends its event loop).
 */
export class IncomingMessageHandler extends Handler {
  /** Whether a message is accepted once `onMessage` returns (Proton: `auto_accept`). @default true */
  readonly autoAccept: boolean;
  /** The object whose callbacks are raised: the delegate given, else this handler (Proton: `delegate`). */
  readonly delegate: object;
  /**
   * Where problems with incoming messages are logged. proton-ts only (no Proton counterpart).
   * @default no logging
   */
  readonly logger: Logger;
  private readonly abortsSeen = new WeakSet<Delivery>();

  constructor(options: IncomingMessageHandlerOptions = {}) {
    super();
    checkOptions('IncomingMessageHandler', options, {
      autoAccept: 'boolean',
      delegate: 'object',
      logger: 'logger',
    });
    this.autoAccept = options.autoAccept ?? true;
    this.delegate = options.delegate ?? this;
    this.logger = options.logger ?? NULL_LOGGER;
  }

  /**
   * Engine event `delivery` on a receiver (AMQP: a `transfer`, or a `disposition` from the sender): once a
   * message is complete, decodes it and raises `onMessage`, then accepts or rejects it as described above;
   * raises `onSettled` when the peer settles (Proton: `on_delivery`).
   */
  onDelivery(event: Event): void {
    const d = event.delivery;
    const link = event.receiver;
    if (d === undefined || link === undefined || d.outgoing) return;
    if (d.aborted) {
      if (!this.abortsSeen.has(d)) this.aborted(event, d, link);
    } else if (!d.partial && (d.readable || link.current === d)) {
      // Arrived whole. An empty delivery has no bytes to read but is current: as in Proton, it is read
      // (an empty message), not left blocking the link.
      this.received(event, d, link);
    } else if (d.updated && d.remoteSettled) {
      d.clearUpdated();
      raise(this.delegate, 'settled', event);
    }
  }

  /**
   * Accepts a received message and settles it (Proton: `Acking.accept()`; AMQP: the `accepted` outcome in
   * a settled `disposition`).
   */
  accept(delivery: Delivery): void {
    acking.accept(delivery);
  }

  /**
   * Rejects a received message and settles it, with `condition` as the `rejected.error` when given
   * (Proton: `Acking.reject()`, which takes no condition; AMQP: the `rejected` outcome).
   */
  reject(delivery: Delivery, condition?: ConditionLike): void {
    acking.reject(delivery, condition);
  }

  /**
   * Releases a received message and settles it (Proton: `Acking.release()`; AMQP: the `modified` outcome
   * with `delivery-failed` when `delivered`, the default, else `released`).
   */
  release(delivery: Delivery, delivered = true): void {
    acking.release(delivery, delivered);
  }

  /**
   * Settles a delivery, with `state` first when given (Proton: `Acking.settle()`; AMQP: a `disposition`
   * with `settled` true).
   */
  settle(delivery: Delivery, state?: Parameters<typeof acking.settle>[1]): void {
    acking.settle(delivery, state);
  }

  private aborted(event: Event, d: Delivery, link: Receiver): void {
    this.abortsSeen.add(d);
    raise(this.delegate, 'aborted', event);
    // Proton's settle moves the link past its current delivery; ours leaves that to advance.
    if (link.current === d) link.advance();
    acking.settle(d);
  }

  private received(event: Event, d: Delivery, link: Receiver): void {
    const bytes = link.recv(d.pending) ?? new Uint8Array(0);
    link.advance();
    let message: Message;
    try {
      message = Message.decode(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.logger.error(`message on link '${link.name}' rejected: ${e.message}`);
      acking.reject(d, { name: e.condition, description: e.message });
      return;
    }
    event.message = message;
    if (link.localState === State.LOCAL_CLOSED) {
      if (this.autoAccept) acking.settle(d, new Released());
      return;
    }
    try {
      raise(this.delegate, 'message', event, message);
    } catch (e) {
      if (e instanceof Reject) return acking.settle(d, acking.rejectedOutcome(e.error));
      if (e instanceof Release) return acking.settle(d, acking.modifiedOutcome(false, false));
      throw e;
    }
    if (this.autoAccept) acking.accept(d);
  }
}
