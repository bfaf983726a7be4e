/**
 * A session: a channel, its links (by handle, both ways), and the spec's session flow control: transfer
 * ids, delivery ids and the incoming and outgoing windows, all in serial-number arithmetic.
 */
import type { AmqpValue } from '../codec/types.js';
import type { Condition } from './condition.js';
import type { Connection } from './connection.js';
import type { Delivery } from './delivery.js';
import { DeliveryIndex } from './delivery-index.js';
import { DispositionQueue } from './disposition-queue.js';
import { Endpoint, State } from './endpoint.js';
import { EventType } from './event.js';
import { type Link, Receiver, Sender } from './link.js';

/** The largest window a peer may be granted: 2^31 - 1, as Proton grants when capacity is unlimited. */
export const MAX_WINDOW = 0x7fffffff;

/**
 * An AMQP session on a connection: a channel with its own incoming and outgoing windows, in which links
 * are attached. The `remote*` fields hold what the peer's begin said. Proton: `Session`.
 */
export class Session extends Endpoint {
  /**
   * The local channel (the AMQP frame channel our begin goes on), once begun; -1 before. Proton keeps it
   * internal: proton-ts only.
   */
  channel = -1;
  /**
   * The peer's channel, once it began; -1 before. Our begin answers it in AMQP `begin.remote-channel`;
   * Proton keeps it internal: proton-ts only.
   */
  remoteChannel = -1;
  /**
   * Bytes of incoming messages this session may buffer; 0 for no limit. The AMQP `incoming-window` of
   * begin and flow is derived from it (2^31-1 with no limit). Proton: `Session.incoming_capacity`.
   * @default 0
   */
  incomingCapacity = 0;
  /**
   * The outgoing window advertised (AMQP: `begin.outgoing-window`). Proton: `Session.outgoing_window`.
   * @default 2147483647
   */
  outgoingWindow = MAX_WINDOW;
  /**
   * The largest handle this side accepts (AMQP: `begin.handle-max`). Proton Python has no counterpart.
   * @default 4294967295
   */
  handleMax = 0xffffffff;
  /**
   * The peer's AMQP `begin.handle-max`: no handle above it is used. Proton Python has no counterpart.
   * @default 4294967295
   */
  remoteHandleMax = 0xffffffff;
  /**
   * Capabilities this side offers (AMQP: `begin.offered-capabilities`). Proton Python has no counterpart.
   */
  offeredCapabilities: string[] | undefined = undefined;
  /**
   * Capabilities this side asks of the peer (AMQP: `begin.desired-capabilities`). Proton Python has no
   * counterpart.
   */
  desiredCapabilities: string[] | undefined = undefined;
  /**
   * Session properties, keys as symbols (AMQP: `begin.properties`). Proton Python has no counterpart.
   */
  properties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /** The peer's AMQP `begin.offered-capabilities`. Proton Python has no counterpart. */
  remoteOfferedCapabilities: string[] | undefined = undefined;
  /** The peer's AMQP `begin.desired-capabilities`. Proton Python has no counterpart. */
  remoteDesiredCapabilities: string[] | undefined = undefined;
  /** The peer's AMQP `begin.properties`. Proton Python has no counterpart. */
  remoteProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;

  /**
   * Every link of the session, in creation order. Proton Python has no per-session list: it walks the
   * connection's links with `Connection.link_head(mask)`.
   */
  readonly links: Link[] = [];
  /** @internal A link has detached (either side) since pruneClosed last looked. */
  detachesSincePrune = false;
  /** @internal Links by local handle. */
  readonly linksByHandle = new Map<number, Link>();
  /** @internal Links by the peer's handle. */
  readonly linksByRemoteHandle = new Map<number, Link>();

  // Outgoing flow state (spec 2.5.6)
  /** @internal The transfer-id of our next transfer frame. */
  nextOutgoingId = 0;
  /** @internal The delivery-id of our next delivery. */
  nextOutgoingDeliveryId = 0;
  /** @internal How many more transfer frames the peer will take. */
  remoteIncomingWindow = 0;
  // Incoming flow state
  /** @internal The transfer-id we expect next. */
  nextIncomingId = 0;
  /** @internal How many more transfer frames we take. */
  incomingWindow = MAX_WINDOW;
  /** @internal The peer's outgoing window. */
  remoteOutgoingWindow = 0;
  /** @internal Bytes received on this session and not yet read by the application. */
  incomingBytes = 0;
  /** @internal The incoming window last advertised (to know when a flow is worth sending). */
  advertisedWindow = 0;

  /** @internal Unsettled deliveries we sent, by delivery-id. */
  readonly outgoingDeliveries = new DeliveryIndex();
  /** @internal Unsettled deliveries we received, by delivery-id. */
  readonly incomingDeliveries = new DeliveryIndex();
  /** @internal Deliveries owing a disposition. */
  readonly dispositions = new DispositionQueue();

  /** @internal The begin is owed to the peer. */
  beginPending = false;
  /** @internal The end is owed to the peer. */
  endPending = false;
  /** @internal A session-level flow is owed. */
  flowPending = false;

  constructor(
    /** The connection the session belongs to (Proton: `Session.connection`). */
    readonly connection: Connection,
  ) {
    super();
  }

  /** Begins the session: an AMQP begin is owed to the peer. Proton: `Session.open()`. */
  open(): void {
    if (this.localState !== State.LOCAL_UNINIT) return;
    this.localState = State.LOCAL_ACTIVE;
    this.beginPending = true;
    this.connection.emit(EventType.sessionLocalOpen, this);
    this.connection.work(this);
  }

  /**
   * Ends the session (its links with it): an AMQP end is owed, with `condition` as its error. Proton:
   * `Session.close()`, which sends `Endpoint.condition`.
   */
  close(condition?: Condition): void {
    if (this.localState === State.LOCAL_CLOSED) return;
    if (this.localState === State.LOCAL_UNINIT) this.open();
    if (condition !== undefined) this.condition = condition;
    this.localState = State.LOCAL_CLOSED;
    this.endPending = true;
    this.connection.emit(EventType.sessionLocalClose, this);
    this.connection.work(this);
  }

  /** A new sending link named `name` (not yet opened). Proton: `Session.sender(name)`. */
  sender(name: string): Sender {
    return this.addLink(new Sender(name, this));
  }

  /** A new receiving link named `name` (not yet opened). Proton: `Session.receiver(name)`. */
  receiver(name: string): Receiver {
    return this.addLink(new Receiver(name, this));
  }

  /** @internal */
  addLink<L extends Link>(link: L): L {
    this.links.push(link);
    this.connection.emit(EventType.linkInit, link);
    return link;
  }

  /** @internal The incoming window to advertise: from the capacity left, in frames of our size. */
  computeIncomingWindow(): number {
    if (this.incomingCapacity <= 0) return MAX_WINDOW;
    const frame = this.connection.transport?.maxFrameSize ?? 0;
    const left = Math.max(0, this.incomingCapacity - this.incomingBytes);
    if (frame <= 0 || frame >= 0xffffffff) return Math.min(MAX_WINDOW, left > 0 ? 1 : 0);
    return Math.min(MAX_WINDOW, Math.floor(left / frame));
  }

  /** @internal The application read `n` bytes: with a capacity set, the window may open again. */
  bytesRead(n: number): void {
    this.incomingBytes -= n;
    const t = this.connection.transport;
    if (t !== undefined) t.bufferedBytes -= n;
    if (
      this.incomingCapacity > 0 &&
      this.computeIncomingWindow() >= this.incomingWindow + Math.max(1, this.advertisedWindow >> 1)
    ) {
      this.flowPending = true;
      this.connection.work(this);
    }
  }

  /** @internal Drops a settled delivery from the session's maps. */
  forget(d: Delivery): void {
    if (d.id < 0) return;
    const map = d.outgoing ? this.outgoingDeliveries : this.incomingDeliveries;
    if (map.get(d.id) === d) map.delete(d.id);
    this.dispositions.delete(d);
  }

  /**
   * @internal Lets go of the links closed on both sides, their detach written, and of their deliveries
   * (a detached link's unsettled state is gone, spec 2.6.6): called as the peer attaches another, so that
   * one attaching and detaching for ever cannot grow the session without bound, while a link just closed
   * stays listed (as in Proton until freed) for the application to look at. Proton C: `pn_link_free`.
   */
  pruneClosed(): void {
    if (!this.detachesSincePrune) return;
    this.detachesSincePrune = false;
    let k = 0;
    for (const l of this.links) {
      const gone =
        l.localState === State.LOCAL_CLOSED && l.remoteState === State.REMOTE_CLOSED && !l.detachPending;
      if (gone) for (const d of l.deliveries) this.forget(d);
      else this.links[k++] = l;
    }
    this.links.length = k;
  }

  /** @internal The lowest free local handle, or -1 when all up to the limits are taken. */
  allocateHandle(): number {
    const max = Math.min(this.handleMax, this.remoteHandleMax);
    for (let h = 0; h <= max; h++) if (!this.linksByHandle.has(h)) return h;
    return -1;
  }
}
