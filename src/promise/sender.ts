/**
 * A sender of the promise API. `send(message)` resolves with the receiver's outcome once it has
 * settled the message (accepted), and rejects with `SendException` for rejected, released or modified.
 * A send waits for credit rather than failing without it, and at most `maxInFlight` sends are handed to
 * the engine and unsettled at once: the others wait their turn, in order (back-pressure). `sendMany`
 * keeps that many in flight instead of waiting for each outcome in turn (pipelining).
 *
 * Called off (signal or timeout) before the message was handed to the engine, a send sends nothing;
 * after, the message goes all the same and only the wait for its outcome stops.
 *
 * When the connection is lost with sends in flight (on the wire, no outcome yet), each rejects with
 * `DeliveryInDoubt`, unless the sender was opened with `resend: true`: then they are sent again after
 * the reconnect, and resolve with the outcome of the new attempt (the peer may get duplicates).
 */
import { Modified, Rejected, Released, TransactionalState } from '../codec/composite-types.js';
import type { Event } from '../container/event.js';
import type { LinkOption } from '../container/link-options.js';
import type { Transaction } from '../container/transaction.js';
import type { Delivery } from '../engine/delivery.js';
import { type Sender, SenderSettleMode } from '../engine/link.js';
import { DeliveryInDoubt, SendException } from '../errors.js';
import type { PromiseConnection } from './connection.js';
import { PromiseLink } from './link.js';
import type { Settle, WaitOptions } from './wait.js';

/** Options of `openSender`. Proton: the keyword arguments of `Container.create_sender()`. */
export interface SenderOpenOptions extends WaitOptions {
  /** The link name (AMQP `attach.name`). Proton: `name`. @default `<container-id>-<address>` */
  name?: string;
  /** The source address (AMQP `source.address`). Proton: `source`. @default none */
  source?: string;
  /** Link options (`AtMostOnce`, `AtLeastOnce`...). Proton: `options`. @default none */
  options?: LinkOption | readonly LinkOption[];
  /**
   * How many sends may be unsettled at once; further sends wait their turn. proton-ts only: Proton Python
   * has no counterpart. @default 1000
   */
  maxInFlight?: number;
  /**
   * Send again, after a reconnect, what the lost connection left in doubt. proton-ts only: Proton Python
   * has no counterpart. @default false
   */
  resend?: boolean;
}

/**
 * Anything that encodes to a message (a `Message`). Proton: what `Sender.send()` takes, a `Message` or its
 * encoded bytes.
 */
export interface SendableMessage {
  /** The message as the AMQP bytes of its sections, the payload of the transfer. */
  encode(): Uint8Array;
}

interface SendRecord {
  readonly message: SendableMessage;
  readonly tx: Transaction | undefined;
  delivery: Delivery | undefined;
  settle: Settle<Delivery> | undefined;
}

/** The outcome inside a transactional state, or the state itself. */
export function outcomeOf(d: Delivery): unknown {
  return d.remote instanceof TransactionalState ? d.remote.outcome : d.remote;
}

/** The outcome of a settled send, or a `SendException` for one that was not accepted. */
export function checkOutcome(d: Delivery, describe: string): unknown {
  const state = outcomeOf(d);
  let kind: string | undefined;
  if (state instanceof Rejected) kind = 'rejected';
  else if (state instanceof Released) kind = 'released';
  else if (state instanceof Modified) kind = 'modified';
  if (kind === undefined) return state;
  const error = state instanceof Rejected ? state.error : undefined;
  const why = error?.condition === undefined ? '' : `: ${String(error.condition)} ${error.description ?? ''}`;
  throw new SendException(`message ${kind} on ${describe}${why}`.trimEnd(), kind, state, {
    ...(error?.condition === undefined ? {} : { condition: String(error.condition) }),
  });
}

/**
 * A sending link of the promise API, from `connection.openSender()`: `send` resolves with the receiver's
 * outcome, waiting for credit, with at most `maxInFlight` unsettled (Proton: a `Sender` with a
 * `BlockingSender`'s waits, without blocking the thread).
 */
export class PromiseSender extends PromiseLink {
  /** How many sends may be unsettled at once (default 1000). proton-ts only: no Proton counterpart. */
  readonly maxInFlight: number;
  private readonly queue: SendRecord[] = [];
  private readonly inFlight = new Set<SendRecord>();
  private readonly slotWaits = new Set<Settle<void>>();
  private pumping = false;

  /** @internal Use `connection.openSender()`. */
  constructor(connection: PromiseConnection, address: string | undefined, options: SenderOpenOptions) {
    const link = connection.container.createSender(connection.connection, address, {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.options === undefined ? {} : { options: options.options }),
      resend: options.resend === true,
    });
    super(connection, link);
    this.maxInFlight = options.maxInFlight ?? 1000;
  }

  /** The engine sender. Proton: `Sender`, as `BlockingSender.link` holds it. */
  get sender(): Sender {
    return this.link as Sender;
  }

  /** The target address. AMQP: `target.address`; Proton: `Link.target.address`. */
  get address(): string | undefined {
    return this.link.target.address;
  }

  /**
   * Sends waiting their turn plus sends unsettled. proton-ts only: Proton's `Link.queued` and
   * `Link.unsettled` count only what the engine holds.
   */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** How the link is named in errors, as Proton's `LinkDetached` text: `sender <name> to <target>`. */
  protected describe(): string {
    return `sender ${this.name} to ${this.link.target.address ?? '(none)'}`;
  }

  /**
   * Whether the peer's attach carries a target (AMQP `attach.target`); none means it refuses the link.
   * Proton: `Link.remote_target`.
   */
  protected accepted(): boolean {
    return this.link.remoteTarget !== undefined;
  }

  /**
   * Sends `message` and resolves with the receiver's outcome (an `Accepted`; undefined on a link that
   * settles before sending); rejects with `SendException` when it was rejected, released or modified.
   * Wraps Proton's `Sender.send()` and the delivery's outcome (AMQP `disposition.state`), as
   * `BlockingSender.send()` waits for it.
   */
  async send(message: SendableMessage, options: WaitOptions = {}): Promise<unknown> {
    return checkOutcome(await this.transmit(message, options), this.describe());
  }

  /**
   * Sends every message of `messages`, keeping up to `maxInFlight` unsettled at once, and resolves with
   * their outcomes in order; rejects with the first failure (sending no more after it). proton-ts only:
   * Proton Python has no counterpart (each is a `Sender.send()`).
   */
  async sendMany(
    messages: Iterable<SendableMessage> | AsyncIterable<SendableMessage>,
    options: WaitOptions = {},
  ): Promise<unknown[]> {
    const sends: Promise<unknown>[] = [];
    let failure: { error: unknown } | undefined;
    // A plain iterable is walked without awaiting while there is room, so that a whole window of sends
    // goes out in one turn of the event loop (one socket write), not one turn per message.
    const sync =
      Symbol.iterator in messages ? (messages as Iterable<SendableMessage>)[Symbol.iterator]() : undefined;
    const async =
      sync === undefined ? (messages as AsyncIterable<SendableMessage>)[Symbol.asyncIterator]() : undefined;
    for (;;) {
      if (failure !== undefined) break;
      if (!this.hasSlot()) await this.waitSlot(options);
      const next = sync !== undefined ? sync.next() : await async!.next();
      if (next.done) break;
      const p = this.send(next.value, options);
      p.catch((error: unknown) => {
        failure ??= { error };
      });
      sends.push(p);
    }
    if (failure !== undefined) {
      // Stopped early: let the iterator clean up (a generator's finally blocks).
      if (sync !== undefined) sync.return?.();
      else await async!.return?.();
    }
    const results = await Promise.allSettled(sends);
    if (failure !== undefined) throw failure.error;
    return results.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  }

  /**
   * @internal Hands `message` to the engine when there is credit and room, and resolves with its
   * delivery once the peer has settled it or given it an outcome (whatever the outcome).
   */
  transmit(message: SendableMessage, options: WaitOptions, tx?: Transaction): Promise<Delivery> {
    const r: SendRecord = { message, tx, delivery: undefined, settle: undefined };
    return this.waits.wait<Delivery>(
      `Sending on sender ${this.name}`,
      this.defaults(options),
      (settle) => {
        r.settle = settle;
        this.queue.push(r);
        this.pump();
        return () => {
          if (r.delivery === undefined) {
            const i = this.queue.indexOf(r);
            if (i >= 0) this.queue.splice(i, 1);
          } else {
            if (r.delivery.context === r) r.delivery.context = undefined;
            this.inFlight.delete(r);
          }
          this.pump();
        };
      },
      (e) => this.inDoubt(r, e),
    );
  }

  /** The error a send fails with when the link or connection fails: in doubt once on the wire. */
  private inDoubt(r: SendRecord, e: Error): Error {
    const d = r.delivery;
    if (d === undefined || !d.started || d.remoteSettled) return e;
    return new DeliveryInDoubt(
      `${e.message}: a message sent on ${this.describe()} has no outcome; the peer may or may not have it`,
      { cause: e },
    );
  }

  /** Resolves when a send would be handed to the engine at once (nothing queued, room in flight). */
  private waitSlot(options: WaitOptions): Promise<void> {
    return this.waits.wait<void>(`Sending on sender ${this.name}`, this.defaults(options), (settle) => {
      if (this.hasSlot()) settle.resolve();
      else this.slotWaits.add(settle);
      return () => this.slotWaits.delete(settle);
    });
  }

  private hasSlot(): boolean {
    return this.queue.length === 0 && this.inFlight.size < this.maxInFlight;
  }

  /** Hands queued sends to the engine while there is credit and room in flight. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const s = this.sender;
      while (this.queue.length > 0 && this.isOpen && s.credit > 0 && this.inFlight.size < this.maxInFlight) {
        const r = this.queue.shift()!;
        let d: Delivery;
        try {
          d = r.tx === undefined ? s.send(r.message) : r.tx.send(s, r.message);
        } catch (e) {
          r.settle?.reject(e);
          continue;
        }
        d.context = r;
        r.delivery = d;
        this.inFlight.add(r);
        if (d.settled || s.sndSettleMode === SenderSettleMode.settled) r.settle?.resolve(d);
      }
    } finally {
      this.pumping = false;
    }
    if (this.slotWaits.size > 0 && this.hasSlot()) for (const w of [...this.slotWaits]) w.resolve();
  }

  // ------------------------------------------------------------------------------------------------
  // LinkEvents

  /** @internal */
  flowed(): void {
    // Deliveries already reported in doubt need not be kept for anyone.
    if (!this.sender.keepPayload && this.sender.inDoubt.length > 0) this.sender.inDoubt.length = 0;
    this.pump();
  }

  /** @internal A delivery got an outcome or was settled by the peer. */
  outcome(event: Event): void {
    const d = event.delivery;
    const r = d?.context as SendRecord | undefined;
    if (d === undefined || r?.settle === undefined) return;
    // Sent again after a reconnect (resend): the new delivery carries the record on.
    if (r.delivery !== d) r.delivery = d;
    if (d.remoteSettled || outcomeOf(d) !== undefined) r.settle.resolve(d);
  }

  protected failed(_error: Error): void {
    // The waits have failed; their cleanups emptied the queue.
    this.queue.length = 0;
  }

  /** @internal The socket was lost and a reconnect follows: sends on the wire are in doubt. */
  override disconnected(): void {
    if (this.sender.keepPayload) return;
    for (const r of [...this.inFlight]) {
      const d = r.delivery;
      if (d === undefined || !d.started || d.remoteSettled) continue;
      r.settle?.reject(
        new DeliveryInDoubt(
          `the connection was lost after a message was sent on ${this.describe()} and before its outcome came: the peer may or may not have it (open the sender with { resend: true } to send it again after a reconnect)`,
        ),
      );
    }
  }
}
