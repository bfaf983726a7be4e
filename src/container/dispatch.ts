/**
 * Dispatch, as Proton's: an event goes to the handler's method named after it (`link_flow` ->
 * `onLinkFlow`), or to its `onUnhandled(name, event)` when it has none, then to each of its child
 * `handlers` in order. Any object is a handler (duck typing); a method's exception is not swallowed.
 */
import type { Event } from './event.js';

/**
 * What the container dispatches to: any object with `on*` methods and, optionally, child handlers. Proton:
 * any handler object, as Python's duck-typed dispatch takes it.
 */
export interface HandlerLike {
  /** Child handlers, dispatched to after this one. Proton: `Handler.handlers`. */
  handlers?: readonly HandlerLike[];
  /** Called for an event this handler has no method for. Proton: `Handler.on_unhandled(method, *args)`. */
  onUnhandled?(method: string, event: Event): void;
}

const METHOD_CACHE = new Map<string, string>();

/** The `onUnhandled` methods known to do nothing (the base handlers' defaults): not worth a call. */
const QUIET_UNHANDLED: unknown[] = [];

/**
 * @internal Declares `fn` an `onUnhandled` that does nothing, so dispatch skips calling it: an event
 * visits every handler of the tree, and most have no method for it.
 */
export function quietUnhandled(fn: unknown): void {
  QUIET_UNHANDLED.push(fn);
}

/**
 * The handler method of an event type: `connection_remote_open` -> `onConnectionRemoteOpen`. Proton:
 * `EventType.method`, with `on_connection_remote_open` in camel case.
 */
export function methodName(type: string): string {
  let m = METHOD_CACHE.get(type);
  if (m === undefined) {
    m = 'on';
    for (const part of type.split('_')) m += part.charAt(0).toUpperCase() + part.slice(1);
    METHOD_CACHE.set(type, m);
  }
  return m;
}

/**
 * Dispatches `event` to `handler` and its children, depth first, in order. Proton: `Event.dispatch(handler)`.
 */
export function dispatch(handler: unknown, event: Event, type: string = event.type): void {
  dispatchNamed(handler, event, methodName(type));
}

/** The walk itself, with the method name looked up once per event rather than once per handler. */
function dispatchNamed(handler: unknown, event: Event, name: string): void {
  if (typeof handler !== 'object' || handler === null) return;
  const h = handler as Record<string, unknown> & HandlerLike;
  const fn = h[name];
  if (typeof fn === 'function') fn.call(h, event);
  else {
    const unhandled = h.onUnhandled;
    if (typeof unhandled === 'function' && !QUIET_UNHANDLED.includes(unhandled))
      unhandled.call(h, name, event);
  }
  const children = h.handlers;
  if (children === undefined) return;
  // Indexed, not for-of: this runs for every handler on every event, and an iterator costs here.
  for (let i = 0; i < children.length; i++) dispatchNamed(children[i], event, name);
}
