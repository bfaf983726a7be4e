/**
 * What the promise API tests share: the embedded broker served by a Container on 127.0.0.1 (port 0),
 * Proton Python's broker.py as a child process on a free port, and the checks that nothing is left
 * behind (timers, open links, abort listeners).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import {
  accept,
  Condition,
  type Connection,
  Container,
  connect,
  copyTermini,
  type Delivery,
  type Event,
  type Message,
  MessagingHandler,
  type PromiseConnection,
  type Receiver,
  type Sender,
  State,
} from '../../src/index.js';
import { HOST, isListening, sleep } from '../support/container-harness.js';
import { freePort } from '../support/socket-driver.js';

export interface RunningBroker {
  /** host:port */
  url: string;
  broker?: Broker;
  /** How many messages wait on a queue (the embedded broker only). */
  depth(queue: string): number;
  stop(): Promise<void>;
}

/** Our embedded broker, listening on 127.0.0.1 and a free port. */
export async function startBroker(): Promise<RunningBroker> {
  const broker = new Broker();
  const container = new Container(broker, { containerId: 'broker' });
  const acceptor = await container.listen(`${HOST}:0`);
  const done = container.run();
  return {
    url: `${HOST}:${acceptor.port}`,
    broker,
    depth: (q) => broker.nodes.get(q)?.messages.length ?? 0,
    stop: async () => {
      container.stop();
      await done.catch(() => {});
    },
  };
}

/** The embedded broker and a connection to it, shared by the tests of a file. */
export interface BrokerConnection {
  readonly broker: RunningBroker;
  readonly conn: PromiseConnection;
  /** A fresh queue name for one test. */
  fresh(): string;
}

/**
 * Registers `before` (starting {@link startBroker} and connecting to it) and `after` (closing and
 * stopping both); the queues of {@link BrokerConnection.fresh} are named `${prefix}-N`.
 */
export function useBrokerConnection(prefix: string): BrokerConnection {
  let broker: RunningBroker | undefined;
  let conn: PromiseConnection | undefined;
  let n = 0;
  before(async () => {
    broker = await startBroker();
    conn = await connect(broker.url);
  });
  after(async () => {
    await conn?.close();
    await broker?.stop();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('the broker is not started yet');
    return x;
  };
  return {
    get broker() {
      return started(broker);
    },
    get conn() {
      return started(conn);
    },
    fresh: () => `${prefix}-${++n}`,
  };
}

/** Proton Python's example broker.py on a free port, once it listens. */
export async function startPythonBroker(): Promise<RunningBroker> {
  const port = await freePort();
  // Loaded only here: the Python helpers bring fast-check, slow to load, which the other tests do not need.
  const { PythonPeer } = await import('../support/python-peer.js');
  const peer = new PythonPeer('broker.py', ['-a', `${HOST}:${port}`]);
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (!peer.running || Date.now() > deadline) {
      await peer.dispose();
      throw new Error(`broker.py did not listen on ${port}: ${peer.stderr}`);
    }
    await sleep(50);
  }
  return {
    url: `${HOST}:${port}`,
    depth: () => Number.NaN,
    stop: () => peer.dispose(),
  };
}

/** The number of live Node timers. */
export function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** The links of a connection still open here. */
export function openLinks(c: PromiseConnection): string[] {
  return c.connection.links.filter((l) => l.localState === State.LOCAL_ACTIVE).map((l) => l.name);
}

/** Asserts that `signal` has no abort listener left. */
export function assertNoListeners(signal: AbortSignal): void {
  assert.equal(getEventListeners(signal, 'abort').length, 0, 'abort listeners left on the signal');
}

/**
 * A peer that is not a broker, listening on 127.0.0.1: it takes what is sent to it, gives credit by
 * hand (`grant`) or `prefetch` at a time, and settles each message as `decide` says (accept by default).
 */
export class DirectPeer extends MessagingHandler {
  readonly receivers: Receiver[] = [];
  readonly senders: Sender[] = [];
  readonly messages: Message[] = [];
  readonly connections: Connection[] = [];
  decide: (message: Message, delivery: Delivery) => void = (_m, d) => accept(d);
  url = '';
  /** When set, every link is refused: closed at once with `amqp:not-found` and this description. */
  refuse: string | undefined = undefined;
  private container: Container | undefined;
  private done: Promise<void> | undefined;

  constructor(prefetch = 10) {
    super({ prefetch, autoAccept: false });
  }

  async start(): Promise<this> {
    this.container = new Container(this, { containerId: 'direct-peer' });
    const a = await this.container.listen(`${HOST}:0`);
    this.url = `${HOST}:${a.port}`;
    this.done = this.container.run();
    return this;
  }

  /** Grants `n` credit to every receiving link. */
  grant(n: number): void {
    for (const r of this.receivers) r.flow(n);
  }

  override onConnectionOpening(e: Event): void {
    if (e.connection !== undefined) this.connections.push(e.connection);
  }
  override onLinkOpening(e: Event): void {
    if (e.link === undefined) return;
    if (this.refuse !== undefined) e.link.close(new Condition('amqp:not-found', this.refuse));
    else copyTermini(e.link);
  }
  override onLinkOpened(e: Event): void {
    if (e.receiver !== undefined) this.receivers.push(e.receiver);
    if (e.sender !== undefined) this.senders.push(e.sender);
  }
  override onMessage(e: Event): void {
    this.messages.push(e.message!);
    this.decide(e.message!, e.delivery!);
  }

  async stop(): Promise<void> {
    this.container?.stop();
    await this.done?.catch(() => {});
  }
}

/**
 * Asserts that the live timers come back to `baseline`: at once for ours, but the broker in this
 * process may hold one of its own for a moment, so this polls for up to a second.
 */
export async function assertTimersBackTo(baseline: number): Promise<void> {
  const deadline = Date.now() + 1000;
  while (timerCount() > baseline) {
    if (Date.now() > deadline) assert.fail(`${timerCount()} timers live, ${baseline} before`);
    await new Promise((r) => setImmediate(r));
  }
}
