/** A link's source or target (or a transaction coordinator), with every field of the spec's terminus. */
import { Coordinator, Source, Target } from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';

/**
 * What a terminus is: a source, a target or a transaction coordinator (AMQP: `source`, `target`,
 * `coordinator`). Proton: `Terminus.SOURCE`, `Terminus.TARGET`, `Terminus.COORDINATOR`.
 */
export type TerminusType = 'source' | 'target' | 'coordinator';

/**
 * Terminus durability, for `Terminus.durable` (AMQP: `terminus-durability`). Proton: the
 * `Terminus.NONDURABLE`, `CONFIGURATION` and `DELIVERIES` constants.
 */
export const Durability = {
  /** Nothing survives: the spec's `none` (Proton: `Terminus.NONDURABLE`). */
  none: 0,
  /** The node's configuration survives, not its unsettled state (Proton: `Terminus.CONFIGURATION`). */
  configuration: 1,
  /** The configuration and the unsettled deliveries survive (Proton: `Terminus.DELIVERIES`). */
  unsettledState: 2,
} as const;

/** The source or target of a link (Proton: `Terminus`). Set its fields before the link is opened. */
export class Terminus {
  /** The node's address (AMQP: `source.address` / `target.address`). Proton: `Terminus.address`. */
  address: string | undefined = undefined;
  /**
   * What the node keeps across detaches, a {@link Durability} (AMQP: `durable`). Proton:
   * `Terminus.durability`.
   * @default 0 (none)
   */
  durable = 0;
  /**
   * When the node expires: 'link-detach', 'session-end', 'connection-close' or 'never' (AMQP:
   * `expiry-policy`). Proton: `Terminus.expiry_policy`.
   * @default 'session-end'
   */
  expiryPolicy = 'session-end';
  /** Seconds the node lives on after it expires (AMQP: `timeout`). Proton: `Terminus.timeout`. @default 0 */
  timeout = 0;
  /**
   * Asks the peer to create a node (a temporary queue); its address comes back in the remote terminus.
   * AMQP: `dynamic`; Proton: `Terminus.dynamic`.
   * @default false
   */
  dynamic = false;
  /**
   * Properties of the node the peer creates when `dynamic` (AMQP: `dynamic-node-properties`). Proton:
   * `Terminus.properties`.
   */
  dynamicNodeProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /**
   * Source only: 'move' or 'copy' (browse); unset by default (AMQP: `source.distribution-mode`). Proton:
   * `Terminus.distribution_mode`.
   */
  distributionMode: string | undefined = undefined;
  /** Source only: the filter set, keys as symbols (AMQP: `source.filter`). Proton: `Terminus.filter`. */
  filter: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /**
   * Source only: the outcome a delivery gets when the link ends with it unsettled (AMQP:
   * `source.default-outcome`). Proton Python has no counterpart.
   */
  defaultOutcome: AmqpValue | object | undefined = undefined;
  /**
   * Source only: the outcomes the node supports, as symbols (AMQP: `source.outcomes`). Proton:
   * `Terminus.outcomes`.
   */
  outcomes: string[] | undefined = undefined;
  /** The capabilities of the node, as symbols (AMQP: `capabilities`). Proton: `Terminus.capabilities`. */
  capabilities: string[] | undefined = undefined;

  constructor(
    /** Whether this terminus is a source, a target or a coordinator (Proton: `Terminus.type`). */
    public type: TerminusType,
  ) {}

  /** Copies every field of another terminus. Proton: `Terminus.copy(src)`. */
  copy(other: Terminus): void {
    Object.assign(this, other);
  }

  /**
   * The terminus as its AMQP composite (`source`, `target` or `coordinator`). proton-ts only: Proton has
   * no counterpart.
   */
  toWire(): Source | Target | Coordinator {
    if (this.type === 'coordinator') {
      const c = new Coordinator();
      c.capabilities = this.capabilities;
      return c;
    }
    const t = this.type === 'source' ? new Source() : new Target();
    t.address = this.address;
    t.durable = this.durable;
    t.expiryPolicy = this.expiryPolicy === 'session-end' ? undefined : this.expiryPolicy;
    t.timeout = this.timeout;
    t.dynamic = this.dynamic;
    t.dynamicNodeProperties = this.dynamicNodeProperties;
    t.capabilities = this.capabilities;
    if (t instanceof Source) {
      t.distributionMode = this.distributionMode;
      t.filter = this.filter;
      t.defaultOutcome = this.defaultOutcome as Source['defaultOutcome'];
      t.outcomes = this.outcomes;
    }
    return t;
  }

  /**
   * A terminus from a received AMQP `source`, `target` or `coordinator` composite; undefined for none.
   * proton-ts only: Proton has no counterpart.
   */
  static fromWire(w: unknown): Terminus | undefined {
    if (w instanceof Coordinator) {
      const t = new Terminus('coordinator');
      t.capabilities = w.capabilities;
      return t;
    }
    if (!(w instanceof Source) && !(w instanceof Target)) return undefined;
    const t = new Terminus(w instanceof Source ? 'source' : 'target');
    t.address =
      typeof w.address === 'string' ? w.address : w.address === undefined ? undefined : String(w.address);
    t.durable = w.durable ?? 0;
    t.expiryPolicy = w.expiryPolicy ?? 'session-end';
    t.timeout = w.timeout ?? 0;
    t.dynamic = w.dynamic ?? false;
    t.dynamicNodeProperties = w.dynamicNodeProperties as Map<AmqpValue, AmqpValue> | undefined;
    t.capabilities = w.capabilities;
    if (w instanceof Source) {
      t.distributionMode = w.distributionMode;
      t.filter = w.filter as Map<AmqpValue, AmqpValue> | undefined;
      t.defaultOutcome = w.defaultOutcome;
      t.outcomes = w.outcomes;
    }
    return t;
  }
}
