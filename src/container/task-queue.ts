/**
 * The container's timers: tasks kept in a binary heap by deadline (ties in the order scheduled), with
 * one Node timer for the earliest. Node fires its own timers by duration list, not by deadline, once the
 * loop runs late; this keeps Proton's order: the task due first runs first.
 */
import type { Task } from './task.js';

interface Slot {
  at: number;
  seq: number;
  task: Task;
}

export class TaskQueue {
  private readonly heap: Slot[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The earliest deadline, or undefined when empty. */
  get next(): number | undefined {
    return this.heap[0]?.at;
  }

  push(at: number, task: Task): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, task });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Takes the earliest task if it is due at `now`. */
  popDue(now: number): Task | undefined {
    const h = this.heap;
    if (h.length === 0 || h[0]!.at > now) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.task;
  }

  /** Drops cancelled tasks from the top, so `next` is a live deadline. */
  prune(): void {
    while (this.heap.length > 0 && this.heap[0]!.task.cancelled) this.popDue(Number.POSITIVE_INFINITY);
  }
}

function before(a: Slot, b: Slot): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
