/**
 * The embedded broker's limits: how many connections, sessions and links it serves, and how deep a
 * queue may grow. An endpoint over a limit is closed with `amqp:resource-limit-exceeded` and a
 * description naming the limit; the broker lives on. Queue depth is enforced by flow control: a link
 * sending into a node gets credit only for the room the node has left, so a full queue stops its
 * producers until its consumers drain it.
 */
import {
  Condition,
  type Connection,
  ErrorCondition,
  InvalidOptionError,
  type Receiver,
  type Session,
  State,
} from '../index.js';
import type { Node } from './queue.js';

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
}

export const DEFAULT_LIMITS: Readonly<Required<BrokerLimits>> = Object.freeze({
  maxConnections: 1000,
  maxSessionsPerConnection: 256,
  maxLinksPerConnection: 1000,
  maxQueueDepth: 10_000,
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
