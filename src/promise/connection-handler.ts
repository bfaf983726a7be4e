/**
 * The one handler behind a promise connection: a `MessagingHandler` giving no credit of its own (the
 * receivers give it as their consumers take messages), accepting nothing by itself, settling what the
 * peer settled. It turns the container's callbacks into calls on the connection and on the link objects
 * (kept in each engine link's `context`), which settle the promises waiting on them.
 */
import type { Event } from '../container/event.js';
import type { Link } from '../engine/link.js';
import { MessagingHandler } from '../handlers/messaging-handler.js';

/** What a promise link (sender or receiver) hears from the handler. */
export interface LinkEvents {
  opened(): void;
  /** The peer closed the link (refused it, or detached it later), with a condition or not. */
  remoteClosed(): void;
  /** Closed both ways. */
  closed(): void;
  /** Credit or drain state changed. */
  flowed(): void;
  /** A sender's delivery got an outcome or was settled by the peer (`event.delivery`). */
  outcome?(event: Event): void;
  /** A receiver's message arrived whole (`event.message`, `event.delivery`). */
  message?(event: Event): void;
}

/**
 * What the promise connection hears from the handler: Proton's `MessagingHandler` connection callbacks,
 * narrowed to what a promise connection needs.
 */
export interface ConnectionEvents {
  /** The peer's open came (AMQP `open`). Proton: `on_connection_opened`. */
  opened(): void;
  /**
   * The peer closed the connection (AMQP `close`), with an error or not. Proton: `on_connection_error`
   * or `on_connection_closing`.
   */
  remoteClosed(): void;
  /** The connection is closed both ways. Proton: `on_connection_closed`. */
  closed(): void;
  /** The socket is gone, for good or until a reconnect. Proton: `on_disconnected`. */
  disconnected(event: Event): void;
  /** The transport failed, with `event.transport.condition`. Proton: `on_transport_error`. */
  transportError(event: Event): void;
}

function linkEvents(link: Link | undefined): LinkEvents | undefined {
  const c = link?.context as Partial<LinkEvents> | undefined;
  return typeof c?.opened === 'function' ? (c as LinkEvents) : undefined;
}

export class PromiseConnectionHandler extends MessagingHandler {
  constructor(private readonly owner: ConnectionEvents) {
    super({ prefetch: 0, autoAccept: false, autoSettle: true });
  }

  override onConnectionOpened(_event: Event): void {
    this.owner.opened();
  }
  override onConnectionError(_event: Event): void {
    this.owner.remoteClosed();
  }
  override onConnectionClosing(_event: Event): void {
    this.owner.remoteClosed();
  }
  override onConnectionClosed(_event: Event): void {
    this.owner.closed();
  }
  override onSessionError(event: Event): void {
    // A session lost is every link lost: the connection goes with it, as MessagingHandler's default.
    event.connection?.close();
  }
  override onDisconnected(event: Event): void {
    this.owner.disconnected(event);
  }
  override onTransportError(event: Event): void {
    this.owner.transportError(event);
  }

  override onLinkOpened(event: Event): void {
    linkEvents(event.link)?.opened();
  }
  override onLinkError(event: Event): void {
    linkEvents(event.link)?.remoteClosed();
  }
  override onLinkClosing(event: Event): void {
    linkEvents(event.link)?.remoteClosed();
  }
  override onLinkClosed(event: Event): void {
    linkEvents(event.link)?.closed();
  }
  override onSendable(event: Event): void {
    linkEvents(event.link)?.flowed();
  }

  override onAccepted(event: Event): void {
    linkEvents(event.link)?.outcome?.(event);
  }
  override onRejected(event: Event): void {
    linkEvents(event.link)?.outcome?.(event);
  }
  override onReleased(event: Event): void {
    linkEvents(event.link)?.outcome?.(event);
  }
  override onSettled(event: Event): void {
    if (event.delivery?.outgoing) linkEvents(event.link)?.outcome?.(event);
  }
  override onMessage(event: Event): void {
    linkEvents(event.link)?.message?.(event);
  }

  override onUnhandled(name: string, event: Event): void {
    // A receiver's drain ends with a flow from the sender; a sender's credit can change with one too.
    if (name === 'onLinkFlow') linkEvents(event.link)?.flowed();
  }
}
