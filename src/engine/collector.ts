/**
 * The event queue of a connection: the engine puts events in as things change, the application (or the
 * container) takes them out in order. An event identical to the one just queued is dropped, as Proton's
 * collector does (a burst of transfers on one delivery is one `delivery` event).
 */
import { EngineEvent, type EventTypeName } from './event.js';

export class Collector {
  private events: EngineEvent[] = [];
  private head = 0;

  /** Queues an event, unless it repeats the last one queued. */
  put(type: EventTypeName, context: unknown): void {
    const last = this.events.length > this.head ? this.events[this.events.length - 1] : undefined;
    if (last !== undefined && last.type === type && last.context === context) return;
    this.events.push(new EngineEvent(type, context));
  }

  /** The next event, without taking it. */
  peek(): EngineEvent | undefined {
    return this.events[this.head];
  }

  /** Takes the next event. */
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

  /** Whether events are waiting. */
  get more(): boolean {
    return this.head < this.events.length;
  }

  /** Drops every queued event. */
  release(): void {
    this.events = [];
    this.head = 0;
  }
}
