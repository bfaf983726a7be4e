/**
 * What the broker tests share: a broker on a loopback port (stopped after the file's tests), client
 * handlers run to completion with a time limit, and a few small helpers.
 */
import { after } from 'node:test';
import { Broker, type BrokerOptions } from '../../src/broker/index.js';
import {
  Condition,
  Container,
  type Delivery,
  type Event,
  type LinkOption,
  type Logger,
  Message,
  MessagingHandler,
  type Receiver,
  Rejected,
} from '../../src/index.js';

export interface Running {
  url: string;
  port: number;
  broker: Broker;
  container: Container;
  done: Promise<void>;
  stop(): Promise<void>;
}

const started: Running[] = [];
after(async () => {
  for (const r of started) await r.stop();
});

/** A broker with `options`, listening on 127.0.0.1 on a free port. */
export async function startBroker(options: BrokerOptions = {}): Promise<Running> {
  const broker = new Broker(options);
  const container = new Container(broker, { containerId: 'broker' });
  const acceptor = await container.listen('127.0.0.1:0');
  const done = container.run();
  const r: Running = {
    url: `127.0.0.1:${acceptor.port}`,
    port: acceptor.port,
    broker,
    container,
    done,
    stop: async () => {
      container.stop();
      await done.catch(() => {});
    },
  };
  started.push(r);
  return r;
}

/** Runs a client handler in its own container until it finishes (or `ms` pass: then it is stopped). */
export async function client(handler: MessagingHandler, ms = 5000, containerId?: string): Promise<void> {
  const c = new Container(handler, containerId === undefined ? {} : { containerId });
  const timer = setTimeout(() => c.stop(), ms);
  try {
    await c.run();
  } finally {
    clearTimeout(timer);
  }
}

/** `n` messages, bodies `m1`..`mn`, ids 1..n. */
export const messages = (n: number, f: (i: number) => Partial<Message> = () => ({})) =>
  Array.from({ length: n }, (_, i) => new Message({ id: i + 1, body: `m${i + 1}`, ...f(i) }));

/** The error condition name of a rejected outcome. */
export function conditionOf(d: Delivery | undefined): string | undefined {
  const r = d?.remote;
  if (!(r instanceof Rejected) || r.error === undefined) return undefined;
  return Condition.fromError(r.error)?.name;
}

/** Resolves once `test()` holds, polling every 10 ms; rejects after `ms`. */
export async function until(test: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The bodies waiting in a node of the broker. */
export const queued = (b: Running, address: string) =>
  b.broker.nodes.get(address)?.messages.map((e) => e.message.body);

/** Receives `expected` messages from `address`, then closes its connection. */
export class Receive extends MessagingHandler {
  readonly bodies: unknown[] = [];
  readonly counts: number[] = [];
  readonly firstAcquirers: boolean[] = [];
  receiver: Receiver | undefined;
  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly expected: number,
    private readonly opts: { options?: LinkOption[]; prefetch?: number } = {},
  ) {
    super({ prefetch: opts.prefetch ?? 10 });
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    this.receiver = e.container.createReceiver(conn, this.address, { options: this.opts.options });
  }
  override onMessage(e: Event): void {
    this.bodies.push(e.message!.body);
    this.counts.push(e.message!.deliveryCount);
    this.firstAcquirers.push(e.message!.firstAcquirer);
    if (this.bodies.length === this.expected) e.connection!.close();
  }
}

/** A logger keeping what it is given. */
export function keepingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string) => {
    lines.push(`${level}: ${msg}`);
  };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
