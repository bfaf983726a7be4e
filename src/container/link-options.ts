/**
 * Link options: small objects that set a link's fields before it opens, as Proton's do
 * (`createReceiver(url, 'q', { options: [new Selector("colour = 'red'"), new Copy()] })`). Each option
 * applies only to the links it fits (a receiver option skips senders).
 */

import type { AmqpValue } from '../codec/types.js';
import { AmqpSymbol, Described } from '../codec/types.js';
import { type Link, ReceiverSettleMode, SenderSettleMode } from '../engine/link.js';
import { Durability } from '../engine/terminus.js';

/** An option for any link. */
export class LinkOption {
  /** Sets the link's fields. */
  apply(_link: Link): void {}
  /** Whether the option fits this link. */
  test(_link: Link): boolean {
    return true;
  }
}

/** An option for senders only. */
export class SenderOption extends LinkOption {
  override test(link: Link): boolean {
    return link.isSender;
  }
}

/** An option for receivers only. */
export class ReceiverOption extends LinkOption {
  override test(link: Link): boolean {
    return !link.isSender;
  }
}

/** At-most-once: the sender settles every delivery as it sends it (`snd-settle-mode` settled). */
export class AtMostOnce extends LinkOption {
  override apply(link: Link): void {
    link.sndSettleMode = SenderSettleMode.settled;
  }
}

/** At-least-once: deliveries are settled after the receiver's outcome (unsettled, first). */
export class AtLeastOnce extends LinkOption {
  override apply(link: Link): void {
    link.sndSettleMode = SenderSettleMode.unsettled;
    link.rcvSettleMode = ReceiverSettleMode.first;
  }
}

function symbolKeyed(
  props: Record<string, AmqpValue> | Map<AmqpValue, AmqpValue>,
): Map<AmqpValue, AmqpValue> {
  return props instanceof Map ? props : new Map(Object.entries(props));
}

/** Properties of the node the peer creates for a dynamic link (`dynamic-node-properties`). */
export class DynamicNodeProperties extends LinkOption {
  private readonly props: Map<AmqpValue, AmqpValue>;
  constructor(props: Record<string, AmqpValue> | Map<AmqpValue, AmqpValue> = {}) {
    super();
    this.props = symbolKeyed(props);
  }
  override apply(link: Link): void {
    if (link.isSender) link.target.dynamicNodeProperties = this.props;
    else link.source.dynamicNodeProperties = this.props;
  }
}

/** A filter set on the receiver's source (keys are symbols). */
export class Filter extends ReceiverOption {
  readonly filterSet: Map<AmqpValue, AmqpValue>;
  constructor(filterSet: Record<string, AmqpValue> | Map<AmqpValue, AmqpValue> = {}) {
    super();
    this.filterSet = symbolKeyed(filterSet);
  }
  override apply(link: Link): void {
    link.source.filter = this.filterSet;
  }
}

/** A JMS selector (`apache.org:selector-filter:string`), as a filter named `name`. */
export class Selector extends Filter {
  constructor(value: string, name = 'selector') {
    super(new Map([[name, new Described(new AmqpSymbol('apache.org:selector-filter:string'), value)]]));
  }
}

/** A durable subscription: the source keeps unsettled state, and never expires. */
export class DurableSubscription extends ReceiverOption {
  override apply(link: Link): void {
    link.source.durable = Durability.unsettledState;
    link.source.expiryPolicy = 'never';
  }
}

/** Consume messages (distribution mode `move`). */
export class Move extends ReceiverOption {
  override apply(link: Link): void {
    link.source.distributionMode = 'move';
  }
}

/** Browse messages without consuming them (distribution mode `copy`). */
export class Copy extends ReceiverOption {
  override apply(link: Link): void {
    link.source.distributionMode = 'copy';
  }
}

/** Applies one option or several to a link (each only where it fits). */
export function applyLinkOptions(link: Link, options: LinkOption | readonly LinkOption[]): void {
  for (const o of Array.isArray(options) ? options : [options as LinkOption]) {
    if (o.test(link)) o.apply(link);
  }
}
