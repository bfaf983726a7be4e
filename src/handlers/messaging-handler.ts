/**
 * `MessagingHandler`: the handler applications extend. It turns the engine's events into the
 * callbacks of messaging (`onStart`, `onMessage`, `onSendable`, `onAccepted`, `onLinkOpened`...), gives
 * credit, answers the peer's opens and closes, and accepts and settles messages, each per its options.
 */
import { quietUnhandled } from '../container/dispatch.js';
import type { Event } from '../container/event.js';
import type { Delivery, DeliveryStateValue } from '../engine/delivery.js';
import type { ConditionLike } from '../errors.js';
import { type Logger, NULL_LOGGER } from '../util/logger.js';
import * as acking from './acking.js';
import { EndpointStateHandler } from './endpoint-state-handler.js';
import { FlowController } from './flow-controller.js';
import { Handler } from './handler.js';
import { IncomingMessageHandler } from './incoming-message-handler.js';
import { checkOptions } from './options.js';
import { OutgoingMessageHandler } from './outgoing-message-handler.js';

/**
 * Options of a {@link MessagingHandler}: Proton's `MessagingHandler(prefetch, auto_accept, ...)` arguments.
 */
export interface MessagingHandlerOptions {
  /**
   * The credit kept on each receiving link (the prefetch); 0 to give credit by hand. Proton: `prefetch`.
   * @default 10
   */
  prefetch?: number;
  /** Accept and settle each message once `onMessage` returns. Proton: `auto_accept`. @default true */
  autoAccept?: boolean;
  /** Settle each sent message here once the receiver has settled it. Proton: `auto_settle`. @default true */
  autoSettle?: boolean;
  /**
   * Report a peer's close without a condition through `on*Error`, not `on*Closing`. Proton:
   * `peer_close_is_error`.
   * @default false
   */
  peerCloseIsError?: boolean;
  /**
   * Where the default callbacks log errors. proton-ts only: Proton Python logs to the `proton` logger.
   * @default no logging
   */
  logger?: Logger;
}

const OPTION_KINDS = {
  prefetch: 'count',
  autoAccept: 'boolean',
  autoSettle: 'boolean',
  peerCloseIsError: 'boolean',
  logger: 'logger',
} as const;

/**
 * Define the callbacks you need in a subclass: each receives the {@link Event}, with the connection,
 * session, link, delivery (and for `onMessage`, the message) it concerns. The callbacks run before
 * the built-in children (flow control, endpoint state, incoming and outgoing messages) handle the
 * same engine event; `onUnhandled(name, event)` receives every engine event this class has no method
 * for (`onLinkFlow`, `onDelivery`...).
 *
 * The defaults do nothing but: `onReactorInit` calls `onStart`; `onTransportError` logs and, for a
 * condition in `fatalConditions`, closes the connection (which also stops reconnecting);
 * `onConnectionError` logs; `onSessionError` and `onLinkError` log and close the connection.
 *
 * Proton: `proton.handlers.MessagingHandler`.
 */
export class MessagingHandler extends Handler {
  /**
   * Transport conditions after which the connection is closed: no point trying again. Proton:
   * `MessagingHandler.fatal_conditions`.
   * @default ['amqp:unauthorized-access']
   */
  fatalConditions: string[] = ['amqp:unauthorized-access'];
  /**
   * The credit kept on each receiving link; 0 when credit is given by hand (Proton: `prefetch`).
   * @default 10
   */
  readonly prefetch: number;
  /**
   * Whether a message is accepted when `onMessage` returns without throwing (Proton: `auto_accept`).
   * @default true
   */
  readonly autoAccept: boolean;
  /**
   * Whether a sent delivery is settled once the peer's outcome arrives (Proton: `auto_settle`).
   * @default true
   */
  readonly autoSettle: boolean;
  /**
   * Whether a peer's close without a condition is reported as an error (Proton: `peer_close_is_error`).
   * @default false
   */
  readonly peerCloseIsError: boolean;
  /**
   * Where the default error callbacks log. proton-ts only: Proton Python logs to the `proton` logger.
   * @default no logging
   */
  readonly logger: Logger;

  constructor(options: MessagingHandlerOptions = {}) {
    super();
    checkOptions('MessagingHandler', options, OPTION_KINDS);
    this.prefetch = options.prefetch ?? 10;
    this.autoAccept = options.autoAccept ?? true;
    this.autoSettle = options.autoSettle ?? true;
    this.peerCloseIsError = options.peerCloseIsError ?? false;
    this.logger = options.logger ?? NULL_LOGGER;
    this.handlers.push(
      new EndpointStateHandler({
        peerCloseIsError: this.peerCloseIsError,
        delegate: this,
        logger: this.logger,
      }),
      new IncomingMessageHandler({ autoAccept: this.autoAccept, delegate: this, logger: this.logger }),
      new OutgoingMessageHandler({ autoSettle: this.autoSettle, delegate: this }),
    );
    // After the incoming handler, so a delivery's credit is granted again once onMessage has read it.
    // Proton puts its flow controller first and so tops up only on the link's next event: with
    // prefetch 1 there is none, and the link stalls after its first message (0.37 does).
    if (this.prefetch > 0) this.handlers.push(new FlowController(this.prefetch));
  }

  // Acking ----------------------------------------------------------------------------------------

  /** Accepts a received message and settles it. Proton: `MessagingHandler.accept`; AMQP: `accepted`. */
  accept(delivery: Delivery): void {
    acking.accept(delivery);
  }

  /**
   * Rejects a received message as invalid or unprocessable (with `condition` as the error) and settles it.
   * Proton: `MessagingHandler.reject` (no condition there); AMQP: `rejected`.
   */
  reject(delivery: Delivery, condition?: ConditionLike): void {
    acking.reject(delivery, condition);
  }

  /**
   * Releases a received message for redelivery and settles it: modified with delivery-failed (a delivery
   * attempt) when `delivered`, else released.
   * Proton: `MessagingHandler.release`.
   */
  release(delivery: Delivery, delivered = true): void {
    acking.release(delivery, delivered);
  }

  /** Settles a delivery, first setting `state` when one is given. Proton: `MessagingHandler.settle`. */
  settle(delivery: Delivery, state?: DeliveryStateValue): void {
    acking.settle(delivery, state);
  }

  // Engine events handled here ------------------------------------------------------------------

  /** The container started: calls {@link onStart}. Proton: `on_reactor_init`. */
  onReactorInit(event: Event): void {
    this.onStart(event);
  }

  /**
   * The transport failed (authentication, socket, protocol): logs; closes the connection when fatal. Proton:
   * `on_transport_error`.
   */
  onTransportError(event: Event): void {
    const c = event.transport?.condition;
    if (c === undefined) {
      this.logger.error('Unspecified transport error');
      return;
    }
    const info = c.info === undefined ? '' : `: ${formatInfo(c.info)}`;
    this.logger.error(`${c.name}: ${c.description ?? ''}${info}`);
    if (this.fatalConditions.includes(c.name)) event.connection?.close();
  }

  // Callbacks ---------------------------------------------------------------------------------------

  /** The container started (after `reactor_init`). Proton: `on_start`. */
  onStart(_event: Event): void {}
  /**
   * The peer opened a connection not opened here (its `open` came); it is opened after this returns.
   * Proton: `on_connection_opening`.
   */
  onConnectionOpening(_event: Event): void {}
  /** The connection is open both ways (both `open` frames). Proton: `on_connection_opened`. */
  onConnectionOpened(_event: Event): void {}
  /**
   * The peer closed the connection first (its `close` came, without an error); it is closed here after this
   * returns. Proton: `on_connection_closing`.
   */
  onConnectionClosing(_event: Event): void {}
  /** The connection is closed both ways (both `close` frames). Proton: `on_connection_closed`. */
  onConnectionClosed(_event: Event): void {}
  /**
   * The peer closed the connection with an error condition (`event.connection.remoteCondition`, AMQP:
   * `close.error`): logs. Proton: `on_connection_error`.
   */
  onConnectionError(event: Event): void {
    if (event.connection !== undefined)
      EndpointStateHandler.printError(event.connection, 'connection', this.logger);
  }
  /**
   * The peer began a session not begun here (its `begin` came); it is begun after this returns. Proton:
   * `on_session_opening`.
   */
  onSessionOpening(_event: Event): void {}
  /** The session is open both ways (both `begin` frames). Proton: `on_session_opened`. */
  onSessionOpened(_event: Event): void {}
  /**
   * The peer ended the session first (its `end` came, without an error); it is ended here after this
   * returns. Proton: `on_session_closing`.
   */
  onSessionClosing(_event: Event): void {}
  /** The session is closed both ways (both `end` frames). Proton: `on_session_closed`. */
  onSessionClosed(_event: Event): void {}
  /**
   * The peer ended the session with an error condition (AMQP: `end.error`): logs and closes the connection.
   * Proton: `on_session_error`.
   */
  onSessionError(event: Event): void {
    if (event.session !== undefined) EndpointStateHandler.printError(event.session, 'session', this.logger);
    event.connection?.close();
  }
  /**
   * The peer attached a link not attached here (its `attach` came); it is attached after this returns (set
   * its termini here). Proton: `on_link_opening`.
   */
  onLinkOpening(_event: Event): void {}
  /** The link is open both ways (both `attach` frames). Proton: `on_link_opened`. */
  onLinkOpened(_event: Event): void {}
  /**
   * The peer closed the link first (its `detach` with `closed` true came, without an error); it is closed
   * here after this returns. Proton: `on_link_closing`.
   */
  onLinkClosing(_event: Event): void {}
  /** The link is closed both ways (both `detach` frames). Proton: `on_link_closed`. */
  onLinkClosed(_event: Event): void {}
  /**
   * The peer closed the link with an error condition (AMQP: `detach.error`, such as
   * `amqp:link:detach-forced`): logs and closes the connection. Proton: `on_link_error`.
   */
  onLinkError(event: Event): void {
    if (event.link !== undefined) EndpointStateHandler.printError(event.link, 'link', this.logger);
    event.connection?.close();
  }
  /** The transport lost the peer while the connection was open here. Proton: `on_disconnected`. */
  onDisconnected(_event: Event): void {}
  /**
   * A sender has credit and may send (`event.sender`; AMQP: `flow.link-credit` from the receiver). Proton:
   * `on_sendable`.
   */
  onSendable(_event: Event): void {}
  /**
   * A message arrived whole (`event.message`, `event.delivery`; AMQP: its last `transfer`). Proton:
   * `on_message`.
   */
  onMessage(_event: Event): void {}
  /** The receiver accepted a message sent (AMQP: a `disposition` with `accepted`). Proton: `on_accepted`. */
  onAccepted(_event: Event): void {}
  /** The receiver rejected a message sent (AMQP: a `disposition` with `rejected`). Proton: `on_rejected`. */
  onRejected(_event: Event): void {}
  /**
   * The receiver released a message sent (AMQP: a `disposition` with the `released` or the `modified`
   * outcome). Proton: `on_released`.
   */
  onReleased(_event: Event): void {}
  /**
   * The peer settled a delivery: sent (it will never be sent again) or received (AMQP: a `disposition` with
   * `settled` true). Proton: `on_settled`.
   */
  onSettled(_event: Event): void {}
  /**
   * The sender aborted a delivery being received (AMQP: a `transfer` with `aborted` true); it is settled
   * after this returns. Proton: `on_aborted`.
   */
  onAborted(_event: Event): void {}
  /**
   * An event this handler has no method for (`name` is the method's, as `onLinkFlow`). Proton:
   * `on_unhandled`.
   */
  override onUnhandled(_name: string, _event: Event): void {}
}

quietUnhandled(MessagingHandler.prototype.onUnhandled);

/** A condition's info for a log line: `{key=value, ...}` for a map. */
function formatInfo(info: unknown): string {
  if (info instanceof Map) {
    return `{${[...info].map(([k, v]) => `${String(k)}=${String(v)}`).join(', ')}}`;
  }
  return String(info);
}
