/**
 * The transport: the byte stream of one connection, sans I/O. Bytes come in with `push`, go out with
 * `takeOutput` (or `pending`/`peek`/`pop`), and time comes in with `tick(now)`. It negotiates the
 * protocol headers, runs the SASL exchange, frames and unframes performatives, and turns any protocol
 * violation by the peer into a close with the right condition and a `transport_error` event: nothing
 * the peer sends makes `push` throw.
 */
import { ByteWriter } from '../codec/byte-writer.js';
import { Disposition, Flow, type Transfer } from '../codec/composite-types.js';
import { readValue } from '../codec/composites.js';
import { Decoder } from '../codec/decoder.js';
import { Encoder } from '../codec/encoder.js';
import { Code } from '../codec/format-codes.js';
import { lentViewOut, lentViewWritten } from '../codec/lent-buffers.js';
import { DecodeError, ProtonError } from '../errors.js';
import { type FrameTracer, frameTracerFromEnv, type Logger, NULL_LOGGER } from '../util/logger.js';
import { Condition, ErrorCondition } from './condition.js';
import type { Connection } from './connection.js';
import { dispatchFrame } from './dispatch.js';
import { readDisposition } from './disposition-codec.js';
import { State } from './endpoint.js';
import { EventType } from './event.js';
import { readFlow } from './flow-codec.js';
import {
  AMQP_HEADER,
  EMPTY_FRAME,
  FRAME_HEADER_SIZE,
  FrameType,
  MIN_MAX_FRAME_SIZE,
  ProtocolId,
  readHeader,
  SASL_HEADER,
} from './frame.js';
import { messageMemory } from './message-memory.js';
import { writeOutput } from './output.js';
import { resetForNewTransport } from './reset.js';
import type { SaslLayer } from './sasl-layer.js';
import type { Session } from './session.js';
import { traceFrame, traceHeader } from './trace-hooks.js';
import { TransferReader } from './transfer-reader.js';

/**
 * A protocol violation by the peer: the transport closes the connection with its condition. proton-ts
 * only, and never thrown out of `push`: users see the condition in `Transport.condition` and a
 * `transport_error` event, as in Proton.
 */
export class ProtocolError extends ProtonError {
  constructor(condition: string, message: string) {
    super(message, { condition });
    this.name = 'ProtocolError';
  }
}

/**
 * Options of a transport. Proton sets these as `Transport` properties (`max_frame_size`, `channel_max`,
 * `idle_timeout`) and the `Transport(mode)` argument.
 */
export interface TransportOptions {
  /**
   * The server side of the connection (it waits for the client's header). Proton:
   * `Transport(Transport.SERVER)`.
   * @default false
   */
  server?: boolean;
  /**
   * The largest frame this side accepts (AMQP: `open.max-frame-size`); at least 512. Proton:
   * `Transport.max_frame_size`, whose default 0 means no limit.
   * @default 1048576
   */
  maxFrameSize?: number;
  /**
   * The highest channel this side accepts (AMQP: `open.channel-max`). Proton: `Transport.channel_max`.
   * @default 32767
   */
  channelMax?: number;
  /**
   * Milliseconds of silence from the peer after which the connection is closed with
   * `amqp:resource-limit-exceeded`; half of it is advertised, as Proton does. 0 for none. @default 0
   */
  idleTimeout?: number;
  /**
   * The most bytes of incoming deliveries the connection holds unread (reassembling, or waiting for the
   * application); past it the connection closes with `amqp:resource-limit-exceeded`. Proton (newer than
   * 0.37): `Transport.max_buffered_delivery_bytes`.
   * @default 268435456
   */
  maxBufferedBytes?: number;
  /**
   * Milliseconds, from the first `tick`, for the protocol headers and the SASL exchange to complete;
   * past it the connection closes with `amqp:resource-limit-exceeded`, so that a peer cannot hold a
   * connection forever in a SASL exchange it never finishes (or by trickling one byte at a time, which
   * the idle timeout does not catch). 0 for none. proton-ts only: Proton Python has no counterpart.
   * @default 30000
   */
  handshakeTimeout?: number;
  /**
   * The most empty frames (heartbeats) the peer may send a second, measured at each `tick`; more closes
   * the connection with `amqp:resource-limit-exceeded`. A peer heartbeats at most a few times a second;
   * a flood of empty frames costs us CPU and tells us nothing. 0 for no limit. proton-ts only: Proton
   * Python has no counterpart.
   * @default 1000
   */
  maxEmptyFrameRate?: number;
  /**
   * Where diagnostics go. proton-ts's injectable logger, where Proton Python logs through the `proton`
   * logging module.
   * @default no logging
   */
  logger?: Logger;
  /**
   * Where frame traces go, one line per frame. Proton: `Transport.tracer` with
   * `Transport.trace(Transport.TRACE_FRM)`.
   * @default stderr when `PN_TRACE_FRM` is set, else none
   */
  tracer?: FrameTracer;
}

type Layer = 'header' | 'sasl' | 'amqp-header' | 'amqp' | 'done';

/** One reader serves every transport: it keeps nothing between frames but the last payload offset. */
const TRANSFERS = new TransferReader();
/** The payload of a frame read by a fast reader that carries none (a flow, a disposition). */
const EMPTY_PAYLOAD = Buffer.alloc(0);

/** A frame this large arriving over several reads is taken read by read (see fillParts, beginLarge)... */
const PARTS_MIN = 64 * 1024;
/** ...when the first read holds this much of the frame, enough for any common transfer performative. */
const PARTS_HEAD = 1024;

/** Whether a frame of `size` bytes of which a read holds `left` (less) is taken read by read. */
function takenInParts(size: number, left: number): boolean {
  return size >= PARTS_MIN && left >= PARTS_HEAD;
}

/**
 * The flow or disposition whose body starts at `buf[at]` in a frame ending at `end`, read by its fast
 * reader (flow-codec.ts, disposition-codec.ts) when it is one in a common encoding; else undefined.
 */
function readControl(buf: Buffer, at: number, end: number): Flow | Disposition | undefined {
  if (at + 3 >= end || buf[at] !== Code.described || buf[at + 1] !== Code.smallulong) return undefined;
  const code = buf[at + 2];
  if (code === Flow.descriptor) return readFlow(buf, at + 3, end);
  if (code === Disposition.descriptor) return readDisposition(buf, at + 3, end);
  return undefined;
}

/**
 * Room left after the payload of a large transfer with more to come, for the next transfer's bytes: a
 * message a little larger than the peer's frames (a 1 MiB body and its sections in 1 MiB frames) then
 * arrives in one piece of memory and is read without being put together again.
 */
const LARGE_TAIL_ROOM = 4096;
/**
 * A large transfer with at least this much payload still to come is read straight into its own memory
 * (see readTarget); less is read with what follows it, into the socket's buffer, and copied.
 */
const DIRECT_READ_MIN = 16 * 1024;

/** The largest output buffer kept for reuse: a turn's output (see OUTPUT_PER_TURN) and a frame. */
const RECYCLED_MAX = 4 << 20;

/**
 * The byte stream of one connection, sans I/O: protocol headers, SASL, framing, idle timeout and the
 * limits. Proton: `Transport`.
 */
export class Transport {
  /**
   * Whether this is the accepting side: it answers the protocol headers and runs SASL as the server.
   * Proton: `Transport(Transport.SERVER)`.
   */
  readonly server: boolean;
  /**
   * The largest frame this side accepts (AMQP: `open.max-frame-size`). Proton: `Transport.max_frame_size`.
   */
  readonly maxFrameSize: number;
  /** The highest channel this side accepts (AMQP: `open.channel-max`). Proton: `Transport.channel_max`. */
  readonly channelMax: number;
  /**
   * The local idle timeout in milliseconds (0: none); half of it goes out as AMQP `open.idle-time-out`.
   * Proton: `Transport.idle_timeout` (in seconds).
   */
  readonly idleTimeout: number;
  /**
   * The most incoming delivery bytes held unread. Proton (newer than 0.37):
   * `Transport.max_buffered_delivery_bytes`.
   */
  readonly maxBufferedBytes: number;
  /**
   * Milliseconds for the headers and SASL exchange to complete (0: no limit). proton-ts only: Proton has
   * no counterpart.
   */
  readonly handshakeTimeout: number;
  /**
   * The most empty frames a second the peer may send (0: no limit). proton-ts only: Proton has no
   * counterpart.
   */
  readonly maxEmptyFrameRate: number;
  /** @internal Incoming delivery bytes held unread, over all sessions. */
  bufferedBytes = 0;
  /**
   * The peer's largest frame, from its AMQP `open.max-frame-size`. Proton: `Transport.remote_max_frame_size`.
   * @default 4294967295
   */
  remoteMaxFrameSize = 0xffffffff;
  /**
   * The peer's highest channel, from its AMQP `open.channel-max`. Proton: `Transport.remote_channel_max`.
   * @default 65535
   */
  remoteChannelMax = 0xffff;
  /**
   * The peer's idle timeout in milliseconds, from its AMQP `open.idle-time-out` (0: none). Proton:
   * `Transport.remote_idle_timeout` (in seconds).
   */
  remoteIdleTimeout = 0;
  /** The error that ended the transport, if one did. Proton: `Transport.condition`. */
  condition: Condition | undefined = undefined;
  /** The bound connection. Proton: `Transport.connection`. */
  connection: Connection | undefined = undefined;
  /**
   * The connection this transport served before it was unbound (its last events still concern it).
   * proton-ts only: Proton has no counterpart.
   */
  unboundFrom: Connection | undefined = undefined;
  /** The SASL layer, when SASL is on. Proton: `Transport.sasl()`. */
  sasl: SaslLayer | undefined = undefined;
  /**
   * Whether the byte stream is encrypted (TLS): SASL PLAIN is refused on a clear one unless allowed.
   * Proton: `Transport.encrypted`.
   */
  encrypted = false;
  /**
   * Where the transport reports what it does not throw (such as a failed SASL exchange). proton-ts's
   * injectable logger (Proton Python: `Transport.log()` and the `proton` logging module).
   * @default no logging
   */
  readonly logger: Logger;
  /**
   * Receives every frame in and out when set; by default set from `PN_TRACE_FRM=1` (Proton: `PN_TRACE_FRM`).
   */
  readonly tracer: FrameTracer | undefined;
  /** Frames read (heartbeats included). Proton: `Transport.frames_input`. */
  framesInput = 0;
  /** Frames written (heartbeats included). Proton: `Transport.frames_output`. */
  framesOutput = 0;
  /** Empty frames (heartbeats) read. proton-ts only: Proton has no counterpart. */
  emptyFramesInput = 0;

  /** @internal The output encoder and its buffer. */
  readonly enc: Encoder;
  /** @internal Sessions by local channel and by the peer's channel. */
  readonly sessionsByChannel = new Map<number, Session>();
  /** @internal Sessions by the peer's channel. */
  readonly sessionsByRemoteChannel = new Map<number, Session>();
  /** @internal No local channel below this one is free. */
  freeChannelHint = 0;
  /** @internal The layer input is in. */
  layer: Layer = 'header';
  /** @internal Which protocol headers went out. */
  saslHeaderSent = false;
  /** @internal Whether the AMQP protocol header went out. */
  amqpHeaderSent = false;
  /** @internal The peer's open arrived. */
  remoteOpened = false;
  /** No more output (our close went out, or the transport failed). Proton C: `pn_transport_head_closed`. */
  headClosed = false;
  /**
   * No more input (the peer's close arrived, the stream ended, or the transport failed). Proton C:
   * `pn_transport_tail_closed`.
   */
  tailClosed = false;
  private closedEmitted = false;

  private tail: Buffer | undefined = undefined;
  private tailFill = 0;
  /** A large frame arriving over several reads, kept as views of them rather than copied together. */
  private parts: Buffer[] | undefined = undefined;
  private partsFill = 0;
  private partsSize = 0;
  /** A large transfer arriving over several reads: its payload's own memory, filled as reads come. */
  private large: Buffer | undefined = undefined;
  private largeFill = 0;
  private largeSize = 0;
  /** ...and its frame header and performative, read again once the payload is whole. */
  private largeHead: Buffer | undefined = undefined;
  private inputCount = 0;
  private outputCount = 0;
  private tickInputCount = -1;
  private tickOutputCount = -1;
  private lastInput = 0;
  private lastOutput = 0;
  /** The first tick's time (the handshake clock starts there), and the empty-frame rate's window. */
  private firstTick = -1;
  private emptyWindowStart = -1;
  private emptyAtWindowStart = 0;

  constructor(options: TransportOptions = {}) {
    this.server = options.server ?? false;
    this.maxFrameSize = Math.max(MIN_MAX_FRAME_SIZE, options.maxFrameSize ?? 1048576);
    this.channelMax = options.channelMax ?? 32767;
    this.idleTimeout = options.idleTimeout ?? 0;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.handshakeTimeout = options.handshakeTimeout ?? 30_000;
    this.maxEmptyFrameRate = options.maxEmptyFrameRate ?? 1000;
    this.logger = options.logger ?? NULL_LOGGER;
    this.tracer = options.tracer ?? frameTracerFromEnv();
    this.enc = new Encoder(new ByteWriter(4096));
  }

  /** Binds a connection: its frames go through this transport. Proton: `Transport.bind(connection)`. */
  bind(connection: Connection): void {
    this.connection = connection;
    connection.transport = this;
    connection.emit(EventType.connectionBound, connection);
    this.wake();
  }

  /**
   * Unbinds the connection. Its open endpoints are reset to go out again on the next transport bound to
   * it (a reconnect), and deliveries that were in flight are set aside in each sender's `inDoubt`.
   * Proton: `Transport.unbind()` (the reset and `inDoubt` are proton-ts's, for reconnect).
   */
  unbind(): void {
    const c = this.connection;
    if (c === undefined) return;
    c.transport = undefined;
    this.connection = undefined;
    this.unboundFrom = c;
    resetForNewTransport(c);
    c.emit(EventType.connectionUnbound, c);
  }

  /**
   * Turns SASL on, with the layer that runs the exchange (see `sasl-layer.ts`). Proton turns it on with
   * `Transport.sasl()`.
   */
  setSasl(layer: SaslLayer): void {
    this.sasl = layer;
  }

  /** Both directions are finished. Proton: `Transport.closed`. */
  get closed(): boolean {
    return this.headClosed && this.tailClosed;
  }

  /** @internal Something changed: let the I/O layer know there may be output (once until it looks). */
  wake(): void {
    if (this.woken) return;
    this.woken = true;
    this.connection?.emit(EventType.transport, this);
    this.onWake?.();
  }
  /**
   * Called (once until output is taken) when there may be output: the I/O layer schedules a flush.
   * proton-ts only (Proton raises the `transport` event, which this engine also queues).
   */
  onWake: (() => void) | undefined = undefined;
  private woken = false;
  /**
   * @internal Set by an I/O layer that can write at once: called when a sender has queued
   * `EARLY_OUTPUT_BYTES` (link.ts) of messages since output was last produced, in the middle of a handler
   * that sends many. Writing then, rather than when the handler returns, lets the peer start on the first
   * messages (and grant credit again) while the rest are being encoded.
   */
  onOutputQueued: (() => void) | undefined = undefined;
  /** @internal Bytes of messages advanced since output was last produced (see {@link onOutputQueued}). */
  queuedSinceOutput = 0;

  // ------------------------------------------------------------------------------------------------
  // Output

  /** Bytes waiting to go out (producing the frames owed first). Proton: `Transport.pending()`. */
  pending(): number {
    this.produce();
    return this.outputBytes;
  }

  /** A written output buffer to reuse (see recycleOutput). */
  private spare: Buffer | undefined = undefined;
  /** The ArrayBuffers of outputs handed out that may be reused once written. */
  private readonly reusable = new WeakSet<ArrayBufferLike>();
  /**
   * @internal Set by a driver that takes output with {@link takeOutputList}: large transfer payloads then
   * go out as views of the messages sent, not copied into the output buffer (one copy less per byte).
   */
  outputByViews = false;
  /** Output ahead of the writer's bytes from `viewFrom` on: slices of the writer and payload views. */
  private views: Uint8Array[] = [];
  private viewBytes = 0;
  private viewFrom = 0;

  /** @internal Bytes of output produced and not yet taken. */
  get outputBytes(): number {
    return this.viewBytes + this.enc.w.pos - this.viewFrom;
  }

  /** @internal Appends `payload` to the output after what is written so far, as a view (no copy). */
  appendView(payload: Uint8Array): void {
    const w = this.enc.w;
    if (w.pos > this.viewFrom) {
      this.views.push(w.buf.subarray(this.viewFrom, w.pos));
      this.viewBytes += w.pos - this.viewFrom;
      this.viewFrom = w.pos;
    }
    this.views.push(payload);
    this.viewBytes += payload.length;
    lentViewOut(payload.buffer);
  }

  /**
   * Everything the transport has to write, as one buffer the caller now owns, or `undefined` when there
   * is nothing: the sans-I/O counterpart of Proton's `Transport.peek` plus `Transport.pop`.
   */
  takeOutput(): Buffer | undefined {
    const list = this.takeOutputList();
    if (list === undefined) return undefined;
    return list.length === 1 ? (list[0] as Buffer) : Buffer.concat(list);
  }

  /**
   * Everything the transport has to write, as buffers to write in order (a writev), or `undefined` when
   * there is nothing. proton-ts only: Proton has no counterpart.
   */
  takeOutputList(): Uint8Array[] | undefined {
    this.produce();
    const w = this.enc.w;
    if (this.outputBytes === 0) return undefined;
    const list = this.views;
    if (w.pos > this.viewFrom) list.push(w.buf.subarray(this.viewFrom, w.pos));
    this.views = [];
    this.viewBytes = 0;
    this.viewFrom = 0;
    this.outputCount++;
    if (w.pos === 0) return list;
    // Only a buffer that is all of its ArrayBuffer may come back: a small one can share Node's pool.
    if (w.buf.byteOffset === 0 && w.buf.length === w.buf.buffer.byteLength && w.buf.length <= RECYCLED_MAX) {
      this.reusable.add(w.buf.buffer);
    }
    w.buf = this.spare ?? Buffer.allocUnsafe(Math.max(4096, Math.min(w.buf.length, RECYCLED_MAX)));
    this.spare = undefined;
    w.pos = 0;
    return list;
  }

  /**
   * The socket is done with a buffer `takeOutput` gave (its write completed): the transport may write
   * the next output into it, so a busy connection swaps two buffers instead of allocating one per turn.
   * Only a buffer `takeOutput` gave, wholly its own ArrayBuffer and at most 4 MiB, is kept. proton-ts
   * only: Proton has no counterpart.
   */
  recycleOutput(out: Uint8Array): void {
    const ab = out.buffer;
    if (!this.reusable.delete(ab)) return lentViewWritten(ab);
    if (this.spare === undefined || this.spare.length < ab.byteLength) this.spare = Buffer.from(ab);
  }

  /** Proton's `peek`: up to `n` bytes of output without taking them. */
  peek(n: number): Buffer {
    this.produce();
    return Buffer.from(this.enc.w.buf.subarray(0, Math.min(n, this.enc.w.pos)));
  }

  /** Proton's `pop`: drops `n` bytes of output. */
  pop(n: number): void {
    const w = this.enc.w;
    const k = Math.min(n, w.pos);
    w.buf.copyWithin(0, k, w.pos);
    w.pos -= k;
    if (k > 0) this.outputCount++;
  }

  /** Writes what is owed: headers, SASL frames, then the frames of the connection's endpoints. */
  private produce(): void {
    this.woken = false;
    this.queuedSinceOutput = 0;
    if (this.headClosed) return;
    try {
      if (!this.server) this.writeClientHeaders();
      if (this.sasl !== undefined && !this.sasl.finished) this.sasl.produce(this);
      if (this.amqpHeaderSent && this.connection !== undefined && this.layer !== 'done') {
        writeOutput(this, this.connection);
      }
    } catch (e) {
      this.failed(e);
    }
    this.checkClosed();
  }

  private writeClientHeaders(): void {
    if (this.sasl !== undefined && !this.saslHeaderSent) {
      this.writeHeader(SASL_HEADER);
      this.saslHeaderSent = true;
    }
    if (!this.amqpHeaderSent && (this.sasl === undefined || this.sasl.succeeded)) {
      this.writeHeader(AMQP_HEADER);
      this.amqpHeaderSent = true;
    }
  }

  /** @internal */
  writeHeader(h: Buffer): void {
    this.enc.w.bytes(h);
    if (this.tracer) traceHeader(this, '->', h);
  }

  /** @internal Called after a frame is written, for counting and tracing. */
  wroteFrame(start: number, type: number): void {
    this.framesOutput++;
    if (this.tracer) traceFrame(this, '->', this.enc.w.buf.subarray(start, this.enc.w.pos), type);
  }

  /** @internal Marks the output finished (after our close). */
  closeHead(): void {
    if (this.headClosed) return;
    this.headClosed = true;
    this.connection?.emit(EventType.transportHeadClosed, this);
  }

  // ------------------------------------------------------------------------------------------------
  // Input

  /**
   * Feeds bytes received from the peer. Never throws: a violation closes the connection instead.
   * Proton: `Transport.push(bytes)`.
   *
   * The transport may keep views of `chunk` (transfer payloads, binary fields) for as long as it needs
   * them, unless `reused` says the memory will hold other bytes once this call returns (a socket reading
   * into one buffer again and again): then what it keeps is copied, a large transfer's bytes straight into
   * the payload's own memory. Reused input may also be bytes read into the place `readTarget()` gave.
   */
  push(chunk: Uint8Array, reused = false): void {
    if (this.tailClosed || chunk.length === 0) return;
    this.inputCount++;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      if (reused && this.large !== undefined && this.isReadTarget(buf)) {
        // The bytes were read into place (see readTarget): they are only counted.
        this.fillLarge(buf, true);
      } else if (reused) {
        const at = this.large === undefined ? 0 : this.fillLarge(buf);
        if (at >= 0) this.consumeReused(buf, at);
      } else {
        this.consume(buf, false);
      }
    } catch (e) {
      this.failed(e);
    }
    this.checkClosed();
  }

  /**
   * @internal Where the next read may go, for a driver whose socket can read into memory it chooses (Node's
   * `onread` with a function): a view of the payload memory of the large transfer arriving, at the first
   * byte still to come and as long as the rest of its payload, when that is at least DIRECT_READ_MIN, so
   * that the kernel writes the bytes where the message will read them (no copy out of a socket buffer);
   * undefined otherwise (read into the driver's own buffer). Bytes read into it are pushed as they are,
   * as `reused` input: {@link push} knows them by their place.
   */
  readTarget(): Buffer | undefined {
    const memory = this.large;
    if (memory === undefined || this.tailClosed || this.largeSize - this.largeFill < DIRECT_READ_MIN) {
      return undefined;
    }
    return memory.subarray(this.largeFill, this.largeSize);
  }

  /** Whether `buf` was read into the place {@link readTarget} gives (the large payload's next bytes). */
  private isReadTarget(buf: Buffer): boolean {
    const memory = this.large!;
    return (
      buf.buffer === memory.buffer &&
      buf.byteOffset === memory.byteOffset + this.largeFill &&
      buf.length <= this.largeSize - this.largeFill
    );
  }

  /** The peer's stream ended (Proton's `close_tail`). */
  closeTail(): void {
    if (this.tailClosed) return;
    this.tailClosed = true;
    const c = this.connection;
    if (
      !this.closed &&
      c !== undefined &&
      c.remoteState !== State.REMOTE_CLOSED &&
      this.condition === undefined
    ) {
      this.condition = new Condition(ErrorCondition.framingError, 'connection aborted');
      c.emit(EventType.transportError, this);
    }
    c?.emit(EventType.transportTailClosed, this);
    // The peer is gone without closing: nothing more can be said to it.
    if (c === undefined || c.remoteState !== State.REMOTE_CLOSED) this.closeHead();
    this.checkClosed();
  }

  /**
   * Reads the frames of a read in reused memory from `buf[at]` on. What the frames hand out must outlive
   * the read, so it is copied; but a large transfer that goes on past the read (the usual end of a read
   * while large messages arrive) is copied once only, straight into its own memory by beginLarge, not first
   * with the rest of the read: only the whole frames before it are copied to be kept.
   */
  private consumeReused(buf: Buffer, at: number): void {
    if (this.tailClosed) return;
    const cut = this.largeFrameAt(buf, at);
    if (cut < 0) return this.consume(Buffer.from(buf.subarray(at)), true);
    if (cut > at) this.consume(Buffer.from(buf.subarray(at, cut)), true);
    if (this.tailClosed) return;
    const rest = buf.subarray(cut);
    // beginLarge declines a frame the whole frames before made uncommon (the layer left, frame tracing
    // turned on): it is then read as any other, from a copy. Its size was checked by largeFrameAt.
    if (!this.beginLarge(rest, 0, rest.readUInt32BE(0))) this.consume(Buffer.from(rest), true);
  }

  /**
   * Where in `buf`, from `at` on, a frame begins that beginLarge may take: on the AMQP layer with no frame
   * begun before, after whole frames only, a frame the read holds part of and that is taken in parts
   * (takenInParts); -1 when there is none (or a frame size is wrong: consume says so).
   */
  private largeFrameAt(buf: Buffer, at: number): number {
    if (this.layer !== 'amqp' || this.tail !== undefined || this.parts !== undefined) return -1;
    let pos = at;
    while (buf.length - pos >= 4) {
      const size = buf.readUInt32BE(pos);
      if (size < FRAME_HEADER_SIZE || size > this.maxFrameSize) return -1;
      const left = buf.length - pos;
      if (left < size) return takenInParts(size, left) ? pos : -1;
      pos += size;
    }
    return -1;
  }

  /** Reads frames from `buf`; `reused` as for {@link push} (`buf` itself is then a copy of the read). */
  private consume(buf: Buffer, reused: boolean): void {
    let pos = 0;
    if (this.large !== undefined) {
      pos = this.fillLarge(buf);
      if (pos < 0) return;
    } else if (this.parts !== undefined) {
      pos = this.fillParts(buf);
      if (pos < 0) return;
    } else if (this.tail !== undefined) {
      pos = this.fillTail(buf);
      if (pos < 0) return;
    }
    while (pos < buf.length && !this.tailClosed) {
      const left = buf.length - pos;
      if (this.layer === 'header' || this.layer === 'amqp-header') {
        if (left < 8) return this.keepTail(buf.subarray(pos), 8);
        this.handleHeader(buf, pos);
        pos += 8;
        continue;
      }
      if (left < 4) return this.keepTail(buf.subarray(pos), FRAME_HEADER_SIZE);
      const size = this.frameSize(buf.readUInt32BE(pos));
      if (left < size) {
        if (takenInParts(size, left)) {
          if (reused && this.beginLarge(buf, pos, size)) return;
          this.parts = [buf.subarray(pos)];
          this.partsFill = left;
          this.partsSize = size;
          return;
        }
        return this.keepTail(buf.subarray(pos), size);
      }
      this.handleFrameAt(buf, pos, size);
      pos += size;
    }
  }

  /** Handles the whole frame at `buf[pos..pos+size)`. */
  private handleFrameAt(buf: Buffer, pos: number, size: number): void {
    const end = pos + size;
    const at = this.fastBodyAt(buf, pos);
    if (at >= 0) {
      const transfer = TRANSFERS.readBody(buf, at, end);
      // A transfer goes without a view of its frame made first (one object less per message).
      if (transfer !== undefined) {
        return this.handleTransfer(transfer, buf.readUInt16BE(pos + 6), buf.subarray(TRANSFERS.end, end));
      }
      const control = readControl(buf, at, end);
      if (control !== undefined) {
        this.framesInput++;
        return dispatchFrame(this, this.connection!, buf.readUInt16BE(pos + 6), control, EMPTY_PAYLOAD);
      }
    }
    this.handleFrame(buf.subarray(pos, end));
  }

  /**
   * Where the body of the frame starting at `buf[pos]` begins, when the fast readers may take it (an AMQP
   * frame with a valid data offset, on the AMQP layer, a connection bound, nothing tracing frames); -1
   * otherwise: {@link handleFrame} then takes, checks and traces the frame.
   */
  private fastBodyAt(buf: Buffer, pos: number): number {
    if (this.layer !== 'amqp' || this.tracer !== undefined || this.connection === undefined) return -1;
    const doff = buf[pos + 4]!;
    if (buf[pos + 5] !== FrameType.amqp || doff < 2) return -1;
    return pos + doff * 4;
  }

  /**
   * The transfer of the frame starting at `buf[pos]`, read by the fast reader (its payload then starts at
   * `TRANSFERS.end`), when that frame is a transfer in a common encoding the fast readers may take (see
   * fastBodyAt); undefined for any other frame (or a frame of which `buf` holds less than the
   * performative, up to `end`).
   */
  private commonTransfer(buf: Buffer, pos: number, end: number): Transfer | undefined {
    const at = this.fastBodyAt(buf, pos);
    return at < 0 ? undefined : TRANSFERS.readBody(buf, at, end);
  }

  /**
   * Hands a transfer read by {@link commonTransfer} to the engine; `memory`, when given, is the payload's
   * own (see beginLarge).
   */
  private handleTransfer(
    transfer: Transfer,
    channel: number,
    payload: Buffer | readonly Uint8Array[],
    memory?: Buffer,
  ): void {
    this.framesInput++;
    dispatchFrame(this, this.connection!, channel, transfer, payload, memory);
  }

  private frameSize(size: number): number {
    if (size < FRAME_HEADER_SIZE) {
      throw new ProtocolError(ErrorCondition.framingError, `frame size ${size} is below the frame header`);
    }
    if (size > this.maxFrameSize) {
      throw new ProtocolError(
        ErrorCondition.framingError,
        `frame of ${size} bytes exceeds the max-frame-size of ${this.maxFrameSize}`,
      );
    }
    return size;
  }

  /**
   * Keeps the start of a frame (or header) for the next chunk. Once the size is known, the tail is a
   * buffer of exactly that size: never a buffer a view handed out may still point into.
   */
  private keepTail(part: Buffer, need: number): void {
    this.tail = Buffer.allocUnsafe(Math.max(need, part.length));
    part.copy(this.tail, 0);
    this.tailFill = part.length;
  }

  /** Adds a chunk to the kept tail; returns where in `buf` reading goes on, or -1 when all was taken. */
  private fillTail(buf: Buffer): number {
    let tail = this.tail!;
    let used = 0;
    // A frame's size is known once 4 bytes are in: widen the tail to the whole frame.
    if (this.tailFill < 4 && !this.layer.endsWith('header')) {
      const k = Math.min(4 - this.tailFill, buf.length);
      buf.copy(tail, this.tailFill, 0, k);
      this.tailFill += k;
      used = k;
      if (this.tailFill < 4) return -1;
      const size = this.frameSize(tail.readUInt32BE(0));
      const whole = Buffer.allocUnsafe(size);
      tail.copy(whole, 0, 0, 4);
      this.tail = whole;
      tail = whole;
    }
    const k = Math.min(tail.length - this.tailFill, buf.length - used);
    buf.copy(tail, this.tailFill, used, used + k);
    this.tailFill += k;
    used += k;
    if (this.tailFill < tail.length) return -1;
    this.tail = undefined;
    this.tailFill = 0;
    if (this.layer === 'header' || this.layer === 'amqp-header') this.handleHeader(tail, 0);
    else this.handleFrameAt(tail, 0, tail.length);
    return used;
  }

  /**
   * Begins a large transfer frame that starts at `buf[pos]` and goes on past this read, when its
   * performative is in a common encoding (else false: the frame is kept in parts), for input in reused
   * memory (see {@link push}). Its payload is copied into memory of its own straight from each read,
   * rather than each read copied whole to be kept, and the message's bytes are one piece (see
   * LARGE_TAIL_ROOM), which reading the message then need not put together again. (Input in memory of
   * its own keeps views of the reads, and the message is copied once, when it is read.)
   */
  private beginLarge(buf: Buffer, pos: number, size: number): boolean {
    const transfer = this.commonTransfer(buf, pos, buf.length);
    if (transfer === undefined) return false;
    const payloadAt = TRANSFERS.end;
    this.largeHead = Buffer.from(buf.subarray(pos, payloadAt));
    this.largeSize = size - (payloadAt - pos);
    this.large = messageMemory(this.largeSize + (transfer.more ? LARGE_TAIL_ROOM : 0));
    this.largeFill = buf.copy(this.large, 0, payloadAt);
    return true;
  }

  /**
   * Adds a read to a large transfer (see beginLarge), already in place when `inPlace` (see readTarget);
   * returns where in `buf` reading goes on, or -1.
   */
  private fillLarge(buf: Buffer, inPlace = false): number {
    const memory = this.large!;
    const k = Math.min(this.largeSize - this.largeFill, buf.length);
    if (!inPlace) buf.copy(memory, this.largeFill, 0, k);
    this.largeFill += k;
    if (this.largeFill < this.largeSize) return -1;
    const head = this.largeHead!;
    this.large = this.largeHead = undefined;
    const payload = memory.subarray(0, this.largeSize);
    // The same bytes as at the start: a common transfer, unless frame tracing was turned on meanwhile.
    const transfer = this.commonTransfer(head, 0, head.length);
    if (transfer === undefined) this.handleFrame(Buffer.concat([head, payload]));
    else this.handleTransfer(transfer, head.readUInt16BE(6), payload, memory);
    return k;
  }

  /** Adds a read to a large frame kept in parts; returns where in `buf` reading goes on, or -1. */
  private fillParts(buf: Buffer): number {
    const k = Math.min(this.partsSize - this.partsFill, buf.length);
    this.parts!.push(buf.subarray(0, k));
    this.partsFill += k;
    if (this.partsFill < this.partsSize) return -1;
    const parts = this.parts!;
    this.parts = undefined;
    this.handleFrameParts(parts, this.partsSize);
    return k;
  }

  /**
   * A large frame that came in several reads. A transfer whose performative is in the first read is
   * handled with its payload as views of the reads, so that its bytes are copied once, when the message
   * is read, rather than twice; anything else is put together and handled as usual.
   */
  private handleFrameParts(parts: Buffer[], size: number): void {
    const head = parts[0]!;
    const transfer = this.commonTransfer(head, 0, head.length);
    if (transfer !== undefined) {
      parts[0] = head.subarray(TRANSFERS.end);
      return this.handleTransfer(transfer, head.readUInt16BE(6), parts);
    }
    this.handleFrame(Buffer.concat(parts, size));
  }

  private handleHeader(b: Buffer, at: number): void {
    const h = readHeader(b, at);
    if (this.tracer) traceHeader(this, '<-', b.subarray(at, at + 8));
    const ok = h.valid && h.version === '1.0.0';
    if (ok && this.layer === 'header' && h.protocolId === ProtocolId.sasl && this.sasl !== undefined) {
      if (this.server && !this.saslHeaderSent) {
        this.writeHeader(SASL_HEADER);
        this.saslHeaderSent = true;
      }
      this.layer = 'sasl';
      return;
    }
    const saslDone =
      this.sasl === undefined || this.sasl.succeeded || (this.layer === 'header' && this.sasl.optional);
    if (ok && h.protocolId === ProtocolId.amqp && saslDone) {
      if (this.sasl !== undefined && !this.sasl.succeeded) this.sasl.skip();
      if (this.server && !this.amqpHeaderSent) {
        this.writeHeader(AMQP_HEADER);
        this.amqpHeaderSent = true;
      }
      this.layer = 'amqp';
      this.wake();
      return;
    }
    // A header we do not speak: a server answers with the one it expects, as the spec asks, and closes.
    const wantSasl = this.sasl !== undefined && !this.sasl.succeeded;
    if (this.server && !this.saslHeaderSent && !this.amqpHeaderSent) {
      this.writeHeader(wantSasl ? SASL_HEADER : AMQP_HEADER);
      if (wantSasl) this.saslHeaderSent = true;
      else this.amqpHeaderSent = true;
    }
    let why: string;
    if (!h.valid) why = 'the peer sent no AMQP protocol header';
    else if (h.protocolId === ProtocolId.tls)
      why = 'the peer asked for TLS, which this connection does not speak';
    else if (h.version !== '1.0.0') why = `unsupported AMQP version ${h.version}`;
    else why = `expected the ${wantSasl ? 'SASL' : 'AMQP'} protocol header`;
    throw new ProtocolError(ErrorCondition.framingError, why);
  }

  private handleFrame(frame: Buffer): void {
    this.framesInput++;
    const doff = frame[4]!;
    const type = frame[5]!;
    const channel = frame.readUInt16BE(6);
    if (doff < 2) throw new ProtocolError(ErrorCondition.framingError, `data offset ${doff} is below 2`);
    const bodyStart = doff * 4;
    if (bodyStart > frame.length) {
      throw new ProtocolError(ErrorCondition.framingError, `data offset ${doff} runs past the frame`);
    }
    if (this.tracer) traceFrame(this, '<-', frame, type);
    if (bodyStart === frame.length) {
      this.emptyFramesInput++; // an empty frame: a heartbeat
      return;
    }
    // Transfers, flows and dispositions in their common encodings were taken by the fast readers before this
    // (but when traced, see fastBodyAt).
    const d = new Decoder(frame, {}, bodyStart);
    const body = readValue(d);
    const payload = frame.subarray(d.pos);
    if (this.layer === 'sasl') {
      if (type !== FrameType.sasl)
        throw new ProtocolError(ErrorCondition.framingError, 'expected a SASL frame');
      this.sasl!.handle(this, body);
      if (this.sasl!.succeeded && this.layer === 'sasl') this.layer = 'amqp-header';
      return;
    }
    if (type !== FrameType.amqp)
      throw new ProtocolError(ErrorCondition.framingError, `unexpected frame type ${type}`);
    if (this.connection === undefined)
      throw new ProtocolError(ErrorCondition.internalError, 'no connection bound');
    dispatchFrame(this, this.connection, channel, body, payload);
  }

  // ------------------------------------------------------------------------------------------------
  // Failure and closing

  /**
   * Closes the connection for an error found here: the condition goes to the peer (in the AMQP close)
   * and to the events. proton-ts only; the condition is then `condition`, as Proton's `Transport.condition`.
   */
  fail(condition: string, description: string): void {
    if (this.condition !== undefined && this.tailClosed) return;
    this.condition = new Condition(condition, description);
    this.logger.error(`connection failed: ${condition}: ${description}`);
    this.tailClosed = true;
    this.tail = undefined;
    this.parts = undefined;
    const c = this.connection;
    c?.emit(EventType.transportError, this);
    // A client whose SASL succeeded in this very input has not written its AMQP header yet: it must
    // go first, for the close to be read.
    if (!this.server && this.sasl?.succeeded && !this.amqpHeaderSent && !this.headClosed) {
      this.writeHeader(AMQP_HEADER);
      this.amqpHeaderSent = true;
    }
    if (!this.headClosed && c !== undefined && this.amqpHeaderSent && this.layer !== 'sasl') {
      try {
        writeOutput(this, c, this.condition);
      } catch (e) {
        this.logger.error(`could not write the close: ${String(e)}`);
      }
    }
    this.closeHead();
    c?.emit(EventType.transportTailClosed, this);
    this.checkClosed();
  }

  private failed(e: unknown): void {
    if (e instanceof ProtocolError) this.fail(e.condition, e.message);
    else if (e instanceof DecodeError) this.fail(ErrorCondition.decodeError, e.message);
    else this.fail(ErrorCondition.internalError, e instanceof Error ? e.message : String(e));
  }

  /** @internal The peer's close arrived: no more input is expected. */
  remoteClosed(): void {
    this.tailClosed = true;
    this.connection?.emit(EventType.transportTailClosed, this);
  }

  private checkClosed(): void {
    if (this.closedEmitted || !this.headClosed || !this.tailClosed) return;
    this.closedEmitted = true;
    this.connection?.emit(EventType.transportClosed, this);
  }

  // ------------------------------------------------------------------------------------------------
  // Time

  /**
   * Drives the idle timeout with the current time in milliseconds: closes the connection when the peer
   * has been silent longer than our timeout, and sends an empty frame when we have been silent for half
   * of the peer's. Returns the time of the next deadline, or 0 when there is none. Proton:
   * `Transport.tick(now)` (in seconds there).
   */
  tick(now: number): number {
    if (this.inputCount !== this.tickInputCount) {
      this.tickInputCount = this.inputCount;
      this.lastInput = now;
    }
    if (this.outputCount !== this.tickOutputCount) {
      this.tickOutputCount = this.outputCount;
      this.lastOutput = now;
    }
    if (this.headClosed && this.tailClosed) return 0;
    let deadline = 0;
    if (!this.tailClosed && !this.checkHandshake(now)) return 0;
    if (!this.tailClosed && !this.checkEmptyFrames(now)) return 0;
    if (this.handshakeTimeout > 0 && this.layer !== 'amqp' && this.layer !== 'done') {
      deadline = this.firstTick + this.handshakeTimeout;
    }
    if (this.idleTimeout > 0 && !this.tailClosed) {
      if (now - this.lastInput >= this.idleTimeout) {
        this.failInTick(ErrorCondition.resourceLimitExceeded, 'local-idle-timeout expired');
        return 0;
      }
      const idle = this.lastInput + this.idleTimeout;
      deadline = deadline === 0 ? idle : Math.min(deadline, idle);
    }
    if (this.remoteIdleTimeout > 0 && this.remoteOpened && !this.headClosed) {
      const half = this.remoteIdleTimeout / 2;
      if (now - this.lastOutput >= half) {
        if (this.outputBytes === 0) {
          this.enc.w.bytes(EMPTY_FRAME);
          this.framesOutput++;
          if (this.tracer) traceFrame(this, '->', EMPTY_FRAME, FrameType.amqp);
          // Its own taking must not count as later output, or it would put the next heartbeat off.
          this.tickOutputCount = this.outputCount + 1;
          this.wake();
        }
        this.lastOutput = now;
      }
      const next = this.lastOutput + half;
      deadline = deadline === 0 ? next : Math.min(deadline, next);
    }
    return deadline;
  }

  /** Fails the transport when the headers and SASL exchange outlast the handshake timeout. */
  private checkHandshake(now: number): boolean {
    if (this.firstTick < 0) this.firstTick = now;
    if (this.handshakeTimeout <= 0 || this.layer === 'amqp' || this.layer === 'done') return true;
    if (now - this.firstTick < this.handshakeTimeout) return true;
    const stage = this.layer === 'sasl' ? 'the SASL exchange' : 'the protocol header exchange';
    this.failInTick(
      ErrorCondition.resourceLimitExceeded,
      `${stage} did not complete in ${this.handshakeTimeout} ms`,
    );
    return false;
  }

  /**
   * Fails the transport when the peer sent more empty frames than the rate allows since the window
   * began (a window of at least a second: ticks come when they come).
   */
  private checkEmptyFrames(now: number): boolean {
    if (this.maxEmptyFrameRate <= 0) return true;
    if (this.emptyWindowStart < 0) {
      this.emptyWindowStart = now;
      this.emptyAtWindowStart = this.emptyFramesInput;
      return true;
    }
    const elapsed = now - this.emptyWindowStart;
    const count = this.emptyFramesInput - this.emptyAtWindowStart;
    if (count > this.maxEmptyFrameRate * Math.max(1, elapsed / 1000)) {
      this.failInTick(
        ErrorCondition.resourceLimitExceeded,
        `${count} empty frames in ${elapsed} ms: more than ${this.maxEmptyFrameRate} a second`,
      );
      return false;
    }
    if (elapsed >= 1000) {
      this.emptyWindowStart = now;
      this.emptyAtWindowStart = this.emptyFramesInput;
    }
    return true;
  }

  /**
   * A failure found by the clock, not by input: the I/O layer is told, as no read is coming to make it
   * look (it writes the close, if any, and ends the socket).
   */
  private failInTick(condition: string, description: string): void {
    this.fail(condition, description);
    this.onWake?.();
  }
}
