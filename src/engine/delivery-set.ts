/**
 * A link's unsettled deliveries, oldest first: a `Set<Delivery>` to the application, a list threaded
 * through the deliveries inside.
 *
 * Why not a Set: a link adds and removes a delivery per message, and a Set's table is rebuilt as it fills
 * and empties every turn. An abandoned table that has reached the old generation still points at the
 * young deliveries it held, and the scavenger keeps whatever old objects point at: with the session's
 * delivery-id Map (see delivery-index.ts) this kept megabytes of finished messages alive at every
 * scavenge, a quarter of a receiver's CPU. A delivery taken off the list forgets its neighbours, so
 * nothing dead points at anything young.
 *
 * Iterating gives the members as they were when it began, less those deleted meanwhile (a Set would also
 * give those added meanwhile).
 */
import { ProtonError } from '../errors.js';
import type { Delivery } from './delivery.js';

export class DeliverySet implements Set<Delivery> {
  private head: Delivery | undefined = undefined;
  private tail: Delivery | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get [Symbol.toStringTag](): string {
    return 'DeliverySet';
  }

  has(d: Delivery): boolean {
    return d.listedIn === this;
  }

  add(d: Delivery): this {
    if (d.listedIn === this) return this;
    if (d.listedIn !== undefined) throw new ProtonError('a delivery is listed by its own link only');
    d.listedIn = this;
    d.listPrev = this.tail;
    d.listNext = undefined;
    if (this.tail === undefined) this.head = d;
    else this.tail.listNext = d;
    this.tail = d;
    this.count++;
    return this;
  }

  delete(d: Delivery): boolean {
    if (d.listedIn !== this) return false;
    const prev = d.listPrev;
    const next = d.listNext;
    if (prev === undefined) this.head = next;
    else prev.listNext = next;
    if (next === undefined) this.tail = prev;
    else next.listPrev = prev;
    d.listedIn = d.listPrev = d.listNext = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    for (let d = this.head; d !== undefined; ) {
      const next = d.listNext;
      d.listedIn = d.listPrev = d.listNext = undefined;
      d = next;
    }
    this.head = this.tail = undefined;
    this.count = 0;
  }

  forEach(fn: (value: Delivery, key: Delivery, set: Set<Delivery>) => void, thisArg?: unknown): void {
    for (const d of this) fn.call(thisArg, d, d, this);
  }

  *values(): IterableIterator<Delivery> {
    const members: Delivery[] = [];
    for (let d = this.head; d !== undefined; d = d.listNext) members.push(d);
    for (const d of members) if (d.listedIn === this) yield d;
  }

  keys(): IterableIterator<Delivery> {
    return this.values();
  }

  *entries(): IterableIterator<[Delivery, Delivery]> {
    for (const d of this.values()) yield [d, d];
  }

  [Symbol.iterator](): IterableIterator<Delivery> {
    return this.values();
  }
}
