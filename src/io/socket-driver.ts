/**
 * The socket driver: one engine `Transport` bound to one `net` or `tls` socket. Reads go straight to
 * the transport; output is written once per turn of the event loop, all frames produced in that turn
 * together; a full socket (write() says wait) stops taking output until it drains, so the engine keeps
 * undelivered messages (and senders see their credit used) rather than Node buffering without bound;
 * one timer follows the transport's `tick` deadline. The bytes waiting for the peer to read are bounded
 * (`maxWriteBuffer`): past it the peer is taken not to read, and the connection is failed with
 * `amqp:resource-limit-exceeded` and its socket destroyed.
 */
import type net from 'node:net';
import { ErrorCondition } from '../engine/condition.js';
import { Sender } from '../engine/link.js';
import { OUTPUT_PER_TURN } from '../engine/output.js';
import type { Transport } from '../engine/transport.js';

/** The default bound on bytes written to a socket and not yet flushed: 64 MiB. */
export const DEFAULT_MAX_WRITE_BUFFER = 64 * 1024 * 1024;

/** Options of a socket driver. */
export interface SocketDriverOptions {
  /**
   * The most bytes waiting for the peer to read: written to the socket and not yet flushed, and, while
   * the socket is full, messages sent on the peer's credit and not yet written. Past it, with the socket
   * full and not drained for {@link NOT_READING_AFTER_MS}, the connection fails with
   * `amqp:resource-limit-exceeded` (the peer is not reading) and the socket is destroyed.
   * @default 67108864 (64 MiB)
   */
  maxWriteBuffer?: number;
}

/**
 * The memory the plain sockets of the process read into (Node's `onread`: the sockets the container
 * connects, and those a plain acceptor accepts, re-made to read so, see io/accepted-reads.ts), but for
 * the rest of a large transfer's payload, read straight into the message (Transport.readTarget). Each
 * read is taken by its transport before the callback returns, copying what it keeps
 * (`Transport.push(bytes, true)`), so one buffer serves every socket, where Node would allocate 64 KiB
 * for each read and pass it through a stream: a client receiving 1,000 messages of 1 MiB spent 11–18 %
 * less CPU (1.20–1.37 → 0.98–1.18 s, start-up included, three alternating pairs). It is 64 KiB, Node's
 * own read size, not more: reads of 256 KiB took so many transfers between two turns (and so between
 * two grants of credit) that RabbitMQ 3.10, which sends beyond the credit, passed MAX_CREDIT_OVERRUN
 * within one read.
 */
const READ_BUFFER_SIZE = 64 * 1024;
let readBuffer: Buffer | undefined;

/** Milliseconds between two counts of the bytes owed to a peer while its socket is full. */
const OWED_CHECK_INTERVAL = 100;

/**
 * How long the socket must have stayed full (no drain at all) before owing the peer more than the bound
 * counts as the peer not reading. A slow but honest reader, granting credit for more than the bound, still
 * drains the socket now and then; one that never reads never does.
 */
export const NOT_READING_AFTER_MS = 10_000;

/**
 * Bytes the socket may hold unflushed and still be given the next turn's output (see flush): two turns'
 * worth (OUTPUT_PER_TURN), so the kernel is never without bytes to send while the next turn is made.
 */
const OUTPUT_AHEAD = 2 * OUTPUT_PER_TURN;

/**
 * The bytes of messages sent and not yet written that the peer's credit lets go out (those beyond the
 * credit wait for the peer's flow control, not for its reading), with any delivery already begun; the
 * count stops once past `limit`.
 */
function owedToPeer(t: Transport, limit: number): number {
  let owed = 0;
  for (const session of t.connection?.sessions ?? []) {
    for (const link of session.links) {
      if (!(link instanceof Sender)) continue;
      let credit = link.linkCredit;
      for (const d of link.unsent) {
        if (!d.started && credit-- <= 0) break;
        owed += d.size;
        if (owed > limit) return owed;
      }
    }
  }
  return owed;
}

/** What the driver tells its owner (the container). */
export interface DriverHooks {
  /** There may be events to dispatch and output to write: run a turn soon. */
  schedule(): void;
  /** The socket has closed: the driver is finished. */
  closed(driver: SocketDriver, error: Error | undefined): void;
}

export class SocketDriver {
  /** The socket, once attached. */
  socket: net.Socket | undefined = undefined;
  /** The last socket error, if any. */
  error: Error | undefined = undefined;
  private writable = true;
  private connected = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerAt = 0;
  private ended = false;
  private finished = false;
  /** The most bytes written and not yet flushed (see {@link SocketDriverOptions}). */
  readonly maxWriteBuffer: number;
  private checkedAt = 0;
  /**
   * When the peer last took bytes (a write flushed, the socket drained), or the socket last went full:
   * what the not-reading bound measures from.
   */
  private progressAt = 0;

  constructor(
    readonly transport: Transport,
    private readonly hooks: DriverHooks,
    options: SocketDriverOptions = {},
  ) {
    transport.onWake = () => hooks.schedule();
    // Output is taken as a list and written corked: large payloads need not be copied into it.
    transport.outputByViews = true;
    // A handler sending many messages has them written as it goes, not all when it returns.
    transport.onOutputQueued = () => this.flush(Date.now());
    this.maxWriteBuffer = options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER;
  }

  /**
   * The `onread` option for a plain socket of this driver (one the container connects, or one a plain
   * acceptor accepted and re-made, see io/accepted-reads.ts): it reads into the process's shared buffer
   * (READ_BUFFER_SIZE) or straight into a large transfer's memory, and the driver is then attached with
   * `sharedReads`.
   */
  readOptions(): net.OnReadOpts {
    readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE);
    const shared = readBuffer;
    return {
      // Node asks before each read where it should go: the rest of a large transfer's payload is read
      // straight into the message's memory (Transport.readTarget), anything else into the shared buffer.
      buffer: () => this.transport.readTarget() ?? shared,
      callback: (n: number, buf: Uint8Array) => {
        this.transport.push(buf.subarray(0, n), true);
        this.hooks.schedule();
        return true;
      },
    };
  }

  /**
   * Binds a socket: connected already (an accepted one), or connecting (`connected` false);
   * `sharedReads` when it was made with {@link readOptions} (its reads come there, not as `'data'`).
   */
  attach(socket: net.Socket, connected: boolean, sharedReads = false): void {
    this.socket = socket;
    this.connected = connected;
    socket.setNoDelay(true);
    if (!sharedReads) {
      socket.on('data', (chunk: Buffer) => {
        this.transport.push(chunk);
        this.hooks.schedule();
      });
    }
    socket.on('end', () => {
      this.transport.closeTail();
      this.hooks.schedule();
    });
    socket.on('drain', () => {
      this.writable = true;
      this.progressAt = Date.now();
      this.hooks.schedule();
    });
    socket.on('error', (e: Error) => {
      this.error = e;
    });
    socket.on('close', () => this.onClose());
    if (!connected) {
      const ready = 'encrypted' in socket ? 'secureConnect' : 'connect';
      socket.once(ready, () => {
        this.connected = true;
        this.hooks.schedule();
      });
    }
  }

  /** Writes what the transport has produced (once per turn), and keeps the tick timer on its deadline. */
  flush(now: number): void {
    const s = this.socket;
    if (s === undefined || this.finished) return;
    // Output is taken while the socket is below its high-water mark, or holds less than OUTPUT_AHEAD: so the
    // next turn's bytes are queued before the kernel runs dry (a write's completion runs the next turn).
    if (this.connected && (this.writable || s.writableLength < OUTPUT_AHEAD) && !s.destroyed) {
      const list = this.transport.takeOutputList();
      // Once written, the buffer holds a later turn's output (one closure per turn, not per frame).
      if (list !== undefined) {
        this.writable = this.write(s, list);
        // No check of the bound here: one turn's output is bounded by the engine (OUTPUT_PER_TURN) but for
        // a single large frame, which is a large message, not a peer that does not read.
        if (!this.writable && s.writableLength >= OUTPUT_AHEAD) this.progressAt = now;
      }
      // Our close went out and the peer's came (or the stream failed): nothing more either way.
      if (this.transport.closed && this.transport.outputBytes === 0 && !this.ended) {
        this.ended = true;
        // Nothing more is read once the transport is closed: the socket goes as soon as our last bytes
        // are flushed, rather than waiting for the peer's FIN, which a frozen peer (a stopped process,
        // a dead host) never sends; the connection would then never count as lost, nor reconnect.
        s.end(() => s.destroy());
      }
    } else if (this.connected && !s.destroyed && now - this.checkedAt >= OWED_CHECK_INTERVAL) {
      // While the socket is full no output is taken, and what the application sends on the credit the
      // peer grants waits in the engine instead: a peer that grants credit and never reads would make
      // that grow without end, so it counts too (looked at a few times a second: it walks the links), once
      // the socket has not drained for a while: a slow reader granting much credit is no hostile one.
      this.checkedAt = now;
      const written = s.writableLength + this.transport.outputBytes;
      const owed = written + owedToPeer(this.transport, this.maxWriteBuffer - written);
      if (owed > this.maxWriteBuffer && now - this.progressAt >= NOT_READING_AFTER_MS)
        return this.notReading(owed);
    }
    this.rearm(this.transport.tick(now));
  }

  /**
   * Writes a turn's output: one buffer, or several (large payloads as views of the messages) corked
   * into one writev. Returns whether the socket takes more.
   */
  private write(s: net.Socket, list: Uint8Array[]): boolean {
    const t = this.transport;
    if (list.length === 1) {
      const out = list[0]!;
      return s.write(out, () => {
        t.recycleOutput(out);
        this.written();
      });
    }
    s.cork();
    for (let i = 0; i < list.length - 1; i++) s.write(list[i]!);
    const ok = s.write(list[list.length - 1]!, () => {
      for (const b of list) t.recycleOutput(b);
      this.written();
    });
    s.uncork();
    return ok;
  }

  /** A write was flushed to the kernel: the peer is taking bytes; with the socket full, more may go now. */
  private written(): void {
    if (this.writable) return;
    this.progressAt = Date.now();
    if (this.socket !== undefined && this.socket.writableLength < OUTPUT_AHEAD) this.hooks.schedule();
  }

  /**
   * The peer does not take what we write: the connection fails with the condition the application sees,
   * and the socket is destroyed, its buffered bytes with it (a close frame would queue behind them, never
   * to be read). Pausing reads instead could deadlock two honest peers each writing to the other.
   */
  private notReading(buffered: number): void {
    this.transport.fail(
      ErrorCondition.resourceLimitExceeded,
      `the peer is not reading: ${buffered} bytes for it are not yet flushed, more than the ` +
        `max-write-buffer of ${this.maxWriteBuffer}`,
    );
    this.ended = true;
    this.destroy();
    this.rearm(0);
    this.hooks.schedule();
  }

  private rearm(deadline: number): void {
    if (deadline === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = deadline;
    if (deadline > 0) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.timerAt = 0;
          this.hooks.schedule();
        },
        Math.max(0, deadline - Date.now()),
      );
    }
  }

  /** Closes the socket at once (the transport is abandoned). */
  destroy(error?: Error): void {
    if (error !== undefined) this.error = error;
    this.socket?.destroy();
    if (this.socket === undefined) this.onClose();
  }

  private onClose(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.transport.onWake = undefined;
    if (!this.transport.tailClosed) this.transport.closeTail();
    this.hooks.closed(this, this.error);
  }

  /** The socket has closed and the driver is done. */
  get done(): boolean {
    return this.finished;
  }
}
