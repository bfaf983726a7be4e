/**
 * `MessagingHandler`: the handler applications extend. It turns the engine's events into the
 * callbacks of messaging (`onStart`, `onMessage`, `onSendable`, `onAccepted`, `onLinkOpened`...), gives
 * credit, answers the peer's opens and closes, and accepts and settles messages, each per its options.
 */
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

/** Options of a {@link MessagingHandler}. */
export interface MessagingHandlerOptions {
  /** The credit kept on each receiving link (the prefetch); 0 to give credit by hand. @default 10 */
  prefetch?: number;
  /** Accept and settle each message once `onMessage` returns. @default true */
  autoAccept?: boolean;
  /** Settle each sent message here once the receiver has settled it. @default true */
  autoSettle?: boolean;
  /** Report a peer's close without a condition through `on*Error`, not `on*Closing`. @default false */
  peerCloseIsError?: boolean;
  /** Where the default callbacks log errors. @default no logging */
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
 */
export class MessagingHandler extends Handler {
  /** Transport conditions after which the connection is closed: no point trying again. */
  fatalConditions: string[] = ['amqp:unauthorized-access'];
  readonly prefetch: number;
  readonly autoAccept: boolean;
  readonly autoSettle: boolean;
  readonly peerCloseIsError: boolean;
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

  /** Accepts a received message and settles it. */
  accept(delivery: Delivery): void {
    acking.accept(delivery);
  }

  /** Rejects a received message as invalid or unprocessable (with `condition` as the error) and settles it. */
  reject(delivery: Delivery, condition?: ConditionLike): void {
    acking.reject(delivery, condition);
  }

  /**
   * Releases a received message for redelivery and settles it: modified with delivery-failed (a delivery
   * attempt) when `delivered`, else released.
   */
  release(delivery: Delivery, delivered = true): void {
    acking.release(delivery, delivered);
  }

  /** Settles a delivery, first setting `state` when one is given. */
  settle(delivery: Delivery, state?: DeliveryStateValue): void {
    acking.settle(delivery, state);
  }

  // Engine events handled here ------------------------------------------------------------------

  /** The container started: calls {@link onStart}. */
  onReactorInit(event: Event): void {
    this.onStart(event);
  }

  /** The transport failed (authentication, socket, protocol): logs; closes the connection when fatal. */
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

  /** The container started (after `reactor_init`). */
  onStart(_event: Event): void {}
  /** The peer opened a connection not opened here; it is opened after this returns. */
  onConnectionOpening(_event: Event): void {}
  /** The connection is open both ways. */
  onConnectionOpened(_event: Event): void {}
  /** The peer closed the connection first; it is closed here after this returns. */
  onConnectionClosing(_event: Event): void {}
  /** The connection is closed both ways. */
  onConnectionClosed(_event: Event): void {}
  /** The peer closed the connection with an error condition (`event.connection.remoteCondition`): logs. */
  onConnectionError(event: Event): void {
    if (event.connection !== undefined)
      EndpointStateHandler.printError(event.connection, 'connection', this.logger);
  }
  /** The peer began a session not begun here; it is begun after this returns. */
  onSessionOpening(_event: Event): void {}
  /** The session is open both ways. */
  onSessionOpened(_event: Event): void {}
  /** The peer ended the session first; it is ended here after this returns. */
  onSessionClosing(_event: Event): void {}
  /** The session is closed both ways. */
  onSessionClosed(_event: Event): void {}
  /** The peer ended the session with an error condition: logs and closes the connection. */
  onSessionError(event: Event): void {
    if (event.session !== undefined) EndpointStateHandler.printError(event.session, 'session', this.logger);
    event.connection?.close();
  }
  /** The peer attached a link not attached here; it is attached after this returns (set its termini here). */
  onLinkOpening(_event: Event): void {}
  /** The link is open both ways. */
  onLinkOpened(_event: Event): void {}
  /** The peer closed the link first; it is closed here after this returns. */
  onLinkClosing(_event: Event): void {}
  /** The link is closed both ways. */
  onLinkClosed(_event: Event): void {}
  /** The peer closed the link with an error condition: logs and closes the connection. */
  onLinkError(event: Event): void {
    if (event.link !== undefined) EndpointStateHandler.printError(event.link, 'link', this.logger);
    event.connection?.close();
  }
  /** The transport lost the peer while the connection was open here. */
  onDisconnected(_event: Event): void {}
  /** A sender has credit and may send (`event.sender`). */
  onSendable(_event: Event): void {}
  /** A message arrived whole (`event.message`, `event.delivery`). */
  onMessage(_event: Event): void {}
  /** The receiver accepted a message sent. */
  onAccepted(_event: Event): void {}
  /** The receiver rejected a message sent. */
  onRejected(_event: Event): void {}
  /** The receiver released a message sent (the released or the modified outcome). */
  onReleased(_event: Event): void {}
  /** The peer settled a delivery: sent (it will never be sent again) or received. */
  onSettled(_event: Event): void {}
  /** The sender aborted a delivery being received; it is settled after this returns. */
  onAborted(_event: Event): void {}
  /** An event this handler has no method for (`name` is the method's, as `onLinkFlow`). */
  override onUnhandled(_name: string, _event: Event): void {}
}

/** A condition's info for a log line: `{key=value, ...}` for a map. */
function formatInfo(info: unknown): string {
  if (info instanceof Map) {
    return `{${[...info].map(([k, v]) => `${String(k)}=${String(v)}`).join(', ')}}`;
  }
  return String(info);
}
