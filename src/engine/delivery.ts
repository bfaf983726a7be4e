/**
 * A delivery: one message in flight on a link, with its tag, its bytes, its local and remote states
 * (outcomes) and its settlement on each side.
 */

import type { DeliveryState } from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';
import { ProtonError } from '../errors.js';
import type { DeliverySet } from './delivery-set.js';
import type { Link } from './link.js';
import { messageMemory } from './message-memory.js';

/** A delivery state: an outcome (`Accepted`, `Rejected`, `Released`, `Modified`), `Received`, a
 * transactional state, or an unknown described value kept as it came. AMQP: the `delivery-state` in
 * `transfer.state` and `disposition.state`; Proton: `Disposition` (its `type` a `DispositionType`). */
export type DeliveryStateValue = DeliveryState | AmqpValue;

/**
 * @internal The bytes of every delivery that holds none: frozen, so code that would push to it fails
 * loudly rather than give one delivery's bytes to all.
 */
export const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/**
 * Misuse of a delivery (settling twice, writing to a received one), with condition `amqp:illegal-state`.
 * proton-ts only: Proton Python has no delivery exception.
 */
export class DeliveryError extends ProtonError {
  constructor(message: string) {
    super(message, { condition: 'amqp:illegal-state' });
    this.name = 'DeliveryError';
  }
}

/**
 * One message in flight on a link: its tag, its bytes, the local and the peer's delivery state, and
 * whether each side has settled it. A sender makes one per message sent; a receiver gets one per
 * transfer. Proton: `Delivery`.
 */
export class Delivery {
  /**
   * The session-scoped delivery-id of its transfers (AMQP: `transfer.delivery-id`), once assigned (when
   * its first transfer is written or read); -1 before. Proton keeps it internal.
   */
  id = -1;
  /**
   * The local state (outcome) set by `update`, sent as AMQP `disposition.state`. Proton: `Delivery.local`
   * (a `Disposition`; `Delivery.local_state` is its type).
   */
  local: DeliveryStateValue | undefined = undefined;
  /**
   * The state the peer set, from its `disposition.state` (or `transfer.state`). Proton: `Delivery.remote`
   * (a `Disposition`; `Delivery.remote_state` is its type).
   */
  remote: DeliveryStateValue | undefined = undefined;
  /** Settled here (Proton Python has no such flag: there a delivery settled here is done with). */
  settled = false;
  /**
   * Settled by the peer: its transfer or disposition had settled=true. Proton: `Delivery.settled`, which
   * means the peer's settlement.
   */
  remoteSettled = false;
  /**
   * The remote state or settlement changed since the application last cleared it. Proton: `Delivery.updated`.
   */
  updated = false;
  /** Incoming: more transfers of this delivery are expected. Proton: `Delivery.partial`. */
  partial = false;
  /** The delivery was aborted (by the peer for incoming, by us for outgoing). Proton: `Delivery.aborted`. */
  aborted = false;
  /**
   * Application data: the engine never touches it (where Proton Python code sets attributes on a delivery).
   */
  context: unknown = undefined;
  /**
   * The message's bytes, kept when the sender keeps payloads (to resend after a reconnect); Proton has no
   * such field.
   */
  payload: Uint8Array | undefined = undefined;

  /**
   * @internal The bytes: outgoing, queued to write; incoming, received and not yet read. Empty, it is the
   * one frozen {@link NO_CHUNKS} (no array per delivery until it has bytes): add to it by replacing it.
   */
  chunks: Uint8Array[] = NO_CHUNKS;
  /**
   * @internal Memory only this delivery views, whose start is the last chunk ({@link roomChunk}) and whose
   * rest may take the bytes of the transfers that follow (see {@link addOwnedChunk}).
   */
  private room: Buffer | undefined = undefined;
  /** @internal The chunk at the start of {@link room}, while it is still the last chunk. */
  private roomChunk: Uint8Array | undefined = undefined;

  /**
   * @internal Appends bytes to `chunks`: the first makes an array of exactly one (not one grown by push).
   * Bytes that fit in the room after the last chunk are copied there, extending it, so that a message a
   * little larger than a frame is read as one piece rather than put together again.
   */
  addChunk(bytes: Uint8Array): void {
    const last = this.roomChunk;
    if (last !== undefined) {
      const room = this.room!;
      const end = last.length + bytes.length;
      if (this.chunks[this.chunks.length - 1] === last && end <= room.length) {
        room.set(bytes, last.length);
        this.roomChunk = room.subarray(0, end);
        this.chunks[this.chunks.length - 1] = this.roomChunk;
        return;
      }
      this.room = this.roomChunk = undefined;
    }
    if (this.chunks.length === 0) this.chunks = [bytes];
    else this.chunks.push(bytes);
  }

  /**
   * @internal Appends the first `used` bytes of `memory`, which nothing else views: what is left of it may
   * take the bytes of later transfers (see {@link addChunk}).
   */
  addOwnedChunk(memory: Buffer, used: number): void {
    const chunk = memory.subarray(0, used);
    this.room = this.roomChunk = undefined;
    this.addChunk(chunk);
    if (used < memory.length) {
      this.room = memory;
      this.roomChunk = chunk;
    }
  }
  /** @internal Bytes held in `chunks`. */
  size = 0;
  /** @internal Incoming: total bytes received. Outgoing: bytes written to the wire so far. */
  transferred = 0;
  /** @internal Outgoing: the application advanced past it; no more bytes will come. */
  done = false;
  /** @internal The local state or settlement changed and a disposition is owed. */
  dispositionPending = false;
  /** @internal On its session's queue of deliveries owing a disposition (see DispositionQueue). */
  dispositionQueued = false;
  /** @internal The link's list of unsettled deliveries it is on, and its neighbours there (DeliverySet). */
  listedIn: DeliverySet | undefined = undefined;
  /** @internal */
  listPrev: Delivery | undefined = undefined;
  /** @internal */
  listNext: Delivery | undefined = undefined;
  /** @internal The first transfer has gone out (outgoing) or come in (incoming). */
  started = false;
  /** @internal Outgoing: the first frame, with the delivery-id and tag, has been written. */
  firstFrameSent = false;
  /** @internal Outgoing: the last frame has been written. */
  transferredAll = false;

  /**
   * @internal The tag, or for a sender's default tag its number, made into bytes only when `tag` is
   * read: the transfer writes the digits straight from the number (no buffer per message).
   */
  tagValue: Uint8Array | number;

  constructor(
    tag: Uint8Array | number,
    /** The link it travels on. Proton: `Delivery.link`. */
    readonly link: Link,
    /** True for a delivery we send. Proton: `Delivery.link.is_sender`. */
    readonly outgoing: boolean,
  ) {
    this.tagValue = tag;
  }

  /** The delivery tag, unique among the link's unsettled deliveries. Proton: `Delivery.tag`. */
  get tag(): Uint8Array {
    const v = this.tagValue;
    if (typeof v !== 'number') return v;
    const tag = digitsTag(v);
    this.tagValue = tag;
    return tag;
  }

  /** Outgoing and still open for bytes. Proton: `Delivery.writable`. */
  get writable(): boolean {
    return this.outgoing && !this.done && !this.aborted;
  }

  /** Incoming with bytes to read. Proton: `Delivery.readable`. */
  get readable(): boolean {
    return !this.outgoing && this.size > 0;
  }

  /** Bytes waiting: to be read (incoming) or written (outgoing). Proton: `Delivery.pending`. */
  get pending(): number {
    return this.size;
  }

  /**
   * Sets the local state (an outcome); the disposition is sent with the next output. Proton:
   * `Delivery.update`.
   */
  update(state: DeliveryStateValue): void {
    if (this.settled) throw new DeliveryError('cannot update a settled delivery');
    this.local = state;
    this.dispositionPending = true;
    this.link.deliveryChanged(this);
  }

  /** Settles the delivery here: this side forgets it once the peer is told. Proton: `Delivery.settle`. */
  settle(): void {
    if (this.settled) throw new DeliveryError('delivery already settled');
    this.settled = true;
    // A sent delivery the peer has settled already needs no disposition: it is forgotten now, as the
    // output would forget it, rather than queued for that (a sender settles each message this way).
    if (this.outgoing && this.remoteSettled && this.started && this.done) {
      this.dispositionPending = false;
      this.link.forget(this);
      return;
    }
    this.dispositionPending = true;
    this.link.deliveryChanged(this);
  }

  /**
   * Aborts an outgoing delivery not yet fully sent: the peer discards what it received. Proton:
   * `Delivery.abort`.
   */
  abort(): void {
    if (!this.outgoing) throw new DeliveryError('only an outgoing delivery can be aborted');
    if (this.aborted) return;
    this.aborted = true;
    this.chunks = NO_CHUNKS;
    this.size = 0;
    this.done = true;
    // An aborted delivery is settled (spec 2.6.12: aborted transfers are implicitly settled).
    this.settled = true;
    this.link.deliveryAborted(this);
  }

  /** Clears `updated` once the application has seen the remote change. Proton C: `pn_delivery_clear`. */
  clearUpdated(): void {
    this.updated = false;
  }

  /** @internal Takes up to `n` bytes off the front of `chunks`, as views where possible. */
  take(n: number): Uint8Array {
    this.room = this.roomChunk = undefined;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.size -= n;
      return first.length === n ? first : first.subarray(0, n);
    }
    const out = messageMemory(Math.min(n, this.size));
    let at = 0;
    while (at < out.length) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, out.length - at);
      out.set(k === c.length ? c : c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= out.length;
    return out;
  }
}

/** The number of decimal digits of `n` (a whole number >= 0). */
export function digitCount(n: number): number {
  let len = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
  return len;
}

/** Writes the `len` decimal digits of `n` (see {@link digitCount}) into `b` from `at`. */
export function putDigits(b: Uint8Array, at: number, n: number, len: number): void {
  for (let i = len - 1; i >= 0; i--) {
    b[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/** A sender's default tag: the decimal digits of `n` (Proton's tags count "1", "2"...). */
export function digitsTag(n: number): Uint8Array {
  const len = digitCount(n);
  const tag = Buffer.allocUnsafe(len);
  putDigits(tag, 0, n, len);
  return tag;
}
