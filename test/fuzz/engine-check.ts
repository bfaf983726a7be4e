/**
 * Driving an engine with hostile bytes, and judging how it ended. The application behind the engine
 * answers as a plain peer does (opens what the peer opens, grants credit, reads and accepts deliveries,
 * closes what the peer closes), so the bytes reach deep into the engine. The verdict: `push` never
 * throws and never takes more than a second; the application's calls fail only with the engine's typed
 * errors; and the transport ends either healthy (no condition, no transport error) or failed with an
 * AMQP condition other than internal-error, a `transport_error` event, both directions closed, and
 * (once the AMQP layer was reached) output whose last frame is a close carrying that condition.
 */
import { readValue } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';
import { Accepted, Close } from '../../src/codec/index.js';
import type { Delivery, Link, Receiver, Session } from '../../src/engine/index.js';
import { State } from '../../src/engine/index.js';
import { ProtonError } from '../../src/errors.js';
import type { Side } from '../support/pair.js';
import { type Chunking, chunksOf, describeError, FuzzFailure, timed } from './target.js';

const AMQP_HEADER = Buffer.from('414d515000010000', 'hex');

/** Takes every event, answering each as a plain peer would. */
export function respond(side: Side): void {
  for (let e = side.collector.pop(); e !== undefined; e = side.collector.pop()) {
    side.events.push(e);
    if (side.transport.condition !== undefined || side.transport.closed) continue;
    try {
      answer(side, e.type, e.context);
    } catch (err) {
      // Misuse of an endpoint the peer has just killed is the engine's typed error: allowed.
      if (!(err instanceof ProtonError)) {
        throw new FuzzFailure('crash', `the application's answer to ${e.type} threw ${describeError(err)}`, {
          cause: err,
        });
      }
    }
  }
}

/**
 * The application of a fuzzed peer: opens what the peer opens, reads, accepts and settles what arrives,
 * keeps credit up, closes what the peer closes. Shared with test/engine/fuzz.test.ts.
 */
export function answer(side: Side, type: string, ctx: unknown): void {
  const c = side.connection;
  switch (type) {
    case 'connection_remote_open':
      if (c.localState === State.LOCAL_UNINIT) c.open();
      break;
    case 'session_remote_open': {
      const s = ctx as Session;
      if (s.localState === State.LOCAL_UNINIT) s.open();
      break;
    }
    case 'link_remote_open': {
      const l = ctx as Link;
      if (l.localState !== State.LOCAL_UNINIT) break;
      if (l.remoteSource) l.source.copy(l.remoteSource);
      if (l.remoteTarget) l.target.copy(l.remoteTarget);
      l.open();
      if (l.isReceiver) (l as Receiver).flow(10);
      break;
    }
    case 'delivery': {
      const d = ctx as Delivery;
      if (d.outgoing || d.link.localState !== State.LOCAL_ACTIVE) break;
      const r = d.link as Receiver;
      for (let cur = r.current; cur !== undefined && !cur.partial; cur = r.current) {
        if (cur.pending > 0) r.recv(cur.pending);
        if (!cur.settled) {
          if (!cur.aborted) cur.update(new Accepted());
          cur.settle();
        }
        r.advance();
      }
      if (r.credit < 5) r.flow(10);
      break;
    }
    case 'link_remote_close':
    case 'link_remote_detach': {
      const l = ctx as Link;
      if (l.localState !== State.LOCAL_CLOSED) l.close();
      break;
    }
    case 'session_remote_close': {
      const s = ctx as Session;
      if (s.localState !== State.LOCAL_CLOSED) s.close();
      break;
    }
    case 'connection_remote_close':
      if (c.localState !== State.LOCAL_CLOSED) c.close();
      break;
  }
}

/** A header or frame the engine wrote, decoded. */
export interface OutUnit {
  header?: Buffer;
  type?: number;
  body?: unknown;
}

/** Cuts the engine's output into headers and frames; a malformed one is a failure. */
export function decodeOutput(out: Buffer): OutUnit[] {
  const units: OutUnit[] = [];
  let pos = 0;
  const bad = (why: string) => new FuzzFailure('state', `the engine wrote a bad stream: ${why} at ${pos}`);
  while (pos < out.length) {
    if (out.subarray(pos, pos + 4).toString('latin1') === 'AMQP') {
      if (out.length - pos < 8) throw bad('a cut protocol header');
      units.push({ header: out.subarray(pos, pos + 8) });
      pos += 8;
      continue;
    }
    if (out.length - pos < 8) throw bad('a cut frame header');
    const size = out.readUInt32BE(pos);
    if (size < 8 || pos + size > out.length) throw bad(`frame size ${size}`);
    const doff = out[pos + 4]! * 4;
    if (doff < 8 || doff > size) throw bad(`data offset ${doff}`);
    const type = out[pos + 5]!;
    if (doff === size) units.push({ type });
    else {
      try {
        units.push({ type, body: readValue(new Decoder(out.subarray(pos, pos + size), {}, doff)) });
      } catch (e) {
        throw bad(`an undecodable frame (${describeError(e)})`);
      }
    }
    pos += size;
  }
  return units;
}

/** Feeds `input` to `side` as a socket would, then ends the stream when `eof`; judges the end. */
export function drive(side: Side, input: Buffer, chunking: Chunking, eof: boolean): void {
  const t = side.transport;
  const written: Buffer[] = [];
  const take = () => {
    const o = t.takeOutput();
    if (o !== undefined) written.push(Buffer.from(o));
    respond(side);
  };
  respond(side);
  take();
  for (const chunk of chunksOf(input, chunking)) {
    timed(`a push of ${chunk.length} bytes`, () => {
      try {
        t.push(chunk);
      } catch (e) {
        throw new FuzzFailure('crash', `push threw ${describeError(e)}`, { cause: e });
      }
    });
    respond(side);
    take();
  }
  const failedBeforeEnd = t.condition !== undefined;
  if (eof) {
    t.closeTail();
    respond(side);
    take();
  }
  judge(side, Buffer.concat(written), failedBeforeEnd);
}

function judge(side: Side, out: Buffer, failedBeforeEnd: boolean): void {
  const t = side.transport;
  const units = decodeOutput(out);
  const types = side.events.map((e) => e.type);
  const state = (why: string) => new FuzzFailure('state', why);
  if (t.condition === undefined) {
    if (types.includes('transport_error')) throw state('a transport_error with no condition');
    return;
  }
  const cond = t.condition;
  if (cond.name === 'amqp:internal-error') {
    throw new FuzzFailure('crash', `the peer's bytes raised an internal error: ${cond.description}`);
  }
  if (!/^amqp:/.test(cond.name)) throw state(`a condition outside the spec: ${cond.name}`);
  if (!types.includes('transport_error')) throw state(`failed (${cond}) with no transport_error`);
  if (!t.tailClosed || !t.headClosed) throw state(`failed (${cond}) yet not closed both ways`);
  if (!failedBeforeEnd) return; // the stream ended first: nobody is left to tell
  const frames = units.filter((u) => u.type === 0 && u.body !== undefined);
  const amqpReached =
    frames.length > 0 || t.remoteOpened || (t.server && units.some((u) => u.header?.equals(AMQP_HEADER)));
  if (!amqpReached) return;
  const last = units[units.length - 1]?.body;
  if (!(last instanceof Close)) throw state(`failed (${cond}) but the output does not end with a close`);
  if (last.error?.condition !== cond.name) {
    throw state(`the close says ${String(last.error?.condition)}, the transport ${cond.name}`);
  }
  if (frames.filter((u) => u.body instanceof Close).length !== 1) throw state('more than one close');
}
