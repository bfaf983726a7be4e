/**
 * Link options: small objects that set a link's fields before it opens, as Proton's do
 * (`createReceiver(url, 'q', { options: [new Selector("colour = 'red'"), new Copy()] })`). Each option
 * applies only to the links it fits (a receiver option skips senders).
 */

import type { AmqpValue } from '../codec/types.js';
import { AmqpSymbol, Described } from '../codec/types.js';
import { type Link, ReceiverSettleMode, SenderSettleMode } from '../engine/link.js';
import { Durability } from '../engine/terminus.js';

/** An option for any link; subclass it and override `apply` for options of your own. Proton: `LinkOption`. */
export class LinkOption {
  /** Sets the link's fields, before its attach is sent. Proton: `LinkOption.apply`. */
  apply(_link: Link): void {}
  /** Whether the option fits this link: `apply` is called only if it does. Proton: `LinkOption.test`. */
  test(_link: Link): boolean {
    return true;
  }
}

/** An option for senders only. Proton: `SenderOption`. */
export class SenderOption extends LinkOption {
  /** True for a sender (Proton: `SenderOption.test`, `link.is_sender`; AMQP: `attach.role` sender). */
  override test(link: Link): boolean {
    return link.isSender;
  }
}

/** An option for receivers only. Proton: `ReceiverOption`. */
export class ReceiverOption extends LinkOption {
  /**
   * True for a receiver (Proton: `ReceiverOption.test`, `link.is_receiver`; AMQP: `attach.role` receiver).
   */
  override test(link: Link): boolean {
    return !link.isSender;
  }
}

/**
 * At-most-once: the sender settles every delivery as it sends it (`snd-settle-mode` settled). Proton:
 * `AtMostOnce`.
 */
export class AtMostOnce extends LinkOption {
  /**
   * Sets snd-settle-mode to settled (AMQP: `attach.snd-settle-mode` = `settled`). Proton: `AtMostOnce.apply`.
   */
  override apply(link: Link): void {
    link.sndSettleMode = SenderSettleMode.settled;
  }
}

/**
 * At-least-once: deliveries are settled after the receiver's outcome (unsettled, first). Proton:
 * `AtLeastOnce`.
 */
export class AtLeastOnce extends LinkOption {
  /**
   * Sets snd-settle-mode to unsettled and rcv-settle-mode to first (AMQP: `attach.snd-settle-mode` =
   * `unsettled`, `attach.rcv-settle-mode` = `first`). Proton: `AtLeastOnce.apply`.
   */
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

/**
 * Properties of the node the peer creates for a dynamic link (`dynamic-node-properties`). Proton:
 * `DynamicNodeProperties`.
 */
export class DynamicNodeProperties extends LinkOption {
  private readonly props: Map<AmqpValue, AmqpValue>;
  constructor(props: Record<string, AmqpValue> | Map<AmqpValue, AmqpValue> = {}) {
    super();
    this.props = symbolKeyed(props);
  }
  /**
   * Sets dynamic-node-properties on the terminus the peer creates: a sender's target, a receiver's source
   * (AMQP: `source.dynamic-node-properties` / `target.dynamic-node-properties`). Proton:
   * `DynamicNodeProperties.apply`.
   */
  override apply(link: Link): void {
    if (link.isSender) link.target.dynamicNodeProperties = this.props;
    else link.source.dynamicNodeProperties = this.props;
  }
}

/** A filter set on the receiver's source (keys are symbols). Proton: `Filter`. */
export class Filter extends ReceiverOption {
  /** The filter-set put on the source, keyed by symbol (Proton: `Filter.filter_set`). */
  readonly filterSet: Map<AmqpValue, AmqpValue>;
  constructor(filterSet: Record<string, AmqpValue> | Map<AmqpValue, AmqpValue> = {}) {
    super();
    this.filterSet = symbolKeyed(filterSet);
  }
  /** Puts the filter set on the link's source (AMQP: `source.filter`). Proton: `Filter.apply`. */
  override apply(link: Link): void {
    link.source.filter = this.filterSet;
  }
}

/** A JMS selector (`apache.org:selector-filter:string`), as a filter named `name`. Proton: `Selector`. */
export class Selector extends Filter {
  /** A selector of messages matching `value`, such as `"colour = 'red'"`, as the filter named `name`. */
  constructor(value: string, name = 'selector') {
    super(new Map([[name, new Described(new AmqpSymbol('apache.org:selector-filter:string'), value)]]));
  }
}

/**
 * A durable subscription: the source keeps unsettled state, and never expires. Give the link a stable name
 * (and the connection a stable container-id) to resume it. Proton: `DurableSubscription`.
 */
export class DurableSubscription extends ReceiverOption {
  /**
   * Sets the source's durable to unsettled-state and its expiry-policy to never (AMQP: `source.durable` =
   * `unsettled-state`, `source.expiry-policy` = `never`). Proton: `DurableSubscription.apply`.
   */
  override apply(link: Link): void {
    link.source.durable = Durability.unsettledState;
    link.source.expiryPolicy = 'never';
  }
}

/** Consume messages (distribution mode `move`). Proton: `Move`. */
export class Move extends ReceiverOption {
  /**
   * Sets the source's distribution-mode to move (AMQP: `source.distribution-mode` = `move`). Proton:
   * `Move.apply`.
   */
  override apply(link: Link): void {
    link.source.distributionMode = 'move';
  }
}

/** Browse messages without consuming them (distribution mode `copy`). Proton: `Copy`. */
export class Copy extends ReceiverOption {
  /**
   * Sets the source's distribution-mode to copy (AMQP: `source.distribution-mode` = `copy`). Proton:
   * `Copy.apply`.
   */
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
