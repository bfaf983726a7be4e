/**
 * Session and link limits from the hostile side, on a server Transport (the frames are crafted; the
 * application opens what the peer opens): transfers beyond credit, beyond the session's incoming window,
 * a multi-frame message growing past the bytes the connection holds unread, handles beyond handle-max, a
 * handle attached twice, a handle never attached. Each ends the connection with the condition the spec
 * names for it, a transport_error, and a close frame carrying it; the heap is back where it was once the
 * engine is dropped.
 *
 * A message growing past max-message-size is a link error, as the spec has it: only that link is
 * detached, with amqp:link:message-size-exceeded, and the rest of the connection goes on (issue 8).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attach, Begin, Close, Detach, End, Transfer } from '../../src/codec/index.js';
import type { Link, Receiver, Session, TransportOptions } from '../../src/engine/index.js';
import { State } from '../../src/engine/index.js';
import { decodeOutput } from '../fuzz/engine-check.js';
import { pair, type Side } from '../support/pair.js';
import { AMQP_HEADER, assertHeapBack, frame, OPEN, settledHeap } from './hostile.js';

interface AppOptions {
  /** The session's incoming capacity in bytes (its window is that over max-frame-size). */
  capacity?: number;
  handleMax?: number;
  maxMessageSize?: number;
  credit?: number;
}

/** A server engine whose application opens what the peer opens, with the limits given. */
function server(transport: TransportOptions, app: AppOptions): { side: Side; step: (b: Buffer) => void } {
  const side = pair({ server: transport }).server;
  // The answers to the last step go out first (the credit and the begin count once written); what
  // this step makes (the close) stays for the test to read.
  const step = (bytes: Buffer) => {
    side.transport.takeOutput();
    side.transport.push(bytes);
    for (let e = side.collector.pop(); e !== undefined; e = side.collector.pop()) {
      side.events.push(e);
      if (side.transport.condition !== undefined) continue;
      if (e.type === 'connection_remote_open') side.connection.open();
      if (e.type === 'session_remote_open') {
        const s = e.context as Session;
        if (app.capacity !== undefined) s.incomingCapacity = app.capacity;
        if (app.handleMax !== undefined) s.handleMax = app.handleMax;
        s.open();
      }
      if (e.type === 'link_remote_open') {
        const l = e.context as Link;
        if (l.localState !== State.LOCAL_UNINIT) continue;
        if (app.maxMessageSize !== undefined) l.maxMessageSize = app.maxMessageSize;
        l.open();
        if (l.isReceiver) (l as Receiver).flow(app.credit ?? 10);
      }
    }
  };
  step(Buffer.concat([AMQP_HEADER, OPEN]));
  return { side, step };
}

const BEGIN = frame(
  Object.assign(new Begin(), { nextOutgoingId: 0, incomingWindow: 1000, outgoingWindow: 1000 }),
);
const attach = (handle: number, name = `link-${handle}`) =>
  frame(
    Object.assign(new Attach(), { name, handle, role: false, initialDeliveryCount: 0, target: undefined }),
  );
const transfer = (fields: Partial<Transfer>, payload: Buffer) =>
  frame(Object.assign(new Transfer(), { handle: 0 }, fields), 0, 0, payload);

/** The engine failed with `condition`, said so in an event, and its output ends in a close with it. */
function assertClosed(side: Side, condition: string): string {
  const t = side.transport;
  assert.equal(t.condition?.name, condition, String(t.condition));
  assert.ok(side.events.some((e) => e.type === 'transport_error'));
  assert.ok(t.closed, 'closed both ways');
  const out = decodeOutput(t.takeOutput() ?? Buffer.alloc(0));
  const last = out[out.length - 1]?.body;
  assert.ok(last instanceof Close, 'the output ends with a close');
  assert.equal(last.error?.condition, condition);
  return t.condition?.description ?? '';
}

/** Runs a hostile exchange, checks it, and that the heap is back once the engine is gone. */
async function hostile(what: string, run: () => void): Promise<void> {
  const heap = settledHeap();
  run();
  await assertHeapBack(heap, what);
}

describe('hostile sessions and links', () => {
  it('transfers beyond credit are taken (as Proton takes them), and bounded by the bytes held', async () => {
    await hostile('credit', () => {
      // The engine takes a transfer beyond credit rather than ending the connection (RabbitMQ sends
      // them; see dispatch.ts), so credit alone bounds nothing: what bounds a peer that ignores it is the
      // session window and the bytes held unread, here 64 KiB of them.
      const { side, step } = server({ maxBufferedBytes: 64 * 1024 }, { credit: 10 });
      step(Buffer.concat([BEGIN, attach(0)]));
      let id = 0;
      const next = () =>
        transfer({ deliveryId: id, deliveryTag: Buffer.from([id++ & 0xff]) }, Buffer.alloc(1000));
      step(Buffer.concat(Array.from({ length: 11 }, next)));
      assert.equal(side.transport.condition, undefined, 'one beyond credit is taken');
      for (let i = 0; i < 1000 && side.transport.condition === undefined; i++) step(next());
      assert.match(assertClosed(side, 'amqp:resource-limit-exceeded'), /held unread/);
      assert.ok(id < 70, `${id} transfers of 1000 bytes before the close`);
    });
  });

  it('transfers beyond the session window: amqp:session:window-violation', async () => {
    await hostile('window', () => {
      // max-frame-size 512, capacity 1536: a window of three frames.
      const { side, step } = server({ maxFrameSize: 512 }, { capacity: 1536 });
      step(Buffer.concat([BEGIN, attach(0)]));
      const frames = [0, 1, 2, 3].map((i) =>
        transfer(
          i === 0 ? { deliveryId: 0, deliveryTag: Buffer.from('t'), more: true } : { more: i < 3 },
          Buffer.alloc(100),
        ),
      );
      step(Buffer.concat(frames));
      assert.match(assertClosed(side, 'amqp:session:window-violation'), /window/);
    });
  });

  it('a multi-frame message growing past max-message-size: its link detached with amqp:link:message-size-exceeded (issue 8)', async () => {
    await hostile('max-message-size', () => {
      const { side, step } = server({}, { maxMessageSize: 1000 });
      step(Buffer.concat([BEGIN, attach(0), attach(1)]));
      // 4 MiB of one message, in frames of 64 KiB, after the limit of 1000 bytes is passed: the frames
      // that follow on the detached handle (the peer has not seen the detach) are dropped, not held.
      const big = Buffer.alloc(64 * 1024);
      const frames = [transfer({ deliveryId: 0, deliveryTag: Buffer.from('t'), more: true }, big)];
      for (let i = 0; i < 63; i++) frames.push(transfer({ more: true }, big));
      step(Buffer.concat(frames));
      const t = side.transport;
      assert.equal(t.condition, undefined, String(t.condition));
      assert.equal(t.bufferedBytes, 0, 'the partial message was dropped');
      const out = decodeOutput(t.takeOutput() ?? Buffer.alloc(0)).map((u) => u.body);
      const detach = out.find((b) => b instanceof Detach);
      assert.ok(detach instanceof Detach, 'a detach went out');
      assert.equal(detach.handle, 0);
      assert.equal(detach.closed, true);
      assert.equal(detach.error?.condition, 'amqp:link:message-size-exceeded');
      assert.match(detach.error?.description ?? '', /more than 1000 bytes/);
      assert.ok(!out.some((b) => b instanceof Close || b instanceof End), 'no close, no end');
      const [l0, l1] = side.connection.sessions[0]!.links as Receiver[];
      assert.equal(l0!.localState, State.LOCAL_CLOSED);
      assert.equal(l0!.condition?.name, 'amqp:link:message-size-exceeded');
      // The peer answers the detach, and the other link of the connection still takes a message.
      step(frame(Object.assign(new Detach(), { handle: 0, closed: true })));
      assert.equal(l0!.remoteState, State.REMOTE_CLOSED);
      step(transfer({ handle: 1, deliveryId: 1, deliveryTag: Buffer.from('u') }, Buffer.from('hello')));
      assert.equal(t.condition, undefined, String(t.condition));
      assert.equal(l1!.queued, 1);
      assert.equal(l1!.current?.pending, 5);
      assert.equal(side.connection.remoteState, State.REMOTE_ACTIVE);
      assert.equal(side.connection.localState, State.LOCAL_ACTIVE);
      assert.ok(!t.closed);
    });
  });

  it('a multi-frame message that never ends, with no max-message-size: held bytes are bounded', async () => {
    await hostile('buffered bytes', () => {
      const { side, step } = server({ maxBufferedBytes: 64 * 1024 }, {});
      step(Buffer.concat([BEGIN, attach(0)]));
      step(transfer({ deliveryId: 0, deliveryTag: Buffer.from('t'), more: true }, Buffer.alloc(500)));
      for (let i = 0; i < 200 && side.transport.condition === undefined; i++) {
        step(transfer({ more: true }, Buffer.alloc(500)));
      }
      assert.match(assertClosed(side, 'amqp:resource-limit-exceeded'), /held unread/);
    });
  });

  it('handles beyond handle-max: amqp:connection:framing-error', async () => {
    await hostile('handle-max', () => {
      const { side, step } = server({}, { handleMax: 3 });
      step(Buffer.concat([BEGIN, attach(3)]));
      assert.equal(side.transport.condition, undefined);
      step(attach(4));
      assert.match(assertClosed(side, 'amqp:connection:framing-error'), /handle 4 is beyond handle-max 3/);
    });
  });

  it('a handle attached twice: amqp:session:handle-in-use', async () => {
    await hostile('handle-in-use', () => {
      const { side, step } = server({}, {});
      step(Buffer.concat([BEGIN, attach(0, 'a'), attach(0, 'b')]));
      assertClosed(side, 'amqp:session:handle-in-use');
    });
  });

  it('a transfer on a handle never attached: amqp:session:unattached-handle', async () => {
    await hostile('unattached-handle', () => {
      const { side, step } = server({}, {});
      step(
        Buffer.concat([
          BEGIN,
          transfer({ handle: 9, deliveryId: 0, deliveryTag: Buffer.from('t') }, Buffer.from('x')),
        ]),
      );
      assertClosed(side, 'amqp:session:unattached-handle');
    });
  });
});
