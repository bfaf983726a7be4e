/**
 * A TCP proxy for fault injection, between a client and a broker on 127.0.0.1: every connection
 * accepted is relayed to the target, and the faults act on the relayed bytes or on the sockets.
 *
 * - `delayMs`: each chunk is forwarded that much later (order kept);
 * - `fragment`: each chunk is forwarded one byte per write (each its own TCP segment, noDelay);
 * - `stall()`: nothing more is forwarded either way, the sockets stay open (a frozen peer), until
 *   `resume()`; new connections are relayed normally;
 * - `truncateAfter(n)`: each live connection forwards `n` more bytes towards the target, then both
 *   sockets are destroyed (a frame cut in the middle);
 * - `resetAll()`: both sockets of every live connection are reset (TCP RST, not a clean FIN).
 *
 * Written for these tests; the timers it makes are all cleared by `close()`.
 */
import { once } from 'node:events';
import net from 'node:net';

const HOST = '127.0.0.1';

interface Pipe {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  /** Bytes still allowed towards the target before the connection is cut (truncate), or undefined. */
  budget: number | undefined;
  /** Bytes held while stalled: [direction, chunk]. */
  readonly held: Array<[net.Socket, Buffer]>;
  stalled: boolean;
}

export class FaultProxy {
  private server: net.Server | undefined;
  private readonly pipes = new Set<Pipe>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Connections accepted so far. */
  accepted = 0;
  /** Resets injected so far (connections reset). */
  resets = 0;
  port = 0;
  delayMs = 0;
  fragment = false;

  constructor(readonly targetPort: number) {}

  async listen(): Promise<number> {
    const server = net.createServer({ noDelay: true }, (c) => this.relay(c));
    this.server = server;
    server.listen(0, HOST);
    await once(server, 'listening');
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** The relayed connections open now. */
  get connections(): number {
    return this.pipes.size;
  }

  private relay(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect({ host: HOST, port: this.targetPort, noDelay: true });
    const pipe: Pipe = { client, upstream, budget: undefined, held: [], stalled: false };
    this.pipes.add(pipe);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      this.pipes.delete(pipe);
    };
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', kill);
    }
    client.on('data', (b: Buffer) => this.forward(pipe, upstream, b, true));
    upstream.on('data', (b: Buffer) => this.forward(pipe, client, b, false));
  }

  private forward(pipe: Pipe, to: net.Socket, chunk: Buffer, towardsTarget: boolean): void {
    if (pipe.stalled) {
      pipe.held.push([to, chunk]);
      return;
    }
    if (towardsTarget && pipe.budget !== undefined) {
      if (chunk.length >= pipe.budget) {
        const part = chunk.subarray(0, pipe.budget);
        pipe.budget = 0;
        // The cut: what fits goes out, then both sides lose the connection.
        to.write(part, () => {
          pipe.client.destroy();
          pipe.upstream.destroy();
        });
        return;
      }
      pipe.budget -= chunk.length;
    }
    const send = () => {
      if (to.destroyed) return;
      if (!this.fragment) {
        to.write(chunk);
        return;
      }
      for (let i = 0; i < chunk.length; i++) to.write(chunk.subarray(i, i + 1));
    };
    if (this.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, this.delayMs);
    this.timers.add(timer);
  }

  /** Stops forwarding on every live connection (a frozen peer); the sockets stay open. */
  stall(): void {
    for (const p of this.pipes) p.stalled = true;
  }

  /** Forwards again what the stalled connections held, and what comes next. */
  resume(): void {
    for (const p of this.pipes) {
      p.stalled = false;
      for (const [to, chunk] of p.held.splice(0)) if (!to.destroyed) to.write(chunk);
    }
  }

  /** Every live connection forwards `n` more bytes towards the target, then is cut. */
  truncateAfter(n: number): void {
    for (const p of this.pipes) p.budget = n;
  }

  /** Resets (TCP RST) both sockets of every live connection; returns how many connections. */
  resetAll(): number {
    const n = this.pipes.size;
    for (const p of [...this.pipes]) {
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
      this.pipes.delete(p);
    }
    this.resets += n;
    return n;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const p of [...this.pipes]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pipes.clear();
    const s = this.server;
    this.server = undefined;
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  }
}
