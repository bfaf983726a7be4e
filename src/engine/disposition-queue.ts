/**
 * A session's deliveries owing a disposition, each once: what a `Set` did, without one. A receiver puts
 * every message it settles here and the next output takes them all; a `Set` filled and emptied by the
 * hundred every turn rehashes its table up and down, a few hundred bytes of garbage per message. Here a
 * flag on the delivery says it is queued, and removal only clears the flag: the array drops such
 * entries when it is next taken.
 */
import type { Delivery } from './delivery.js';

export class DispositionQueue {
  private items: Delivery[] = [];
  private count = 0;

  /** How many deliveries are queued. */
  get size(): number {
    return this.count;
  }

  /** Queues `d` (once, however often it is added). */
  add(d: Delivery): void {
    if (d.dispositionQueued) return;
    d.dispositionQueued = true;
    this.items.push(d);
    this.count++;
  }

  /** Takes `d` off the queue; false when it was not on it. */
  delete(d: Delivery): boolean {
    if (!d.dispositionQueued) return false;
    d.dispositionQueued = false;
    // None left: drop the entries, lest an idle session keep deliveries it is done with.
    if (--this.count === 0) this.items = [];
    return true;
  }

  /** Whether `d` is queued. */
  has(d: Delivery): boolean {
    return d.dispositionQueued;
  }

  /** Takes every queued delivery, in the order first queued: the queue is then empty. */
  take(): Delivery[] {
    const items = this.items;
    let k = 0;
    for (let i = 0; i < items.length; i++) {
      const d = items[i]!;
      // Entries taken off since they were queued, or queued again later, are skipped here.
      if (!d.dispositionQueued) continue;
      d.dispositionQueued = false;
      items[k++] = d;
    }
    items.length = k;
    this.items = [];
    this.count = 0;
    return items;
  }

  /** Empties the queue. */
  clear(): void {
    for (const d of this.items) d.dispositionQueued = false;
    this.items = [];
    this.count = 0;
  }
}
