/**
 * The socket driver: one engine `Transport` bound to one `net` or `tls` socket. Reads go straight to
 * the transport; output is written once per turn of the event loop, all frames produced in that turn
 * together; a full socket (write() says wait) stops taking output until it drains, so the engine keeps
 * undelivered messages (and senders see their credit used) rather than Node buffering without bound;
 * one timer follows the transport's `tick` deadline.
 */
import type net from 'node:net';
import type { Transport } from '../engine/transport.js';

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

  constructor(
    readonly transport: Transport,
    private readonly hooks: DriverHooks,
  ) {
    transport.onWake = () => hooks.schedule();
  }

  /** Binds a socket: connected already (an accepted one), or connecting (`connected` false). */
  attach(socket: net.Socket, connected: boolean): void {
    this.socket = socket;
    this.connected = connected;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.transport.push(chunk);
      this.hooks.schedule();
    });
    socket.on('end', () => {
      this.transport.closeTail();
      this.hooks.schedule();
    });
    socket.on('drain', () => {
      this.writable = true;
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
    if (this.connected && this.writable && !s.destroyed) {
      const out = this.transport.takeOutput();
      // Once written, the buffer holds a later turn's output (one closure per turn, not per frame).
      if (out !== undefined) this.writable = s.write(out, () => this.transport.recycleOutput(out));
      // Our close went out and the peer's came (or the stream failed): nothing more either way.
      if (this.transport.closed && this.transport.enc.w.pos === 0 && !this.ended) {
        this.ended = true;
        // Nothing more is read once the transport is closed: the socket goes as soon as our last bytes
        // are flushed, rather than waiting for the peer's FIN, which a frozen peer (a stopped process,
        // a dead host) never sends; the connection would then never count as lost, nor reconnect.
        s.end(() => s.destroy());
      }
    }
    this.rearm(this.transport.tick(now));
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
