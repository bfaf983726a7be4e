/**
 * A connection: its open fields, its sessions (by channel, both ways), its event collector, and the list
 * of endpoints with work for the transport (frames owed to the peer).
 */
import type { AmqpValue } from '../codec/types.js';
import type { Collector } from './collector.js';
import type { Condition } from './condition.js';
import { Endpoint, State } from './endpoint.js';
import { EventType, type EventTypeName } from './event.js';
import type { Link } from './link.js';
import { Session } from './session.js';
import type { Transport } from './transport.js';

/**
 * The local end of an AMQP connection, sans I/O: what this side sends in its open, and, in the `remote*`
 * fields, what the peer's open said (`undefined` until it arrives). Proton: `Connection`.
 */
export class Connection extends Endpoint {
  /**
   * The container-id sent in the open (AMQP: `open.container-id`). Proton: `Connection.container`.
   * @default ''
   */
  containerId = '';
  /**
   * The hostname sent in the open (the virtual host); also the SASL hostname. AMQP: `open.hostname`;
   * Proton: `Connection.hostname`.
   */
  hostname: string | undefined = undefined;
  /** The user to authenticate as (SASL). Proton: `Connection.user`. */
  user: string | undefined = undefined;
  /** The password (SASL); never printed. Proton: `Connection.password`. */
  password: string | undefined = undefined;
  /** The authorization identity asked for (SASL authzid). Proton: `Connection.authorization`. */
  authorization: string | undefined = undefined;
  /**
   * Capabilities this side offers, sent in the open's offered-capabilities (Proton:
   * `Connection.offered_capabilities`).
   */
  offeredCapabilities: string[] | undefined = undefined;
  /**
   * Capabilities this side asks of the peer, sent in the open's desired-capabilities (Proton:
   * `Connection.desired_capabilities`).
   */
  desiredCapabilities: string[] | undefined = undefined;
  /**
   * Locales we may write in (IETF language tags). AMQP: `open.outgoing-locales`; Proton Python has no
   * counterpart.
   */
  outgoingLocales: string[] | undefined = undefined;
  /** Locales we accept. AMQP: `open.incoming-locales`; Proton Python has no counterpart. */
  incomingLocales: string[] | undefined = undefined;
  /**
   * Connection properties, sent in the open (keys are symbols). AMQP: `open.properties`; Proton:
   * `Connection.properties`.
   */
  properties: Map<AmqpValue, AmqpValue> | undefined = undefined;

  /** The container-id of the peer's open (Proton: `Connection.remote_container`). */
  remoteContainerId: string | undefined = undefined;
  /** The hostname of the peer's open (Proton: `Connection.remote_hostname`). */
  remoteHostname: string | undefined = undefined;
  /** The offered-capabilities of the peer's open (Proton: `Connection.remote_offered_capabilities`). */
  remoteOfferedCapabilities: string[] | undefined = undefined;
  /** The desired-capabilities of the peer's open (Proton: `Connection.remote_desired_capabilities`). */
  remoteDesiredCapabilities: string[] | undefined = undefined;
  /**
   * The outgoing-locales of the peer's open: the languages it may write in. AMQP: `open.outgoing-locales`;
   * Proton Python has no counterpart.
   */
  remoteOutgoingLocales: string[] | undefined = undefined;
  /**
   * The incoming-locales of the peer's open: the languages it reads. AMQP: `open.incoming-locales`; Proton
   * Python has no counterpart.
   */
  remoteIncomingLocales: string[] | undefined = undefined;
  /** The properties of the peer's open, keys as symbols (Proton: `Connection.remote_properties`). */
  remoteProperties: Map<AmqpValue, AmqpValue> | undefined = undefined;

  /**
   * Every session, in creation order. Proton Python walks them with `Connection.session_head(mask)` and
   * `Session.next(mask)`.
   */
  readonly sessions: Session[] = [];
  /** @internal A session has ended (either side) since pruneEnded last looked: only then is it worth a walk. */
  endsSincePrune = false;
  /** The collector events go to, when one is attached. Proton C: `pn_connection_collector`. */
  collector: Collector | undefined = undefined;
  /** The transport the connection is bound to. Proton: `Connection.transport`. */
  transport: Transport | undefined = undefined;

  /** @internal The open is owed to the peer. */
  openPending = false;
  /** @internal The close is owed to the peer. */
  closePending = false;
  /** @internal Sessions and links with frames owed, in the order they asked. */
  readonly workList = new Set<Session | Link>();
  /** The endpoint `work` last moved to the end of `workList`, and the list's size then. */
  private lastWork: Session | Link | undefined = undefined;
  private lastWorkSize = 0;

  /** Attaches an event collector (and queues `connection_init` into it). Proton: `Connection.collect()`. */
  collect(collector: Collector): void {
    this.collector = collector;
    collector.put(EventType.connectionInit, this);
  }

  /** Opens the connection: an AMQP open is owed to the peer. Proton: `Connection.open()`. */
  open(): void {
    if (this.localState !== State.LOCAL_UNINIT) return;
    this.localState = State.LOCAL_ACTIVE;
    this.openPending = true;
    this.emit(EventType.connectionLocalOpen, this);
    this.transport?.wake();
  }

  /**
   * Closes the connection (opening it first if need be): an AMQP close is owed, with `condition` as its
   * error. Proton: `Connection.close()`, which sends `Endpoint.condition`.
   */
  close(condition?: Condition): void {
    if (this.localState === State.LOCAL_CLOSED) return;
    if (this.localState === State.LOCAL_UNINIT) this.open();
    if (condition !== undefined) this.condition = condition;
    this.localState = State.LOCAL_CLOSED;
    this.closePending = true;
    this.emit(EventType.connectionLocalClose, this);
    this.transport?.wake();
  }

  /** A new session (not yet opened). Proton: `Connection.session()`. */
  session(): Session {
    const s = new Session(this);
    this.sessions.push(s);
    this.emit(EventType.sessionInit, s);
    return s;
  }

  /**
   * @internal Lets go of the sessions ended on both sides, their end written: called as the peer begins
   * another, so that one beginning and ending sessions for ever cannot grow the list without bound, while
   * a session just ended stays listed (as in Proton until freed) for the application to look at.
   * Proton C: `pn_session_free`.
   */
  pruneEnded(): void {
    if (!this.endsSincePrune) return;
    this.endsSincePrune = false;
    let k = 0;
    for (const s of this.sessions) {
      const gone =
        s.localState === State.LOCAL_CLOSED && s.remoteState === State.REMOTE_CLOSED && !s.endPending;
      if (!gone) this.sessions[k++] = s;
    }
    this.sessions.length = k;
  }

  /**
   * Every link of every session. Proton Python walks them with `Connection.link_head(mask)` and
   * `Link.next(mask)`.
   */
  get links(): Link[] {
    return this.sessions.flatMap((s) => s.links);
  }

  /**
   * Bytes of incoming messages the connection holds unread, over all its links: multi-frame deliveries
   * still arriving, and whole ones the application has not read yet. A server reads it to bound what one
   * peer makes it buffer; 0 when no transport is bound. Proton Python counts per session
   * (`Session.incoming_bytes`).
   */
  get incomingBytes(): number {
    return this.transport?.bufferedBytes ?? 0;
  }

  /** @internal Queues an event about `context`. */
  emit(type: EventTypeName, context: unknown): void {
    this.collector?.put(type, context);
  }

  /**
   * @internal Marks an endpoint as having frames to send. The endpoint goes to the back of the list, so
   * that frames go out in the order the application made them: a transaction's discharge (on the
   * coordinator link, which an incoming flow may have listed earlier) must follow the transfers and
   * dispositions done in the transaction.
   */
  work(endpoint: Session | Link): void {
    // A sender's send() marks its link three times per message: when it is the last listed already
    // (and nothing was listed since), the Set's delete and add would leave the list as it is.
    if (endpoint !== this.lastWork || this.workList.size !== this.lastWorkSize) {
      this.workList.delete(endpoint);
      this.workList.add(endpoint);
      this.lastWork = endpoint;
      this.lastWorkSize = this.workList.size;
    }
    this.transport?.wake();
  }

  /** @internal Empties the work list (output has taken it, or a reset). */
  clearWork(): void {
    this.workList.clear();
    this.lastWork = undefined;
  }
}
