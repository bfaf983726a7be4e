/**
 * An at-least-once run through a broker (the embedded one, or another listening on `brokerPort`) and a
 * {@link FaultProxy}: one producer (a sender with `resend`, reconnecting) and one consumer (auto-accept,
 * reconnecting), both through the proxy unless `faultsOn` says only the producer, while faults are
 * injected. Every message carries its number; the run ends once the producer has an outcome for every
 * message and the consumer has seen every one (or, with `endWhenQuietMs`, has gone quiet). Nothing may
 * be lost; duplicates (a resend of a delivery in doubt, a redelivery of one whose accept was lost) are
 * counted.
 */
import { Broker } from '../../src/broker/index.js';
import { Backoff, Container, type Event, Message, MessagingHandler } from '../../src/index.js';
import { FaultProxy } from './fault-proxy.js';

export interface RunFigures {
  messages: number;
  resets: number;
  seconds: number;
  /** Messages the consumer saw more than once (counted once per extra copy). */
  duplicates: number;
  /**
   * The producer's deliveries without an outcome when the resets hit (in doubt: each is sent again by
   * `resend`, and must end with an outcome like every other).
   */
  inDoubt: number;
  /** Messages the broker accepted, counted once each. */
  accepted: number;
  /** Outcomes other than accepted (released, rejected, modified): must be none. */
  otherOutcomes: number;
  /** Distinct messages the consumer saw. */
  unique: number;
  /** Connections the proxy relayed (reconnects included). */
  connections: number;
  /** Sent deliveries still without an outcome at the end (must be 0). */
  unsettledAtEnd: number;
  /** Messages the producer had an outcome for but the consumer never saw (`endWhenQuietMs` runs only). */
  lost: number;
  /** The consumer's link credit (its prefetch): what a broker may have in flight to it at a reset. */
  consumerCredit: number;
}

export interface RunOptions {
  messages: number;
  /** Faults injected (resets, unless `inject` says otherwise), spread evenly over the consumer's progress. */
  resets: number;
  /** The fault injected at each of the `resets` points. @default every connection reset */
  inject?: (proxy: FaultProxy) => void;
  /** Set up other faults on the proxy before the run (delay, fragment). */
  configure?: (proxy: FaultProxy) => void;
  /** Give up after this long. */
  timeoutMs: number;
  /** A broker already listening on 127.0.0.1 at this port (Proton's, say); the embedded one otherwise. */
  brokerPort?: number;
  /** The queue's address; distinct per run against a broker shared by several runs. @default 'faults' */
  queue?: string;
  /**
   * Whose connections go through the proxy: `both`, or only the `producer`'s (the consumer then connects
   * straight to the broker, so a fault cannot cost it what the broker had in flight to it). @default 'both'
   */
  faultsOn?: 'both' | 'producer';
  /** The clients' idle timeout in ms (a stalled proxy is then detected). @default none */
  heartbeat?: number;
  /**
   * For a broker that may lose messages: the run ends once every message has an outcome and the
   * consumer has seen nothing new for this long, and the figures count what was lost instead of the run
   * waiting for it. Without it the run waits for every message.
   */
  endWhenQuietMs?: number;
}

const PREFETCH = 200;

export async function atLeastOnce(o: RunOptions): Promise<RunFigures> {
  const N = o.messages;
  const QUEUE = o.queue ?? 'faults';
  const bc =
    o.brokerPort === undefined ? new Container(new Broker(), { containerId: 'fault-broker' }) : undefined;
  const containers: Container[] = bc === undefined ? [] : [bc];
  const acceptor = await bc?.listen('127.0.0.1:0');
  const brokerPort = o.brokerPort ?? acceptor!.port;
  const proxy = new FaultProxy(brokerPort);
  await proxy.listen();
  o.configure?.(proxy);
  const url = `127.0.0.1:${proxy.port}`;
  const consumerUrl = o.faultsOn === 'producer' ? `127.0.0.1:${brokerPort}` : url;
  const connectOptions = () => ({
    reconnect: new Backoff({ initial: 10, maxDelay: 100 }),
    ...(o.heartbeat === undefined ? {} : { heartbeat: o.heartbeat }),
  });

  const seen = new Uint8Array(N + 1);
  const outcome = new Uint8Array(N + 1);
  const f: RunFigures = {
    messages: N,
    resets: 0,
    seconds: 0,
    duplicates: 0,
    inDoubt: 0,
    accepted: 0,
    otherOutcomes: 0,
    unique: 0,
    connections: 0,
    unsettledAtEnd: 0,
    lost: 0,
    consumerCredit: PREFETCH,
  };
  let producerConn: Event['connection'];
  let consumerConn: Event['connection'];
  let sender: Event['sender'];
  const finish = () => {
    producerConn?.close();
    consumerConn?.close();
  };
  let lastSeen = performance.now();
  let quiet: NodeJS.Timeout | undefined;
  const finishIfDone = () => {
    if (f.accepted === N && f.unique === N) finish();
    else if (f.accepted === N && o.endWhenQuietMs !== undefined && quiet === undefined) {
      // Polled rather than rescheduled on every message: the consumer's silence is what ends the run.
      quiet = setInterval(() => {
        if (performance.now() - lastSeen < o.endWhenQuietMs!) return;
        clearInterval(quiet);
        finish();
      }, 50);
    }
  };

  let next = 1;
  class Producer extends MessagingHandler {
    override onStart(e: Event): void {
      producerConn = e.container.connect(url, connectOptions());
      sender = e.container.createSender(producerConn, QUEUE, { resend: true });
    }
    override onSendable(e: Event): void {
      const s = e.sender!;
      while (s.credit > 0 && next <= N) {
        const d = s.send(new Message({ body: next }));
        d.context = next++;
      }
    }
    override onAccepted(e: Event): void {
      const id = e.delivery!.context as number;
      if (outcome[id] === 0) {
        outcome[id] = 1;
        f.accepted++;
        finishIfDone();
      }
    }
    override onRejected(): void {
      f.otherOutcomes++;
    }
    override onReleased(): void {
      f.otherOutcomes++;
    }
    override onTransportError(): void {}
  }

  class Consumer extends MessagingHandler {
    constructor() {
      super({ prefetch: PREFETCH });
    }
    override onStart(e: Event): void {
      consumerConn = e.container.connect(consumerUrl, connectOptions());
      e.container.createReceiver(consumerConn, QUEUE);
    }
    override onMessage(e: Event): void {
      const id = e.message!.body as number;
      lastSeen = performance.now();
      if (seen[id] !== 0) {
        f.duplicates++;
        return;
      }
      seen[id] = 1;
      f.unique++;
      // The faults: every connection reset (RST) at evenly spaced points of the consumer's progress.
      if (f.resets < o.resets && f.unique >= ((f.resets + 1) * N) / (o.resets + 1)) {
        f.resets++;
        if (sender !== undefined) f.inDoubt += [...sender.deliveries].filter((d) => !d.remoteSettled).length;
        if (o.inject === undefined) proxy.resetAll();
        else o.inject(proxy);
      }
      finishIfDone();
    }
    override onTransportError(): void {}
  }

  const started = performance.now();
  const runs = [new Producer(), new Consumer()].map((h) => {
    const c = new Container(h);
    containers.push(c);
    return c.run();
  });
  const brokerRun = bc?.run();
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    for (const c of containers) c.stop();
  }, o.timeoutMs);
  try {
    await Promise.all(runs);
  } finally {
    clearTimeout(limit);
    clearInterval(quiet);
    f.seconds = (performance.now() - started) / 1000;
    f.connections = proxy.accepted;
    for (const l of [sender]) {
      if (l === undefined) continue;
      f.unsettledAtEnd = [...l.deliveries].filter((d) => !d.remoteSettled).length + l.inDoubt.length;
    }
    f.lost = N - f.unique;
    await proxy.close();
    acceptor?.close();
    bc?.stop();
    await brokerRun?.catch(() => {});
  }
  if (timedOut) {
    throw new Error(
      `timed out after ${o.timeoutMs} ms: ${JSON.stringify(f)} (first missing: ${seen.indexOf(0, 1)})`,
    );
  }
  return f;
}
