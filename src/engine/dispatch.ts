/**
 * Incoming performatives: each frame's performative applied to the connection, its sessions, links and
 * deliveries, with the checks the spec asks for. A violation throws a `ProtocolError`, which the
 * transport turns into a close with that condition.
 */
import {
  Attach,
  Begin,
  Close,
  Detach,
  Disposition,
  End,
  Flow,
  Open,
  Transfer,
} from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';
import { serialAdd, serialDiff } from '../util/serial.js';
import { Condition, ErrorCondition } from './condition.js';
import type { Connection } from './connection.js';
import { Delivery, NO_CHUNKS } from './delivery.js';
import { State } from './endpoint.js';
import { EventType } from './event.js';
import { MIN_MAX_FRAME_SIZE } from './frame.js';
import { type Link, Receiver, Sender } from './link.js';
import type { Session } from './session.js';
import { Terminus } from './terminus.js';
import { ProtocolError, type Transport } from './transport.js';

/** Transfers taken on a link without credit before it counts as a peer ignoring credit. */
export const MAX_CREDIT_OVERRUN = 100;

function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Applies one AMQP frame's performative. */
export function dispatchFrame(
  t: Transport,
  c: Connection,
  channel: number,
  body: unknown,
  payload: Buffer | readonly Uint8Array[],
  memory?: Buffer,
): void {
  if (body instanceof Open) return handleOpen(t, c, body);
  if (!t.remoteOpened)
    throw new ProtocolError(ErrorCondition.framingError, 'the first frame must be an open');
  if (body instanceof Close) return handleClose(t, c, body);
  if (body instanceof Begin) return handleBegin(t, c, channel, body);
  const s = t.sessionsByRemoteChannel.get(channel);
  if (s === undefined) {
    throw new ProtocolError(
      ErrorCondition.framingError,
      `a frame on channel ${channel}, where no session began`,
    );
  }
  if (body instanceof Transfer) return handleTransfer(t, s, body, payload, memory);
  if (body instanceof Disposition) return handleDisposition(s, body);
  if (body instanceof Flow) return handleFlow(s, body);
  if (body instanceof Attach) return handleAttach(s, body);
  if (body instanceof Detach) return handleDetach(s, body);
  if (body instanceof End) return handleEnd(t, s, body);
  throw new ProtocolError(ErrorCondition.framingError, `not a performative: ${describe(body)}`);
}

function describe(v: unknown): string {
  return typeof v === 'object' && v !== null ? v.constructor.name : typeof v;
}

function handleOpen(t: Transport, c: Connection, open: Open): void {
  if (t.remoteOpened) throw new ProtocolError(ErrorCondition.illegalState, 'the peer sent a second open');
  t.remoteOpened = true;
  const maxFrame = open.maxFrameSize ?? 0xffffffff;
  if (maxFrame < MIN_MAX_FRAME_SIZE) {
    throw new ProtocolError(
      ErrorCondition.invalidField,
      `max-frame-size ${maxFrame} is below ${MIN_MAX_FRAME_SIZE}`,
    );
  }
  t.remoteMaxFrameSize = maxFrame;
  t.remoteChannelMax = open.channelMax ?? 0xffff;
  t.remoteIdleTimeout = open.idleTimeOut ?? 0;
  c.remoteContainerId = open.containerId;
  c.remoteHostname = open.hostname;
  c.remoteOfferedCapabilities = open.offeredCapabilities;
  c.remoteDesiredCapabilities = open.desiredCapabilities;
  c.remoteOutgoingLocales = open.outgoingLocales;
  c.remoteIncomingLocales = open.incomingLocales;
  c.remoteProperties = open.properties as Map<AmqpValue, AmqpValue> | undefined;
  c.remoteState = State.REMOTE_ACTIVE;
  c.emit(EventType.connectionRemoteOpen, c);
}

function handleClose(t: Transport, c: Connection, close: Close): void {
  c.remoteCondition = Condition.fromError(close.error);
  c.remoteState = State.REMOTE_CLOSED;
  c.emit(EventType.connectionRemoteClose, c);
  t.remoteClosed();
}

function handleBegin(t: Transport, c: Connection, channel: number, begin: Begin): void {
  if (channel > t.channelMax) {
    throw new ProtocolError(
      ErrorCondition.framingError,
      `channel ${channel} is beyond channel-max ${t.channelMax}`,
    );
  }
  if (t.sessionsByRemoteChannel.has(channel)) {
    throw new ProtocolError(ErrorCondition.framingError, `channel ${channel} already has a session`);
  }
  c.pruneEnded();
  let s: Session | undefined;
  if (begin.remoteChannel !== undefined) {
    s = t.sessionsByChannel.get(begin.remoteChannel);
    if (s === undefined || s.remoteState !== State.REMOTE_UNINIT) {
      throw new ProtocolError(
        ErrorCondition.framingError,
        `begin answers channel ${begin.remoteChannel}, which began nothing`,
      );
    }
  } else {
    s = c.session();
  }
  s.remoteChannel = channel;
  t.sessionsByRemoteChannel.set(channel, s);
  s.nextIncomingId = begin.nextOutgoingId;
  s.remoteOutgoingWindow = begin.outgoingWindow;
  s.remoteIncomingWindow = begin.incomingWindow;
  s.remoteHandleMax = begin.handleMax ?? 0xffffffff;
  s.remoteOfferedCapabilities = begin.offeredCapabilities;
  s.remoteDesiredCapabilities = begin.desiredCapabilities;
  s.remoteProperties = begin.properties as Map<AmqpValue, AmqpValue> | undefined;
  s.remoteState = State.REMOTE_ACTIVE;
  c.emit(EventType.sessionRemoteOpen, s);
  // Links may have been waiting for the peer's handle-max or window.
  if (s.links.length > 0) c.work(s);
}

function handleEnd(t: Transport, s: Session, end: End): void {
  s.remoteCondition = Condition.fromError(end.error);
  s.remoteState = State.REMOTE_CLOSED;
  s.connection.endsSincePrune = true;
  t.sessionsByRemoteChannel.delete(s.remoteChannel);
  for (const link of s.links) {
    if (link.remoteHandle >= 0) s.linksByRemoteHandle.delete(link.remoteHandle);
    // A link still waiting for the peer's attach will never get it now. When the session ended with an
    // error, the link is closed by the peer with that condition, so the application learns which link
    // failed and why, rather than waiting for good: RabbitMQ 3.x refuses an attach by ending the session.
    // (Attached links stay as Proton leaves them; the session's error tells of them.)
    if (s.remoteCondition === undefined || link.remoteState !== State.REMOTE_UNINIT) continue;
    if (link.localState !== State.LOCAL_ACTIVE) continue;
    link.remoteCondition = s.remoteCondition;
    link.remoteClosed = true;
    link.remoteState = State.REMOTE_CLOSED;
    s.connection.emit(EventType.linkRemoteClose, link);
  }
  s.connection.emit(EventType.sessionRemoteClose, s);
}

function handleAttach(s: Session, attach: Attach): void {
  const handle = attach.handle;
  if (handle > s.handleMax) {
    throw new ProtocolError(
      ErrorCondition.framingError,
      `handle ${handle} is beyond handle-max ${s.handleMax}`,
    );
  }
  if (s.linksByRemoteHandle.has(handle)) {
    throw new ProtocolError(ErrorCondition.handleInUse, `handle ${handle} is already attached`);
  }
  s.pruneClosed();
  // The peer's role is the opposite of ours: a receiver (true) attaches to our sender.
  const peerIsReceiver = attach.role === true;
  let link: Link | undefined = s.links.find(
    (l) => l.name === attach.name && l.isSender === peerIsReceiver && l.remoteState === State.REMOTE_UNINIT,
  );
  if (link === undefined) link = peerIsReceiver ? s.sender(attach.name) : s.receiver(attach.name);
  link.remoteHandle = handle;
  s.linksByRemoteHandle.set(handle, link);
  link.remoteSource = Terminus.fromWire(attach.source);
  link.remoteTarget = Terminus.fromWire(attach.target);
  link.remoteSndSettleMode = attach.sndSettleMode ?? 2;
  link.remoteRcvSettleMode = attach.rcvSettleMode ?? 0;
  link.remoteMaxMessageSize = attach.maxMessageSize ?? 0;
  link.remoteProperties = attach.properties as Map<AmqpValue, AmqpValue> | undefined;
  link.remoteOfferedCapabilities = attach.offeredCapabilities;
  link.remoteDesiredCapabilities = attach.desiredCapabilities;
  link.remoteUnsettled = attach.unsettled;
  // A peer sender that gives no initial delivery-count (it must) is taken to start from 0.
  if (link instanceof Receiver) link.deliveryCount = attach.initialDeliveryCount ?? 0;
  link.remoteState = State.REMOTE_ACTIVE;
  s.connection.emit(EventType.linkRemoteOpen, link);
}

function linkOf(s: Session, handle: number, what: string): Link {
  const link = s.linksByRemoteHandle.get(handle);
  if (link === undefined) {
    throw new ProtocolError(
      ErrorCondition.unattachedHandle,
      `${what} on handle ${handle}, which is not attached`,
    );
  }
  return link;
}

function handleDetach(s: Session, detach: Detach): void {
  const link = linkOf(s, detach.handle, 'detach');
  s.linksByRemoteHandle.delete(detach.handle);
  link.remoteHandle = -1;
  link.remoteCondition = Condition.fromError(detach.error);
  link.remoteClosed = detach.closed ?? false;
  link.remoteState = State.REMOTE_CLOSED;
  s.detachesSincePrune = true;
  s.connection.emit(link.remoteClosed ? EventType.linkRemoteClose : EventType.linkRemoteDetach, link);
}

function handleFlow(s: Session, flow: Flow): void {
  // Spec 2.5.6: the peer's incoming window, measured from our next-outgoing-id.
  const nextIncoming = flow.nextIncomingId ?? 0;
  s.remoteIncomingWindow = Math.max(
    0,
    serialDiff(s.nextOutgoingId, serialAdd(nextIncoming, flow.incomingWindow)),
  );
  s.remoteOutgoingWindow = flow.outgoingWindow;
  // The window is the session's: any of its senders waiting for it may go on.
  if (s.links.some((l) => l instanceof Sender && l.unsent.length > 0)) s.connection.work(s);
  if (flow.handle === undefined) {
    if (flow.echo) {
      s.flowPending = true;
      s.connection.work(s);
    }
    return;
  }
  const link = linkOf(s, flow.handle, 'flow');
  // A flow for a link we detached, sent before the peer saw our detach: nothing to apply or echo.
  if (link.localState === State.LOCAL_CLOSED) return;
  if (link instanceof Sender) {
    if (flow.linkCredit !== undefined)
      link.remoteFlow(flow.deliveryCount, flow.linkCredit, flow.drain ?? false);
  } else {
    (link as Receiver).remoteFlow(flow.deliveryCount, flow.linkCredit ?? 0, flow.drain ?? false);
    link.available = flow.available ?? link.available;
  }
  if (flow.properties !== undefined) link.remoteFlowProperties = flow.properties as Map<AmqpValue, AmqpValue>;
  if (flow.echo) link.flowPending = true;
  s.connection.work(link);
  s.connection.emit(EventType.linkFlow, link);
}

/**
 * A transfer: `payload` is its bytes, one view of the frame, or several views when the frame came in
 * several reads (a large frame is not copied together: see Transport.handleFrameParts).
 */
function handleTransfer(
  t: Transport,
  s: Session,
  tr: Transfer,
  payload: Buffer | readonly Uint8Array[],
  memory: Buffer | undefined,
): void {
  if (s.incomingWindow <= 0) {
    throw new ProtocolError(ErrorCondition.windowViolation, 'a transfer beyond the session incoming window');
  }
  s.incomingWindow--;
  s.nextIncomingId = serialAdd(s.nextIncomingId, 1);
  const link = linkOf(s, tr.handle, 'transfer');
  if (!(link instanceof Receiver)) {
    throw new ProtocolError(
      ErrorCondition.notAllowed,
      `a transfer on handle ${tr.handle}, which is our sender`,
    );
  }
  // We detached the link and the peer has not answered yet: its handle stays bound until its own detach
  // comes, and what it sent before seeing ours is no error. Such a transfer used a frame of the session
  // window (counted above) but is the link's no more: it is dropped, and its frame of window given back.
  if (link.localState === State.LOCAL_CLOSED) {
    windowUsed(s, true);
    return;
  }
  let d = link.incoming[link.incoming.length - 1];
  if (d === undefined || !d.partial) {
    if (tr.deliveryId === undefined) {
      throw new ProtocolError(
        ErrorCondition.invalidField,
        'the first transfer of a delivery has no delivery-id',
      );
    }
    d = new Delivery(tr.deliveryTag ?? Buffer.alloc(0), link, false);
    d.id = tr.deliveryId;
    d.started = true;
    // A few transfers beyond the credit are taken, as Proton and rhea take them: RabbitMQ 3.x sends one
    // now and then (rabbitmq-server#2597), and refusing it would end the whole connection over a message
    // we can hold. The credit stays at 0; the delivery-count moves on, so the next flow accounts for it.
    // A peer that keeps sending without credit is refused, as the spec says.
    if (link.linkCredit > 0) link.linkCredit--;
    else if (++link.overrun > MAX_CREDIT_OVERRUN) {
      throw new ProtocolError(
        ErrorCondition.transferLimitExceeded,
        `more than ${MAX_CREDIT_OVERRUN} transfers on link '${link.name}' with no credit`,
      );
    }
    link.deliveryCount = serialAdd(link.deliveryCount, 1);
    s.incomingDeliveries.set(d.id, d);
    link.deliveries.add(d);
    link.incoming.push(d);
    if (link.current === undefined) link.current = d;
  } else if (tr.deliveryId !== undefined && tr.deliveryId !== d.id) {
    throw new ProtocolError(
      ErrorCondition.invalidField,
      `delivery-id ${tr.deliveryId} continues delivery ${d.id}`,
    );
  }
  if (tr.settled) d.remoteSettled = true;
  if (tr.state !== undefined) d.remote = tr.state;
  if (tr.aborted) {
    d.aborted = true;
    d.remoteSettled = true;
    d.partial = false;
    s.incomingBytes -= d.size;
    t.bufferedBytes -= d.size;
    d.chunks = NO_CHUNKS;
    d.size = 0;
    s.connection.emit(EventType.delivery, d);
    return;
  }
  const n = Array.isArray(payload) ? partsLength(payload) : (payload as Buffer).length;
  if (n > 0) {
    // Checked before the bytes are kept: a message past the limit is the link's error, not the connection's.
    const max = link.maxMessageSize;
    if (max !== 0 && d.transferred + n > Number(max)) return messageTooLarge(s, link, d, max);
    if (Array.isArray(payload)) {
      for (const part of payload as readonly Uint8Array[]) if (part.length > 0) d.addChunk(part);
    } else if (memory !== undefined) {
      // A payload in memory of its own (a large transfer, see Transport) may take the next one's bytes.
      d.addOwnedChunk(memory, n);
    } else d.addChunk(payload as Buffer);
    d.size += n;
    d.transferred += n;
    s.incomingBytes += n;
    t.bufferedBytes += n;
    if (t.bufferedBytes > t.maxBufferedBytes) {
      throw new ProtocolError(
        ErrorCondition.resourceLimitExceeded,
        `more than ${t.maxBufferedBytes} bytes of incoming deliveries held unread`,
      );
    }
  }
  d.partial = tr.more ?? false;
  windowUsed(s, false);
  s.connection.emit(EventType.delivery, d);
}

/**
 * A transfer used a frame of the session window. With no capacity set, a flow reopens the window once
 * half of it is used. With one, the window follows the bytes held, which reading frees; a frame that
 * was `dropped` holds none, so the window it used may be given back at once.
 */
function windowUsed(s: Session, dropped: boolean): void {
  if (s.incomingCapacity === 0) {
    if (s.incomingWindow < s.advertisedWindow >> 1) {
      s.flowPending = true;
      s.connection.work(s);
    }
  } else if (dropped) s.bytesRead(0);
}

/**
 * A delivery grew past the link's max-message-size: as the spec has it, a link error. The partial
 * delivery is dropped and its bytes freed (the window they held given back), and the link is detached
 * with `amqp:link:message-size-exceeded`; the session, the connection and the other links go on. The
 * application learns it from the `link_local_close` event and the link's condition.
 */
function messageTooLarge(s: Session, link: Receiver, d: Delivery, max: number | bigint): void {
  const i = link.incoming.lastIndexOf(d);
  if (i >= 0) link.incoming.splice(i, 1);
  const held = d.size;
  d.chunks = NO_CHUNKS;
  d.size = 0;
  // Done with on both sides: the detach ends it, so nothing (no disposition) is owed for it.
  d.settled = true;
  d.remoteSettled = true;
  link.forget(d);
  if (link.current === undefined) link.current = link.incoming[0];
  s.bytesRead(held);
  windowUsed(s, true);
  link.close(
    new Condition(
      ErrorCondition.messageSizeExceeded,
      `a message of more than ${max} bytes on link '${link.name}'`,
    ),
  );
}

function handleDisposition(s: Session, disp: Disposition): void {
  // role true: the peer is the receiver, so these are deliveries we sent.
  const map = disp.role ? s.outgoingDeliveries : s.incomingDeliveries;
  const first = disp.first;
  const last = disp.last ?? first;
  const span = serialDiff(first, last);
  if (span < 0)
    throw new ProtocolError(ErrorCondition.invalidField, `disposition range ${first}..${last} is backwards`);
  const apply = (d: Delivery) => {
    if (disp.state !== undefined) d.remote = disp.state;
    if (disp.settled) d.remoteSettled = true;
    d.updated = true;
    s.connection.emit(EventType.delivery, d);
    if (d.remoteSettled && d.settled) d.link.forget(d);
  };
  if (span < map.size) {
    for (let i = 0, id = first; i <= span; i++, id = serialAdd(id, 1)) {
      const d = map.get(id);
      if (d !== undefined) apply(d);
    }
  } else {
    for (const [id, d] of [...map]) {
      const k = serialDiff(first, id);
      if (k >= 0 && k <= span) apply(d);
    }
  }
}
