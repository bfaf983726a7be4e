/**
 * A node of the embedded broker: a queue (each message to one consumer, round robin among those with
 * credit) or a topic (each subscription its own copy, kept in the subscription's backlog until its
 * consumer has credit). Messages a consumer did not take (released, modified, or unsettled when it went
 * away) come back, their delivery-count raised when the attempt counts as failed, up to a limit past
 * which they go to the dead-letter queue or are dropped.
 */
import type { Delivery, Message, Receiver, Sender } from '../index.js';

/** A message held by a node, with what the broker knows of its past deliveries. */
export interface Entry {
  message: Message;
  /** Deliveries that failed: the message's header delivery-count when it goes out again. */
  deliveryCount: number;
  /** Whether a consumer acquired it before (the next one is then not its first acquirer). */
  acquired: boolean;
  /** Links it must not go to again (modified with undeliverable-here). */
  notTo?: Set<Sender>;
  /** On a topic: the subscription whose copy this is (where it goes back to). */
  subscription?: Subscription;
}

/** A subscription to a topic: its own copy of every message it selects, until its consumer takes it. */
export interface Subscription {
  readonly backlog: Entry[];
  /** The selector, when one was applied. */
  selects?: (m: Message) => boolean;
  /** The consumer taking from it; undefined while a durable subscription is detached. */
  consumer: Consumer | undefined;
}

/** A consumer: a link, and the filter it asked for. */
export interface Consumer {
  link: Sender;
  /** Browse: see the messages without taking them (distribution mode copy). */
  browse: boolean;
  /** The selector, when one was applied. */
  selects?: (m: Message) => boolean;
  /** Browse position: how far into the queue this browser has looked. */
  seen: number;
  /** On a topic: the subscription it takes from. */
  subscription?: Subscription;
}

/**
 * What becomes of a delivery settled by its consumer: dropped (consumed or dead), or back in the node;
 * `failed` raises its delivery-count (and counts against the redelivery limit), `elsewhere` keeps it
 * from the same link.
 */
export type Back = 'drop' | { failed: boolean; elsewhere?: boolean };

/** The message was tried and failed (released, modified with delivery-failed, left unsettled). */
export const FAILED: Back = { failed: true };

/** Whether a consumer's connection may be sent another unsettled delivery, and the count of those sent. */
export interface DeliveryGate {
  /** Whether `link` may be sent one more delivery now. */
  mayDeliver(link: Sender): boolean;
  /** A delivery went out. */
  sent(d: Delivery): void;
}

/** No limit: every consumer with credit is sent to. */
const OPEN_GATE: DeliveryGate = { mayDeliver: () => true, sent: () => {} };

export class Node {
  readonly messages: Entry[] = [];
  readonly consumers: Consumer[] = [];
  /** Topics: the subscriptions, attached or (durable ones) detached. */
  readonly subscriptions = new Set<Subscription>();
  /** Deliveries out to consumers and not yet settled, with their entries. */
  readonly outstanding = new Map<Delivery, Entry>();
  /** The links sending into this node, whose credit the broker gives as the node has room. */
  readonly producers = new Set<Receiver>();
  /** Messages sent to this node under open transactions (they count against its depth). */
  held = 0;
  private next = 0;

  constructor(
    readonly address: string,
    /** A topic gives every subscription a copy. */
    readonly topic: boolean,
    /** Deleted when its last consumer goes (a dynamic node). */
    readonly temporary: boolean,
    /** Asked before each delivery that will stay unsettled (the per-connection limit). */
    private readonly gate: DeliveryGate = OPEN_GATE,
  ) {}

  /**
   * The messages waiting here (a topic: in its fullest subscription) plus those held by transactions:
   * what the queue-depth limit is measured against.
   */
  get depth(): number {
    if (!this.topic) return this.messages.length + this.held;
    let most = 0;
    for (const s of this.subscriptions) if (s.backlog.length > most) most = s.backlog.length;
    return most + this.held;
  }

  /** Takes a message in; returns false when a topic had no subscription to give it to. */
  put(message: Message): boolean {
    if (!this.topic) {
      this.messages.push({ message, deliveryCount: message.deliveryCount, acquired: false });
      return true;
    }
    let any = false;
    for (const s of this.subscriptions) {
      if (s.selects !== undefined && !s.selects(message)) continue;
      s.backlog.push({ message, deliveryCount: message.deliveryCount, acquired: false, subscription: s });
      any = true;
    }
    return any;
  }

  /** Sends what the consumers have credit for (and their connections room, see {@link DeliveryGate}). */
  dispatch(): void {
    if (this.topic) {
      for (const c of this.consumers) {
        const backlog = c.subscription?.backlog;
        while (backlog !== undefined && backlog.length > 0 && this.mayTake(c))
          this.deliver(c, backlog.shift()!);
      }
      return;
    }
    for (const c of this.consumers) {
      if (c.browse) {
        while (c.seen < this.messages.length && c.link.credit > 0) {
          const e = this.messages[c.seen++]!;
          if (c.selects === undefined || c.selects(e.message)) this.deliver(c, e, true);
        }
      }
    }
    const takers = this.consumers.filter((c) => !c.browse);
    if (takers.length === 0) return;
    let i = 0;
    while (i < this.messages.length) {
      const e = this.messages[i]!;
      const c = this.pick(takers, e);
      if (c === undefined) {
        // Nobody can take this one; stop early when nobody can take anything.
        if (!takers.some((t) => this.mayTake(t))) break;
        i++;
        continue;
      }
      this.messages.splice(i, 1);
      for (const b of this.consumers) if (b.browse && b.seen > i) b.seen--;
      this.deliver(c, e);
    }
  }

  /** The next consumer, round robin, that has credit and takes this message. */
  private pick(takers: Consumer[], e: Entry): Consumer | undefined {
    for (let k = 0; k < takers.length; k++) {
      const c = takers[(this.next + k) % takers.length]!;
      if (!this.mayTake(c)) continue;
      if (e.notTo?.has(c.link)) continue;
      if (c.selects !== undefined && !c.selects(e.message)) continue;
      this.next = (this.next + k + 1) % takers.length;
      return c;
    }
    return undefined;
  }

  /** Whether a consumer may be sent a message it acquires: it has credit, and its connection room. */
  private mayTake(c: Consumer): boolean {
    return c.link.credit > 0 && this.gate.mayDeliver(c.link);
  }

  private deliver(c: Consumer, e: Entry, copy = false): void {
    const m = e.message;
    // The header says how often it was tried before; send() encodes at once, so sharing is safe.
    m.deliveryCount = e.deliveryCount;
    // A browsed copy is not acquired; a message taken for the first time is.
    m.firstAcquirer = !copy && !e.acquired;
    const d = c.link.send(m);
    if (copy) {
      d.settle();
      return;
    }
    e.acquired = true;
    this.outstanding.set(d, e);
    this.gate.sent(d);
  }

  /**
   * A delivery's outcome came back: forget the message, or put it back at the head of where it came
   * from. Returns the entry when it is done with: dropped, or dead (past `limit` failed deliveries);
   * undefined when it went back (or was unknown).
   */
  settled(d: Delivery, back: Back, limit: number): Entry | undefined {
    const e = this.outstanding.get(d);
    if (e === undefined) return undefined;
    this.outstanding.delete(d);
    return this.putBack(e, back, limit, d.link as Sender);
  }

  /** Puts an entry taken from this node back (see `settled`); `from` is the link it went out on. */
  putBack(e: Entry, back: Back, limit: number, from?: Sender): Entry | undefined {
    if (back === 'drop') return e;
    // The copy of a subscription that is gone (its consumer left, not durable) goes with it.
    const s = e.subscription;
    if (s !== undefined && !this.subscriptions.has(s)) return undefined;
    if (back.failed) e.deliveryCount++;
    if (back.elsewhere && from !== undefined) {
      e.notTo ??= new Set();
      e.notTo.add(from);
    }
    if (back.failed && e.deliveryCount >= limit) return e; // dead: the caller dead-letters it
    if (s === undefined) this.messages.unshift(e);
    else s.backlog.unshift(e);
    return undefined;
  }

  /**
   * A consumer went away: its unsettled messages go back (to the queue, or to its subscription's
   * backlog); a subscription that is not `keep` (durable) goes with it. Returns the dead entries.
   */
  remove(link: Sender, limit: number, keep = false): Entry[] {
    const i = this.consumers.findIndex((c) => c.link === link);
    const consumer = i >= 0 ? this.consumers.splice(i, 1)[0] : undefined;
    const s = consumer?.subscription;
    if (s !== undefined) {
      if (keep) s.consumer = undefined;
      else this.subscriptions.delete(s);
    }
    const dead: Entry[] = [];
    // Newest first: each goes back to the front, so the oldest ends up first again, in order.
    for (const d of [...this.outstanding.keys()].reverse()) {
      if (d.link !== link) continue;
      const out = this.settled(d, FAILED, limit);
      if (out !== undefined) dead.push(out);
    }
    return dead;
  }
}
