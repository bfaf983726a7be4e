/** A link's source or target (or a transaction coordinator), with every field of the spec's terminus. */
import { Coordinator, Source, Target } from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';

/** What a terminus is: a source, a target or a transaction coordinator. */
export type TerminusType = 'source' | 'target' | 'coordinator';

/** Terminus durability (the spec's terminus-durability), for `Terminus.durable`. */
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
  /** The node's address. */
  address: string | undefined = undefined;
  /** What the node keeps across detaches. @default 0 (none) */
  durable = 0;
  /** When the node expires: 'link-detach', 'session-end', 'connection-close' or 'never'. @default 'session-end' */
  expiryPolicy = 'session-end';
  /** Seconds the node lives on after it expires. @default 0 */
  timeout = 0;
  /** Asks the peer to create a node (a temporary queue); its address comes back in the remote terminus. */
  dynamic = false;
  /** Properties of the node the peer creates when `dynamic`. */
  dynamicNodeProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /** Source only: 'move' or 'copy' (browse). */
  distributionMode: string | undefined = undefined;
  /** Source only: the filter set (keys are symbols). */
  filter: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /** Source only: the outcome a delivery gets when the link ends with it unsettled. */
  defaultOutcome: AmqpValue | object | undefined = undefined;
  /** Source only: the outcomes the node supports (symbols). */
  outcomes: string[] | undefined = undefined;
  /** The capabilities of the node (symbols). */
  capabilities: string[] | undefined = undefined;

  constructor(
    /** Whether this terminus is a source, a target or a coordinator (Proton: `Terminus.type`). */
    public type: TerminusType,
  ) {}

  /** Copies every field of another terminus. */
  copy(other: Terminus): void {
    Object.assign(this, other);
  }

  /** The terminus as its wire composite. */
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

  /** A terminus from a received source, target or coordinator; undefined for none. */
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
