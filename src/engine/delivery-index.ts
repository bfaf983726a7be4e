/**
 * A session's unsettled deliveries by delivery-id, one way: what a `Map<number, Delivery>` did, without
 * one.
 *
 * Why not a Map: a receiver adds and removes a delivery per message, so the Map's table is rebuilt as it
 * fills and empties every turn. An abandoned table that has lived long enough to be in the old generation
 * still points at the young deliveries it held, and the scavenger keeps everything old objects point at:
 * each scavenge kept (and promoted) megabytes of messages long gone, and the garbage collector took a
 * quarter of the receiver's CPU. Here the deliveries sit in a ring indexed by their id's distance from the
 * oldest (ids come in order, serial numbers that wrap at 2^32), and a slot is cleared as its delivery goes.
 *
 * A delivery left unsettled while many later ones come and go would stretch the ring: once it would span
 * more than four times what it holds (and 1,024), the oldest go to a small Map on the side instead.
 */
import { serialAdd, serialDiff } from '../util/serial.js';
import type { Delivery } from './delivery.js';

const MIN_CAPACITY = 16;
/** The span the ring may always reach, however few it holds. */
const FREE_SPAN = 1024;

export class DeliveryIndex {
  private ring: (Delivery | undefined)[] = newRing(MIN_CAPACITY);
  /** The ring slot of the oldest id held (`first`); slots outside the span are always empty. */
  private start = 0;
  private first = 0;
  /** Slots in use from `start`: the newest id held is `first + span - 1`. The first slot is never empty. */
  private span = 0;
  private inRing = 0;
  /** Deliveries far older than the rest (see above), by id. */
  private stragglers: Map<number, Delivery> | undefined = undefined;

  /** How many deliveries are held. */
  get size(): number {
    return this.inRing + (this.stragglers?.size ?? 0);
  }

  /** The delivery of `id`, if held. */
  get(id: number): Delivery | undefined {
    const off = serialDiff(this.first, id);
    if (off >= 0 && off < this.span) return this.ring[(this.start + off) & (this.ring.length - 1)];
    return this.stragglers?.get(id);
  }

  /** Holds `d` as the delivery of `id` (replacing any other). */
  set(id: number, d: Delivery): void {
    if (this.span === 0) {
      this.first = id;
      this.start = 0;
    }
    let off = serialDiff(this.first, id);
    if (off < 0 || this.stragglers?.has(id)) {
      this.straggler(id, d);
      return;
    }
    if (off < this.span) {
      const i = (this.start + off) & (this.ring.length - 1);
      if (this.ring[i] === undefined) this.inRing++;
      this.ring[i] = d;
      return;
    }
    // Past the newest: the ring reaches out to it, its oldest set aside when it would grow too sparse.
    while (this.span > 0 && off + 1 > Math.max(FREE_SPAN, 4 * (this.inRing + 1))) {
      const i = this.start;
      this.straggler(this.first, this.ring[i]!);
      this.ring[i] = undefined;
      this.inRing--;
      this.dropEmptyHead();
      off = this.span === 0 ? 0 : serialDiff(this.first, id);
    }
    if (this.span === 0) {
      this.first = id;
      this.start = 0;
      off = 0;
    }
    if (off + 1 > this.ring.length) this.grow(off + 1);
    this.ring[(this.start + off) & (this.ring.length - 1)] = d;
    this.span = off + 1;
    this.inRing++;
  }

  /** Lets go of the delivery of `id`; false when none was held. */
  delete(id: number): boolean {
    const off = serialDiff(this.first, id);
    if (off >= 0 && off < this.span) {
      const mask = this.ring.length - 1;
      const i = (this.start + off) & mask;
      if (this.ring[i] === undefined) return false;
      this.ring[i] = undefined;
      this.inRing--;
      if (off === 0) this.dropEmptyHead();
      else if (off === this.span - 1) {
        while (this.ring[(this.start + this.span - 1) & mask] === undefined) this.span--;
      }
      return true;
    }
    const s = this.stragglers;
    if (s === undefined || !s.delete(id)) return false;
    if (s.size === 0) this.stragglers = undefined;
    return true;
  }

  /** Lets go of every delivery. */
  clear(): void {
    this.ring = newRing(MIN_CAPACITY);
    this.start = this.first = this.span = this.inRing = 0;
    this.stragglers = undefined;
  }

  /** Every id and delivery held, in no particular order. */
  *[Symbol.iterator](): IterableIterator<[number, Delivery]> {
    const out: [number, Delivery][] = [];
    for (let off = 0; off < this.span; off++) {
      const d = this.ring[(this.start + off) & (this.ring.length - 1)];
      if (d !== undefined) out.push([serialAdd(this.first, off), d]);
    }
    if (this.stragglers !== undefined) out.push(...this.stragglers);
    yield* out;
  }

  private straggler(id: number, d: Delivery): void {
    if (this.stragglers === undefined) this.stragglers = new Map();
    this.stragglers.set(id, d);
  }

  /** Moves the start past empty slots (the oldest was let go); a ring left empty shrinks back. */
  private dropEmptyHead(): void {
    const mask = this.ring.length - 1;
    while (this.span > 0 && this.ring[this.start] === undefined) {
      this.start = (this.start + 1) & mask;
      this.first = serialAdd(this.first, 1);
      this.span--;
    }
    if (this.span === 0 && this.ring.length > FREE_SPAN) this.ring = newRing(MIN_CAPACITY);
  }

  /** Makes room for a span of `need`, keeping the slots in order from 0. */
  private grow(need: number): void {
    let size = this.ring.length * 2;
    while (size < need) size *= 2;
    const old = this.ring;
    const next = newRing(size);
    for (let off = 0; off < this.span; off++) next[off] = old[(this.start + off) & (old.length - 1)];
    // The old ring may be in the old generation: emptied, it keeps no young delivery alive (see above).
    old.fill(undefined);
    this.ring = next;
    this.start = 0;
  }
}

function newRing(size: number): (Delivery | undefined)[] {
  return new Array<Delivery | undefined>(size).fill(undefined);
}
