/**
 * The embedded broker's limits: how many connections, sessions and links it serves, how deep a
 * queue may grow, and how much one connection may make it hold (unsettled deliveries, buffered bytes).
 * An endpoint over a limit is closed with `amqp:resource-limit-exceeded` and a description naming the
 * limit; the broker lives on. Queue depth is enforced by flow control: a link sending into a node gets
 * credit only for the room the node has left, so a full queue stops its producers until its consumers
 * drain it. Unsettled deliveries are bounded the same way, from the other side: a connection holding
 * its limit is sent nothing more until it settles.
 */
import {
  Condition,
  type Connection,
  type Delivery,
  ErrorCondition,
  InvalidOptionError,
  type Link,
  type Receiver,
  Sender,
  type Session,
  State,
} from '../index.js';
import type { DeliveryGate, Node } from './queue.js';

/** The limits, each a whole number >= 1 (or `Infinity` for none). */
export interface BrokerLimits {
  /** Connections served at once; one more is closed as soon as it opens. @default 1000 */
  maxConnections?: number;
  /** Sessions open at once on one connection. @default 256 */
  maxSessionsPerConnection?: number;
  /** Links attached at once on one connection (all its sessions). @default 1000 */
  maxLinksPerConnection?: number;
  /**
   * Messages waiting in one queue (a topic: in its fullest subscription), counting those held by open
   * transactions. Producers get no credit beyond it; a message that arrives anyway (through the
   * anonymous relay, say) is rejected, or dropped with a warning when it was sent settled.
   * @default 10000
   */
  maxQueueDepth?: number;
  /**
   * Deliveries the broker sent one connection (all its consumers) that it has not settled: the peer has
   * neither settled them nor given an outcome the broker settles on. A connection holding this many is
   * sent nothing more until it settles some, whatever credit it grants, so a consumer that never settles
   * pins at most this many messages. The default matches `maxQueueDepth`: such a consumer holds at most
   * one full queue's worth, far above what a client's prefetch asks for (Proton's is 10, rhea's 500).
   * @default 10000
   */
  maxUnsettledPerConnection?: number;
  /**
   * Bytes of incoming messages one connection may make the broker hold: multi-frame messages still
   * arriving, over all its links (a whole message is taken into its queue as it completes, so this also
   * bounds the largest message). Past it the connection is closed at once, with no more of its input
   * read: flow control counts messages, not bytes, so nothing else stops a peer that opens many links
   * and leaves a large message unfinished on each. @default 67108864 (64 MiB)
   */
  maxBufferedBytesPerConnection?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<BrokerLimits>> = Object.freeze({
  maxConnections: 1000,
  maxSessionsPerConnection: 256,
  maxLinksPerConnection: 1000,
  maxQueueDepth: 10_000,
  maxUnsettledPerConnection: 10_000,
  maxBufferedBytesPerConnection: 64 * 1024 * 1024,
});

/** The limits asked for, checked, with the defaults filled in. */
export function resolveLimits(options: BrokerLimits): Required<BrokerLimits> {
  const out = { ...DEFAULT_LIMITS };
  for (const name of Object.keys(DEFAULT_LIMITS) as (keyof BrokerLimits)[]) {
    const v = options[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(Number.isSafeInteger(v) || v === Infinity) || v < 1) {
      throw new InvalidOptionError(name, `Broker: must be a whole number >= 1 or Infinity, not ${String(v)}`);
    }
    out[name] = v;
  }
  return out;
}

/** The condition an endpoint over `limit` is closed with. */
export function overLimit(limit: keyof BrokerLimits, value: number): Condition {
  return new Condition(ErrorCondition.resourceLimitExceeded, `${limit} (${value}) reached`);
}

const open = (e: { localState: number; remoteState: number }) =>
  e.localState === State.LOCAL_ACTIVE && e.remoteState !== State.REMOTE_CLOSED;

/** The sessions of `c` open here, except `but`. */
export function openSessions(c: Connection, but: Session): number {
  let n = 0;
  for (const s of c.sessions) if (s !== but && open(s)) n++;
  return n;
}

/** The links of `c` attached here, except `but`. */
export function openLinks(c: Connection, but: object): number {
  let n = 0;
  for (const s of c.sessions) for (const l of s.links) if (l !== but && open(l)) n++;
  return n;
}

/**
 * Credit for the links sending into the broker. A link into a node gets at most `window`, and never
 * more than the node's room (its depth limit less its depth and the credit its other producers hold);
 * a link into no particular node (the anonymous relay, a coordinator) gets `window`. Credit is topped up
 * once half the window is used, so flows go out in batches.
 */
export class ProducerCredit {
  constructor(
    private readonly window: number,
    private readonly maxDepth: number,
  ) {}

  /** Tops up one link's credit; `node` is where it sends, when it names one. */
  topUp(link: Receiver, node: Node | undefined): void {
    if (!open(link) || !open(link.connection)) return;
    if (node === undefined) {
      this.grant(link, Infinity);
      return;
    }
    let held = 0;
    for (const p of node.producers) held += p.credit;
    this.grant(link, this.maxDepth - node.depth - held);
  }

  /** Tops up every producer of a node that may have room again, the ones waiting longest first. */
  refill(node: Node): void {
    if (node.producers.size === 0) return;
    let held = 0;
    for (const p of node.producers) held += p.credit;
    let room = this.maxDepth - node.depth - held;
    if (room <= 0) return;
    for (const p of [...node.producers]) {
      if (!open(p) || !open(p.connection)) continue;
      const given = this.grant(p, room);
      if (given > 0) {
        room -= given;
        // To the back of the line: the next room goes to the others first.
        node.producers.delete(p);
        node.producers.add(p);
      }
      if (room <= 0) break;
    }
  }

  /** Grants what the link lacks of the window, within `room`; returns what was granted. */
  private grant(link: Receiver, room: number): number {
    const lacking = this.window - link.credit;
    // Wait until half the window is used, unless the link has run dry.
    if (lacking <= 0 || (link.credit > 0 && lacking * 2 < this.window)) return 0;
    const n = Math.min(lacking, room);
    if (n <= 0) return 0;
    link.flow(n);
    return n;
  }
}

/**
 * The deliveries the broker sent each connection and has not settled, counted as they go out and as
 * their consumers settle them (see {@link BrokerLimits.maxUnsettledPerConnection}). Nodes ask it before
 * each delivery; the broker tells it of settlements and of links that go (their deliveries go with them).
 */
export class UnsettledDeliveries implements DeliveryGate {
  private readonly byConnection = new WeakMap<Connection, number>();
  private readonly byLink = new WeakMap<Link, number>();
  /** The deliveries counted: a settlement is counted off once, however often the peer reports it. */
  private readonly counted = new WeakSet<Delivery>();

  constructor(private readonly max: number) {}

  /** The unsettled deliveries sent on `c`. */
  held(c: Connection): number {
    return this.byConnection.get(c) ?? 0;
  }

  mayDeliver(link: Sender): boolean {
    return this.held(link.connection) < this.max;
  }

  sent(d: Delivery): void {
    if (d.settled) return;
    this.counted.add(d);
    this.byLink.set(d.link, (this.byLink.get(d.link) ?? 0) + 1);
    this.byConnection.set(d.link.connection, this.held(d.link.connection) + 1);
  }

  /** The peer settled `d`. Returns true when this let its connection under the limit again. */
  settled(d: Delivery): boolean {
    const n = this.byLink.get(d.link);
    // Not counted, counted off already, or its link gone (and its count with it).
    if (!this.counted.delete(d) || n === undefined) return false;
    this.byLink.set(d.link, n - 1);
    return this.drop(d.link.connection, 1);
  }

  /** A link went away: its deliveries no longer count. Returns true as for {@link settled}. */
  linkGone(link: Link): boolean {
    const n = this.byLink.get(link);
    if (n === undefined) return false;
    this.byLink.delete(link);
    return this.drop(link.connection, n);
  }

  private drop(c: Connection, n: number): boolean {
    const before = this.held(c);
    this.byConnection.set(c, before - n);
    return before >= this.max && before - n < this.max;
  }
}

/** The nodes the consumers of `c` take from (to dispatch once `c` may be sent to again). */
export function consumerNodes(c: Connection, nodeOf: WeakMap<Link, Node>): Set<Node> {
  const nodes = new Set<Node>();
  if (!open(c)) return nodes;
  for (const l of c.links) {
    const n = l instanceof Sender && open(l) ? nodeOf.get(l) : undefined;
    if (n !== undefined) nodes.add(n);
  }
  return nodes;
}
