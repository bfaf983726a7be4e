/**
 * Raising a high-level callback: the child handlers of a `MessagingHandler` turn engine events into
 * callbacks (`onMessage`, `onSendable`, `onLinkOpened`...) and call them on their delegate, the
 * `MessagingHandler`, so that its subclass's methods run.
 */
import { methodName } from '../container/dispatch.js';
import { Event } from '../container/event.js';
import type { Message } from '../message/message.js';

/**
 * Calls the high-level callback `type` (`message`, `link_opened`, `disconnected`...) on `delegate`, for
 * the engine event `cause`: a new {@link Event} of that type, with the same context and container (and
 * its `message` and `transaction`), goes to the delegate's own method (`onMessage`), or to its
 * `onUnhandled` when it has none. The delegate's children do not receive it: they have already seen
 * `cause`. An exception from the callback propagates. Returns the event raised. Proton: what its child
 * handlers do with `_dispatch(self.delegate, 'on_message', event)`, but with a new event of the new type.
 */
export function raise(delegate: object, type: string, cause: Event, message?: Message): Event {
  const event = new Event(type, cause.context, cause.container);
  event.message = message ?? cause.message;
  event.transaction = cause.transaction;
  const h = delegate as Record<string, unknown>;
  const name = methodName(type);
  const fn = h[name];
  if (typeof fn === 'function') fn.call(delegate, event);
  else if (typeof h.onUnhandled === 'function') h.onUnhandled.call(delegate, name, event);
  return event;
}
