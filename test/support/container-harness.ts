/**
 * Helpers for the Container tests over real loopback sockets:
 *
 * - {@link within}, {@link runAll}, {@link deferred}, {@link sleep}: every wait has a deadline, and a
 *   container that does not finish in time is stopped, so a failing test never hangs;
 * - {@link Scope}: what a test starts (containers, net servers, proxies, Python processes) is closed,
 *   stopped or killed when the test ends, whatever happened;
 * - {@link Recorder}: a `MessagingHandler` that records each callback it receives, in order, and runs the
 *   test's hooks (the defaults of `MessagingHandler` still run after them);
 * - {@link QueueServer}: a tiny in-memory queue server for the listening side (addresses set in
 *   `onLinkOpening`, dynamic sources, messages relayed to the subscribers);
 * - {@link TcpProxy}: a plain TCP relay under the test's control, to kill connections mid-stream, refuse
 *   connections and accept them again; {@link DroppingServer}: accepts and drops every connection.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { Container, type ContainerOptions } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import { State } from '../../src/engine/endpoint.js';
import type { Sender } from '../../src/engine/link.js';
import { MessagingHandler, type MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import type { Message } from '../../src/message/message.js';

export { freePort } from './socket-driver.js';

/** Every server of these tests listens here. */
export const HOST = '127.0.0.1';

// ------------------------------------------------------------------------------------------------
// Deadlines

/** A promise with its resolve and reject at hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a failure naming `what` after `ms` milliseconds. */
export async function within<T>(ms: number, what: string | (() => string), p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const name = typeof what === 'function' ? what() : what;
      reject(new Error(`${name}: not done in ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `test` every 5 ms until it holds, failing after `ms`. */
export async function until(ms: number, what: string | (() => string), test: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) {
      throw new Error(`${typeof what === 'function' ? what() : what}: not true after ${ms} ms`);
    }
    await sleep(5);
  }
}

/**
 * Runs the containers together: resolves when every `run()` has resolved; rejects with the first
 * rejection, or after `ms` (naming `what`). On failure every container is stopped first, so nothing is
 * left running.
 */
export async function runAll(ms: number, what: string | (() => string), ...cs: Container[]): Promise<void> {
  const runs = cs.map((c) => c.run());
  try {
    await within(ms, what, Promise.all(runs));
  } catch (e) {
    for (const c of cs) c.stop();
    await Promise.allSettled(runs);
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// Cleaning up

/** Something a test must close, stop or kill when it ends. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/**
 * What one test started: `scope.container(...)`, `scope.add(...)`. `new Scope(t)` disposes of it all
 * when `t` ends (containers stopped, servers closed, processes killed).
 */
export class Scope {
  private readonly items: Disposable[] = [];

  constructor(t?: TestContext) {
    t?.after(() => this.dispose());
  }

  /** A new container, stopped at the end of the test. */
  container(...args: (object | ContainerOptions)[]): Container {
    const c = new Container(...args);
    this.items.push({ dispose: () => c.stop() });
    return c;
  }

  add<T extends Disposable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async dispose(): Promise<void> {
    const items = this.items.splice(0).reverse();
    for (const i of items) {
      try {
        await i.dispose();
      } catch {
        // Cleaning up goes on.
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Recording handler

/** The callbacks of `MessagingHandler` (plus `onTimerTask`), as the Recorder records them. */
export const CALLBACKS = [
  'onStart',
  'onConnectionOpening',
  'onConnectionOpened',
  'onConnectionClosing',
  'onConnectionClosed',
  'onConnectionError',
  'onSessionOpening',
  'onSessionOpened',
  'onSessionClosing',
  'onSessionClosed',
  'onSessionError',
  'onLinkOpening',
  'onLinkOpened',
  'onLinkClosing',
  'onLinkClosed',
  'onLinkError',
  'onDisconnected',
  'onSendable',
  'onMessage',
  'onAccepted',
  'onRejected',
  'onReleased',
  'onSettled',
  'onAborted',
  'onTransportError',
  'onTimerTask',
] as const;

export type Callback = (typeof CALLBACKS)[number];

/** The test's code for some callbacks; `this` is the recorder. */
export type Hooks = { [K in Callback]?: (this: Recorder, e: Event) => void };

export interface RecorderOptions extends MessagingHandlerOptions {
  /** Record low-level events too (those without a callback), as `~onLinkFlow`. @default false */
  lowLevel?: boolean;
}

/**
 * A MessagingHandler recording every callback it gets (in `calls`, with the event in `events`), then
 * running the hook of that callback, if any, then the `MessagingHandler` default.
 */
export class Recorder extends MessagingHandler {
  readonly calls: string[] = [];
  readonly events: Event[] = [];
  private readonly lowLevel: boolean;

  constructor(
    options: RecorderOptions = {},
    public hooks: Hooks = {},
  ) {
    const { lowLevel, ...rest } = options;
    super(rest);
    this.lowLevel = lowLevel ?? false;
  }

  /** How many times `name` was called. */
  count(name: Callback): number {
    return this.calls.filter((c) => c === name).length;
  }

  /** The calls that are callbacks (the low-level ones left out). */
  get callbacks(): string[] {
    return this.calls.filter((c) => !c.startsWith('~'));
  }

  private note(name: Callback, e: Event): void {
    this.calls.push(name);
    this.events.push(e);
    this.hooks[name]?.call(this, e);
  }

  override onUnhandled(name: string, _e: Event): void {
    if (this.lowLevel) this.calls.push(`~${name}`);
  }

  override onStart(e: Event): void {
    this.note('onStart', e);
  }
  override onConnectionOpening(e: Event): void {
    this.note('onConnectionOpening', e);
  }
  override onConnectionOpened(e: Event): void {
    this.note('onConnectionOpened', e);
  }
  override onConnectionClosing(e: Event): void {
    this.note('onConnectionClosing', e);
  }
  override onConnectionClosed(e: Event): void {
    this.note('onConnectionClosed', e);
  }
  override onConnectionError(e: Event): void {
    this.note('onConnectionError', e);
    super.onConnectionError(e);
  }
  override onSessionOpening(e: Event): void {
    this.note('onSessionOpening', e);
  }
  override onSessionOpened(e: Event): void {
    this.note('onSessionOpened', e);
  }
  override onSessionClosing(e: Event): void {
    this.note('onSessionClosing', e);
  }
  override onSessionClosed(e: Event): void {
    this.note('onSessionClosed', e);
  }
  override onSessionError(e: Event): void {
    this.note('onSessionError', e);
    super.onSessionError(e);
  }
  override onLinkOpening(e: Event): void {
    this.note('onLinkOpening', e);
  }
  override onLinkOpened(e: Event): void {
    this.note('onLinkOpened', e);
  }
  override onLinkClosing(e: Event): void {
    this.note('onLinkClosing', e);
  }
  override onLinkClosed(e: Event): void {
    this.note('onLinkClosed', e);
  }
  override onLinkError(e: Event): void {
    this.note('onLinkError', e);
    super.onLinkError(e);
  }
  override onDisconnected(e: Event): void {
    this.note('onDisconnected', e);
  }
  override onSendable(e: Event): void {
    this.note('onSendable', e);
  }
  override onMessage(e: Event): void {
    this.note('onMessage', e);
  }
  override onAccepted(e: Event): void {
    this.note('onAccepted', e);
  }
  override onRejected(e: Event): void {
    this.note('onRejected', e);
  }
  override onReleased(e: Event): void {
    this.note('onReleased', e);
  }
  override onSettled(e: Event): void {
    this.note('onSettled', e);
  }
  override onAborted(e: Event): void {
    this.note('onAborted', e);
  }
  override onTransportError(e: Event): void {
    this.note('onTransportError', e);
    super.onTransportError(e);
  }
  onTimerTask(e: Event): void {
    this.note('onTimerTask', e);
  }
}

// ------------------------------------------------------------------------------------------------
// A queue server for the listening side

/**
 * A minimal in-memory queue server (a `Recorder`, so its callbacks are recorded too): a link the peer
 * attaches gets its address (a dynamic source gets `dynamic-<n>`); a message received on a link goes to
 * the queue of the link's target address, and each queue is handed to its subscribers (the sending
 * links of that source address) as their credit allows, round robin.
 */
export class QueueServer extends Recorder {
  readonly queues = new Map<string, Message[]>();
  readonly subscribers = new Map<string, Sender[]>();
  /** Every message received, with the address it was sent to. */
  readonly received: { address: string | undefined; message: Message }[] = [];
  /** The links the peers attached: name, role (ours) and address. */
  readonly attached: { name: string; role: 'sender' | 'receiver'; address: string | undefined }[] = [];
  private dynamicCount = 0;

  override onLinkOpening(e: Event): void {
    const l = e.link!;
    if (l.isSender) {
      const rs = l.remoteSource;
      const address = rs?.dynamic ? `dynamic-${++this.dynamicCount}` : rs?.address;
      l.source.address = address;
      if (rs?.dynamic) l.source.dynamic = true;
      if (address !== undefined) {
        const list = this.subscribers.get(address) ?? [];
        list.push(l as Sender);
        this.subscribers.set(address, list);
      }
      this.attached.push({ name: l.name, role: 'sender', address });
    } else {
      l.target.address = l.remoteTarget?.address;
      this.attached.push({ name: l.name, role: 'receiver', address: l.target.address });
    }
    super.onLinkOpening(e);
  }

  override onSendable(e: Event): void {
    super.onSendable(e);
    const address = e.sender?.source.address;
    if (address !== undefined) this.pump(address);
  }

  override onMessage(e: Event): void {
    const address = e.receiver?.target.address ?? e.message?.address;
    this.received.push({ address, message: e.message! });
    super.onMessage(e);
    if (address === undefined) return;
    this.publish(address, e.message!);
  }

  /** Queues a message on `address` and hands it out. */
  publish(address: string, message: Message): void {
    const q = this.queues.get(address) ?? [];
    q.push(message);
    this.queues.set(address, q);
    this.pump(address);
  }

  override onLinkClosing(e: Event): void {
    this.unsubscribe((s) => s === e.link);
    super.onLinkClosing(e);
  }

  override onConnectionClosing(e: Event): void {
    this.unsubscribe((s) => s.connection === e.connection);
    super.onConnectionClosing(e);
  }

  override onDisconnected(e: Event): void {
    this.unsubscribe((s) => s.connection === e.connection);
    super.onDisconnected(e);
  }

  private unsubscribe(which: (s: Sender) => boolean): void {
    for (const [address, list] of this.subscribers) {
      this.subscribers.set(
        address,
        list.filter((s) => !which(s)),
      );
    }
  }

  private pump(address: string): void {
    const q = this.queues.get(address);
    const subs = this.subscribers.get(address);
    if (q === undefined || subs === undefined || subs.length === 0) return;
    let progress = true;
    while (q.length > 0 && progress) {
      progress = false;
      for (const s of subs) {
        if (q.length === 0) break;
        if (s.credit > 0 && s.localState === State.LOCAL_ACTIVE) {
          s.send(q.shift()!);
          progress = true;
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Plain TCP servers under the test's control

/**
 * A TCP relay from `HOST:port` to `HOST:targetPort`. `stopListening()` makes new connections fail
 * (refused), `listen(port)` takes them again, `dropAll()` destroys every relayed connection both ways
 * at once (a peer dying mid-stream).
 */
export class TcpProxy implements Disposable {
  private server: net.Server | undefined = undefined;
  private readonly live = new Set<net.Socket>();
  /** Connections accepted so far. */
  accepted = 0;
  /** The port listened on (kept across `stopListening`, so `listen()` takes the same one again). */
  port = 0;

  constructor(public targetPort: number) {}

  async listen(port = this.port): Promise<number> {
    const server = net.createServer({ noDelay: true }, (client) => this.relay(client));
    this.server = server;
    server.listen(port, HOST);
    await once(server, 'listening');
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private relay(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect({ host: HOST, port: this.targetPort, noDelay: true });
    this.live.add(client);
    this.live.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      this.live.delete(client);
      this.live.delete(upstream);
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', kill);
    upstream.on('close', kill);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The relayed connections open now. */
  get connections(): number {
    return this.live.size / 2;
  }

  /** Destroys every relayed connection (both sockets of each); returns how many. */
  dropAll(): number {
    const n = this.connections;
    for (const s of [...this.live]) s.destroy();
    this.live.clear();
    return n;
  }

  /** Stops accepting: new connections are refused; the relayed ones go on. */
  async stopListening(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    await new Promise<void>((r) => s.close(() => r()));
  }

  async dispose(): Promise<void> {
    this.dropAll();
    await this.stopListening();
  }
}

/** A server that accepts each connection and destroys it at once, noting when. */
export class DroppingServer implements Disposable {
  private readonly server = net.createServer((s) => {
    this.acceptedAt.push(performance.now());
    s.destroy();
  });
  /** When each connection was accepted (`performance.now()`). */
  readonly acceptedAt: number[] = [];

  async listen(): Promise<number> {
    this.server.listen(0, HOST);
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  async dispose(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Whether something accepts TCP connections on `HOST:port` now. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
