/**
 * The event queue of a connection: the engine puts events in as things change, the application (or the
 * container) takes them out in order. An event identical to the one just queued is dropped, as Proton's
 * collector does (a burst of transfers on one delivery is one `delivery` event).
 */
import { EngineEvent, type EventTypeName } from './event.js';

/** A connection's event queue, taken in order; a repeat of the last event is dropped. Proton: `Collector`. */
export class Collector {
  private events: EngineEvent[] = [];
  private head = 0;

  /** Queues an event, unless it repeats the last one queued. Proton: `Collector.put(obj, etype)`. */
  put(type: EventTypeName, context: unknown): void {
    const last = this.events.length > this.head ? this.events[this.events.length - 1] : undefined;
    if (last !== undefined && last.type === type && last.context === context) return;
    this.events.push(new EngineEvent(type, context));
  }

  /** The next event, without taking it. Proton: `Collector.peek()`. */
  peek(): EngineEvent | undefined {
    return this.events[this.head];
  }

  /** Takes the next event and returns it (Proton's `Collector.pop()` returns nothing). */
  pop(): EngineEvent | undefined {
    const e = this.events[this.head];
    if (e === undefined) return undefined;
    this.head++;
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
    }
    return e;
  }

  /** Whether events are waiting. Proton: `Collector.more()`. */
  get more(): boolean {
    return this.head < this.events.length;
  }

  /** Drops every queued event. Proton: `Collector.release()`. */
  release(): void {
    this.events = [];
    this.head = 0;
  }
}
