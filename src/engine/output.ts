/**
 * Outgoing frames: what the connection's endpoints owe the peer, written in the order the spec needs
 * (open, begins, attaches, flows, transfers, dispositions, detaches, ends, close). Transfers are split
 * at the peer's max-frame-size when they are written, not when the application sends.
 */
import type { ByteWriter } from '../codec/byte-writer.js';
import { Attach, Begin, Close, Detach, Disposition, End, Flow, Open } from '../codec/composite-types.js';
import { writeAny, writeComposite } from '../codec/composites.js';
import { Code } from '../codec/format-codes.js';
import { LENT_MIN, releaseLent } from '../codec/lent-buffers.js';
import { serialAdd, serialDiff } from '../util/serial.js';
import { type Condition, ErrorCondition } from './condition.js';
import type { Connection } from './connection.js';
import { type Delivery, digitCount, putDigits } from './delivery.js';
import { writeDisposition } from './disposition-codec.js';
import { State } from './endpoint.js';
import { EventType } from './event.js';
import { writeFlow } from './flow-codec.js';
import { beginFrame, endFrame, FrameType, writeFrame } from './frame.js';
import { type Link, Receiver, Sender, SenderSettleMode } from './link.js';
import type { Session } from './session.js';
import { ProtocolError, type Transport } from './transport.js';

/**
 * Writes everything owed. With `failure`, writes only what closing for that error needs: our open if it
 * has not gone out, and a close carrying the condition.
 */
export function writeOutput(t: Transport, c: Connection, failure?: Condition): void {
  if (failure !== undefined) {
    if (!c.openPending && c.localState === State.LOCAL_UNINIT) c.openPending = true;
    if (c.openPending) writeOpen(t, c);
    frame(t, 0, new Close(), { error: failure.toError() });
    t.closeHead();
    return;
  }
  if (c.openPending && c.localState !== State.LOCAL_UNINIT) writeOpen(t, c);
  if (c.localState === State.LOCAL_UNINIT) return;
  if (c.workList.size > 0) {
    const work = [...c.workList];
    c.clearWork();
    for (const e of work) {
      const s = 'links' in e ? e : e.session;
      if (s.beginPending) writeBegin(t, s);
    }
    writeAttachesInOrder(t, c, work);
    for (const e of work) {
      if ('links' in e) writeSessionWork(t, e);
      else writeLinkWork(t, e);
    }
    for (const e of work) if ('links' in e && e.endPending) writeEnd(t, e);
  }
  if (c.closePending) {
    for (const s of c.sessions) if (s.endPending) writeEnd(t, s);
    frame(t, 0, new Close(), { error: c.condition?.toError() });
    c.closePending = false;
    t.closeHead();
  }
}

/**
 * The attaches of `work` go out before its other frames, in the order the links were made, as Proton C
 * sets links up before it moves any delivery: the work list puts the endpoint worked on last at the
 * back (so a discharge follows its transaction's transfers), which alone would answer a peer's
 * attaches out of order when a later link has had a flow to send.
 */
function writeAttachesInOrder(t: Transport, c: Connection, work: readonly (Session | Link)[]): void {
  if (!work.some((e) => !('links' in e) && e.attachPending)) return;
  const listed = new Set(work);
  for (const s of c.sessions) {
    if (s.channel < 0 || s.localState === State.LOCAL_CLOSED) continue;
    for (const l of s.links) if (l.attachPending && listed.has(l)) writeAttach(t, s, l);
  }
}

function frame(t: Transport, channel: number, perf: object, fields?: Record<string, unknown>): void {
  if (fields !== undefined) Object.assign(perf, fields);
  const start = t.enc.w.pos;
  writeFrame(t.enc, FrameType.amqp, channel, perf);
  t.wroteFrame(start, FrameType.amqp);
}

/**
 * Writes a flow or a disposition frame: in its common form straight (flow-codec.ts,
 * disposition-codec.ts), anything else by the generic encoder.
 */
function controlFrame(t: Transport, channel: number, body: Flow | Disposition): void {
  const w = t.enc.w;
  const start = beginFrame(w, FrameType.amqp, channel);
  const done = body instanceof Flow ? writeFlow(w, body) : writeDisposition(w, body);
  if (!done) writeComposite(t.enc, body);
  endFrame(w, start);
  t.wroteFrame(start, FrameType.amqp);
}

function writeOpen(t: Transport, c: Connection): void {
  c.openPending = false;
  const o = new Open();
  o.containerId = c.containerId;
  o.hostname = c.hostname;
  o.maxFrameSize = t.maxFrameSize === 0xffffffff ? undefined : t.maxFrameSize;
  o.channelMax = t.channelMax;
  o.idleTimeOut = t.idleTimeout > 0 ? Math.floor(t.idleTimeout / 2) : undefined;
  o.outgoingLocales = c.outgoingLocales;
  o.incomingLocales = c.incomingLocales;
  o.offeredCapabilities = c.offeredCapabilities;
  o.desiredCapabilities = c.desiredCapabilities;
  o.properties = c.properties;
  frame(t, 0, o);
}

function writeBegin(t: Transport, s: Session): void {
  const max = Math.min(t.channelMax, t.remoteChannelMax);
  // Every channel below the hint is taken: a peer that begins thousands of sessions must not make
  // each new one search from 0 (quadratic).
  let ch = t.freeChannelHint;
  while (ch <= max && t.sessionsByChannel.has(ch)) ch++;
  t.freeChannelHint = ch + 1;
  if (ch > max) {
    // As Proton: the session waits (and the connection stays up) until an end frees a channel.
    t.logger.warn(`no channel free for a new session (channel-max ${max}): it waits for one`);
    return;
  }
  s.beginPending = false;
  s.channel = ch;
  t.sessionsByChannel.set(ch, s);
  s.incomingWindow = s.computeIncomingWindow();
  s.advertisedWindow = s.incomingWindow;
  const b = new Begin();
  b.remoteChannel = s.remoteChannel >= 0 ? s.remoteChannel : undefined;
  b.nextOutgoingId = s.nextOutgoingId;
  b.incomingWindow = s.incomingWindow;
  b.outgoingWindow = s.outgoingWindow;
  b.handleMax = s.handleMax === 0xffffffff ? undefined : s.handleMax;
  b.offeredCapabilities = s.offeredCapabilities;
  b.desiredCapabilities = s.desiredCapabilities;
  b.properties = s.properties;
  frame(t, ch, b);
}

function writeEnd(t: Transport, s: Session): void {
  if (!s.endPending || s.channel < 0) return;
  s.endPending = false;
  for (const l of s.links) if (l.handle >= 0) s.linksByHandle.delete(l.handle);
  frame(t, s.channel, new End(), { error: s.condition?.toError() });
  s.connection.endsSincePrune = true;
  t.sessionsByChannel.delete(s.channel);
  t.freeChannelHint = Math.min(t.freeChannelHint, s.channel);
  // A channel is free: a session waiting for one can begin.
  for (const w of s.connection.sessions) if (w.beginPending) s.connection.workList.add(w);
}

/** The session-level part of a flow: our window and ids. */
function sessionFlow(s: Session): Flow {
  const f = new Flow();
  f.nextIncomingId = s.remoteState === State.REMOTE_UNINIT ? undefined : s.nextIncomingId;
  const window = s.computeIncomingWindow();
  s.incomingWindow = window;
  s.advertisedWindow = window;
  f.incomingWindow = window;
  f.nextOutgoingId = s.nextOutgoingId;
  f.outgoingWindow = s.outgoingWindow;
  return f;
}

function writeSessionWork(t: Transport, s: Session): void {
  if (s.channel < 0 || (s.localState === State.LOCAL_CLOSED && !s.endPending)) return;
  if (s.flowPending) {
    s.flowPending = false;
    controlFrame(t, s.channel, sessionFlow(s));
  }
  // A link not attached yet sends its transfers after its attach, in its own work.
  for (const l of s.links) {
    if (l instanceof Sender && l.handle >= 0 && l.unsent.length > 0) writeTransfers(t, s, l);
  }
  writeDispositions(t, s);
}

function writeLinkWork(t: Transport, l: Link): void {
  const s = l.session;
  if (s.localState === State.LOCAL_CLOSED) return;
  if (s.channel < 0) {
    // The session has not begun yet: keep the work for when it has.
    l.connection.workList.add(l);
    return;
  }
  if (l.attachPending) writeAttach(t, s, l);
  if (l.handle < 0) return;
  if (l.flowPending) {
    l.flowPending = false;
    const f = sessionFlow(s);
    f.handle = l.handle;
    // A receiver that has not seen the sender's attach does not know the count yet: it leaves it unset
    // and the sender counts from its initial delivery-count (spec 2.7.4).
    f.deliveryCount =
      l instanceof Receiver && l.remoteState === State.REMOTE_UNINIT ? undefined : l.deliveryCount;
    f.linkCredit = l.linkCredit;
    f.available = l instanceof Sender ? l.available : undefined;
    f.drain = l.drain;
    f.echo = l.echo || undefined;
    f.properties = l.flowProperties;
    l.echo = false;
    controlFrame(t, s.channel, f);
  }
  if (l instanceof Sender && l.unsent.length > 0) writeTransfers(t, s, l);
  writeDispositions(t, s);
  if (l.detachPending) writeDetach(t, s, l);
}

function writeAttach(t: Transport, s: Session, l: Link): void {
  l.attachPending = false;
  const h = s.allocateHandle();
  if (h < 0)
    throw new ProtocolError(
      ErrorCondition.resourceLimitExceeded,
      `no handle left (handle-max ${s.handleMax})`,
    );
  l.handle = h;
  s.linksByHandle.set(h, l);
  const a = new Attach();
  a.name = l.name;
  a.handle = h;
  a.role = l instanceof Receiver;
  a.sndSettleMode = l.sndSettleMode;
  a.rcvSettleMode = l.rcvSettleMode;
  a.source = l.source.toWire() as Attach['source'];
  a.target = l.target.toWire() as Attach['target'];
  a.unsettled = l.unsettled;
  if (l instanceof Sender) a.initialDeliveryCount = l.initialDeliveryCount;
  a.maxMessageSize = l.maxMessageSize === 0 ? undefined : l.maxMessageSize;
  a.offeredCapabilities = l.offeredCapabilities;
  a.desiredCapabilities = l.desiredCapabilities;
  a.properties = l.properties;
  frame(t, s.channel, a);
}

function writeDetach(t: Transport, s: Session, l: Link): void {
  l.detachPending = false;
  frame(t, s.channel, new Detach(), { handle: l.handle, closed: l.closing, error: l.condition?.toError() });
  s.linksByHandle.delete(l.handle);
  s.detachesSincePrune = true;
}

/**
 * The output after which no more transfer frames are written in a turn: a bound on the transport's output
 * buffer (at least one frame always goes, however large the peer's max-frame-size). 4 MiB rather than 1:
 * a 1 MiB sender then gives the socket several messages a turn (~8 % more messages a second between two
 * proton-ts peers, six alternating pairs of seven).
 */
export const OUTPUT_PER_TURN = 4 << 20;

/** The smallest transfer payload sent as views rather than copied (see Transport.outputByViews). */
const VIEW_MIN = 32 * 1024;

/** Writes the transfers of a sender's deliveries, in order, as far as credit and the peer's window allow. */
function writeTransfers(t: Transport, s: Session, l: Sender): void {
  if (l.localState === State.LOCAL_CLOSED && !l.detachPending) return;
  // The peer detached the link: it drops whatever we would send on it now.
  if (l.remoteState === State.REMOTE_CLOSED) return;
  const q = l.unsent;
  let started = false;
  while (q.length > 0) {
    // A turn's output is bounded: the rest waits for the socket to take this (its drain wakes us), so a
    // sender with credit for hundreds of large messages does not copy them all into memory at once.
    if (t.outputBytes >= OUTPUT_PER_TURN) {
      l.connection.work(l);
      break;
    }
    const d = q[0]!;
    if (!d.started) {
      if (d.aborted) {
        q.shift();
        l.forget(d);
        started = true; // the queued count changed: the application sees it as a flow
        continue;
      }
      if (!d.done && d.size === 0) break; // the current delivery, still empty: later ones wait behind it
      if (l.linkCredit <= 0 || s.remoteIncomingWindow <= 0) break;
      d.started = true;
      if (d.done) l.queuedCount--;
      d.id = s.nextOutgoingDeliveryId;
      s.nextOutgoingDeliveryId = serialAdd(s.nextOutgoingDeliveryId, 1);
      if (!d.settled) s.outgoingDeliveries.set(d.id, d);
      l.linkCredit--;
      l.deliveryCount = serialAdd(l.deliveryCount, 1);
      started = true;
    }
    writeDeliveryFrames(t, s, l, d);
    if (!d.transferredAll) {
      // The window closed, or the rest of a streamed delivery is to come, or this turn's output is full.
      if (d.size > 0 && t.outputBytes >= OUTPUT_PER_TURN && s.remoteIncomingWindow > 0) l.connection.work(l);
      break;
    }
    q.shift();
    if (d.settled) l.forget(d);
  }
  if (started) l.connection.emit(EventType.linkFlow, l);
}

/** Writes frames of one delivery while the peer's window allows and bytes are there. */
function writeDeliveryFrames(t: Transport, s: Session, l: Sender, d: Delivery): void {
  const w = t.enc.w;
  const first = d.transferred === 0 && !d.firstFrameSent;
  for (let firstFrame = first; ; firstFrame = false) {
    if (s.remoteIncomingWindow <= 0) return;
    if (!firstFrame && t.outputBytes >= OUTPUT_PER_TURN) return; // the rest in a later turn (see writeTransfers)
    if (!firstFrame && d.size === 0 && !d.done && !d.aborted) return; // waiting for more bytes
    const start = beginFrame(w, FrameType.amqp, s.channel);
    w.u8(Code.described);
    w.u8(Code.smallulong);
    w.u8(0x14);
    // A state set before the first transfer (a transactional send) travels in the transfer itself.
    const state = firstFrame && d.dispositionPending && d.local !== undefined ? d.local : undefined;
    const tag = d.tagValue;
    const big = (typeof tag !== 'number' && tag.length > 200) || state !== undefined;
    w.u8(big ? Code.list32 : Code.list8);
    const listAt = w.pos;
    w.ensure(big ? 8 : 2);
    w.pos += big ? 8 : 2;
    const e = t.enc;
    e.uint(l.handle);
    if (firstFrame) {
      e.uint(d.id);
      if (typeof tag === 'number') writeDigitsTag(w, tag);
      else e.binary(tag);
      e.uint(0);
    } else {
      e.null();
      e.null();
      e.null();
    }
    const settled = d.settled || l.sndSettleMode === SenderSettleMode.settled;
    e.boolean(settled);
    const moreAt = w.pos;
    e.boolean(false);
    let count = 6;
    if (state !== undefined || d.aborted) {
      e.null(); // rcv-settle-mode
      if (state !== undefined) writeAny(e, state);
      else e.null();
      count = 8;
      if (state !== undefined) {
        d.dispositionPending = false;
        s.dispositions.delete(d);
      }
    }
    if (d.aborted) {
      e.null(); // resume
      e.boolean(true);
      count = 10;
    }
    const listSize = w.pos - (listAt + (big ? 4 : 1));
    if (big) {
      w.setU32(listAt, listSize);
      w.setU32(listAt + 4, count);
    } else {
      w.buf[listAt] = listSize;
      w.buf[listAt + 1] = count;
    }
    s.nextOutgoingId = serialAdd(s.nextOutgoingId, 1);
    s.remoteIncomingWindow--;
    d.firstFrameSent = true;
    if (d.aborted) {
      endFrame(w, start);
      t.wroteFrame(start, FrameType.amqp);
      d.transferredAll = true;
      return;
    }
    const room = Math.max(0, t.remoteMaxFrameSize - (w.pos - start));
    const take = Math.min(room, d.size);
    const more = d.size > take || !d.done;
    if (more) w.buf[moreAt] = Code.true;
    // A large payload goes out as views of the message's bytes (a writev), not copied into the output;
    // the frame's size then counts bytes that are not in the writer. Traced frames are copied, whole.
    const byViews = take >= VIEW_MIN && t.outputByViews && t.tracer === undefined;
    if (byViews) w.setU32(start, w.pos - start + take);
    else w.ensure(take);
    let left = take;
    while (left > 0) {
      const chunk = d.chunks[0]!;
      const k = Math.min(chunk.length, left);
      const piece = k === chunk.length ? chunk : chunk.subarray(0, k);
      if (byViews) t.appendView(piece);
      else {
        w.buf.set(piece, w.pos);
        w.pos += k;
      }
      left -= k;
      if (k === chunk.length) {
        d.chunks.shift();
        // All of it is in the output now: lent memory goes back once the views of it are written.
        if (chunk.buffer.byteLength >= LENT_MIN) releaseLent(chunk.buffer);
      } else d.chunks[0] = chunk.subarray(k);
    }
    d.size -= take;
    d.transferred += take;
    if (!byViews) endFrame(w, start);
    t.wroteFrame(start, FrameType.amqp);
    if (!more) {
      d.transferredAll = true;
      return;
    }
    if (d.size === 0) return; // streaming: the rest comes later
  }
}

/** Writes a default delivery tag, the decimal digits of `n`, as a vbin8 (the bytes `digitsTag` makes). */
function writeDigitsTag(w: ByteWriter, n: number): void {
  const len = digitCount(n);
  w.ensure(2 + len);
  w.buf[w.pos] = Code.vbin8;
  w.buf[w.pos + 1] = len;
  putDigits(w.buf, w.pos + 2, n, len);
  w.pos += 2 + len;
}

/** Writes the dispositions owed, consecutive delivery-ids with the same outcome as one range. */
function writeDispositions(t: Transport, s: Session): void {
  if (s.dispositions.size === 0) return;
  const owed: Delivery[] = [];
  for (const d of s.dispositions.take()) {
    // Not sent yet: its transfer will carry the settlement.
    if (d.id < 0 || !d.started) {
      s.dispositions.add(d);
      continue;
    }
    // Settled on both sides already: nothing left to say.
    if (d.settled && d.remoteSettled) d.link.forget(d);
    else owed.push(d);
  }
  owed.sort((a, b) => (a.outgoing === b.outgoing ? serialDiff(b.id, a.id) : a.outgoing ? 1 : -1));
  let i = 0;
  while (i < owed.length) {
    const d = owed[i]!;
    let j = i + 1;
    while (
      j < owed.length &&
      owed[j]!.outgoing === d.outgoing &&
      owed[j]!.id === serialAdd(owed[j - 1]!.id, 1) &&
      owed[j]!.settled === d.settled &&
      sameState(owed[j]!.local, d.local)
    ) {
      j++;
    }
    const last = owed[j - 1]!;
    const disp = new Disposition();
    disp.role = !d.outgoing;
    disp.first = d.id;
    disp.last = last.id === d.id ? undefined : last.id;
    disp.settled = d.settled;
    disp.state = d.local as Disposition['state'];
    controlFrame(t, s.channel, disp);
    for (let k = i; k < j; k++) {
      const x = owed[k]!;
      x.dispositionPending = false;
      // Settling is forgetting (as Proton): once the peer is told, later news of it is ignored.
      if (x.settled) x.link.forget(x);
    }
    i = j;
  }
}

/** Two states that may share a disposition: the same object, or the same outcome with no fields. */
function sameState(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a.constructor !== b.constructor) return false;
  return noFields(a) && noFields(b);
}

/** Whether every field of an outcome is unset (a loop, not Object.values: this runs per delivery). */
function noFields(o: object): boolean {
  const r = o as Record<string, unknown>;
  for (const k in r) if (r[k] !== undefined) return false;
  return true;
}
