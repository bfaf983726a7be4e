/**
 * The transport's output buffers (issue 7, speed): a buffer the socket has finished writing is reused
 * for later output instead of a new one per turn, and only when it is wholly the transport's own.
 * (That the bytes arrive intact through real sockets is the container tests' business.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transport } from '../../src/engine/index.js';
import { EARLY_OUTPUT_BYTES } from '../../src/engine/link.js';
import { connect, payload, readAll, sendLink, sendMessage } from '../support/flows.js';
import { pump } from '../support/pair.js';

/** Puts `frames` empty frames (8 bytes each) into the transport's output. */
function owing(t: Transport, frames: number): void {
  for (let i = 0; i < frames; i++) t.enc.w.bytes(Buffer.from([0, 0, 0, 8, 2, 0, 0, 0]));
}

describe('Transport output buffers (issue 7)', () => {
  it('issue 7: a written output buffer holds the next output, so two buffers take turns', () => {
    const t = new Transport({});
    owing(t, 600); // 4800 bytes: the writer has its own ArrayBuffer by now
    const a = t.takeOutput()!;
    owing(t, 1);
    const b = t.takeOutput()!;
    assert.notEqual(
      b.buffer,
      a.buffer,
      'the output handed out is never written over while the socket has it',
    );
    t.recycleOutput(a);
    owing(t, 1);
    t.takeOutput(); // written into the buffer taken before `a` came back
    owing(t, 2);
    const c = t.takeOutput()!;
    assert.ok(c.buffer === a.buffer, 'the recycled buffer holds the next output');
    assert.equal(c.length, 16);
  });

  it('issue 7: only buffers the transport gave are kept, never one from the shared Buffer pool', () => {
    const t = new Transport({});
    owing(t, 1);
    const first = t.takeOutput()!;
    const pooled = Buffer.allocUnsafe(100);
    assert.ok(pooled.buffer.byteLength > pooled.length, 'a slice of the pool');
    t.recycleOutput(pooled);
    const big = Buffer.allocUnsafe(8192);
    t.recycleOutput(big);
    owing(t, 1);
    const out = t.takeOutput()!;
    owing(t, 1);
    const next = t.takeOutput()!;
    for (const b of [out, next]) {
      assert.ok(b.buffer !== first.buffer && b.buffer !== pooled.buffer && b.buffer !== big.buffer);
    }
  });

  it('issue 7: a sender that queues many messages at once asks for them to be written as it goes', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'early', 1000);
    const t = env.client.transport;
    const taken: number[] = [];
    let sentWhenAsked = -1;
    let sent = 0;
    t.onOutputQueued = () => {
      // As the socket driver does: output is taken there and then, mid-handler, and goes to the peer.
      if (sentWhenAsked < 0) sentWhenAsked = sent;
      const out = t.takeOutput();
      taken.push(out?.length ?? 0);
      if (out !== undefined) env.server.transport.push(out);
    };
    const size = 1000;
    const perWrite = Math.ceil(EARLY_OUTPUT_BYTES / size);
    const count = 3 * perWrite + 5;
    for (; sent < count; sent++) sendMessage(snd, payload(size, sent));
    assert.equal(taken.length, 3, `asked to write ${taken.length} times while sending ${count} messages`);
    assert.equal(sentWhenAsked, perWrite - 1, 'first asked once EARLY_OUTPUT_BYTES were queued');
    assert.ok(
      taken.every((n) => n >= EARLY_OUTPUT_BYTES),
      `each write carries the queued messages: ${taken.join(', ')}`,
    );
    assert.ok(
      t.queuedSinceOutput < EARLY_OUTPUT_BYTES && t.queuedSinceOutput > 0,
      'the last 5 wait for the turn',
    );
    t.onOutputQueued = undefined;
    // The rest goes out as usual; every message arrives, in order and intact.
    pump(env.client, env.server);
    assert.equal(rcv.queued, count);
    for (let i = 0; i < count; i++) {
      assert.deepEqual(readAll(rcv), payload(size, i), `message ${i}`);
      rcv.advance();
    }
  });
});
