/**
 * Links: a `Sender` or a `Receiver` attached on a session, with its termini, settle modes and the
 * spec's flow control: link credit and delivery-count, drain, available. Credit and delivery-count use
 * serial-number arithmetic, so nothing breaks when they wrap at 2^32.
 */
import { encodeToSend } from '../codec/lent-buffers.js';
import type { AmqpValue } from '../codec/types.js';
import { ProtonError } from '../errors.js';
import { serialAdd, serialDiff } from '../util/serial.js';
import type { Condition } from './condition.js';
import { Delivery, DeliveryError, digitsTag, NO_CHUNKS } from './delivery.js';
import { DeliverySet } from './delivery-set.js';
import { Endpoint, State } from './endpoint.js';
import { EventType } from './event.js';
import type { Session } from './session.js';
import { Terminus } from './terminus.js';

/**
 * Messages queued by a sender within one turn, in bytes, after which the I/O layer is asked to write
 * (Transport.onOutputQueued): a handler sending a whole window of credit at once then streams it out as
 * it goes. Measured against 16 and 64 KiB: as good as 16 KiB for a Proton C receiver, and better for a
 * proton-ts one, whose reads (and so its turns, each with its own flow and disposition frames) are fuller.
 */
export const EARLY_OUTPUT_BYTES = 32 * 1024;

/**
 * The AMQP sender-settle-mode values, for `Link.sndSettleMode` (Proton: `Link.SND_UNSETTLED`,
 * `Link.SND_SETTLED`, `Link.SND_MIXED`).
 */
export const SenderSettleMode = {
  /** The sender sends every delivery unsettled and waits for the receiver's outcome (at-least-once). */
  unsettled: 0,
  /** The sender settles every delivery as it sends it (at-most-once, "pre-settled"). */
  settled: 1,
  /** The sender decides per delivery. The spec's default. */
  mixed: 2,
} as const;
/**
 * The AMQP receiver-settle-mode values, for `Link.rcvSettleMode` (Proton: `Link.RCV_FIRST`,
 * `Link.RCV_SECOND`).
 */
export const ReceiverSettleMode = {
  /** The receiver settles as soon as it sends its outcome. The spec's default. */
  first: 0,
  /** The receiver settles only after the sender has settled (the two-step, exactly-once style). */
  second: 1,
} as const;

/**
 * Misuse of a link (sending on a closed link, reading from a sender), with condition `amqp:illegal-state`
 * unless told otherwise. Proton: `LinkException`.
 */
export class LinkError extends ProtonError {
  constructor(message: string, condition = 'amqp:illegal-state') {
    super(message, { condition });
    this.name = 'LinkError';
  }
}

/**
 * One end of an AMQP link: the base of {@link Sender} and {@link Receiver}. The `remote*` fields hold what
 * the peer sent in its attach, and are `undefined` or the spec's default until it has. Proton: `Link`.
 */
export abstract class Link extends Endpoint {
  /** The local handle (AMQP: `attach.handle`), once attached; -1 before. Proton keeps it internal. */
  handle = -1;
  /** The handle of the peer's AMQP attach, once it came; -1 before. Proton keeps it internal. */
  remoteHandle = -1;
  /** The local source. Proton: `Link.source`. */
  readonly source: Terminus = new Terminus('source');
  /** The local target. Proton: `Link.target`. */
  readonly target: Terminus = new Terminus('target');
  /** The peer's source, once it attached. Proton: `Link.remote_source`. */
  remoteSource: Terminus | undefined = undefined;
  /** The peer's target, once it attached. Proton: `Link.remote_target`. */
  remoteTarget: Terminus | undefined = undefined;
  /** The sender settle mode asked for. Proton: `Link.snd_settle_mode`. @default 2 (mixed) */
  sndSettleMode: number = SenderSettleMode.mixed;
  /** The receiver settle mode asked for. Proton: `Link.rcv_settle_mode`. @default 0 (first) */
  rcvSettleMode: number = ReceiverSettleMode.first;
  /**
   * The peer's snd-settle-mode, from its attach (Proton: `Link.remote_snd_settle_mode`).
   * @default 2 (mixed)
   */
  remoteSndSettleMode: number = SenderSettleMode.mixed;
  /**
   * The peer's rcv-settle-mode, from its attach (Proton: `Link.remote_rcv_settle_mode`).
   * @default 0 (first)
   */
  remoteRcvSettleMode: number = ReceiverSettleMode.first;
  /**
   * The largest message this side accepts, in bytes; 0 for no limit. A receiver getting a larger one
   * drops it and closes the link with `amqp:link:message-size-exceeded` (Proton 0.37 only advertises it).
   * Proton: `Link.max_message_size`.
   */
  maxMessageSize: number | bigint = 0;
  /**
   * The largest message the peer accepts, in bytes, from its attach's max-message-size; 0 for no limit. A
   * sender refuses to send a larger message (Proton: `Link.remote_max_message_size`).
   * @default 0
   */
  remoteMaxMessageSize: number | bigint = 0;
  /** Link properties, sent in the attach (keys are symbols). Proton: `Link.properties`. */
  properties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /** The link properties of the peer's attach (Proton: `Link.remote_properties`). */
  remoteProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /**
   * The capabilities this side offers, as symbols (AMQP: `attach.offered-capabilities`). Proton Python
   * has no counterpart.
   */
  offeredCapabilities: string[] | undefined = undefined;
  /**
   * The capabilities this side asks of the peer, as symbols (AMQP: `attach.desired-capabilities`). Proton
   * Python has no counterpart.
   */
  desiredCapabilities: string[] | undefined = undefined;
  /** The peer's AMQP `attach.offered-capabilities`. Proton Python has no counterpart. */
  remoteOfferedCapabilities: string[] | undefined = undefined;
  /** The peer's AMQP `attach.desired-capabilities`. Proton Python has no counterpart. */
  remoteDesiredCapabilities: string[] | undefined = undefined;
  /**
   * Properties sent with this link's next flow, keys as symbols (AMQP: `flow.properties`). Proton Python
   * has no counterpart.
   */
  flowProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /** The peer's last AMQP `flow.properties` for this link. Proton Python has no counterpart. */
  remoteFlowProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /**
   * The unsettled map sent in the attach, for resuming durable links (AMQP: `attach.unsettled`). Proton
   * Python has no counterpart.
   */
  unsettled: Map<AmqpValue, AmqpValue> | undefined = undefined;
  /**
   * The peer's AMQP `attach.unsettled`: delivery tags to their states, for link recovery. Proton Python
   * has no counterpart.
   */
  remoteUnsettled: Map<AmqpValue, AmqpValue> | undefined = undefined;

  /**
   * The link's delivery-count, part of its flow state (AMQP: `flow.delivery-count`, starting from
   * `attach.initial-delivery-count`). Proton keeps it internal.
   */
  deliveryCount = 0;
  /** @internal The link-credit the spec's flow control gives: for a sender, what it may still send. */
  linkCredit = 0;
  /** Drain mode: set by the receiver, seen by the sender. Proton: `Link.drain_mode`. */
  drain = false;
  /** The sender's hint of how many deliveries it has to send. Proton: `Link.available`. */
  available = 0;
  /** Deliveries on this link not yet settled here, oldest first (Proton C: `pn_unsettled_head`). */
  readonly deliveries: Set<Delivery> = new DeliverySet(); // a list through them inside: delivery-set.ts says why
  /** The delivery `send`/`recv` act on. Proton: `Link.current`. */
  current: Delivery | undefined = undefined;

  /** @internal The attach is owed to the peer. */
  attachPending = false;
  /** @internal The detach (close) is owed to the peer. */
  detachPending = false;
  /** @internal A flow is owed to the peer. */
  flowPending = false;
  /** @internal Whether the detach was a close (true) or a detach (false). */
  closing = true;
  /** @internal Whether the peer's detach was a close. */
  remoteClosed = true;
  /** @internal Echo asked for in the next flow. */
  echo = false;

  constructor(
    /** The link name, unique among the connection's links in each direction (Proton: `Link.name`). */
    readonly name: string,
    /** The session the link belongs to (Proton: `Link.session`). */
    readonly session: Session,
  ) {
    super();
  }

  /** Whether this is the sending end, with role `sender` in the attach (Proton: `Link.is_sender`). */
  abstract readonly isSender: boolean;
  /** Whether this is the receiving end (Proton: `Link.is_receiver`). */
  get isReceiver(): boolean {
    return !this.isSender;
  }

  /** The connection the link belongs to. Proton: `Link.connection`. */
  get connection() {
    return this.session.connection;
  }

  /** The credit the application sees (Proton: `Link.credit`). */
  abstract get credit(): number;

  /**
   * Deliveries buffered here: sender, advanced but not yet written; receiver, arrived and not yet read.
   * Proton: `Link.queued`.
   */
  abstract get queued(): number;

  /** Deliveries not settled here. Proton: `Link.unsettled`. */
  get unsettledCount(): number {
    return this.deliveries.size;
  }

  /** Attaches the link. Proton: `Link.open`. */
  open(): void {
    if (this.localState !== State.LOCAL_UNINIT) return;
    this.localState = State.LOCAL_ACTIVE;
    // The attach says where the sender's count starts: fixed now, whatever moves it before the attach
    // is written (a drain answered in the same turn).
    if (this instanceof Sender) this.initialDeliveryCount = this.deliveryCount;
    this.attachPending = true;
    this.connection.emit(EventType.linkLocalOpen, this);
    this.connection.work(this);
  }

  /** Detaches the link and closes it: the peer forgets the link's state. Proton: `Link.close`. */
  close(condition?: Condition): void {
    this.end(true, condition);
  }

  /** Detaches the link without closing it, so a durable link can be resumed later. Proton: `Link.detach`. */
  detach(condition?: Condition): void {
    this.end(false, condition);
  }

  private end(closed: boolean, condition?: Condition): void {
    if (this.localState === State.LOCAL_CLOSED) return;
    if (this.localState === State.LOCAL_UNINIT) this.open();
    if (condition !== undefined) this.condition = condition;
    this.localState = State.LOCAL_CLOSED;
    this.closing = closed;
    this.detachPending = true;
    this.connection.emit(closed ? EventType.linkLocalClose : EventType.linkLocalDetach, this);
    this.connection.work(this);
  }

  /**
   * Moves past the current delivery: the sender is done writing it, the receiver done reading it. Proton:
   * `Link.advance`.
   */
  abstract advance(): boolean;

  /** @internal A delivery's state, settlement or bytes changed. */
  deliveryChanged(d: Delivery): void {
    if (d.dispositionPending) this.session.dispositions.add(d);
    this.connection.work(this);
  }

  /** @internal An outgoing delivery was aborted: it no longer counts as queued. */
  deliveryAborted(d: Delivery): void {
    if (this instanceof Sender && !d.started && this.current !== d) this.queuedCount--;
    if (this.current === d) this.current = undefined;
    this.connection.work(this);
  }

  /** @internal Drops a settled delivery from the link's books. */
  forget(d: Delivery): void {
    this.deliveries.delete(d);
    this.session.forget(d);
    if (this.current === d) this.current = undefined;
  }

  /**
   * Throws a {@link LinkError} (`amqp:illegal-state`) when the link or its connection was closed here, so
   * that `what` (an action such as "send") is refused rather than lost. proton-ts only: Proton has no
   * counterpart.
   */
  protected checkOpen(what: string): void {
    if (this.localState === State.LOCAL_CLOSED) throw new LinkError(`cannot ${what}: the link is closed`);
    if (this.connection.localState === State.LOCAL_CLOSED) {
      throw new LinkError(`cannot ${what}: the connection is closed`);
    }
  }
}

/** A message that can encode itself into lent memory (`Message`; see lent-buffers.ts). */
interface Lending {
  [encodeToSend]?: () => Uint8Array;
}

/** The sending end of a link (AMQP: `attach.role` sender). Proton: `Sender`. */
export class Sender extends Link {
  readonly isSender = true;
  private nextTag = 1;
  /** @internal Deliveries not yet all written, in order: the transport works through them. */
  readonly unsent: Delivery[] = [];
  /** @internal Deliveries advanced past and not yet started on the wire. */
  queuedCount = 0;
  /**
   * Keep each sent message's bytes until it is settled, so it can be sent again after a reconnect (the
   * `resend` option uses it; Proton has no such field).
   * @default false
   */
  keepPayload = false;
  /**
   * Deliveries that were in flight when the connection was lost: sent, not settled by the peer, fate
   * unknown. The container reports them to the application (and can send them again). Proton has no
   * such list.
   */
  readonly inDoubt: Delivery[] = [];

  get credit(): number {
    return this.linkCredit - this.queuedCount;
  }

  get queued(): number {
    return this.queuedCount;
  }

  /** The next default delivery tag: "1", "2", "3"... as Proton's. Proton: `Sender.delivery_tag`. */
  deliveryTag(): Uint8Array {
    return digitsTag(this.nextTag++);
  }

  /**
   * Starts a new delivery with `tag` (a default one when absent); it becomes the current delivery. Proton:
   * `Link.delivery`.
   */
  delivery(tag?: Uint8Array | string): Delivery {
    this.checkOpen('send');
    if (this.current !== undefined && !this.current.done) {
      throw new LinkError('the current delivery is not finished: call advance() first');
    }
    // A default tag stays a number until someone reads it (Delivery.tag): its digits are written from that.
    const t = tag === undefined ? this.nextTag++ : typeof tag === 'string' ? Buffer.from(tag) : tag;
    const d = new Delivery(t, this, true);
    this.deliveries.add(d);
    this.unsent.push(d);
    this.current = d;
    return d;
  }

  /**
   * Sends a message as a new delivery (tagged `tag`, or the next default tag) and returns it; with
   * bytes instead, appends them to the current delivery, as `stream` does, and returns their number.
   * On a link whose sender settle mode is `settled`, the delivery is settled as it is sent.
   * Proton: `Sender.send`.
   */
  send(message: { encode(): Uint8Array }, tag?: Uint8Array | string): Delivery;
  send(bytes: Uint8Array): number;
  send(what: Uint8Array | { encode(): Uint8Array }, tag?: Uint8Array | string): Delivery | number {
    if (what instanceof Uint8Array) return this.stream(what);
    const d = this.delivery(tag);
    // Kept for a resend, the bytes must stay as they are: only otherwise may they be in lent memory.
    const toSend = this.keepPayload ? undefined : (what as Lending)[encodeToSend];
    const bytes = typeof toSend === 'function' ? toSend.call(what) : what.encode();
    if (this.keepPayload) d.payload = bytes;
    this.stream(bytes);
    this.advance();
    return d;
  }

  /** Appends bytes to the current delivery. Returns the number of bytes taken. Proton: `Sender.stream`. */
  stream(bytes: Uint8Array): number {
    this.checkOpen('send');
    const d = this.current;
    if (d === undefined || d.done) throw new LinkError('no current delivery: call delivery() first');
    const max = this.remoteMaxMessageSize;
    if (max !== 0 && d.size + d.transferred + bytes.length > Number(max)) {
      throw new LinkError(
        `the message would exceed the peer's max-message-size of ${max} bytes`,
        'amqp:link:message-size-exceeded',
      );
    }
    if (bytes.length > 0) {
      d.addChunk(bytes);
      d.size += bytes.length;
      // Bytes stream out as credit allows, before the delivery is advanced.
      this.connection.work(this);
    }
    return bytes.length;
  }

  advance(): boolean {
    const d = this.current;
    if (d === undefined) return false;
    d.done = true;
    if (!d.started) this.queuedCount++;
    this.current = undefined;
    if (this.sndSettleMode === SenderSettleMode.settled && !d.settled) d.settled = true;
    this.connection.work(this);
    const t = this.connection.transport;
    if (t?.onOutputQueued !== undefined) {
      t.queuedSinceOutput += d.size;
      if (t.queuedSinceOutput >= EARLY_OUTPUT_BYTES) t.onOutputQueued();
    }
    return true;
  }

  /**
   * Sets the `available` hint sent in flows: how many deliveries the sender has waiting. Proton:
   * `Sender.offered`.
   */
  offered(n: number): void {
    this.available = n;
    this.flowPending = true;
    this.connection.work(this);
  }

  /**
   * Ends a drain the receiver asked for: the unused credit is given back (delivery-count advanced past
   * it) and the receiver told. Returns the credit given back.
   * Proton: `Link.drained`.
   */
  drained(): number {
    if (!this.drain) return 0;
    const excess = this.linkCredit - this.queued;
    if (excess <= 0) return 0;
    this.deliveryCount = serialAdd(this.deliveryCount, excess);
    this.linkCredit -= excess;
    this.flowPending = true;
    this.connection.work(this);
    return excess;
  }

  /** @internal The receiver's flow: credit = its delivery-count + its link-credit - ours. */
  remoteFlow(deliveryCount: number | undefined, linkCredit: number, drain: boolean): void {
    const base = deliveryCount ?? this.initialDeliveryCount;
    this.linkCredit = Math.max(0, serialDiff(this.deliveryCount, serialAdd(base, linkCredit)));
    this.drain = drain;
  }

  /** @internal The delivery-count sent in the attach. */
  initialDeliveryCount = 0;
}

/** The receiving end of a link (AMQP: `attach.role` receiver). Proton: `Receiver`. */
export class Receiver extends Link {
  readonly isSender = false;
  /** @internal Deliveries received and not yet advanced past, in order. */
  readonly incoming: Delivery[] = [];
  /** @internal Transfers taken beyond the credit since credit was last granted (see dispatch). */
  overrun = 0;

  /**
   * The credit granted and not yet used up by the application: as Proton's, a delivery that arrived
   * still counts until the application advances past it (`credit` = wire credit + `queued`).
   */
  get credit(): number {
    return this.linkCredit + this.incoming.length;
  }

  get queued(): number {
    return this.incoming.length;
  }

  /**
   * Grants `n` more credit to the sender (and ends drain mode, as Proton's `flow` does). Proton:
   * `Receiver.flow`.
   */
  flow(n: number): void {
    this.grant(n, false);
  }

  /**
   * Grants `n` more credit and asks the sender to use it all or give it back (drain). Proton:
   * `Receiver.drain`.
   */
  drainCredit(n: number): void {
    this.grant(n, true);
  }

  private grant(n: number, drain: boolean): void {
    if (!Number.isInteger(n) || n < 0) throw new LinkError(`credit must be a whole number >= 0, not ${n}`);
    this.checkOpen('grant credit');
    this.drain = drain;
    this.linkCredit += n;
    if (n > 0) this.overrun = 0;
    this.flowPending = true;
    this.connection.work(this);
  }

  /**
   * Whether a drain asked for is still under way (the sender still holds credit). Proton:
   * `Receiver.draining()`.
   */
  draining(): boolean {
    return this.drain && this.linkCredit > 0;
  }

  /**
   * Reads up to `limit` bytes of the current delivery; undefined when none are left. Proton: `Receiver.recv`.
   */
  recv(limit: number): Uint8Array | undefined {
    const d = this.current;
    if (d === undefined) throw new DeliveryError('no current delivery to read');
    if (d.size === 0) return undefined;
    const out = d.take(Math.min(limit, d.size));
    this.session.bytesRead(out.length);
    return out;
  }

  advance(): boolean {
    const d = this.current;
    if (d === undefined) return false;
    // Nearly always the oldest: shift, rather than search and splice a queue as long as the prefetch.
    if (this.incoming[0] === d) this.incoming.shift();
    else {
      const i = this.incoming.indexOf(d);
      if (i >= 0) this.incoming.splice(i, 1);
    }
    // Always, even for an empty delivery: its transfers used window that reading gives back.
    this.session.bytesRead(d.size);
    if (d.chunks.length > 0) d.chunks = NO_CHUNKS;
    d.size = 0;
    this.current = this.incoming[0];
    if (d.settled && (d.remoteSettled || !d.dispositionPending)) this.forget(d);
    return true;
  }

  /** @internal The sender's flow (a drain answered, or its delivery-count moved). */
  remoteFlow(deliveryCount: number | undefined, linkCredit: number, drain: boolean): void {
    if (deliveryCount === undefined) return;
    // Only the sender moves the delivery-count: take its value, keep our limit (count + credit), and the
    // credit left is the distance to it. A drain answered has moved the count up to the limit.
    const limit = serialAdd(this.deliveryCount, this.linkCredit);
    this.deliveryCount = deliveryCount;
    this.linkCredit = Math.max(0, serialDiff(deliveryCount, limit));
    if (this.drain && this.linkCredit === 0 && (drain || linkCredit === 0)) this.drain = false;
  }
}
