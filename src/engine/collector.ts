/**
 * The event queue of a connection: the engine puts events in as things change, the application (or the
 * container) takes them out in order. An event identical to the one just queued is dropped, as Proton's
 * collector does (a burst of transfers on one delivery is one `delivery` event).
 */
import { EngineEvent, type EventTypeName } from './event.js';

/** A connection's event queue, taken in order; a repeat of the last event is dropped. Proton: `Collector`. */
export class Collector {
  // Two parallel arrays, not an array of event objects: an event is queued for nearly every message, and
  // the container takes them with `take`, which makes no object. The arrays are reused turn after turn.
  private types: EventTypeName[] = [];
  private contexts: unknown[] = [];
  private head = 0;
  private tail = 0;
  /** @internal The type of the event {@link take} took last. */
  takenType: EventTypeName = 'transport';

  /** Queues an event, unless it repeats the last one queued. Proton: `Collector.put(obj, etype)`. */
  put(type: EventTypeName, context: unknown): void {
    const n = this.tail;
    if (n > this.head && this.types[n - 1] === type && this.contexts[n - 1] === context) return;
    if (n < this.types.length) {
      this.types[n] = type;
      this.contexts[n] = context;
    } else {
      this.types.push(type);
      this.contexts.push(context);
    }
    this.tail = n + 1;
  }

  /** The next event, without taking it. Proton: `Collector.peek()`. */
  peek(): EngineEvent | undefined {
    const h = this.head;
    return h < this.tail ? new EngineEvent(this.types[h]!, this.contexts[h]) : undefined;
  }

  /** Takes the next event and returns it (Proton's `Collector.pop()` returns nothing). */
  pop(): EngineEvent | undefined {
    const context = this.take();
    return context === NO_EVENT ? undefined : new EngineEvent(this.takenType, context);
  }

  /**
   * @internal Takes the next event, making no object: returns its context (its type is then in
   * {@link takenType}), or {@link NO_EVENT} when there is none. Nothing keeps the context after this.
   */
  take(): unknown {
    const h = this.head;
    if (h >= this.tail) return NO_EVENT;
    this.takenType = this.types[h]!;
    const context = this.contexts[h];
    this.contexts[h] = undefined; // the queue must not keep what the application has let go of
    if (h + 1 === this.tail) this.reset();
    else this.head = h + 1;
    return context;
  }

  /** Whether events are waiting. Proton: `Collector.more()`. */
  get more(): boolean {
    return this.head < this.tail;
  }

  /** Drops every queued event. Proton: `Collector.release()`. */
  release(): void {
    this.contexts.fill(undefined, this.head, this.tail);
    this.reset();
  }

  private reset(): void {
    this.head = 0;
    this.tail = 0;
    // A burst of events once (a large backlog) need not hold its arrays for ever.
    if (this.types.length > MAX_KEPT) {
      this.types = [];
      this.contexts = [];
    }
  }
}

/** What {@link Collector.take} returns when no event is queued. */
export const NO_EVENT: unique symbol = Symbol('no event');

/** The longest event arrays kept for reuse once drained. */
const MAX_KEPT = 4096;
