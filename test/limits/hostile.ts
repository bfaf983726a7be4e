/**
 * The hostile side of the limit tests: a listening Container whose handler records every transport
 * error, a raw socket peer that writes what it likes and collects what the server answers, byte
 * builders for frames, and the heap measured after full collections.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { encodeComposite, Open } from '../../src/codec/index.js';
import type { ListenOptions } from '../../src/container/acceptor.js';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import { decodeOutput, type OutUnit } from '../fuzz/engine-check.js';
import { settledHeap } from '../fuzz/harness.js';
import { HOST, within } from '../support/container-harness.js';
import { rawFrame } from '../support/frames.js';

export { settledHeap };

export const AMQP_HEADER = Buffer.from('414d515000010000', 'hex');
export const SASL_HEADER = Buffer.from('414d515003010000', 'hex');

/** A frame: 8-byte header, body (a composite or raw bytes), payload. */
export function frame(
  body: object | Buffer,
  channel = 0,
  type = 0,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const b = Buffer.isBuffer(body) ? body : encodeComposite(body);
  return rawFrame({ channel, type, body: Buffer.concat([b, payload]) });
}

export const OPEN = frame(Object.assign(new Open(), { containerId: 'hostile' }));

/** A handler that records the condition of every transport error (and otherwise does the defaults). */
export class Watcher extends MessagingHandler {
  readonly errors: { name: string; description: string | undefined }[] = [];
  override onTransportError(event: Event): void {
    const c = event.transport?.condition;
    if (c !== undefined) this.errors.push({ name: c.name, description: c.description });
    super.onTransportError(event);
  }
}

export interface Server {
  port: number;
  watcher: Watcher;
  stop(): Promise<void>;
}

/** A Container listening on 127.0.0.1 (a free port) with `handler` (a {@link Watcher} by default). */
export async function startServer(options: ListenOptions = {}, watcher = new Watcher()): Promise<Server> {
  const container = new Container(watcher, { containerId: 'server' });
  const acceptor = await container.listen(`${HOST}:0`, { sasl: false, ...options });
  const done = container.run();
  return {
    port: acceptor.port,
    watcher,
    stop: async () => {
      container.stop();
      await within(
        5000,
        'the server container stops',
        done.catch(() => {}),
      );
    },
  };
}

/** A raw socket to the server: writes anything, keeps everything the server sends. */
export class RawPeer {
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (b) => this.received.push(b));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = net.connect(port, HOST);
    await within(5000, 'the raw peer connects', new Promise((r) => socket.once('connect', r)));
    return new RawPeer(socket);
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** What the server sent, as headers and decoded frames. */
  units(): OutUnit[] {
    return decodeOutput(Buffer.concat(this.received));
  }

  /** Waits for the server to end the connection. */
  async serverClosed(ms = 20_000): Promise<void> {
    await within(ms, 'the server closes the connection', this.closed);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The last frame the server sent is a close with `condition`; it recorded that condition too. */
export function assertClosedWith(peer: RawPeer, server: Server, condition: string): string {
  const units = peer.units();
  const last = units[units.length - 1]?.body as
    | { constructor: { name: string }; error?: { condition: string; description?: string } }
    | undefined;
  assert.equal(last?.constructor.name, 'Close', `the server's last frame is ${last?.constructor.name}`);
  assert.equal(last?.error?.condition, condition, last?.error?.description);
  assert.ok(
    server.watcher.errors.some((e) => e.name === condition),
    `the server's transport error: ${JSON.stringify(server.watcher.errors)}`,
  );
  return last?.error?.description ?? '';
}

/** The server still serves: a new client's header and open are answered with a header and an open. */
export async function assertServes(server: Server): Promise<void> {
  const peer = await RawPeer.connect(server.port);
  try {
    peer.write(Buffer.concat([AMQP_HEADER, OPEN]));
    const answered = async () => {
      for (;;) {
        if (peer.units().some((u) => (u.body as object | undefined)?.constructor.name === 'Open')) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await within(5000, 'the server answers a plain open', answered());
  } finally {
    peer.destroy();
    await peer.closed;
  }
}

/** A uint as 8 hex digits. */
export function u32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The heap after full collections may be at most this much above where a test started. */
export const HEAP_SLACK = 8 * 1024 * 1024;

export async function assertHeapBack(before: number, what: string): Promise<void> {
  // What the peer left is dropped when its connection is: give the container a moment.
  let after = settledHeap();
  for (let i = 0; i < 20 && after - before >= HEAP_SLACK; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = settledHeap();
  }
  assert.ok(
    after - before < HEAP_SLACK,
    `${what}: the heap is ${((after - before) / 2 ** 20).toFixed(1)} MiB above where it was`,
  );
}
