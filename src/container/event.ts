/**
 * The event a handler method receives: its type, and every object it concerns, derived from its context
 * as Proton's are (a delivery implies its link, session and connection).
 */
import { Connection } from '../engine/connection.js';
import { Delivery } from '../engine/delivery.js';
import { Link, type Receiver, Sender } from '../engine/link.js';
import { Session } from '../engine/session.js';
import { Transport } from '../engine/transport.js';
import type { Message } from '../message/message.js';
import type { Container } from './container.js';

/** The container an event came from, as far as events need to know it. */
export interface EventContainer {
  readonly containerId: string;
}

/**
 * What a handler callback receives: the event's type and the connection, session, link, delivery,
 * transport and message it concerns (`undefined` where it concerns none). Proton: `Event`.
 */
export class Event {
  /** Set by the incoming message handler for `onMessage`. Proton: `Event.message`. */
  message: Message | undefined = undefined;
  /** Set by the transaction machinery for the transaction callbacks. Proton: `Event.transaction`. */
  transaction: unknown = undefined;

  /** The container the event came from. Proton: `Event.container`. */
  readonly container: Container;

  /** @internal The container makes events; an application makes an `ApplicationEvent` instead. */
  constructor(
    /** The event type, as Proton names it: `connection_remote_open`, `delivery`, `message`... */
    readonly type: string,
    /**
     * What the event is about: an engine object, a task, an acceptor, an application event's subject.
     * Proton: `Event.context`.
     */
    readonly context: unknown,
    /** The container (tests may give a stand-in with the parts they use). */
    container: EventContainer,
  ) {
    this.container = container as Container;
  }

  /** The connection the event concerns, if any. Proton: `Event.connection`. */
  get connection(): Connection | undefined {
    const c = this.context;
    if (c instanceof Delivery) return c.link.session.connection;
    if (c instanceof Link) return c.session.connection;
    if (c instanceof Session) return c.connection;
    if (c instanceof Transport) return c.connection ?? c.unboundFrom;
    if (c instanceof Connection) return c;
    if (typeof c === 'object' && c !== null && 'connection' in c)
      return (c as { connection?: Connection }).connection;
    return undefined;
  }

  /** The session, if any. Proton: `Event.session`. */
  get session(): Session | undefined {
    const c = this.context;
    if (c instanceof Delivery) return c.link.session;
    if (c instanceof Link) return c.session;
    if (c instanceof Session) return c;
    if (typeof c === 'object' && c !== null && 'session' in c) return (c as { session?: Session }).session;
    return undefined;
  }

  /** The link, if any. Proton: `Event.link`. */
  get link(): Link | undefined {
    const c = this.context;
    if (c instanceof Delivery) return c.link;
    if (c instanceof Link) return c;
    if (typeof c === 'object' && c !== null && 'link' in c) return (c as { link?: Link }).link;
    return undefined;
  }

  /** The link, when it is a sender. Proton: `Event.sender`. */
  get sender(): Sender | undefined {
    const l = this.link;
    return l?.isSender ? (l as Sender) : undefined;
  }

  /** The link, when it is a receiver. Proton: `Event.receiver`. */
  get receiver(): Receiver | undefined {
    const l = this.link;
    return l !== undefined && !l.isSender ? (l as Receiver) : undefined;
  }

  /** The delivery, if any. Proton: `Event.delivery`. */
  get delivery(): Delivery | undefined {
    const c = this.context;
    if (c instanceof Delivery) return c;
    if (typeof c === 'object' && c !== null && 'delivery' in c)
      return (c as { delivery?: Delivery }).delivery;
    return undefined;
  }

  /**
   * The deliveries sent on this event's connection whose outcome is unknown: sent, not settled by the
   * peer (no settled AMQP `disposition` came). After a disconnect (`onDisconnected`) they are in doubt: the
   * peer may or may not have them. proton-ts only: Proton Python has no counterpart.
   */
  get inDoubt(): Delivery[] {
    const out: Delivery[] = [];
    for (const l of this.connection?.links ?? []) {
      if (!(l instanceof Sender)) continue;
      out.push(...l.inDoubt);
      for (const d of l.deliveries) if (d.started && !d.remoteSettled) out.push(d);
    }
    return out;
  }

  /** The transport, if any. Proton: `Event.transport`. */
  get transport(): Transport | undefined {
    const c = this.context;
    if (c instanceof Transport) return c;
    return this.connection?.transport;
  }

  /** `type(context)`, for logs. Proton: `EventBase.__repr__`. */
  toString(): string {
    return `${this.type}(${String(this.context)})`;
  }
}
