/**
 * Hand-made frames for the engine tests: protocol headers, AMQP and SASL frames built from the
 * performative classes (or from raw bytes, to break the framing on purpose), a reader that splits a
 * transport's output back into headers and frames, and a {@link RawPeer}: one engine (a server by
 * default) fed bytes by hand, which keeps what it answers.
 */
import { encodeComposite, readValue } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';
import {
  Collector,
  Connection,
  type EngineEvent,
  Transport,
  type TransportOptions,
} from '../../src/engine/index.js';

/** The 8-byte protocol header of AMQP (id 0), TLS (id 2) or SASL (id 3), version 1.0.0. */
export function header(kind: 'AMQP' | 'SASL' | 'TLS'): Buffer {
  const id = kind === 'AMQP' ? 0 : kind === 'TLS' ? 2 : 3;
  return Buffer.from([0x41, 0x4d, 0x51, 0x50, id, 1, 0, 0]);
}

/** Fields of a frame header, any of them wrong on purpose. */
export interface RawFrameOptions {
  /** The size written in the header. @default the true size */
  size?: number;
  /** The data offset, in 4-byte words. @default 2 */
  doff?: number;
  /** 0 AMQP, 1 SASL. @default 0 */
  type?: number;
  /** @default 0 */
  channel?: number;
  /** The bytes after the frame header (extended header, performative, payload). @default none */
  body?: Uint8Array;
}

/** A frame with every header field under the caller's control. */
export function rawFrame(o: RawFrameOptions = {}): Buffer {
  const body = o.body ?? Buffer.alloc(0);
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32BE(o.size ?? b.length, 0);
  b[4] = o.doff ?? 2;
  b[5] = o.type ?? 0;
  b.writeUInt16BE(o.channel ?? 0, 6);
  b.set(body, 8);
  return b;
}

/** An AMQP frame carrying `performative` (an instance of a composite class) and an optional payload. */
export function amqpFrame(channel: number, performative: object, payload?: Uint8Array): Buffer {
  const perf = encodeComposite(performative);
  return rawFrame({ channel, body: payload ? Buffer.concat([perf, payload]) : perf });
}

/** A SASL frame carrying `body` (a SaslInit, SaslResponse...). */
export function saslFrame(body: object): Buffer {
  return rawFrame({ type: 1, body: encodeComposite(body) });
}

/** The empty frame: a heartbeat. */
export function emptyFrame(channel = 0): Buffer {
  return rawFrame({ channel });
}

/** An instance of a composite class with `fields` set: `make(Open, { containerId: 'x' })`. */
export function make<T extends object>(cls: new () => T, fields: Partial<T>): T {
  return Object.assign(new cls(), fields);
}

/** One item of a transport's output: a protocol header or a frame. */
export type OutputItem =
  | { kind: 'header'; protocolId: number }
  | {
      kind: 'frame';
      type: number;
      channel: number;
      /** The decoded performative (an `Open`, a `Begin`...), undefined for an empty frame. */
      body: unknown;
      payload: Buffer;
      size: number;
    };

/**
 * Splits output bytes into headers and frames. A header is recognised by its 'AMQP' start, which no
 * frame can have (its size would be over 1 GB). Throws on a truncated frame: output is whole frames.
 */
export function parseOutput(bytes: Uint8Array): OutputItem[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: OutputItem[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (b.length - pos >= 4 && b.toString('latin1', pos, pos + 4) === 'AMQP') {
      out.push({ kind: 'header', protocolId: b[pos + 4]! });
      pos += 8;
      continue;
    }
    if (b.length - pos < 8) throw new Error(`truncated frame header at ${pos}`);
    const size = b.readUInt32BE(pos);
    if (size < 8 || pos + size > b.length) throw new Error(`bad or truncated frame at ${pos}: size ${size}`);
    const frame = b.subarray(pos, pos + size);
    const start = frame[4]! * 4;
    let body: unknown;
    let payload: Buffer = Buffer.alloc(0);
    if (start < size) {
      const d = new Decoder(frame, {}, start);
      body = readValue(d);
      payload = frame.subarray(d.pos);
    }
    out.push({ kind: 'frame', type: frame[5]!, channel: frame.readUInt16BE(6), body, payload, size });
    pos += size;
  }
  return out;
}

/** The frames of some output, without the headers. */
export function framesOf(items: OutputItem[]): Extract<OutputItem, { kind: 'frame' }>[] {
  return items.filter((i): i is Extract<OutputItem, { kind: 'frame' }> => i.kind === 'frame');
}

/** The frames of some output whose performative is an instance of `cls`. */
export function performatives<T>(items: OutputItem[], cls: new () => T): T[] {
  return framesOf(items)
    .map((f) => f.body)
    .filter((b): b is T => b instanceof cls);
}

/** The class name of each item: 'header:0', 'Open', 'Begin', 'empty'... */
export function describeOutput(items: OutputItem[]): string[] {
  return items.map((i) =>
    i.kind === 'header'
      ? `header:${i.protocolId}`
      : i.body === undefined
        ? 'empty'
        : ((i.body as object).constructor?.name ?? typeof i.body),
  );
}

/**
 * One engine (a transport bound to a connection with a collector) that the test feeds by hand: `push`
 * gives it bytes (whole, or in chunks of `chunk` bytes) and returns what it wrote in answer, parsed.
 */
export class RawPeer {
  readonly transport: Transport;
  readonly connection: Connection;
  readonly collector: Collector;
  /** Every event so far, in order (taken by `events()`). */
  readonly allEvents: EngineEvent[] = [];
  /** Every output byte so far. */
  output: Buffer = Buffer.alloc(0);

  constructor(options: TransportOptions = {}) {
    this.transport = new Transport({ server: true, ...options });
    this.connection = new Connection();
    this.collector = new Collector();
    this.connection.collect(this.collector);
    this.transport.bind(this.connection);
  }

  /**
   * Feeds `bytes` (in pieces of `chunk` bytes when chunk > 0), then takes the output. Returns the
   * output produced since the last call, parsed.
   */
  push(bytes: Uint8Array | Uint8Array[], chunk = 0): OutputItem[] {
    const all = Array.isArray(bytes) ? Buffer.concat(bytes) : Buffer.from(bytes);
    if (chunk <= 0) this.transport.push(all);
    else for (let i = 0; i < all.length; i += chunk) this.transport.push(all.subarray(i, i + chunk));
    return this.take();
  }

  /** Takes the output waiting, parsed (and kept in `output`). */
  take(): OutputItem[] {
    const out = this.transport.takeOutput();
    if (out === undefined) return [];
    this.output = Buffer.concat([this.output, out]);
    return parseOutput(out);
  }

  /** Every output item so far. */
  get items(): OutputItem[] {
    return parseOutput(this.output);
  }

  /** Takes the events queued, by type name, without the `transport` (output waiting) ones. */
  events(): string[] {
    const names: string[] = [];
    for (let e = this.collector.pop(); e !== undefined; e = this.collector.pop()) {
      this.allEvents.push(e);
      if (e.type !== 'transport') names.push(e.type);
    }
    return names;
  }
}

/** What a failed transport left: its condition name, and the condition of the close it sent, if any. */
export function failure(p: RawPeer): { condition: string | undefined; closeSent: string | undefined } {
  const closes = framesOf(p.items)
    .map((f) => f.body as { constructor: { name: string }; error?: { condition?: unknown } })
    .filter((b) => b?.constructor?.name === 'Close');
  const sent = closes[0]?.error?.condition;
  return {
    condition: p.transport.condition?.name,
    closeSent: sent === undefined ? undefined : String(sent),
  };
}
