/** `Handler`: the base of event handlers, with child handlers dispatched to after it. */
import type { HandlerLike } from '../container/dispatch.js';
import type { Event } from '../container/event.js';

/**
 * An event handler. Define `on*` methods named after events (`onMessage`, `onLinkFlow`...); children
 * added with `add` receive every event after this handler. `onUnhandled` receives the events this
 * handler has no method for.
 */
export class Handler implements HandlerLike {
  /** Child handlers, dispatched to after this one, in order. */
  handlers: HandlerLike[] = [];

  /** Adds a child handler: any object with `on*` methods (duck typed, as dispatch is). */
  add(handler: object): this {
    this.handlers.push(handler as HandlerLike);
    return this;
  }

  /** Called for an event this handler has no method for. The default does nothing. */
  onUnhandled(_method: string, _event: Event): void {}
}
