/**
 * The soak: for a bounded time, connections, links and messages churn through the embedded broker in
 * this process, while the heap (after a full collection) and the live handles
 * (`process.getActiveResourcesInfo()`) are sampled. Each worker loops: connect, attach a sender and a
 * receiver on a queue of its own, send a batch at-least-once, receive and accept it, close everything,
 * start again. At the end every worker stops and the handle counts must fall back to where they began
 * (no socket, timer or connection left behind); the heap of the second half must not keep growing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Broker } from '../../src/broker/index.js';
import { Container, type Event, Message, MessagingHandler } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface Sample {
  /** Seconds since the start. */
  t: number;
  heapMiB: number;
  /** Live handles by type (TCPSocketWrap, Timeout, ...). */
  handles: Record<string, number>;
}

export interface SoakFigures {
  seconds: number;
  workers: number;
  connections: number;
  messages: number;
  samples: Sample[];
  /** Handle counts before the churn started (the broker listening) and after every worker stopped. */
  handlesBefore: Record<string, number>;
  handlesAfter: Record<string, number>;
  /** The broker's connections still open at the end, by its own count. */
  heapStartMiB: number;
  heapEndMiB: number;
  /** Least-squares slope of the heap over the second half of the run, in MiB per minute. */
  heapSlopeMiBPerMin: number;
}

const MiB = 1024 * 1024;

function handleCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function heapMiB(): number {
  gc();
  return process.memoryUsage().heapUsed / MiB;
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** One worker: connection after connection, each carrying one batch through its own queue. */
class Worker extends MessagingHandler {
  connections = 0;
  messages = 0;
  stopping = false;
  private sent = 0;
  private received = 0;

  constructor(
    private readonly url: string,
    private readonly id: number,
    private readonly batch: number,
  ) {
    super({ prefetch: 50 });
  }

  override onStart(e: Event): void {
    this.cycle(e.container);
  }

  private cycle(c: Container): void {
    if (this.stopping) return;
    this.connections++;
    this.sent = 0;
    this.received = 0;
    const queue = `soak-${this.id}-${this.connections % 5}`;
    const conn = c.connect(this.url, { reconnect: false });
    c.createSender(conn, queue);
    c.createReceiver(conn, queue);
  }

  override onSendable(e: Event): void {
    const s = e.sender!;
    while (s.credit > 0 && this.sent < this.batch) s.send(new Message({ body: `m${this.sent++}` }));
  }

  override onMessage(e: Event): void {
    this.messages++;
    if (++this.received === this.batch) e.connection!.close();
  }

  override onConnectionClosed(e: Event): void {
    // The next connection starts on the next turn, as a new application would.
    setImmediate(() => this.cycle(e.container));
  }
}

/**
 * Runs the soak for `seconds`, sampling every `sampleMs`; `onSample` sees each sample as it is taken.
 */
export async function soak(
  seconds: number,
  options: { workers?: number; batch?: number; sampleMs?: number; onSample?: (s: Sample) => void } = {},
): Promise<SoakFigures> {
  const workers = options.workers ?? 4;
  const batch = options.batch ?? 100;
  const sampleMs = options.sampleMs ?? 1000;
  const broker = new Broker();
  const bc = new Container(broker, { containerId: 'soak-broker' });
  const acceptor = await bc.listen('127.0.0.1:0');
  const brokerRun = bc.run();
  await new Promise((r) => setTimeout(r, 100));
  const handlesBefore = handleCounts();
  const heapStart = heapMiB();
  const url = `127.0.0.1:${acceptor.port}`;
  const ws = Array.from({ length: workers }, (_, i) => new Worker(url, i, batch));
  const containers = ws.map((w) => new Container(w));
  const runs = containers.map((c) => c.run());
  const samples: Sample[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = (performance.now() - started) / 1000;
      const s: Sample = { t, heapMiB: heapMiB(), handles: handleCounts() };
      samples.push(s);
      options.onSample?.(s);
      if (t >= seconds) {
        clearInterval(timer);
        resolve();
      }
    }, sampleMs);
  });
  for (const w of ws) w.stopping = true;
  // Each worker ends its current connection, then its container has nothing left and returns.
  const limit = setTimeout(() => {
    for (const c of containers) c.stop();
  }, 30_000);
  await Promise.all(runs);
  clearTimeout(limit);
  const elapsed = (performance.now() - started) / 1000;
  // Sockets closed by the peer are released on a later turn.
  await new Promise((r) => setTimeout(r, 300));
  const handlesAfter = handleCounts();
  const heapEnd = heapMiB();
  acceptor.close();
  bc.stop();
  await brokerRun.catch(() => {});
  const half = samples.filter((s) => s.t >= seconds / 2).map((s): [number, number] => [s.t / 60, s.heapMiB]);
  return {
    seconds: elapsed,
    workers,
    connections: ws.reduce((n, w) => n + w.connections, 0),
    messages: ws.reduce((n, w) => n + w.messages, 0),
    samples,
    handlesBefore,
    handlesAfter,
    heapStartMiB: heapStart,
    heapEndMiB: heapEnd,
    heapSlopeMiBPerMin: slope(half),
  };
}

/** The handle counts as `Type n, Type n`. */
export function showHandles(h: Record<string, number>): string {
  return (
    Object.entries(h)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}
