/**
 * Durable subscriptions to topics. A receiver attaching to a topic with a durable source (durable
 * configuration or unsettled-state) that never expires (expiry-policy `never`) gets a subscription named
 * by the connection's container-id and the link name. Detaching the link without closing it (or losing
 * the connection) keeps the subscription, and what is published meanwhile is kept for it; attaching
 * again with the same container-id and link name resumes it. Closing the link, or attaching again with
 * the same name but not durably (or to another topic, or with another selector), deletes it.
 *
 * Not done: resuming the link's unsettled deliveries by tag (the attach's unsettled map). Deliveries
 * unsettled at the detach go back to the subscription's backlog and are sent again, their
 * delivery-count raised, as deliveries left unsettled by any consumer are.
 */
import type { Link, Sender, Terminus } from '../index.js';
import type { Consumer, Node, Subscription } from './queue.js';
import type { AppliedFilter } from './source-filter.js';

/** A durable subscription: its topic and selector, and its messages. */
export interface Durable {
  readonly key: string;
  readonly node: Node;
  readonly subscription: Subscription;
  /** The selector it was made with (another one makes a new subscription). */
  readonly selector: string | undefined;
}

/** Whether a source asks for a durable subscription. */
export function wantsDurable(source: Terminus): boolean {
  return source.durable > 0 && source.expiryPolicy === 'never';
}

/** The name of a link's subscription: the peer's container-id and the link name. */
export function subscriptionKey(link: Link): string {
  return `${link.connection.remoteContainerId ?? ''}\u0000${link.name}`;
}

export class DurableSubscriptions {
  private readonly byKey = new Map<string, Durable>();

  /** How many there are. */
  get size(): number {
    return this.byKey.size;
  }

  /** The subscription of a key, if there is one. */
  get(key: string): Durable | undefined {
    return this.byKey.get(key);
  }

  /** The subscriptions, for inspection. */
  values(): IterableIterator<Durable> {
    return this.byKey.values();
  }

  /**
   * Gives a consumer attaching to a topic its subscription: its durable one resumed (or made) when its
   * source asks for one, else one of its own, and an attach that is not durable deletes the durable one
   * of the same name. A link still holding that one is handed to `steal` first. Returns the durable one.
   */
  subscribe(
    consumer: Consumer,
    node: Node,
    filter: AppliedFilter | undefined,
    steal: (holder: Sender) => void,
  ): Durable | undefined {
    const link = consumer.link;
    const key = subscriptionKey(link);
    const existing = this.byKey.get(key);
    const holder = existing?.subscription.consumer?.link;
    if (holder !== undefined && holder !== link) steal(holder);
    if (!wantsDurable(link.remoteSource!)) {
      if (existing !== undefined) this.delete(existing);
      // Only what is granted is echoed: no durability.
      link.source.durable = 0;
      consumer.subscription = { backlog: [], selects: filter?.selects, consumer };
      node.subscriptions.add(consumer.subscription);
      return undefined;
    }
    const { durable } = this.resume(key, node, filter?.text, filter?.selects);
    durable.subscription.consumer = consumer;
    consumer.subscription = durable.subscription;
    return durable;
  }

  /**
   * The subscription for `key` on `node` with `selector`: the one there is when it matches, else a new
   * one (the old one, which does not match, is deleted: returned as `replaced`).
   */
  resume(
    key: string,
    node: Node,
    selector: string | undefined,
    selects: Subscription['selects'],
  ): { durable: Durable; replaced?: Durable } {
    const old = this.byKey.get(key);
    if (old !== undefined && old.node === node && old.selector === selector) return { durable: old };
    if (old !== undefined) this.delete(old);
    const subscription: Subscription = { backlog: [], selects, consumer: undefined };
    node.subscriptions.add(subscription);
    const durable: Durable = { key, node, subscription, selector };
    this.byKey.set(key, durable);
    return { durable, replaced: old };
  }

  /** Deletes a subscription: its backlog goes with it. */
  delete(d: Durable): void {
    if (this.byKey.get(d.key) !== d) return;
    this.byKey.delete(d.key);
    d.node.subscriptions.delete(d.subscription);
    d.subscription.backlog.length = 0;
  }
}
