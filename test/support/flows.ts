/**
 * Helpers for the link and delivery tests: an opened connection and session on both sides of a `pair`,
 * links attached both ways, deliveries sent and read whole, a recorder of the frames a side writes
 * (decoded), and raw frames to inject.
 */

import { ByteWriter } from '../../src/codec/byte-writer.js';
import { readValue, writeComposite } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';
import { Encoder } from '../../src/codec/encoder.js';
import type { Delivery, Receiver, Sender, Session, TransportOptions } from '../../src/engine/index.js';
import { drain, pair, pump, type Side } from './pair.js';

/** A client and a server with the connection open and one session begun both ways. */
export interface Env {
  client: Side;
  server: Side;
  /** The client's session. */
  cs: Session;
  /** The server's session (the one the client began). */
  ss: Session;
}

export interface EnvOptions {
  client?: TransportOptions;
  server?: TransportOptions;
  /** Called on the client session before it begins (to set nextOutgoingId...). */
  clientSession?: (s: Session) => void;
  /** Called on the server session before it answers the begin (to set incomingCapacity...). */
  serverSession?: (s: Session) => void;
}

/** Opens a connection and one session, both ways, and takes the events so far. */
export function connect(options: EnvOptions = {}): Env {
  const { client, server } = pair({ client: options.client, server: options.server });
  client.connection.open();
  const cs = client.connection.session();
  options.clientSession?.(cs);
  cs.open();
  pump(client, server);
  server.connection.open();
  const ss = server.connection.sessions[0]!;
  options.serverSession?.(ss);
  ss.open();
  pump(client, server);
  drain(client);
  drain(server);
  return { client, server, cs, ss };
}

/** Where a link's two ends are: a client sender and the server receiver it paired with. */
export interface SendLink {
  snd: Sender;
  rcv: Receiver;
}

/**
 * Attaches a client sender named `name` to a new server receiver, both opened; `configure` runs on the
 * sender and `configureReceiver` on the receiver before each opens. Grants `credit` (default 0).
 */
export function sendLink(
  env: Env,
  name: string,
  credit = 0,
  configure?: (snd: Sender) => void,
  configureReceiver?: (rcv: Receiver) => void,
): SendLink {
  const snd = env.cs.sender(name);
  snd.target.address = name;
  configure?.(snd);
  snd.open();
  pump(env.client, env.server);
  const rcv = env.ss.links.find((l) => l.name === name && l.isReceiver) as Receiver | undefined;
  if (rcv === undefined) throw new Error(`no receiver '${name}' on the server`);
  configureReceiver?.(rcv);
  rcv.open();
  if (credit > 0) rcv.flow(credit);
  pump(env.client, env.server);
  drain(env.client);
  drain(env.server);
  return { snd, rcv };
}

/** Bytes 0..n-1 of a pattern that differs with `seed`, so a shifted or dropped byte shows. */
export function payload(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Starts a delivery, sends `bytes` and advances: one whole message. */
export function sendMessage(snd: Sender, bytes: Uint8Array, tag?: string | Uint8Array): Delivery {
  const d = snd.delivery(tag);
  snd.send(bytes);
  snd.advance();
  return d;
}

/** Reads every pending byte of the receiver's current delivery. */
export function readAll(rcv: Receiver): Buffer {
  const parts: Uint8Array[] = [];
  for (;;) {
    const d = rcv.current;
    if (d === undefined || d.pending === 0) break;
    const b = rcv.recv(d.pending);
    if (b === undefined) break;
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** One frame a side wrote, decoded. */
export interface FrameRecord {
  /** The whole frame's size in bytes (header included). */
  size: number;
  type: number;
  channel: number;
  /** The performative (an instance of a composite class), or undefined for an empty frame. */
  body: unknown;
  /** The bytes after the performative (a transfer's payload). */
  payload: Buffer;
}

/** Splits output bytes into frames, skipping protocol headers. */
export function parseFrames(bytes: Buffer): FrameRecord[] {
  const out: FrameRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (
      bytes[pos] === 0x41 &&
      bytes[pos + 1] === 0x4d &&
      bytes[pos + 2] === 0x51 &&
      bytes[pos + 3] === 0x50
    ) {
      pos += 8;
      continue;
    }
    const size = bytes.readUInt32BE(pos);
    const frame = bytes.subarray(pos, pos + size);
    const doff = frame[4]! * 4;
    const type = frame[5]!;
    const channel = frame.readUInt16BE(6);
    if (doff === size) {
      out.push({ size, type, channel, body: undefined, payload: Buffer.alloc(0) });
    } else {
      const d = new Decoder(frame, {}, doff);
      const body = readValue(d);
      out.push({ size, type, channel, body, payload: frame.subarray(d.pos) });
    }
    pos += size;
  }
  return out;
}

/**
 * Records every frame `side` writes from now on (wrapping its transport's `takeOutput`, which `pump`
 * calls). Returns the live list; clear it with `list.length = 0`.
 */
export function recordFrames(side: Side): FrameRecord[] {
  const frames: FrameRecord[] = [];
  const t = side.transport;
  const take = t.takeOutput.bind(t);
  t.takeOutput = () => {
    const b = take();
    if (b !== undefined) frames.push(...parseFrames(b));
    return b;
  };
  return frames;
}

/** The recorded frames whose performative is an instance of `cls`. */
export function framesOf<T>(frames: FrameRecord[], cls: new () => T): (FrameRecord & { body: T })[] {
  return frames.filter((f): f is FrameRecord & { body: T } => f.body instanceof cls);
}

/** A raw AMQP frame: size, doff 2, type 0, channel, then the performative and the payload. */
export function rawFrame(channel: number, performative: object, extra: Uint8Array = Buffer.alloc(0)): Buffer {
  const e = new Encoder(new ByteWriter(256));
  writeComposite(e, performative);
  const body = e.w.take();
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length + extra.length, 0);
  head[4] = 2;
  head[5] = 0;
  head.writeUInt16BE(channel, 6);
  return Buffer.concat([head, body, extra]);
}
