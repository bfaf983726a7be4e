/**
 * A peer that opens, grants credit and never reads, over a socket: the server's application sends
 * whenever it may, and what it sends stops at the credit the peer granted (the socket driver stops
 * taking output while the socket is full, so Node does not buffer without bound either). Memory stays
 * within the granted messages, and is back where it was once the peer is gone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attach, Begin, Flow, Source } from '../../src/codec/index.js';
import type { Event } from '../../src/container/event.js';
import { Message } from '../../src/message/index.js';
import { sleep } from '../support/container-harness.js';
import {
  AMQP_HEADER,
  assertHeapBack,
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
});
