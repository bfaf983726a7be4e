/**
 * proton-ts as the near end of the interop scenarios: a sender that sends a list of messages and keeps
 * each one's outcome, a receiver that takes a number of messages (settling each as the test says), and a
 * listener that does either for a peer that connects. Each runs its own Container until done, fails after
 * a deadline naming what was missing, and records every error condition it saw (so that a `[limit: ...]`
 * test can assert the peer's documented failure).
 */
import { Accepted, Modified, Rejected, Released } from '../../../src/codec/composite-types.js';
import type { Acceptor, ListenOptions } from '../../../src/container/acceptor.js';
import type { Container } from '../../../src/container/container.js';
import type { Event } from '../../../src/container/event.js';
import type { LinkOption } from '../../../src/container/link-options.js';
import { AtMostOnce } from '../../../src/container/link-options.js';
import type { ConnectOptions } from '../../../src/container/options.js';
import type { Delivery, DeliveryStateValue } from '../../../src/engine/delivery.js';
import type { Message } from '../../../src/message/message.js';
import { Recorder, type RecorderOptions, type Scope, within } from '../../support/container-harness.js';

/** An error condition one of our endpoints saw, and where. */
export interface SeenError {
  where: 'transport' | 'connection' | 'session' | 'link';
  condition: string | undefined;
  description: string | undefined;
}

/** What a connection's open (and the SASL exchange before it) told. */
export interface OpenInfo {
  saslMechanism: string | undefined;
  saslUser: string | undefined;
  /** The idle timeout the peer advertised, in ms (0: none). */
  remoteIdleTimeout: number;
  remoteContainer: string | undefined;
}

/** The name of an outcome: `accepted`, `rejected`, `released`, `modified`, or `none`. */
export function outcomeName(state: DeliveryStateValue | undefined): string {
  if (state instanceof Accepted) return 'accepted';
  if (state instanceof Rejected) return 'rejected';
  if (state instanceof Released) return 'released';
  if (state instanceof Modified) return 'modified';
  return state === undefined ? 'none' : String(state);
}

/**
 * A Recorder that also keeps the error conditions of every failure callback in {@link errors}, and ends
 * its connection on one (no reconnect), so that a scenario stops instead of hanging.
 */
export class ScenarioHandler extends Recorder {
  readonly errors: SeenError[] = [];
  /** What the first connection's open told, read when it opened (the transport goes with the connection). */
  opened: OpenInfo | undefined = undefined;

  constructor(options: RecorderOptions = {}) {
    super(options);
  }

  private seen(where: SeenError['where'], e: Event): void {
    const c =
      where === 'transport'
        ? e.transport?.condition
        : where === 'connection'
          ? e.connection?.remoteCondition
          : where === 'session'
            ? e.session?.remoteCondition
            : e.link?.remoteCondition;
    this.errors.push({ where, condition: c?.name, description: c?.description });
  }

  override onConnectionOpened(e: Event): void {
    const t = e.transport;
    this.opened ??= {
      saslMechanism: t?.sasl?.mechanism,
      saslUser: t?.sasl?.user,
      remoteIdleTimeout: t?.remoteIdleTimeout ?? 0,
      remoteContainer: e.connection?.remoteContainerId,
    };
    super.onConnectionOpened(e);
  }

  override onTransportError(e: Event): void {
    this.seen('transport', e);
    super.onTransportError(e);
  }
  override onConnectionError(e: Event): void {
    this.seen('connection', e);
    super.onConnectionError(e);
  }
  override onSessionError(e: Event): void {
    this.seen('session', e);
    super.onSessionError(e);
    e.connection?.close();
  }
  override onLinkError(e: Event): void {
    this.seen('link', e);
    super.onLinkError(e);
    e.connection?.close();
  }
}

export interface SendOptions {
  /** `host:port` (or a full URL) of the peer. */
  url: string;
  /** The target address. */
  address: string;
  messages: readonly Message[];
  /** Pre-settled (at-most-once): no outcomes come back, and the sender is done once all are sent. */
  atMostOnce?: boolean;
  connect?: ConnectOptions;
  /** How long it may take. @default 30000 */
  timeoutMs?: number;
  /** Runs after the sender is created, before the container runs (to add a receiver, say). */
  also?: (container: Container, handler: ScenarioHandler) => void;
}

export interface SendResult {
  /** The peer's outcome of each message, by index (`undefined` while none came). */
  outcomes: (DeliveryStateValue | undefined)[];
  errors: SeenError[];
  handler: ScenarioHandler;
}

/** Sends the messages on one link and waits for every outcome (or, at most once, until all are sent). */
export async function sendAll(scope: Scope, o: SendOptions): Promise<SendResult> {
  const outcomes: (DeliveryStateValue | undefined)[] = o.messages.map(() => undefined);
  const index = new Map<Delivery, number>();
  let sent = 0;
  let settled = 0;
  const done = (e: Event) => {
    settled++;
    if (settled === o.messages.length) e.connection?.close();
  };
  const outcome = (e: Event) => {
    const d = e.delivery!;
    const i = index.get(d);
    if (i !== undefined) outcomes[i] = d.remote;
    done(e);
  };
  const h = new ScenarioHandler();
  h.hooks = {
    onSendable(e) {
      const s = e.sender!;
      while (s.credit > 0 && sent < o.messages.length) {
        const d = s.send(o.messages[sent]!);
        index.set(d, sent);
        sent++;
        if (o.atMostOnce) done(e);
      }
    },
    onAccepted: outcome,
    onRejected: outcome,
    onReleased: outcome,
  };
  const c = scope.container(h);
  const conn = c.connect(o.url, { reconnect: false, ...o.connect });
  const options: LinkOption[] = o.atMostOnce ? [new AtMostOnce()] : [];
  c.createSender(conn, o.address, { options });
  o.also?.(c, h);
  await within(
    o.timeoutMs ?? 30_000,
    () => `sending ${o.messages.length} (${sent} sent, ${settled} settled)`,
    c.run(),
  );
  return { outcomes, errors: h.errors, handler: h };
}

export interface ReceiveOptions {
  url: string;
  address: string;
  count: number;
  /** Ask for pre-settled deliveries (at-most-once). */
  atMostOnce?: boolean;
  connect?: ConnectOptions;
  /** Credit kept open. @default 100 */
  prefetch?: number;
  /**
   * Settles each message (the handler has autoAccept off): give the outcome with `h.accept(d)`,
   * `h.reject(d, ...)`... @default accept
   */
  settle?: (h: ScenarioHandler, d: Delivery, m: Message, i: number) => void;
  timeoutMs?: number;
}

export interface ReceiveResult {
  messages: Message[];
  errors: SeenError[];
  handler: ScenarioHandler;
}

/** Receives `count` messages on one link, then closes. */
export async function receiveAll(scope: Scope, o: ReceiveOptions): Promise<ReceiveResult> {
  const messages: Message[] = [];
  const h = new ScenarioHandler({ autoAccept: false, prefetch: o.prefetch ?? 100 });
  h.hooks = {
    onMessage(e) {
      const i = messages.length;
      messages.push(e.message!);
      const d = e.delivery!;
      if (o.settle) o.settle(h, d, e.message!, i);
      else h.accept(d);
      if (messages.length === o.count) e.connection?.close();
    },
  };
  const c = scope.container(h);
  const conn = c.connect(o.url, { reconnect: false, ...o.connect });
  c.createReceiver(conn, o.address, { options: o.atMostOnce ? [new AtMostOnce()] : [] });
  await within(o.timeoutMs ?? 30_000, () => `receiving ${o.count} (${messages.length} came)`, c.run());
  return { messages, errors: h.errors, handler: h };
}

/** A proton-ts listener on 127.0.0.1 for a peer that connects: {@link Listening.port} to give the peer. */
export interface Listening {
  container: Container;
  acceptor: Acceptor;
  port: number;
  handler: ScenarioHandler;
  /** The container's run: resolves once the acceptor and every connection are closed. */
  run: Promise<void>;
}

/** Listens with `handler` (give it hooks), on a free port, until the test closes `acceptor`. */
export async function listen(
  scope: Scope,
  handler: ScenarioHandler,
  options: ListenOptions = {},
): Promise<Listening> {
  const container = scope.container(handler);
  const acceptor = await container.listen('127.0.0.1:0', options);
  const run = container.run();
  run.catch(() => {});
  return { container, acceptor, port: acceptor.port, handler, run };
}
