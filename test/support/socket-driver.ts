/**
 * A small driver for tests: one engine `Transport` (with its connection and collector) bound to one
 * `node:net` socket. The real I/O layer comes later in src/io/; this one only has to be correct and
 * simple:
 *
 * - bytes read from the socket are pushed into the transport;
 * - after every push and every application call (anything that queues an engine event, which every
 *   call that makes output does), one turn is scheduled: the collector's events are handed to
 *   `onEvent`, then the output is taken and written to the socket once;
 * - a timer drives `transport.tick(Date.now())` at the deadline it returns (heartbeats, idle timeout);
 * - the end of the socket's input is the transport's `closeTail`; once the transport is closed both
 *   ways and its output written, the socket is ended; `whenClosed` settles when the socket has closed,
 *   and everything (socket, timer) is cleaned up by then, or by `destroy()`.
 *
 * `listen` runs a server on 127.0.0.1 (a free port) that wraps each accepted socket in a driver.
 */
import { once } from 'node:events';
import net from 'node:net';
import {
  type ClientSaslLayerOptions,
  Collector,
  Connection,
  type Delivery,
  type EngineEvent,
  type EventTypeName,
  type Link,
  SaslLayer,
  type ServerSaslLayerOptions,
  type Session,
  State,
  Transport,
  type TransportOptions,
} from '../../src/engine/index.js';
import { frameTracerFromEnv } from '../../src/util/logger.js';

/** What a driver is told about each engine event. */
export type EventHandler = (event: EngineEvent, driver: SocketDriver) => void;

export interface DriverOptions {
  /** Options of the transport (the `server` flag is set by `connect`/`wrap`'s caller). */
  transport?: Omit<TransportOptions, 'server'>;
  /** Turns SASL on: a client layer (`{ client: {...} }`) or a server one (`{ server: {...} }`). */
  sasl?: { client: ClientSaslLayerOptions } | { server: ServerSaslLayerOptions };
  /** The container-id sent in the open. @default 'proton-ts-test' */
  containerId?: string;
  /** The hostname sent in the open and the sasl-init. */
  hostname?: string;
  /** Called for every engine event, in order. May call the engine; must not throw (a throw fails the driver). */
  onEvent?: EventHandler;
  /**
   * Opens, as Proton's handlers do, the connection, sessions and links the peer opens (a link's local
   * terminus copies the peer's address), before `onEvent` sees the event. @default false
   */
  autoOpen?: boolean;
  /** Closes, as Proton's handlers do, the connection, sessions and links the peer closes. @default true */
  autoClose?: boolean;
}

/** How a driver ended. */
export interface DriverResult {
  /** The transport's condition (a protocol error, the peer aborting), if there was one. */
  transportCondition: string | undefined;
  /** The condition the peer's close carried, if any. */
  remoteCondition: string | undefined;
  /** Every event type seen, in order. */
  events: EventTypeName[];
}

let connectionCount = 0;

export class SocketDriver {
  readonly transport: Transport;
  readonly connection: Connection;
  readonly collector: WakingCollector;
  /** Every event type seen, in order. */
  readonly events: EventTypeName[] = [];
  /** Settles when the socket has closed: rejects if the handler threw or the socket failed. */
  readonly whenClosed: Promise<DriverResult>;
  /** Rejects when the driver fails (a handler threw, the socket failed); never resolves. */
  readonly whenFailed: Promise<never>;
  /** What went wrong in the driver itself (a handler that threw, a socket error). */
  failure: Error | undefined = undefined;
  /** Bytes read and written. */
  bytesIn = 0;
  bytesOut = 0;

  private onEvent: EventHandler | undefined;
  private readonly autoOpen: boolean;
  private readonly autoClose: boolean;
  private scheduled = false;
  private inTurn = false;
  private blocked = false;
  private ended = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerAt = 0;
  private resolve!: (r: DriverResult) => void;
  private reject!: (e: Error) => void;

  /**
   * Binds a new transport, connection and collector to `socket` (already connected, or connecting:
   * output written before the connection is made is buffered by the socket).
   */
  constructor(
    readonly socket: net.Socket,
    server: boolean,
    options: DriverOptions = {},
  ) {
    this.transport = new Transport({ tracer: frameTracerFromEnv(), ...options.transport, server });
    this.connection = new Connection();
    this.connection.containerId = options.containerId ?? `proton-ts-test-${++connectionCount}`;
    if (options.hostname !== undefined) this.connection.hostname = options.hostname;
    this.collector = new WakingCollector(() => this.schedule());
    this.connection.collect(this.collector);
    this.transport.bind(this.connection);
    if (options.sasl !== undefined) this.transport.setSasl(new SaslLayer(this.transport, options.sasl));
    this.onEvent = options.onEvent;
    this.autoOpen = options.autoOpen ?? false;
    this.autoClose = options.autoClose ?? true;
    this.whenClosed = new Promise<DriverResult>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.whenFailed = this.whenClosed.then(() => new Promise<never>(() => {}));
    // A test awaits these only at times: never let an early failure go unhandled meanwhile.
    this.whenClosed.catch(() => {});
    this.whenFailed.catch(() => {});

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.transport.push(chunk);
      this.schedule();
    });
    socket.on('end', () => {
      this.transport.closeTail();
      this.schedule();
    });
    socket.on('drain', () => {
      this.blocked = false;
      this.schedule();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.finish());
    this.schedule();
  }

  /** A client driver connected to `host:port`, retrying refused connections until `retryMs` has passed. */
  static async connect(
    host: string,
    port: number,
    options: DriverOptions & { retryMs?: number } = {},
  ): Promise<SocketDriver> {
    const deadline = Date.now() + (options.retryMs ?? 0);
    for (;;) {
      const socket = net.connect({ host, port, allowHalfOpen: true });
      try {
        await once(socket, 'connect');
        return new SocketDriver(socket, false, options);
      } catch (e) {
        socket.destroy();
        if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  /** A server driver on an accepted socket. */
  static wrap(socket: net.Socket, options: DriverOptions = {}): SocketDriver {
    return new SocketDriver(socket, true, options);
  }

  /** Whether a transfer of the incoming delivery `d` left it partial: it came in several transfers. */
  cameInPieces(d: Delivery): boolean {
    return this.collector.partial.has(d);
  }

  /** Replaces the event handler. */
  handle(onEvent: EventHandler): void {
    this.onEvent = onEvent;
    this.schedule();
  }

  /** Schedules a turn (events, then one write). Application code outside `onEvent` may call it; the
   * engine calls that make output queue an event, which schedules a turn by itself. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** Closes the connection (the driver ends when the peer answers, or the socket closes). */
  close(): void {
    this.connection.close();
  }

  /** Tears everything down now: the socket is destroyed and the timer cleared. */
  destroy(): void {
    this.socket.destroy();
    this.clearTimer();
  }

  private turn(): void {
    this.scheduled = false;
    if (this.closed) return;
    this.inTurn = true;
    try {
      this.pump();
      // One write per turn: events the output raises (link_flow after transfers...) schedule the next.
      this.flush();
      this.rearm();
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.inTurn = false;
    }
  }

  private pump(): void {
    for (let e = this.collector.pop(); e !== undefined; e = this.collector.pop()) {
      this.events.push(e.type);
      if (this.autoOpen) this.openOn(e);
      this.onEvent?.(e, this);
      if (this.autoClose) this.closeOn(e);
    }
  }

  private openOn(e: EngineEvent): void {
    switch (e.type) {
      case 'connection_remote_open':
        this.connection.open();
        break;
      case 'session_remote_open': {
        const s = e.context as Session;
        if (s.localState === State.LOCAL_UNINIT) s.open();
        break;
      }
      case 'link_remote_open': {
        const l = e.context as Link;
        if (l.localState !== State.LOCAL_UNINIT) break;
        if (l.session.localState === State.LOCAL_UNINIT) l.session.open();
        l.source.address = l.remoteSource?.address;
        l.target.address = l.remoteTarget?.address;
        l.open();
        break;
      }
    }
  }

  private closeOn(e: EngineEvent): void {
    switch (e.type) {
      case 'connection_remote_close':
        this.connection.close();
        break;
      case 'session_remote_close': {
        const s = e.context as Session;
        if (s.localState !== State.LOCAL_CLOSED) s.close();
        break;
      }
      case 'link_remote_close':
      case 'link_remote_detach': {
        const l = e.context as Link;
        if (l.localState !== State.LOCAL_CLOSED) l.close();
        break;
      }
    }
  }

  /** Takes the output and writes it, once; ends the socket when the transport has nothing more to say. */
  private flush(): void {
    if (this.blocked || this.ended) return;
    const out = this.transport.takeOutput();
    if (out !== undefined) {
      this.bytesOut += out.length;
      if (!this.socket.write(out)) this.blocked = true;
    }
    // Done when our close is out, or when the peer's input ended (nothing more can be said then).
    if ((this.transport.headClosed && this.transport.pending() === 0) || this.socket.readableEnded) {
      this.ended = true;
      this.socket.end();
    }
  }

  private rearm(): void {
    const deadline = this.transport.tick(Date.now());
    if (this.transport.pending() > 0) this.schedule(); // tick wrote a heartbeat
    if (deadline === 0) return this.clearTimer();
    if (this.timer !== undefined && this.timerAt === deadline) return;
    this.clearTimer();
    this.timerAt = deadline;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.max(0, deadline - Date.now()),
    );
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = 0;
  }

  private fail(e: Error): void {
    if (this.failure === undefined) this.failure = e;
    this.socket.destroy();
  }

  private finish(): void {
    if (this.closed) return;
    // The input ended with the socket: let the engine see it, and the handler its last events.
    this.transport.closeTail();
    if (!this.inTurn) {
      try {
        this.pump();
      } catch (e) {
        if (this.failure === undefined) this.failure = e instanceof Error ? e : new Error(String(e));
      }
    }
    this.closed = true;
    this.clearTimer();
    if (this.failure !== undefined) return this.reject(this.failure);
    this.resolve({
      transportCondition: this.transport.condition?.toString(),
      remoteCondition: this.connection.remoteCondition?.toString(),
      events: this.events,
    });
  }
}

/**
 * A collector that schedules a driver turn whenever the engine queues an event, and notes the incoming
 * deliveries seen partial (more transfers to come) when a transfer of theirs arrived: the collector
 * drops repeats of an event, so a handler cannot see that by itself.
 */
class WakingCollector extends Collector {
  readonly partial = new WeakSet<Delivery>();

  constructor(private readonly wake: () => void) {
    super();
  }

  override put(type: EventTypeName, context: unknown): void {
    if (type === 'delivery' && (context as Delivery).partial) this.partial.add(context as Delivery);
    super.put(type, context);
    this.wake();
  }
}

/** A server of drivers on 127.0.0.1. */
export interface DriverServer {
  readonly port: number;
  /** Every driver made so far, in the order the connections came. */
  readonly drivers: SocketDriver[];
  /** Rejects when any driver fails (see {@link SocketDriver.whenFailed}); never resolves. */
  readonly whenFailed: Promise<never>;
  /** Stops listening and destroys every driver's socket. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port); each accepted socket gets a server driver made with `options(n)`. */
export async function listen(options: (n: number) => DriverOptions): Promise<DriverServer> {
  const drivers: SocketDriver[] = [];
  let failed!: (e: unknown) => void;
  const whenFailed = new Promise<never>((_, reject) => {
    failed = reject;
  });
  whenFailed.catch(() => {});
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    try {
      const d = SocketDriver.wrap(socket, options(drivers.length));
      drivers.push(d);
      d.whenFailed.catch(failed);
    } catch (e) {
      socket.destroy();
      failed(e);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    drivers,
    whenFailed,
    close: async () => {
      for (const d of drivers) d.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port free on 127.0.0.1 now (for a server another process will bind). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
