/**
 * The transport's output buffers (issue 7, speed): a buffer the socket has finished writing is reused
 * for later output instead of a new one per turn, and only when it is wholly the transport's own.
 * (That the bytes arrive intact through real sockets is the container tests' business.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLent } from '../../src/codec/lent-buffers.js';
import { Transport } from '../../src/engine/index.js';
import { EARLY_OUTPUT_BYTES } from '../../src/engine/link.js';
import { Message } from '../../src/message/index.js';
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

  /** The ArrayBuffers of lent memory among a turn's output views. */
  const lentIn = (list: Uint8Array[]) => [...new Set(list.map((v) => v.buffer).filter((ab) => isLent(ab)))];
  const big = (seed: number) => new Message({ body: payload(300_007, seed), bodyKind: 'data' });

  it('issue 7: a large message goes out of lent memory, which is reused only once its views are written', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'lent', 10);
    const t = env.client.transport;
    t.outputByViews = true;
    snd.send(big(1));
    const first = t.takeOutputList()!;
    const [lent1] = lentIn(first);
    assert.ok(lent1 !== undefined, 'the body went out as a view of lent memory');
    env.server.transport.push(Buffer.concat(first));
    snd.send(big(2));
    const second = t.takeOutputList()!;
    const [lent2] = lentIn(second);
    assert.ok(lent2 !== undefined && lent2 !== lent1, 'memory the socket still has is not lent again');
    env.server.transport.push(Buffer.concat(second));
    for (const b of first) t.recycleOutput(b);
    assert.equal(isLent(lent1), false, 'written: back for reuse');
    snd.send(big(3));
    const third = t.takeOutputList()!;
    assert.deepEqual(lentIn(third), [lent1], 'the next large message is encoded into it');
    env.server.transport.push(Buffer.concat(third));
    pump(env.client, env.server);
    // What the peer received is each message as sent, though the memory of the first held the third.
    for (let i = 1; i <= 3; i++) {
      const m = new Message().decode(readAll(rcv));
      assert.deepEqual(m.body, payload(300_007, i), `message ${i}`);
      rcv.advance();
    }
  });

  it('issue 7: a sender keeping payloads for a resend, or a message with its own encode(), lends nothing', () => {
    const env = connect();
    const { snd } = sendLink(env, 'kept', 10);
    const t = env.client.transport;
    t.outputByViews = true;
    snd.keepPayload = true;
    const d = snd.send(big(4));
    assert.ok(d.payload !== undefined && !isLent(d.payload.buffer), 'the kept bytes are its own');
    assert.deepEqual(lentIn(t.takeOutputList()!), []);
    snd.keepPayload = false;
    let encodes = 0;
    class Counted extends Message {
      override encode(): Buffer {
        encodes++;
        return super.encode();
      }
    }
    snd.send(new Counted({ body: payload(300_007, 5), bodyKind: 'data' }));
    assert.equal(encodes, 1, "the subclass's encode() made the bytes");
    assert.deepEqual(lentIn(t.takeOutputList()!), []);
  });
});
