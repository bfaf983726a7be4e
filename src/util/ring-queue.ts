/**
 * A first-in first-out queue on a growable ring buffer: `push` and `shift` in constant time, where
 * `Array.prototype.shift` moves every element. For the hot queues of the engine (events, deliveries,
 * frames waiting for credit or window).
 */
export class RingQueue<T> implements Iterable<T> {
  /** The slots; the capacity is always a power of two, so an index wraps with `& mask`. */
  private slots: (T | undefined)[];
  private mask: number;
  /** The index of the first item. */
  private head = 0;
  private count = 0;

  /** A queue with room for `capacity` items (rounded up to a power of two, at least 4) before it grows. */
  constructor(capacity = 16) {
    let size = 4;
    while (size < capacity) size *= 2;
    this.slots = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** The number of items queued. */
  get length(): number {
    return this.count;
  }

  /** Adds `item` at the end. */
  push(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Removes and returns the first item, or `undefined` when the queue is empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  /** The first item without removing it, or `undefined` when the queue is empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** The last item pushed (still queued), or `undefined` when the queue is empty. */
  peekLast(): T | undefined {
    return this.count === 0 ? undefined : this.slots[(this.head + this.count - 1) & this.mask];
  }

  /** The item `index` places from the front (0 is the first), or `undefined` out of range. */
  at(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    return this.slots[(this.head + index) & this.mask];
  }

  /** Removes every item (and drops the references to them); the capacity stays. */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.slots[(this.head + i) & this.mask] = undefined;
    this.head = 0;
    this.count = 0;
  }

  /** The items from first to last. The queue must not change while an iteration is under way. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) & this.mask] as T;
  }

  /** The items from first to last, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.slots[(this.head + i) & this.mask] as T;
    return out;
  }

  /** Doubles the capacity, moving the items to the front of the new slots. */
  private grow(): void {
    const old = this.slots;
    const size = old.length * 2;
    const slots = new Array<T | undefined>(size).fill(undefined);
    for (let i = 0; i < this.count; i++) slots[i] = old[(this.head + i) & this.mask];
    this.slots = slots;
    this.mask = size - 1;
    this.head = 0;
  }
}
