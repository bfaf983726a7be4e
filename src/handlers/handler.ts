/** `Handler`: the base of event handlers, with child handlers dispatched to after it. */
import { type HandlerLike, quietUnhandled } from '../container/dispatch.js';
import type { Event } from '../container/event.js';

/**
 * An event handler. Define `on*` methods named after events (`onMessage`, `onLinkFlow`...); children
 * added with `add` receive every event after this handler. `onUnhandled` receives the events this
 * handler has no method for. Proton: `proton.Handler`.
 */
export class Handler implements HandlerLike {
  /** Child handlers, dispatched to after this one, in order (Proton: `Handler.handlers`). */
  handlers: HandlerLike[] = [];

  /**
   * Adds a child handler: any object with `on*` methods (duck typed, as dispatch is) (Proton:
   * `Handler.add()`, without its `on_error` argument).
   */
  add(handler: object): this {
    this.handlers.push(handler as HandlerLike);
    return this;
  }

  /**
   * Called for an event this handler has no method for, with the method's name (`onLinkFlow`) and the
   * event. The default does nothing. Proton: `Handler.on_unhandled(method, *args)`.
   */
  onUnhandled(_method: string, _event: Event): void {}
}

quietUnhandled(Handler.prototype.onUnhandled);
