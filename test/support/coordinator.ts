/**
 * An in-process transaction coordinator for the tests: a server `Container` listening on 127.0.0.1 (a
 * free port) that serves a tiny broker with in-memory queues (one per address) and local transactions.
 *
 * - A link to a coordinator target is accepted (or refused, with `refuseLink`). A declare is answered
 *   with `Declared{txn-id}` ("txn-1", "txn-2"... as binary), a discharge with `Accepted`, or `Rejected`
 *   with `amqp:transaction:unknown-id` for an id it does not know; both settled (after `settleDelay` ms,
 *   the outcome itself going out first, unsettled, when that is set).
 * - A message sent to an address is queued and accepted. Sent under a transaction (transactional state
 *   on the transfer, or in a disposition the sender sends along with it, as proton-ts's engine does
 *   today), it is held and answered with the transactional state carrying `Accepted`; the commit queues
 *   it, the abort drops it.
 * - A receiver from an address is sent the queued messages as its credit allows. A message accepted
 *   under a transaction stays acquired until the discharge: the commit consumes it, the abort puts it
 *   back at the head of its queue (and sends it again). A plain accept consumes it, a release puts it back.
 *
 * Every control message body is kept, as received, in `controlBodies`, for byte comparisons.
 */
import {
  Accepted,
  Declared,
  Modified,
  Rejected,
  Released,
  TransactionalState,
} from '../../src/codec/index.js';
import { AmqpSymbol, type AmqpValue, Described, ULong } from '../../src/codec/types.js';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import { Condition } from '../../src/engine/condition.js';
import type { Delivery } from '../../src/engine/delivery.js';
import { State } from '../../src/engine/endpoint.js';
import type { Link, Receiver, Sender } from '../../src/engine/link.js';
import type { Terminus } from '../../src/engine/terminus.js';
import { copyTermini } from '../../src/handlers/handshaker.js';
import { Message } from '../../src/message/message.js';

/** How the coordinator misbehaves, for the failure paths. */
export interface CoordinatorOptions {
  /** Reject every declare (with `amqp:not-allowed`). */
  refuseDeclare?: boolean;
  /** Reject every commit (with `amqp:transaction:rollback`), rolling the work back. */
  failCommit?: boolean;
  /** Answer each control message at once but settle it only this many ms later. @default 0 */
  settleDelay?: number;
  /** Refuse coordinator links: attach, then close with `amqp:not-implemented`. */
  refuseLink?: boolean;
  /** The id of the n-th transaction declared (from 1). @default "txn-<n>" */
  txnId?: (n: number) => Uint8Array;
}

const CREDIT = 100;

/** A message sent to a receiver and not settled yet. */
interface Out {
  address: string;
  message: Message;
}

/** A transaction's work, held until it is discharged. */
interface Work {
  /** Messages sent under it: queued on commit. */
  sends: { address: string; message: Message }[];
  /** Messages accepted under it: consumed on commit, back on their queue on abort. */
  acquired: (Out & { delivery: Delivery })[];
}

function key(id: unknown): string {
  return id instanceof Uint8Array ? Buffer.from(id).toString('hex') : String(id);
}

function rejected(condition: string, description?: string): Rejected {
  const r = new Rejected();
  r.error = new Condition(condition, description).toError();
  return r;
}

/** The symbolic name of a control message's descriptor. */
function controlName(body: unknown): string | undefined {
  if (!(body instanceof Described)) return undefined;
  const d = body.descriptor;
  if (d instanceof AmqpSymbol) return d.value;
  if (d instanceof ULong) {
    if (BigInt(d.value) === 0x31n) return 'amqp:declare:list';
    if (BigInt(d.value) === 0x32n) return 'amqp:discharge:list';
  }
  return undefined;
}

export class TestCoordinator {
  readonly container: Container;
  /** The port listened on. */
  port = 0;
  /** The messages waiting on each address. */
  readonly queues = new Map<string, Message[]>();
  /** Messages accepted for good by receivers, by address. */
  readonly consumed = new Map<string, Message[]>();
  /** The bodies of the control messages, as received. */
  readonly controlBodies: Uint8Array[] = [];
  /** The coordinator targets the clients attached to. */
  readonly coordinatorTargets: Terminus[] = [];
  /** The names of the coordinator links. */
  readonly coordinatorLinks: string[] = [];
  /** What happened, in order: `declare txn-1`, `send q txn-1`, `commit txn-1`, `abort txn-2`... */
  readonly log: string[] = [];
  /** Transactional sends dropped by aborts. */
  dropped = 0;

  private readonly txns = new Map<string, Work>();
  private readonly outstanding = new Map<Delivery, Out>();
  private readonly senders = new Set<Sender>();
  private nextTxn = 1;
  private done: Promise<void> = Promise.resolve();

  private constructor(readonly options: CoordinatorOptions) {
    this.container = new Container(this.handler(), { containerId: 'test-coordinator' });
  }

  /** Starts a coordinator (listening, running). */
  static async start(options: CoordinatorOptions = {}): Promise<TestCoordinator> {
    const c = new TestCoordinator(options);
    const acceptor = await c.container.listen('127.0.0.1:0');
    c.port = acceptor.port;
    c.done = c.container.run();
    return c;
  }

  /** The URL to connect to. */
  get url(): string {
    return `amqp://127.0.0.1:${this.port}`;
  }

  /** Stops the coordinator (drops every connection) and waits for its container to end. */
  async stop(): Promise<void> {
    this.container.stop();
    await this.done;
  }

  /** The messages waiting on `address`. */
  queue(address: string): Message[] {
    let q = this.queues.get(address);
    if (q === undefined) {
      q = [];
      this.queues.set(address, q);
    }
    return q;
  }

  /** The number of transactions declared and not discharged. */
  get openTransactions(): number {
    return this.txns.size;
  }

  private handler(): object {
    return {
      onConnectionRemoteOpen: (e: Event) => {
        if (e.connection?.localState === State.LOCAL_UNINIT) e.connection.open();
      },
      onSessionRemoteOpen: (e: Event) => {
        if (e.session?.localState === State.LOCAL_UNINIT) e.session.open();
      },
      onLinkRemoteOpen: (e: Event) => this.linkOpened(e.link),
      onLinkFlow: (e: Event) => {
        const s = e.sender;
        if (s !== undefined) this.pump(s);
      },
      onDelivery: (e: Event) => {
        const d = e.delivery;
        if (d === undefined) return;
        if (d.outgoing) this.outcome(d);
        else this.incoming(d, d.link as Receiver);
      },
      onLinkRemoteClose: (e: Event) => {
        const l = e.link;
        if (l !== undefined) {
          this.senders.delete(l as Sender);
          if (l.localState !== State.LOCAL_CLOSED) l.close();
        }
      },
      onSessionRemoteClose: (e: Event) => {
        if (e.session !== undefined && e.session.localState !== State.LOCAL_CLOSED) e.session.close();
      },
      onConnectionRemoteClose: (e: Event) => {
        if (e.connection !== undefined && e.connection.localState !== State.LOCAL_CLOSED)
          e.connection.close();
      },
    };
  }

  private isCoordinator(link: Link): boolean {
    return link.remoteTarget?.type === 'coordinator';
  }

  private linkOpened(link: Link | undefined): void {
    if (link === undefined || link.localState !== State.LOCAL_UNINIT) return;
    if (this.isCoordinator(link)) {
      this.coordinatorTargets.push(link.remoteTarget as Terminus);
      this.coordinatorLinks.push(link.name);
      if (this.options.refuseLink) {
        link.open();
        link.close(new Condition('amqp:not-implemented', 'no transactions here'));
        return;
      }
    }
    copyTermini(link);
    link.open();
    if (link.isReceiver) (link as Receiver).flow(CREDIT);
    else {
      this.senders.add(link as Sender);
      this.pump(link as Sender);
    }
  }

  // Receiving ------------------------------------------------------------------------------------

  private incoming(d: Delivery, link: Receiver): void {
    // The current delivery, arrived whole (a later event for a delivery read already is skipped).
    if (d.partial || d.aborted || link.current !== d) return;
    const bytes = Buffer.from(link.recv(d.pending) ?? new Uint8Array(0));
    link.advance();
    if (link.credit < CREDIT / 2) link.flow(CREDIT - link.credit);
    if (this.isCoordinator(link)) this.control(d, bytes);
    else this.transfer(d, link.target.address ?? '', Message.decode(bytes));
  }

  private transfer(d: Delivery, address: string, message: Message): void {
    const state = d.remote;
    if (!(state instanceof TransactionalState)) {
      this.log.push(`send ${address}`);
      this.enqueue(address, [message]);
      d.update(new Accepted());
      d.settle();
      return;
    }
    const work = this.txns.get(key(state.txnId));
    if (work === undefined) {
      this.log.push(`send ${address} unknown-id`);
      d.update(rejected('amqp:transaction:unknown-id', 'no such transaction'));
      d.settle();
      return;
    }
    this.log.push(`send ${address} ${Buffer.from(state.txnId as Uint8Array).toString()}`);
    work.sends.push({ address, message });
    const answer = new TransactionalState();
    answer.txnId = state.txnId;
    answer.outcome = new Accepted();
    d.update(answer);
    d.settle();
  }

  private control(d: Delivery, bytes: Buffer): void {
    this.controlBodies.push(bytes);
    const body = Message.decode(bytes).body;
    const name = controlName(body);
    const fields = body instanceof Described && Array.isArray(body.value) ? body.value : [];
    if (name === 'amqp:declare:list') {
      if (this.options.refuseDeclare) {
        this.log.push('declare refused');
        this.answer(d, rejected('amqp:not-allowed', 'declares refused'));
        return;
      }
      const n = this.nextTxn++;
      const id = Buffer.from(this.options.txnId?.(n) ?? Buffer.from(`txn-${n}`));
      this.txns.set(key(id), { sends: [], acquired: [] });
      this.log.push(`declare ${id.toString()}`);
      const declared = new Declared();
      declared.txnId = id;
      this.answer(d, declared);
      return;
    }
    if (name === 'amqp:discharge:list') {
      const [id, fail] = fields as [AmqpValue, boolean | null];
      const label = id instanceof Uint8Array ? Buffer.from(id).toString() : String(id);
      const work = this.txns.get(key(id));
      if (work === undefined) {
        this.log.push(`discharge ${label} unknown-id`);
        this.answer(d, rejected('amqp:transaction:unknown-id', `no transaction ${label}`));
        return;
      }
      this.txns.delete(key(id));
      if (fail === true) {
        this.log.push(`abort ${label}`);
        this.answer(d, new Accepted());
        this.rollback(work);
      } else if (this.options.failCommit) {
        this.log.push(`commit ${label} failed`);
        this.answer(d, rejected('amqp:transaction:rollback', 'commits fail here'));
        this.rollback(work);
      } else {
        this.log.push(`commit ${label}`);
        this.answer(d, new Accepted());
        this.commit(work);
      }
      return;
    }
    this.log.push('unknown control message');
    this.answer(d, rejected('amqp:not-implemented', 'not a declare or a discharge'));
  }

  /** Sets the outcome of a control message and settles it (later, with `settleDelay`). */
  private answer(d: Delivery, outcome: Accepted | Rejected | Declared): void {
    d.update(outcome);
    const delay = this.options.settleDelay ?? 0;
    if (delay <= 0) d.settle();
    else {
      this.container.schedule(delay, {
        onTimerTask: () => {
          this.log.push('settled');
          if (!d.settled) d.settle();
        },
      });
    }
  }

  private commit(work: Work): void {
    for (const a of work.acquired) this.consume(a.delivery, a);
    const byAddress = new Map<string, Message[]>();
    for (const s of work.sends) {
      const list = byAddress.get(s.address) ?? [];
      list.push(s.message);
      byAddress.set(s.address, list);
    }
    for (const [address, list] of byAddress) this.enqueue(address, list);
  }

  private rollback(work: Work): void {
    this.dropped += work.sends.length;
    // Back at the head of their queues, in the order they were first sent.
    for (const a of [...work.acquired].reverse()) {
      this.outstanding.delete(a.delivery);
      if (!a.delivery.settled) a.delivery.settle();
      this.queue(a.address).unshift(a.message);
    }
    for (const address of new Set(work.acquired.map((a) => a.address))) this.pumpAddress(address);
  }

  // Sending ---------------------------------------------------------------------------------------

  private enqueue(address: string, messages: Message[]): void {
    this.queue(address).push(...messages);
    this.pumpAddress(address);
  }

  private pumpAddress(address: string): void {
    for (const s of this.senders) if (s.source.address === address) this.pump(s);
  }

  private pump(s: Sender): void {
    if (s.localState !== State.LOCAL_ACTIVE || s.remoteState !== State.REMOTE_ACTIVE) return;
    const address = s.source.address ?? '';
    const q = this.queue(address);
    while (s.credit > 0 && q.length > 0) {
      const message = q.shift() as Message;
      const d = s.send(message);
      this.outstanding.set(d, { address, message });
    }
  }

  /** A receiver's disposition for a message sent. */
  private outcome(d: Delivery): void {
    if (!d.updated) return;
    d.clearUpdated();
    const out = this.outstanding.get(d);
    if (out === undefined) return;
    const state = d.remote;
    if (state instanceof TransactionalState) {
      const work = this.txns.get(key(state.txnId));
      if (work === undefined) {
        this.log.push(`accept ${out.address} unknown-id`);
        this.putBack(d, out);
        return;
      }
      if (!work.acquired.some((a) => a.delivery === d)) {
        this.log.push(`accept ${out.address} ${Buffer.from(state.txnId as Uint8Array).toString()}`);
        work.acquired.push({ ...out, delivery: d });
      }
      return;
    }
    if (state instanceof Released || state instanceof Modified) {
      this.log.push(`released ${out.address}`);
      this.putBack(d, out);
    } else if (state instanceof Accepted || state instanceof Rejected || d.remoteSettled) {
      this.log.push(`${state instanceof Rejected ? 'rejected' : 'accept'} ${out.address}`);
      this.consume(d, out);
    }
  }

  private consume(d: Delivery, out: Out): void {
    this.outstanding.delete(d);
    if (!d.settled) d.settle();
    const list = this.consumed.get(out.address) ?? [];
    list.push(out.message);
    this.consumed.set(out.address, list);
  }

  private putBack(d: Delivery, out: Out): void {
    this.outstanding.delete(d);
    if (!d.settled) d.settle();
    this.queue(out.address).unshift(out.message);
    this.pumpAddress(out.address);
  }
}
