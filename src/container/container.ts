/**
 * The Container: Proton's reactor on Node's event loop. It owns the connections it makes and accepts,
 * one event collector for all of them, the timers and the acceptors; each turn it dispatches every
 * queued event to the handlers (the link's, session's or connection's handler, else the container's),
 * then writes each connection's output once. `run()` resolves when nothing is left to do and rejects
 * with the first exception a handler throws.
 */
import { randomUUID } from 'node:crypto';
import { Collector, NO_EVENT } from '../engine/collector.js';
import { Connection } from '../engine/connection.js';
import { State } from '../engine/endpoint.js';
import { EventType } from '../engine/event.js';
import type { Link, Receiver, Sender } from '../engine/link.js';
import type { Session } from '../engine/session.js';
import { InvalidOptionError } from '../errors.js';
import type { SocketDriver } from '../io/socket-driver.js';
import { type Logger, NULL_LOGGER } from '../util/logger.js';
import { Acceptor, type ListenOptions } from './acceptor.js';
import { loadConnectConfig } from './connect-config.js';
import { Connector } from './connector.js';
import { dispatch } from './dispatch.js';
import { Event } from './event.js';
import { applyLinkOptions, type LinkOption } from './link-options.js';
import { type ConnectOptions, checkMaxWriteBuffer } from './options.js';
import { SSLDomain } from './ssl-domain.js';
import { Task } from './task.js';
import { TaskQueue } from './task-queue.js';
import { declareTransaction, type Transaction } from './transaction.js';
import { Url } from './url.js';

/** A settled promise: its `then` queues the container's turns (see requestTurn). */
const SETTLED = Promise.resolve();

/**
 * Options of a container, given as the last constructor argument (Proton: the `**kwargs` of
 * `Container(*handlers, **kwargs)`).
 */
export interface ContainerOptions {
  /**
   * The container-id sent in the open of every connection it makes (Proton: `Container.container_id`).
   * @default a random UUID
   */
  containerId?: string;
  /**
   * Where diagnostics go. proton-ts only: Proton Python logs to the `proton` logger of Python's `logging`.
   * @default no logging
   */
  logger?: Logger;
}

/** Options of `createSender` and `createReceiver` (Proton's keyword arguments). */
export interface LinkCreateOptions {
  /** The link name. Proton: `name`. @default `<container-id>-<address>` or a UUID */
  name?: string;
  /**
   * The source terminus's address: a sender's own address, or a receiver's address when `createReceiver`
   * was given none. Proton: `source`.
   */
  source?: string;
  /**
   * The target terminus's address: a receiver's own address, or a sender's address when `createSender`
   * was given none. Proton: `target`.
   */
  target?: string;
  /** The handler of this link's events, instead of the connection's or container's. Proton: `handler`. */
  handler?: object;
  /** A generator of delivery tags (a sender's). Proton: `tags`. */
  tags?: () => Uint8Array | string;
  /** Ask the peer for a dynamic node (a receiver's temporary reply queue). Proton: `dynamic`. */
  dynamic?: boolean;
  /** Link options (AtMostOnce, Selector, Copy...), applied before the link opens. Proton: `options`. */
  options?: LinkOption | readonly LinkOption[];
  /**
   * A sender's deliveries in flight when the connection is lost are sent again after the reconnect
   * (at-least-once end to end; the peer may get duplicates). Without it they are reported in doubt
   * (`event.inDoubt` in `onDisconnected`). Proton has no such option.
   * @default false
   */
  resend?: boolean;
}

/**
 * Where `createSender` and `createReceiver` open their link: a URL (a new connection), a connection (a
 * new session on it) or a session. Proton: the `context` argument of `create_sender`.
 */
export type Context = string | Url | Connection | Session;

/**
 * Runs AMQP connections and dispatches their events to handlers: `new Container(handler).run()` starts the
 * handler's `onStart`, and the handler connects, listens, creates links and schedules work from there.
 * Proton: `Container` (the reactor).
 */
export class Container {
  /**
   * The container-id sent in the open of every connection, unless a connection sets its own (Proton:
   * `Container.container_id`).
   * @default a random UUID
   */
  readonly containerId: string;
  /**
   * Where diagnostics go. proton-ts only: Proton Python logs to the `proton` logger of Python's `logging`.
   * @default no logging
   */
  readonly logger: Logger;
  /**
   * The root handler: the handlers given to the constructor are its children (Proton: `Container.handler`).
   */
  readonly handler: {
    /** The handlers given to the constructor, in order, each offered every event. */
    handlers: object[];
  } = { handlers: [] };
  /**
   * The default TLS domains (Proton's `container.ssl`): `client` for amqps connections made without an
   * `sslDomain`, `server` for amqps listeners made without one (give it credentials first).
   */
  readonly ssl = {
    /** The domain of amqps connections made without an `sslDomain` (Proton: `Container.ssl.client`). */
    client: new SSLDomain(SSLDomain.MODE_CLIENT),
    /** The domain of amqps listeners made without one (Proton: `Container.ssl.server`). */
    server: new SSLDomain(SSLDomain.MODE_SERVER),
  };
  /**
   * Set once `stop()` was called (or a handler failed). proton-ts only: Proton keeps it private (`_stop`).
   * @default false
   */
  stopped = false;

  private readonly collector = new Collector();
  private readonly connectors = new Map<Connection, Connector>();
  private readonly drivers = new Set<SocketDriver>();
  /** The last URL of each connection whose connector is finished and forgotten. */
  private readonly finishedUrls = new WeakMap<Connection, Url>();
  private readonly acceptors = new Set<Acceptor>();
  private readonly tasks = new Set<Task>();
  private readonly timers = new TaskQueue();
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerAt: number | undefined = undefined;
  private readonly keepAlive = new Set<object>();
  private readonly sessions = new WeakMap<Connection, Session>();
  private runningNow = false;
  private turnScheduled = false;
  private resolveRun: (() => void) | undefined = undefined;
  private rejectRun: ((e: unknown) => void) | undefined = undefined;
  private failure: unknown = undefined;

  /**
   * A container whose root handler has the given handlers as children, in order; a last argument of
   * {@link ContainerOptions} sets the container-id and logger (Proton: `Container(*handlers, **kwargs)`).
   */
  constructor(...args: object[]) {
    let options: ContainerOptions = {};
    const last = args[args.length - 1];
    if (last !== undefined && isOptions(last)) {
      options = last as ContainerOptions;
      args = args.slice(0, -1);
    }
    this.containerId = options.containerId ?? randomUUID();
    this.logger = options.logger ?? NULL_LOGGER;
    this.handler.handlers.push(...args);
  }

  /** Whether `run()` is under way. Proton has no such flag. */
  get running(): boolean {
    return this.runningNow;
  }

  // ------------------------------------------------------------------------------------------------
  // The loop

  /**
   * Runs until there is nothing left to do (no connections, acceptors, timers), or `stop()`. Proton:
   * `Container.run`.
   */
  run(): Promise<void> {
    if (this.runningNow)
      return Promise.reject(new InvalidOptionError('run', 'the container is already running'));
    this.runningNow = true;
    this.stopped = false;
    return new Promise<void>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
      this.guard(() => this.dispatchTo(this.handler, new Event('reactor_init', this, this)));
      for (const c of this.connectors.values()) if (c.driver === undefined && c.active) c.attempt();
      this.requestTurn();
    });
  }

  /**
   * Stops at once: every connection is dropped, timers and acceptors are cancelled. Proton: `Container.stop`.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.connectors.values()) c.abort();
    for (const d of this.drivers) d.destroy();
    for (const a of this.acceptors) a.close();
    for (const t of [...this.tasks]) t.cancel();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    this.keepAlive.clear();
    this.requestTurn();
  }

  /** @internal Runs a turn soon: dispatch every event, then write every connection's output. */
  requestTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    // A microtask, as queueMicrotask makes one, without the async resource Node's queueMicrotask creates
    // and enters for each (a third of the cost, and four functions fewer for V8 to compile).
    SETTLED.then(this.turnNow);
  }

  private readonly turnNow = (): void => this.turn();

  private turn(): void {
    this.turnScheduled = false;
    if (!this.runningNow) return;
    this.guard(() => {
      const events = this.collector;
      for (let context = events.take(); context !== NO_EVENT; context = events.take()) {
        if (this.stopped && this.failure !== undefined) break;
        this.dispatchEngineEvent(new Event(events.takenType, context, this));
      }
    });
    // A handler failed: what is still queued will never be dispatched.
    if (this.stopped && this.failure !== undefined) this.collector.release();
    const now = Date.now();
    for (const c of this.connectors.values()) c.driver?.flush(now);
    for (const d of this.drivers) d.flush(now);
    this.forgetFinished();
    this.checkDone();
  }

  /**
   * Lets go of the connectors that will make no more attempts, once their events are all dispatched:
   * a long-lived container making connection after connection would otherwise keep every one (its
   * links, its deliveries) for ever. Their last URL stays known to `urlOf`, weakly.
   */
  private forgetFinished(): void {
    if (this.collector.more) return;
    for (const [c, k] of this.connectors) {
      if (!k.finished || k.driver !== undefined) continue;
      if (k.url !== undefined) this.finishedUrls.set(c, k.url);
      this.connectors.delete(c);
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (this.failure === undefined) this.failure = e;
      this.stop();
    }
  }

  private checkDone(): void {
    if (!this.runningNow || this.collector.more) return;
    let busy = this.stopped
      ? 0
      : this.tasks.size + this.acceptors.size + this.keepAlive.size + this.drivers.size;
    if (!this.stopped) for (const c of this.connectors.values()) if (c.active) busy++;
    if (busy > 0) return;
    this.runningNow = false;
    // Only cancelled tasks can be left in the queue: their timer must not hold the process.
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
    this.guard(() => this.dispatchTo(this.handler, new Event('reactor_final', this, this)));
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) this.rejectRun?.(failure);
    else this.resolveRun?.();
  }

  /** The handler an event goes to: the link's, the session's, the connection's, else the container's. */
  private targetOf(event: Event): object {
    const h =
      (event.link?.handler as object | undefined) ??
      (event.session?.handler as object | undefined) ??
      (event.connection?.handler as object | undefined);
    return h ?? this.handler;
  }

  private dispatchTo(target: object, event: Event): void {
    dispatch(target, event);
  }

  private dispatchEngineEvent(event: Event): void {
    this.dispatchTo(this.targetOf(event), event);
    // What Proton's global handler does after the application's handlers.
    if (event.type === EventType.connectionRemoteOpen) {
      const c = event.connection;
      if (c !== undefined) this.connectors.get(c)?.opened();
    } else if (event.type === EventType.connectionLocalClose) {
      const c = event.connection;
      if (c !== undefined) this.connectors.get(c)?.closed();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Connections

  /** @internal A bare connection collected by this container. */
  newConnection(): Connection {
    const c = new Connection();
    // An accepted connection answers with the container's id (`connect` may set its own).
    c.containerId = this.containerId;
    c.collect(this.collector);
    return c;
  }

  /**
   * Connects to a URL (or a failover list, or what the connect.json configuration file says when
   * neither is given), and returns the connection, already opened: nothing touches the network until
   * the container runs.
   * Proton: `Container.connect`.
   */
  connect(url?: string | Url | ConnectOptions, options: ConnectOptions = {}): Connection {
    const o: ConnectOptions =
      typeof url === 'string' || url instanceof Url ? { ...options, url } : { ...url, ...options };
    checkMaxWriteBuffer(o.maxWriteBuffer);
    let urls: Url[];
    if (o.urls !== undefined && o.urls.length > 0) urls = o.urls.map((u) => new Url(u));
    else if (o.url !== undefined) urls = [new Url(o.url)];
    else {
      const config = loadConnectConfig();
      if (config === undefined)
        throw new InvalidOptionError('url', 'no url or urls, and no connect.json found');
      urls = [new Url(`${config.scheme}://${config.host}:${config.port}`)];
      if (config.user !== undefined) o.user = config.user;
      if (config.password !== undefined) o.password = config.password;
      if (!config.sasl.enabled) o.saslEnabled = false;
      if (config.sasl.mechanisms !== undefined) o.allowedMechs = config.sasl.mechanisms;
      if (config.scheme === 'amqps' && o.sslDomain === undefined) {
        // As Proton's: a client domain from the file's tls section.
        const d = new SSLDomain(SSLDomain.MODE_CLIENT);
        if (config.tls.ca !== undefined) d.setTrustedCaDb(config.tls.ca);
        if (!config.tls.verify) d.setPeerAuthentication(SSLDomain.ANONYMOUS_PEER);
        if (config.tls.cert !== undefined && config.tls.key !== undefined) {
          d.setCredentials(config.tls.cert, config.tls.key);
        }
        o.sslDomain = d;
      }
    }
    const c = this.newConnection();
    c.containerId = o.containerId ?? this.containerId;
    c.handler = o.handler;
    c.offeredCapabilities = o.offeredCapabilities;
    c.desiredCapabilities = o.desiredCapabilities;
    if (o.properties !== undefined) {
      c.properties = o.properties instanceof Map ? o.properties : new Map(Object.entries(o.properties));
    }
    if (o.sslDomain === undefined && urls.some((u) => u.scheme === 'amqps')) o.sslDomain = this.ssl.client;
    const connector = new Connector(this, c, o, urls);
    this.connectors.set(c, connector);
    c.open();
    if (this.runningNow) connector.attempt();
    return c;
  }

  /**
   * The URL a connection was made to (its current attempt's), for `connected_address`. Proton:
   * `Connection.connected_address`.
   */
  urlOf(connection: Connection): Url | undefined {
    return this.connectors.get(connection)?.url ?? this.finishedUrls.get(connection);
  }

  /**
   * Listens on `url` (host and port; port 0 picks a free one); returns the acceptor, listening. Proton:
   * `Container.listen`.
   */
  async listen(url: string | Url, options: ListenOptions = {}): Promise<Acceptor> {
    checkMaxWriteBuffer(options.maxWriteBuffer);
    const u = new Url(url);
    if (options.sslDomain === undefined && u.scheme === 'amqps')
      options = { ...options, sslDomain: this.ssl.server };
    const acceptor = new Acceptor(this.acceptorHost(), options);
    this.acceptors.add(acceptor);
    await acceptor.listen(u.host ?? '0.0.0.0', u.port ?? 5672);
    return acceptor;
  }

  private acceptorHost() {
    return {
      containerId: this.containerId,
      logger: this.logger,
      get stopped() {
        return false;
      },
      requestTurn: () => this.requestTurn(),
      newConnection: () => this.newConnection(),
      accepted: (_c: Connection, d: SocketDriver) => {
        this.drivers.add(d);
        this.requestTurn();
      },
      acceptorClosed: (a: Acceptor) => {
        this.acceptors.delete(a);
        this.requestTurn();
      },
      driverClosed: (d: SocketDriver) => {
        this.drivers.delete(d);
        this.requestTurn();
      },
    };
  }

  // ------------------------------------------------------------------------------------------------
  // Links

  /** The connection's default session (one per connection, as Proton's SessionPerConnection). */
  private sessionOf(context: Context): Session {
    if (typeof context === 'string' || context instanceof Url) return this.sessionOf(this.connect(context));
    if (!(context instanceof Connection)) return context;
    let s = this.sessions.get(context);
    if (s === undefined || s.localState === State.LOCAL_CLOSED) {
      s = context.session();
      s.open();
      this.sessions.set(context, s);
    }
    return s;
  }

  private linkName(remote: string | undefined, local: string | undefined): string {
    if (remote !== undefined && local !== undefined) return `${this.containerId}-${remote}-${local}`;
    if (remote !== undefined) return `${this.containerId}-${remote}`;
    if (local !== undefined) return `${this.containerId}-${local}`;
    return `${this.containerId}-${randomUUID()}`;
  }

  /**
   * Creates and opens a sender on a URL (a new connection; the URL's path is the target), a
   * connection (its default session) or a session.
   * Proton: `Container.create_sender`.
   */
  createSender(context: Context, target?: string, options: LinkCreateOptions = {}): Sender {
    const address = target ?? options.target ?? pathOf(context);
    const s = this.sessionOf(context);
    const l = s.sender(options.name ?? this.linkName(address, options.source));
    l.target.address = address;
    if (options.source !== undefined) l.source.address = options.source;
    this.finishLink(l, options);
    return l;
  }

  /**
   * Creates and opens a receiver on a URL (a new connection; the URL's path is the source), a
   * connection (its default session) or a session.
   * Proton: `Container.create_receiver`.
   */
  createReceiver(context: Context, source?: string, options: LinkCreateOptions = {}): Receiver {
    const address = source ?? options.source ?? pathOf(context);
    const s = this.sessionOf(context);
    const l = s.receiver(options.name ?? this.linkName(address, options.target));
    l.source.address = address;
    if (options.target !== undefined) l.target.address = options.target;
    if (options.dynamic) l.source.dynamic = true;
    this.finishLink(l, options);
    return l;
  }

  private finishLink(l: Link, options: LinkCreateOptions): void {
    if (options.handler !== undefined) l.handler = options.handler;
    if (options.tags !== undefined && l.isSender) {
      const tags = options.tags;
      (l as Sender).deliveryTag = () => {
        const t = tags();
        return typeof t === 'string' ? Buffer.from(t) : t;
      };
    }
    if (options.options !== undefined) applyLinkOptions(l, options.options);
    if (options.resend === true && l.isSender) (l as Sender).keepPayload = true;
    l.open();
  }

  // ------------------------------------------------------------------------------------------------
  // Time and other work

  /**
   * Runs `handler.onTimerTask(event)` (or the container's handlers') after `delay` milliseconds. Proton:
   * `Container.schedule`, which takes seconds.
   */
  schedule(delay: number, handler?: object): Task {
    if (!Number.isFinite(delay) || delay < 0)
      throw new InvalidOptionError('delay', `${delay} is not a delay in ms`);
    const task = new Task(handler, (t) => {
      this.tasks.delete(t);
      this.requestTurn();
    });
    this.tasks.add(task);
    this.timers.push(Date.now() + delay, task);
    this.armTimer();
    return task;
  }

  /** One Node timer, for the earliest task. */
  private armTimer(): void {
    this.timers.prune();
    const next = this.timers.next;
    if (next === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === undefined) return;
    this.timer = setTimeout(() => this.runTimers(), Math.max(0, next - Date.now()));
  }

  /** Runs the tasks that are due, earliest deadline first. */
  private runTimers(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = Date.now();
    for (let task = this.timers.popDue(now); task !== undefined; task = this.timers.popDue(now)) {
      if (task.cancelled || this.stopped) continue;
      this.tasks.delete(task);
      task.cancelled = true;
      this.guard(() => this.dispatchTo(task!.handler ?? this.handler, new Event('timer_task', task, this)));
    }
    this.armTimer();
    this.requestTurn();
  }

  /**
   * Registers an event source with the container (Proton's `selectable`): an `EventInjector`, whose
   * events are dispatched to the container's handlers; it keeps `run()` going until it is closed.
   * Proton: `Container.selectable`.
   */
  selectable(source: { attach(container: Container): void }): void {
    source.attach(this);
  }

  /** @internal Keeps the container running while `token` is held (an event injector). */
  hold(token: object): void {
    this.keepAlive.add(token);
  }

  /** @internal Pairs with `hold`. */
  release(token: object): void {
    this.keepAlive.delete(token);
    this.requestTurn();
  }

  /** @internal Dispatches an event of the application's own to the container's handlers. */
  dispatchApplicationEvent(event: Event): void {
    this.guard(() => this.dispatchTo(this.targetOf(event), event));
    this.requestTurn();
  }

  /**
   * Declares a transaction on a connection (or session) and returns it (Proton's `declare_transaction`):
   * the connection's `txn-ctrl` coordinator sender, made the first time, carries the declare; the
   * transaction callbacks go to `handler` (else the connection's handler, else the container's) when the
   * coordinator settles. See {@link Transaction}.
   */
  declareTransaction(
    context: Connection | Session,
    handler?: object,
    settleBeforeDischarge = false,
  ): Transaction {
    return declareTransaction(this, context, handler, settleBeforeDischarge);
  }
}

function isOptions(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) return false;
  return !Object.keys(o).some((k) => k.startsWith('on')) && !('handlers' in o);
}

function pathOf(context: Context): string | undefined {
  if (typeof context === 'string' || context instanceof Url) return new Url(context).path || undefined;
  return undefined;
}
