/**
 * Events of the application's own, brought onto the container's loop: an {@link ApplicationEvent} names
 * its type (`new ApplicationEvent('hello')` is dispatched to `onHello`) and what it is about, and an
 * {@link EventInjector} takes such events from anywhere (a timer, a promise, another module, a worker
 * thread through {@link EventInjector.port}) and dispatches each on the container's loop, in order.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Connection } from '../engine/connection.js';
import type { Delivery } from '../engine/delivery.js';
import type { Link } from '../engine/link.js';
import type { Session } from '../engine/session.js';
import { ProtonError } from '../errors.js';
import type { Container } from './container.js';
import { Event, type EventContainer } from './event.js';

/**
 * What an {@link ApplicationEvent} concerns; a delivery implies its link, session and connection (Proton:
 * the `ApplicationEvent` keyword arguments after `typename`).
 */
export interface ApplicationEventInit {
  /**
   * The connection the event concerns; taken from the session, link or delivery when they are given
   * (Proton: `connection`).
   */
  connection?: Connection;
  /** The session the event concerns; taken from the link or delivery when given (Proton: `session`). */
  session?: Session;
  /** The link the event concerns; taken from the delivery when given (Proton: `link`). */
  link?: Link;
  /** The delivery the event concerns (Proton: `delivery`). */
  delivery?: Delivery;
  /** Anything the application wants to hand to the handler (Proton: `subject`). */
  subject?: unknown;
}

/** The container of an application event not dispatched yet. */
const UNBOUND: EventContainer = Object.freeze({ containerId: '' });

/**
 * An event of the application's own. The handler method is named after its type as for engine events
 * (`hello` -> `onHello`, `batch_done` -> `onBatchDone`). The event is its own context: `event.context`
 * is the event, and `connection`, `session`, `link` and `delivery` are those given (a delivery implies
 * its link, a link its session, a session its connection). `container` is set when it is dispatched.
 * Other properties may be set on it freely, for the handler to read. Proton:
 * `proton.reactor.ApplicationEvent`.
 */
export class ApplicationEvent extends Event {
  /** What the application handed over with the event (Proton: `ApplicationEvent.subject`). */
  readonly subject: unknown;
  readonly #connection: Connection | undefined;
  readonly #session: Session | undefined;
  readonly #link: Link | undefined;
  readonly #delivery: Delivery | undefined;

  /**
   * An event of type `type`, raised as `on<Type>` on the handler once triggered (Proton:
   * `ApplicationEvent(typename, connection, session, link, delivery, subject)`).
   * @throws ProtonError (`amqp:invalid-field`) for an empty type.
   */
  constructor(type: string, init: ApplicationEventInit = {}) {
    if (typeof type !== 'string' || type === '') {
      throw new ProtonError(`an application event needs a type name, not ${String(type)}`, {
        condition: 'amqp:invalid-field',
      });
    }
    super(type, undefined, UNBOUND);
    (this as { context: unknown }).context = this;
    this.subject = init.subject;
    const delivery = init.delivery;
    const link = delivery?.link ?? init.link;
    const session = link?.session ?? init.session;
    this.#delivery = delivery;
    this.#link = link;
    this.#session = session;
    this.#connection = session?.connection ?? init.connection;
  }

  override get connection(): Connection | undefined {
    return this.#connection;
  }

  override get session(): Session | undefined {
    return this.#session;
  }

  override get link(): Link | undefined {
    return this.#link;
  }

  override get delivery(): Delivery | undefined {
    return this.#delivery;
  }

  /** @internal Sets the container the event is dispatched by. */
  bind(container: EventContainer): void {
    (this as { container: EventContainer }).container = container;
  }

  /**
   * `type(connection, session, link, delivery, subject)`, those present, as Proton prints it (Proton:
   * `ApplicationEvent.__repr__`).
   */
  override toString(): string {
    const parts = [this.#connection, this.#session, this.#link, this.#delivery, this.subject]
      .filter((o) => o !== undefined && o !== null)
      .map((o) => String(o));
    return `${this.type}(${parts.join(', ')})`;
  }
}

/**
 * What a worker thread posts on an injector's port: the type and subject of an application event.
 * proton-ts only: a Proton Python thread calls `EventInjector.trigger()` itself.
 */
export interface PortMessage {
  /** The event type: the handler's `on<Type>` callback is called (Proton: `ApplicationEvent.type`). */
  type: string;
  /**
   * The event's subject, as structured-clone copied it across the thread boundary (Proton:
   * `ApplicationEvent.subject`).
   */
  subject?: unknown;
}

/** What an {@link EventInjector} needs of a container. */
type InjectorHost = Pick<
  Container,
  'containerId' | 'hold' | 'release' | 'dispatchApplicationEvent' | 'logger'
>;

/**
 * Brings application events onto a container's loop. Register it with `container.selectable(injector)`
 * (or `injector.attach(container)`): from then on, and until it is closed, it keeps `run()` going.
 *
 * `trigger(event)` may be called from anywhere: a handler, a timer, a resolved promise, another module.
 * It never dispatches at once: the event is queued and dispatched on the container's loop, after the
 * code that triggered it has returned, in the order triggered (to the handler of the event's
 * link, session or connection, else the container's handlers). Events triggered before the injector is
 * attached, or before the container runs, wait for it.
 *
 * A worker thread triggers through {@link port}: each `{ type, subject }` posted there becomes an
 * `ApplicationEvent(type, { subject })` (the subject is copied, as `postMessage` copies).
 *
 * `close()` lets `run()` end: the events already queued are still dispatched, then the container is
 * released and the port closed. Triggering after `close()` throws.
 *
 * Proton: `proton.reactor.EventInjector` (a pipe instead of a port, and a thread calls `trigger()` itself).
 */
export class EventInjector {
  private container: InjectorHost | undefined = undefined;
  private readonly queue: ApplicationEvent[] = [];
  private channel: MessageChannel | undefined = undefined;
  private drainScheduled = false;
  private waitTimer: NodeJS.Timeout | undefined = undefined;
  private closed = false;
  private released = false;

  /** Whether `close()` was called. proton-ts only (Proton keeps it private, as `_closed`). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Registers with `container` (what `container.selectable(injector)` does); it keeps `run()` going.
   * proton-ts only: Proton has only `Container.selectable(injector)`.
   */
  attach(container: Container): void {
    if (this.container !== undefined) {
      if (this.container === container) return;
      throw new ProtonError('the event injector is attached to another container', {
        condition: 'amqp:illegal-state',
      });
    }
    this.container = container;
    if (!this.closed) container.hold(this);
    this.scheduleDrain();
  }

  /**
   * Queues `event` for dispatch on the container's loop. Throws once the injector is closed. Proton:
   * `EventInjector.trigger()`.
   */
  trigger(event: ApplicationEvent): void {
    if (this.closed) {
      throw new ProtonError(`cannot trigger '${event?.type}': the event injector is closed`, {
        condition: 'amqp:illegal-state',
      });
    }
    if (!(event instanceof ApplicationEvent)) {
      throw new ProtonError('trigger takes an ApplicationEvent', { condition: 'amqp:invalid-field' });
    }
    this.queue.push(event);
    this.scheduleDrain();
  }

  /**
   * A port for another thread: hand it to a worker (`new Worker(file, { workerData: { port },
   * transferList: [port] })`), which posts `{ type, subject }` messages on it. The same port is
   * returned each time (it can be transferred once). proton-ts only: Proton's threads share memory and
   * call `trigger()`.
   */
  port(): MessagePort {
    if (this.closed) {
      throw new ProtonError('the event injector is closed', { condition: 'amqp:illegal-state' });
    }
    if (this.channel === undefined) {
      this.channel = new MessageChannel();
      this.channel.port1.on('message', (m: unknown) => this.fromPort(m));
    }
    return this.channel.port2;
  }

  /**
   * Stops taking events: those queued are still dispatched, then the container is released (so
   * `run()` can end) and the port closed. Proton: `EventInjector.close()`.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduleDrain();
  }

  private fromPort(m: unknown): void {
    if (this.closed) return;
    const type = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || type === '') {
      this.container?.logger.warn(`event injector: ignored a port message without a type: ${String(m)}`);
      return;
    }
    this.trigger(new ApplicationEvent(type, { subject: (m as PortMessage).subject }));
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.container === undefined) return;
    this.drainScheduled = true;
    // After the code that triggered: never inside its call.
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const c = this.container;
    if (c === undefined) return;
    if (this.queue.length > 0 && !loopRunning(c)) {
      this.waitForLoop();
      return;
    }
    while (this.queue.length > 0 && loopRunning(c)) {
      const e = this.queue.shift() as ApplicationEvent;
      e.bind(c);
      c.dispatchApplicationEvent(e);
    }
    if (this.queue.length > 0) {
      this.waitForLoop();
      return;
    }
    if (this.closed && !this.released) {
      this.released = true;
      this.channel?.port1.close();
      this.channel = undefined;
      c.release(this);
    }
  }

  /** The container is not running (yet, or any more): look again shortly, without keeping Node up. */
  private waitForLoop(): void {
    if (this.waitTimer !== undefined) return;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      this.drain();
    }, 5);
    this.waitTimer.unref();
  }
}

/** Whether the container's loop is running (its `run()` under way). */
function loopRunning(c: InjectorHost): boolean {
  const running = (c as unknown as { running?: unknown }).running;
  return running !== false;
}
