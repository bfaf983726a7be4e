/**
 * Framing and decoding limits, from the hostile side, over real sockets against a listening Container:
 * a frame over max-frame-size, a 4 GiB declared size, a list claiming 2^31 elements in 10 bytes, nesting
 * 100,000 deep, 65,536 channels, an unbounded stream of empty frames. Each must end in a close carrying
 * the spec's condition (framing-error for what breaks the framing or channel-max, decode-error for what
 * breaks the type system, resource-limit-exceeded for a limit of ours), with the process alive, the
 * server still serving, and the heap back where it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Begin } from '../../src/codec/index.js';
import {
  AMQP_HEADER,
  assertClosedWith,
  assertHeapBack,
  assertServes,
  frame,
  OPEN,
  RawPeer,
  type Server,
  settledHeap,
  startServer,
  u32,
} from './hostile.js';

let server: Server;
before(async () => {
  server = await startServer({ maxFrameSize: 1 << 20 });
  await assertServes(server); // warm: the first connection's one-time costs are not a leak
});
after(() => server.stop());

/** Sends `bytes` as a new client, waits for the server to end the connection, checks its close. */
async function hostile(bytes: Buffer, condition: string, s: Server = server): Promise<string> {
  const heap = settledHeap();
  const peer = await RawPeer.connect(s.port);
  peer.write(bytes);
  await peer.serverClosed();
  const why = assertClosedWith(peer, s, condition);
  peer.destroy();
  await assertServes(s);
  await assertHeapBack(heap, condition);
  return why;
}

describe('hostile framing over a socket', () => {
  it('a frame over max-frame-size: framing-error, before its bytes come', async () => {
    const small = await startServer({ maxFrameSize: 4096 });
    try {
      const big = Buffer.alloc(8);
      big.writeUInt32BE(4097, 0);
      big[4] = 2;
      const why = await hostile(
        Buffer.concat([AMQP_HEADER, OPEN, big]),
        'amqp:connection:framing-error',
        small,
      );
      assert.match(why, /4097 bytes exceeds the max-frame-size of 4096/);
    } finally {
      await small.stop();
    }
  });

  it('a frame declaring 4 GiB: framing-error, nothing allocated for it', async () => {
    const why = await hostile(
      Buffer.concat([AMQP_HEADER, OPEN, Buffer.from('ffffffff02000000', 'hex')]),
      'amqp:connection:framing-error',
    );
    assert.match(why, /4294967295/);
  });

  it('a list claiming 2^31 elements in 10 bytes: decode-error', async () => {
    const body = Buffer.from(`005310d0${u32(10)}${u32(2 ** 31)}${'40'.repeat(6)}`, 'hex');
    await hostile(Buffer.concat([AMQP_HEADER, frame(body)]), 'amqp:decode-error');
  });

  it('nesting 100,000 deep (described values, then lists): decode-error, no stack overflow', async () => {
    const depth = 100_000;
    const described = Buffer.from(`${'005301'.repeat(depth)}40`, 'hex');
    const why = await hostile(Buffer.concat([AMQP_HEADER, frame(described)]), 'amqp:decode-error');
    assert.match(why, /deep|depth|nest/);
    // Lists of one list each, list32: nine bytes a level (900 kB, under the max-frame-size).
    const lists = Buffer.alloc(depth * 9 + 1);
    for (let i = 0; i < depth; i++) {
      lists[i * 9] = 0xd0;
      lists.writeUInt32BE(lists.length - i * 9 - 5, i * 9 + 1);
      lists.writeUInt32BE(1, i * 9 + 5);
    }
    lists[lists.length - 1] = 0x40;
    // Under a descriptor of no spec type, where any value may go.
    const body = Buffer.concat([Buffer.from('005301', 'hex'), lists]);
    assert.match(
      await hostile(Buffer.concat([AMQP_HEADER, frame(body)]), 'amqp:decode-error'),
      /deep|depth|nest/,
    );
  });

  it('65,536 channels begun: framing-error at the first beyond channel-max', async () => {
    const begins: Buffer[] = [];
    for (let ch = 0; ch < 65536; ch++) {
      begins.push(
        frame(Object.assign(new Begin(), { nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10 }), ch),
      );
    }
    const why = await hostile(Buffer.concat([AMQP_HEADER, OPEN, ...begins]), 'amqp:connection:framing-error');
    assert.match(why, /channel 32768/);
  });

  it('an unbounded stream of empty frames: resource-limit-exceeded', async () => {
    const heap = settledHeap();
    const peer = await RawPeer.connect(server.port);
    peer.write(Buffer.concat([AMQP_HEADER, OPEN]));
    const batch = Buffer.alloc(8 * 4096);
    for (let i = 0; i < 4096; i++) batch.write('0000000802000000', i * 8, 'hex');
    // Keep sending until the server hangs up: it must, and soon.
    let sent = 0;
    const started = Date.now();
    while (!peer.socket.destroyed && peer.socket.writable && Date.now() - started < 5000) {
      peer.write(batch);
      sent += 4096;
      await new Promise((r) => setImmediate(r));
      if (peer.units().some((u) => (u.body as object | undefined)?.constructor.name === 'Close')) break;
    }
    await peer.serverClosed();
    const why = assertClosedWith(peer, server, 'amqp:resource-limit-exceeded');
    assert.match(why, /empty frames/);
    assert.ok(Date.now() - started < 5000, `closed after ${sent} empty frames`);
    peer.destroy();
    await assertServes(server);
    await assertHeapBack(heap, 'empty frames');
  });
});
