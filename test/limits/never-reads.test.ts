/**
 * A peer that opens, grants credit and never reads, over a socket: the server's application sends
 * whenever it may, and what it sends stops at the credit the peer granted (the socket driver stops
 * taking output while the socket is full, so Node does not buffer without bound either). Memory stays
 * within the granted messages, and is back where it was once the peer is gone.
 *
 * And a peer that floods flows (each asking for an echo and granting more credit) and never reads: once
 * the bytes written to it and not yet flushed pass the listener's `maxWriteBuffer` (and its socket has not
 * drained for 10 s: a slow reader granting much credit is no hostile one), the server fails the
 * connection with amqp:resource-limit-exceeded and destroys the socket (issue 8); the memory comes back
 * and other clients are still served.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attach, Begin, Flow, Source } from '../../src/codec/index.js';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import { InvalidOptionError } from '../../src/errors.js';
import { Message } from '../../src/message/index.js';
import { HOST, sleep, until } from '../support/container-harness.js';
import {
  AMQP_HEADER,
  assertHeapBack,
  assertServes,
  frame,
  OPEN,
  RawPeer,
  settledHeap,
  startServer,
  Watcher,
} from './hostile.js';

const BODY = 16 * 1024;
const CREDIT = 500;

/** Sends a 16 KiB message whenever it has credit. */
class Flooder extends Watcher {
  sent = 0;
  override onSendable(event: Event): void {
    const s = event.sender!;
    while (s.credit > 0) {
      s.send(new Message({ body: Buffer.alloc(BODY, this.sent & 0xff) }));
      this.sent++;
    }
  }
}

describe('a peer that never reads', () => {
  it("our writes stop at the peer's credit, and memory comes back when it leaves", async () => {
    const flooder = new Flooder();
    const server = await startServer({}, flooder);
    try {
      const heap = settledHeap();
      const peer = await RawPeer.connect(server.port);
      // Stop reading before the server says anything: read now, the transfers would land in
      // RawPeer.received (the whole 8 MiB arrives within milliseconds on loopback), and the heap checks
      // below would measure the peer's copy instead of what the server holds.
      peer.socket.pause();
      peer.write(
        Buffer.concat([
          AMQP_HEADER,
          OPEN,
          frame(
            Object.assign(new Begin(), {
              nextOutgoingId: 0,
              incomingWindow: 0x7fffffff,
              outgoingWindow: 100,
            }),
          ),
          frame(
            Object.assign(new Attach(), {
              name: 'never-reads',
              handle: 0,
              role: true,
              source: Object.assign(new Source(), { address: 'q' }),
            }),
          ),
          frame(
            Object.assign(new Flow(), {
              nextIncomingId: 0,
              incomingWindow: 0x7fffffff,
              nextOutgoingId: 0,
              outgoingWindow: 100,
              handle: 0,
              deliveryCount: 0,
              linkCredit: CREDIT,
            }),
          ),
        ]),
      );
      await sleep(1700);
      const sentThen = flooder.sent;
      const held = settledHeap() - heap;
      await sleep(500);
      const read = peer.received.reduce((n, b) => n + b.length, 0);
      assert.ok(read < BODY, `the peer read ${read} bytes`);
      assert.equal(flooder.sent, CREDIT, `the server sent ${flooder.sent} messages for ${CREDIT} credit`);
      assert.equal(flooder.sent, sentThen, 'and no more later');
      // The messages granted (8 MiB) once in the engine, and at most once more on their way out.
      assert.ok(
        held < 3 * CREDIT * BODY,
        `${(held / 2 ** 20).toFixed(1)} MiB held for a peer that does not read`,
      );
      peer.destroy();
      await peer.closed;
      await sleep(200);
      assert.ok(
        flooder.errors.some((e) => e.name === 'amqp:connection:framing-error'),
        'the server saw it go',
      );
      await assertHeapBack(heap, 'a peer that never reads');
    } finally {
      await server.stop();
    }
  });

  it('a peer flooding flows that never reads is closed at max-write-buffer (issue 8)', async () => {
    const flooder = new Flooder();
    const bound = 1024 * 1024;
    const server = await startServer({ maxWriteBuffer: bound }, flooder);
    let flood: NodeJS.Timeout | undefined;
    try {
      const heap = settledHeap();
      const peer = await RawPeer.connect(server.port);
      peer.socket.pause();
      const attach = Object.assign(new Attach(), {
        name: 'floods',
        handle: 0,
        role: true,
        source: Object.assign(new Source(), { address: 'q' }),
      });
      // Each flow grants 50 more messages (800 KiB) and asks for an echo.
      let credit = 0;
      const flow = () => {
        credit += 50;
        return frame(
          Object.assign(new Flow(), {
            nextIncomingId: 0,
            incomingWindow: 0x7fffffff,
            nextOutgoingId: 0,
            outgoingWindow: 100,
            handle: 0,
            deliveryCount: 0,
            linkCredit: credit,
            echo: true,
          }),
        );
      };
      const begin = Object.assign(new Begin(), {
        nextOutgoingId: 0,
        incomingWindow: 0x7fffffff,
        outgoingWindow: 100,
      });
      peer.write(Buffer.concat([AMQP_HEADER, OPEN, frame(begin), frame(attach), flow()]));
      flood = setInterval(() => {
        if (!peer.socket.destroyed) peer.write(Buffer.concat(Array.from({ length: 20 }, flow)));
      }, 5);
      const limit = () => flooder.errors.find((e) => e.name === 'amqp:resource-limit-exceeded');
      // The socket must also have stayed full, never drained, for NOT_READING_AFTER_MS (10 s).
      await until(40_000, 'the server gives up on the peer', () => limit() !== undefined);
      clearInterval(flood);
      const m = /not reading: (\d+) bytes/.exec(limit()?.description ?? '');
      assert.ok(m !== null, limit()?.description);
      assert.ok(Number(m[1]) > bound, `${m[1]} bytes unflushed`);
      // Nothing more is written to it: what the peer reads now ends with the socket the server destroyed.
      peer.socket.resume();
      await peer.serverClosed();
      const read = peer.received.reduce((n, b) => n + b.length, 0);
      assert.ok(read < 64 * 1024 * 1024, `the peer read ${read} bytes`);
      peer.received.length = 0;
      peer.destroy();
      await assertHeapBack(heap, 'a peer flooding flows that never reads');
      await assertServes(server);
    } finally {
      clearInterval(flood);
      await server.stop();
    }
  });

  it('maxWriteBuffer must be a whole number of bytes above 0', async () => {
    const container = new Container(new Watcher());
    for (const bad of [0, -1, 1.5, Number.NaN, '1000']) {
      const o = { maxWriteBuffer: bad as number };
      await assert.rejects(container.listen(`${HOST}:0`, o), InvalidOptionError);
      assert.throws(() => container.connect(`amqp://${HOST}:1`, o), /maxWriteBuffer/);
    }
  });
});
