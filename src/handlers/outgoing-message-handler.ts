/**
 * `OutgoingMessageHandler`: tells the application when a sender may send (`onSendable`) and what became
 * of each message sent (`onAccepted`, `onRejected`, `onReleased`, `onSettled`).
 */
import { Accepted, Modified, Rejected, Released, TransactionalState } from '../codec/composite-types.js';
import type { Event } from '../container/event.js';
import { State } from '../engine/endpoint.js';
import { raise } from './delegate.js';
import { Handler } from './handler.js';
import { checkOptions } from './options.js';

/**
 * Options of an {@link OutgoingMessageHandler} (Proton: the `OutgoingMessageHandler(auto_settle, delegate)`
 * constructor arguments).
 */
export interface OutgoingMessageHandlerOptions {
  /**
   * Settle each sent message here once the receiver has settled it (Proton: `auto_settle`; AMQP: the
   * receiver's `disposition` with `settled` true).
   * @default true
   */
  autoSettle?: boolean;
  /**
   * The handler whose callbacks are called (a `MessagingHandler`) (Proton: `delegate`).
   * @default this handler
   */
  delegate?: object;
}

/**
 * - `link_flow` on a sender with credit, open both ways: `onSendable`. It comes on every such flow event,
 *   the local ones after transfers are written included, as in Proton.
 * - `delivery` on a sender whose remote state or settlement changed: by the receiver's outcome,
 *   `onAccepted`, `onRejected` or `onReleased` (released or modified); no outcome callback for any other
 *   state (received, transactional...). Then, when the receiver has settled, `onSettled`, and with
 *   `autoSettle` the delivery is settled here. The delivery's `updated` flag is cleared.
 */
export class OutgoingMessageHandler extends Handler {
  /**
   * Whether a delivery is settled here once the peer's outcome arrives (Proton: `auto_settle`).
   * @default true
   */
  readonly autoSettle: boolean;
  /** The object whose callbacks are raised: the delegate given, else this handler (Proton: `delegate`). */
  readonly delegate: object;

  constructor(options: OutgoingMessageHandlerOptions = {}) {
    super();
    checkOptions('OutgoingMessageHandler', options, { autoSettle: 'boolean', delegate: 'object' });
    this.autoSettle = options.autoSettle ?? true;
    this.delegate = options.delegate ?? this;
  }

  /**
   * Engine event `link_flow` (AMQP: the peer's `flow` gave credit, or a send used some): raises `onSendable`
   * on a sender with credit (Proton: `on_link_flow`).
   */
  onLinkFlow(event: Event): void {
    const link = event.sender;
    if (
      link !== undefined &&
      link.credit > 0 &&
      link.localState === State.LOCAL_ACTIVE &&
      link.remoteState === State.REMOTE_ACTIVE
    ) {
      raise(this.delegate, 'sendable', event);
    }
  }

  /**
   * Engine event `delivery` on a sender (AMQP: the receiver's `disposition`): raises `onAccepted`,
   * `onRejected`, `onReleased` or `onSettled` for the peer's outcome and settlement (Proton: `on_delivery`).
   */
  onDelivery(event: Event): void {
    const d = event.delivery;
    if (d === undefined || !d.outgoing || !d.updated) return;
    d.clearUpdated();
    // A transactional state carries the outcome inside it (Proton 0.37 reported nothing for it).
    const outcome = d.remote instanceof TransactionalState ? d.remote.outcome : d.remote;
    if (outcome instanceof Accepted) raise(this.delegate, 'accepted', event);
    else if (outcome instanceof Rejected) raise(this.delegate, 'rejected', event);
    else if (outcome instanceof Released || outcome instanceof Modified)
      raise(this.delegate, 'released', event);
    if (d.remoteSettled) {
      raise(this.delegate, 'settled', event);
      if (this.autoSettle && !d.settled) d.settle();
    }
  }
}
