/**
 * A node of the embedded broker: a queue (each message to one consumer, round robin among those with
 * credit) or a topic (each message to every subscriber). Messages a consumer did not take (released,
 * modified with delivery-failed, or unsettled when it went away) come back with their delivery-count
 * raised, up to a limit past which they go to the dead-letter queue or are dropped.
 */
import type { Delivery, Message, Sender } from '../index.js';

/** A message held by a node, with what the broker knows of its past deliveries. */
export interface Entry {
  message: Message;
  /** Deliveries that failed: the message's header delivery-count when it goes out again. */
  deliveryCount: number;
  /** Links it must not go to again (modified with undeliverable-here). */
  notTo?: Set<Sender>;
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
}

export class Node {
  readonly messages: Entry[] = [];
  readonly consumers: Consumer[] = [];
  /** Deliveries out to consumers and not yet settled, with their entries. */
  readonly outstanding = new Map<Delivery, Entry>();
  private next = 0;

  constructor(
    readonly address: string,
    /** A topic gives every subscriber a copy, and keeps nothing. */
    readonly topic: boolean,
    /** Deleted when its last consumer goes (a dynamic node). */
    readonly temporary: boolean,
  ) {}

  /** Takes a message in; returns false when a topic had no subscriber to give it to. */
  put(message: Message): boolean {
    const entry: Entry = { message, deliveryCount: message.deliveryCount };
    if (!this.topic) {
      this.messages.push(entry);
      return true;
    }
    let any = false;
    for (const c of this.consumers) {
      if (c.selects !== undefined && !c.selects(message)) continue;
      (c as Consumer & { backlog?: Entry[] }).backlog ??= [];
      (c as Consumer & { backlog?: Entry[] }).backlog!.push({ message, deliveryCount: entry.deliveryCount });
      any = true;
    }
    return any;
  }

  /** Sends what the consumers have credit for. */
  dispatch(): void {
    if (this.topic) {
      for (const c of this.consumers) {
        const backlog = (c as Consumer & { backlog?: Entry[] }).backlog;
        while (backlog !== undefined && backlog.length > 0 && c.link.credit > 0)
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
      if (c.link.credit <= 0) continue;
      if (e.notTo?.has(c.link)) continue;
      if (c.selects !== undefined && !c.selects(e.message)) continue;
      this.next = (this.next + k + 1) % takers.length;
      return c;
    }
    return undefined;
  }

  private deliver(c: Consumer, e: Entry, copy = false): void {
    const m = e.message;
    // The header says how often it was tried before; send() encodes at once, so sharing is safe.
    m.deliveryCount = e.deliveryCount;
    // A browsed copy is not acquired; a message taken for the first time is.
    m.firstAcquirer = !copy && e.deliveryCount === 0;
    const d = c.link.send(m);
    if (!copy) this.outstanding.set(d, e);
    else d.settle();
  }

  /** A delivery's outcome came back: forget it, or put the message back. */
  settled(
    d: Delivery,
    back: 'keep' | 'drop' | 'redeliver' | 'redeliver-elsewhere',
    limit: number,
  ): Entry | undefined {
    const e = this.outstanding.get(d);
    if (e === undefined) return undefined;
    this.outstanding.delete(d);
    if (back === 'drop' || back === 'keep') return back === 'drop' ? e : undefined;
    e.deliveryCount++;
    if (back === 'redeliver-elsewhere') {
      e.notTo ??= new Set();
      e.notTo.add(d.link as Sender);
    }
    if (e.deliveryCount > limit) return e; // dead: the caller dead-letters it
    this.messages.unshift(e);
    return undefined;
  }

  /** A consumer went away: its unsettled messages go back for the others. */
  remove(link: Sender, limit: number): Entry[] {
    const i = this.consumers.findIndex((c) => c.link === link);
    if (i >= 0) this.consumers.splice(i, 1);
    const dead: Entry[] = [];
    // Newest first: each goes back to the front, so the oldest ends up first again, in order.
    for (const d of [...this.outstanding.keys()].reverse()) {
      if (d.link !== link) continue;
      const out = this.settled(d, 'redeliver', limit);
      if (out !== undefined) dead.push(out);
    }
    return dead;
  }
}
