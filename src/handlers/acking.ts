/**
 * Acking: settling received messages with an outcome, as Proton's `Acking` mixin does. Each function
 * sets the delivery's local state (when one is given) and settles it, so the sender learns the outcome
 * with the disposition. They are meant for `autoAccept: false`.
 *
 * As Proton's, they do nothing to a delivery already settled here, so accepting a message that the
 * handler also accepts automatically is harmless.
 */

import type { SymbolKeyedMap } from '../codec/composite-types.js';
import { Accepted, AmqpError, Modified, Rejected, Released } from '../codec/composite-types.js';
import type { Delivery, DeliveryStateValue } from '../engine/delivery.js';
import type { ConditionLike } from '../errors.js';

/** The AMQP `error` of a condition. */
export function toAmqpError(condition: ConditionLike): AmqpError {
  const e = new AmqpError();
  e.condition = condition.name;
  e.description = condition.description;
  const info = condition.info;
  if (info instanceof Map || (typeof info === 'object' && info !== null && !Array.isArray(info))) {
    e.info = info as SymbolKeyedMap;
  }
  return e;
}

/** The rejected outcome, carrying `condition` as its error when one is given. */
export function rejectedOutcome(condition?: ConditionLike): Rejected {
  const r = new Rejected();
  if (condition !== undefined) r.error = toAmqpError(condition);
  return r;
}

/** The modified outcome with the two flags given. */
export function modifiedOutcome(deliveryFailed: boolean, undeliverableHere: boolean): Modified {
  const m = new Modified();
  m.deliveryFailed = deliveryFailed;
  m.undeliverableHere = undeliverableHere;
  return m;
}

/**
 * Settles `delivery`, first setting its local state to `state` when one is given. Does nothing when the
 * delivery is already settled here. Proton: `Acking.settle()`; AMQP: a `disposition` with `settled` true.
 */
export function settle(delivery: Delivery, state?: DeliveryStateValue): void {
  if (delivery.settled) return;
  if (state !== undefined) delivery.update(state);
  delivery.settle();
}

/**
 * Accepts a received message: the accepted outcome, then settles. Proton: `Acking.accept()`; AMQP:
 * `accepted`.
 */
export function accept(delivery: Delivery): void {
  settle(delivery, ACCEPTED);
}

/**
 * The accepted outcome has no fields, so every acceptance shares this one (frozen): no object per
 * message, and consecutive acceptances are seen as one state at once when dispositions are batched.
 */
const ACCEPTED = Object.freeze(new Accepted()) as Accepted;

/**
 * Rejects a received message as invalid or unprocessable: the rejected outcome (with `condition` as its
 * error, when given), then settles. Proton: `Acking.reject()` (which takes no condition); AMQP:
 * `rejected`, its `error` field.
 */
export function reject(delivery: Delivery, condition?: ConditionLike): void {
  settle(delivery, rejectedOutcome(condition));
}

/**
 * Releases a received message, for the source to deliver again (to this or another receiver), then
 * settles. With `delivered` (the default) this counts as a delivery attempt: the modified outcome with
 * delivery-failed set, so the source increments the message's delivery-count. Without, the released
 * outcome: the message goes back untouched.
 *
 * Proton 0.37 documents the same but sends modified with delivery-failed false, which the source treats
 * as a plain release; Proton `main` sets delivery-failed, and so do we.
 */
export function release(delivery: Delivery, delivered = true): void {
  settle(delivery, delivered ? modifiedOutcome(true, false) : new Released());
}
