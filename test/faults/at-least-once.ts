/**
 * An at-least-once run through the embedded broker and a {@link FaultProxy}: one producer (a sender
 * with `resend`, reconnecting) and one consumer (auto-accept, reconnecting), both through the proxy,
 * while faults are injected. Every message carries its number; the run ends once the producer has an
 * outcome for every message and the consumer has seen every one. Nothing may be lost; duplicates (a
 * resend of a delivery in doubt, a redelivery of one whose accept was lost) are counted.
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
}

const QUEUE = 'faults';

export async function atLeastOnce(o: RunOptions): Promise<RunFigures> {
  const N = o.messages;
  const broker = new Broker();
  const bc = new Container(broker, { containerId: 'fault-broker' });
  const containers: Container[] = [bc];
  const acceptor = await bc.listen('127.0.0.1:0');
  const proxy = new FaultProxy(acceptor.port);
  await proxy.listen();
  o.configure?.(proxy);
  const url = `127.0.0.1:${proxy.port}`;
  const reconnect = () => new Backoff({ initial: 10, maxDelay: 100 });

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
  };
  let producerConn: Event['connection'];
  let consumerConn: Event['connection'];
  let sender: Event['sender'];
  const finishIfDone = () => {
    if (f.accepted === N && f.unique === N) {
      producerConn?.close();
      consumerConn?.close();
    }
  };

  let next = 1;
  class Producer extends MessagingHandler {
    override onStart(e: Event): void {
      producerConn = e.container.connect(url, { reconnect: reconnect() });
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
      super({ prefetch: 200 });
    }
    override onStart(e: Event): void {
      consumerConn = e.container.connect(url, { reconnect: reconnect() });
      e.container.createReceiver(consumerConn, QUEUE);
    }
    override onMessage(e: Event): void {
      const id = e.message!.body as number;
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
  const brokerRun = bc.run();
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    for (const c of containers) c.stop();
  }, o.timeoutMs);
  try {
    await Promise.all(runs);
  } finally {
    clearTimeout(limit);
    f.seconds = (performance.now() - started) / 1000;
    f.connections = proxy.accepted;
    for (const l of [sender]) {
      if (l === undefined) continue;
      f.unsettledAtEnd = [...l.deliveries].filter((d) => !d.remoteSettled).length + l.inDoubt.length;
    }
    await proxy.close();
    acceptor.close();
    bc.stop();
    await brokerRun.catch(() => {});
  }
  if (timedOut) {
    throw new Error(
      `timed out after ${o.timeoutMs} ms: ${JSON.stringify(f)} (first missing: ${seen.indexOf(0, 1)})`,
    );
  }
  return f;
}
