/**
 * IncomingMessageHandler, inside a MessagingHandler and alone: onMessage with auto and manual accept,
 * Reject and Release thrown from it, other exceptions propagating, messages on a link closed here
 * released, aborted deliveries, the sender's late settlement, prefetch 0 with credit by hand, and
 * undecodable messages rejected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accepted, Modified, Rejected, Released } from '../../src/codec/composite-types.js';
import type { Event } from '../../src/container/event.js';
import { type Delivery, type Receiver, type Sender, SenderSettleMode } from '../../src/engine/index.js';
import { InvalidOptionError, Reject, Release } from '../../src/errors.js';
import { FlowController } from '../../src/handlers/flow-controller.js';
import { Handler } from '../../src/handlers/handler.js';
import { IncomingMessageHandler } from '../../src/handlers/incoming-message-handler.js';
import type { MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import type { Message } from '../../src/message/message.js';
import type { Logger } from '../../src/util/logger.js';
import { dispatchAll, linkNamed, openLink, peers, Recorder, run, send } from './loop.js';

function setup(clientOptions?: MessagingHandlerOptions, serverOptions?: MessagingHandlerOptions) {
  const c = new Recorder(clientOptions);
  const s = new Recorder(serverOptions);
  const { client, server } = peers(c, s);
  const rcv = openLink(client, server, 'q', false) as Receiver;
  const snd = linkNamed<Sender>(server, 'q', true);
  c.log.length = 0;
  s.log.length = 0;
  return { c, s, client, server, rcv, snd };
}

function lines(): { logger: Logger; lines: string[] } {
  const out: string[] = [];
  const log = (m: string) => out.push(m);
  return { logger: { debug: log, info: log, warn: log, error: log }, lines: out };
}

describe('IncomingMessageHandler: onMessage', () => {
  it('auto accept: onMessage, then accepted and settled; the sender hears accepted, settled', () => {
    const { c, s, client, server, snd } = setup();
    const d1 = send(snd, 'a');
    const d2 = send(snd, 'b');
    run(client, server);
    assert.deepEqual(c.seen(), ['message:a', 'message:b']);
    assert.deepEqual(s.seen('sendable'), ['accepted', 'settled', 'accepted', 'settled']);
    for (const d of [d1, d2]) {
      assert.ok(d.remote instanceof Accepted);
      assert.equal(d.remoteSettled, true);
      assert.equal(d.settled, true, 'auto settled by the sender');
    }
  });

  it('the message event: type, message, delivery and link; accepted only after onMessage returns', () => {
    const { c, client, server, rcv, snd } = setup();
    let seen:
      | { type: string; body: unknown; delivery?: Delivery; settled?: boolean; link: unknown }
      | undefined;
    c.hooks.message = (e) => {
      seen = {
        type: e.type,
        body: e.message?.body,
        delivery: e.delivery,
        settled: e.delivery?.settled,
        link: e.link,
      };
    };
    send(snd, 'hello');
    run(client, server);
    assert.equal(seen?.type, 'message');
    assert.equal(seen?.body, 'hello');
    assert.equal(seen?.link, rcv);
    assert.equal(seen?.settled, false);
    assert.equal(seen?.delivery?.settled, true);
    assert.ok(seen?.delivery?.local instanceof Accepted);
  });

  it('manual accept: nothing goes back until the application accepts', () => {
    const { c, s, client, server, snd } = setup({ autoAccept: false });
    let got: Delivery | undefined;
    c.hooks.message = (e) => {
      got = e.delivery;
    };
    const sd = send(snd, 'a');
    run(client, server);
    assert.deepEqual(c.seen(), ['message:a']);
    assert.deepEqual(s.seen('sendable'), []);
    assert.equal(got?.settled, false);
    c.accept(got!);
    run(client, server);
    assert.deepEqual(s.seen('sendable'), ['accepted', 'settled']);
    assert.ok(sd.remote instanceof Accepted);
  });

  it('accepting in onMessage as well as automatically is harmless', () => {
    const { c, s, client, server, snd } = setup();
    c.hooks.message = (e, h) => h.accept(e.delivery!);
    send(snd, 'a');
    run(client, server);
    assert.deepEqual(s.seen('sendable'), ['accepted', 'settled']);
  });

  for (const autoAccept of [true, false]) {
    it(`Reject thrown (autoAccept ${autoAccept}): rejected with its error, settled`, () => {
      const { c, s, client, server, snd } = setup({ autoAccept });
      c.hooks.message = (e) => {
        if (e.message?.body === 'bad')
          throw new Reject('bad body', { name: 'amqp:invalid-field', description: 'no' });
        throw new Reject();
      };
      const d1 = send(snd, 'bad');
      const d2 = send(snd, 'worse');
      run(client, server);
      assert.deepEqual(s.seen('sendable'), ['rejected', 'settled', 'rejected', 'settled']);
      assert.ok(d1.remote instanceof Rejected);
      assert.equal(d1.remote.error?.condition, 'amqp:invalid-field');
      assert.equal(d1.remote.error?.description, 'no');
      assert.ok(d2.remote instanceof Rejected);
      assert.equal(d2.remote.error, undefined, 'a Reject without an error rejects without one');
    });

    it(`Release thrown (autoAccept ${autoAccept}): modified, delivery-failed and undeliverable false, settled`, () => {
      const { c, s, client, server, snd } = setup({ autoAccept });
      c.hooks.message = () => {
        throw new Release();
      };
      const d = send(snd, 'x');
      run(client, server);
      assert.deepEqual(s.seen('sendable'), ['released', 'settled']);
      assert.ok(d.remote instanceof Modified);
      assert.ok(!d.remote.deliveryFailed);
      assert.ok(!d.remote.undeliverableHere);
    });
  }

  it('any other exception propagates, and the delivery stays unsettled', () => {
    const { c, s, client, server, rcv, snd } = setup();
    c.hooks.message = () => {
      throw new TypeError('boom');
    };
    send(snd, 'x');
    assert.throws(() => run(client, server), /boom/);
    const d = [...rcv.deliveries][0]!;
    assert.equal(d.settled, false);
    c.hooks.message = undefined;
    run(client, server);
    assert.deepEqual(s.seen('sendable'), []);
  });
});

describe('IncomingMessageHandler: other deliveries', () => {
  it('a message arriving on a link closed here is released with no onMessage', () => {
    const { c, s, client, server, rcv, snd } = setup();
    const d = send(snd, 'late');
    run(client, server, client);
    rcv.close();
    run(client, server);
    assert.ok(!c.log.some((x) => x.startsWith('message')));
    assert.ok(d.remote instanceof Released);
    assert.deepEqual(s.seen('sendable').slice(0, 2), ['released', 'settled']);
  });

  it('... and left alone when accepting by hand', () => {
    const { c, client, server, rcv, snd } = setup({ autoAccept: false });
    send(snd, 'late');
    run(client, server, client);
    rcv.close();
    dispatchAll(client);
    assert.ok(!c.log.some((x) => x.startsWith('message')));
    assert.equal([...rcv.deliveries][0]?.settled, false);
  });

  it('an aborted delivery: onAborted, then settled; the link goes on', () => {
    const { c, client, server, rcv, snd } = setup();
    const d = snd.delivery();
    snd.send(Buffer.from([0x00, 0x53, 0x77]));
    run(client, server);
    assert.deepEqual(c.seen(), [], 'a partial delivery is not a message yet');
    const got = rcv.current!;
    d.abort();
    run(client, server);
    assert.deepEqual(c.seen(), ['aborted']);
    assert.equal(got.settled, true);
    send(snd, 'next');
    run(client, server);
    assert.deepEqual(c.seen(), ['aborted', 'message:next']);
  });

  it('onSettled when the sender settles after the receiver', () => {
    const { c, s, client, server, snd } = setup({ autoAccept: false });
    // Accept without settling; the sender settles when it learns of the acceptance.
    c.hooks.message = (e) => e.delivery!.update(new Accepted());
    s.hooks.accepted = (e, h) => h.settle(e.delivery!);
    send(snd, 'a');
    run(client, server);
    assert.deepEqual(s.seen('sendable'), ['accepted'], 'the receiver has not settled');
    assert.deepEqual(c.seen(), ['message:a', 'settled']);
    const d = client.connection.links[0]!;
    assert.equal(d.unsettledCount, 1, 'still to settle here');
  });

  it('a message the sender settled first is accepted without fault', () => {
    const s = new Recorder();
    s.hooks.link_opening = (e) => {
      e.link!.sndSettleMode = SenderSettleMode.settled;
    };
    const c = new Recorder();
    const { client, server } = peers(c, s);
    openLink(client, server, 'q', false);
    const snd = linkNamed<Sender>(server, 'q', true);
    send(snd, 'fire-and-forget');
    run(client, server);
    assert.deepEqual(c.seen('connection_opened', 'session_opened', 'link_opened'), [
      'message:fire-and-forget',
    ]);
  });

  it('prefetch 0: credit by hand', () => {
    const { c, s, client, server, rcv } = setup({ prefetch: 0 });
    const queue = ['a', 'b', 'c'];
    s.hooks.sendable = (e) => {
      const snd = e.sender!;
      while (snd.credit > 0 && queue.length > 0) send(snd, queue.shift()!);
    };
    run(client, server);
    assert.equal(rcv.credit, 0);
    assert.deepEqual(c.seen(), []);
    rcv.flow(2);
    run(client, server);
    assert.deepEqual(c.seen(), ['message:a', 'message:b']);
    rcv.flow(5);
    run(client, server);
    assert.deepEqual(c.seen(), ['message:a', 'message:b', 'message:c']);
  });

  it('a message that cannot be decoded is rejected with amqp:decode-error and logged', () => {
    const { logger, lines: logged } = lines();
    const { c, client, server, snd } = setup({ logger });
    const d = snd.delivery();
    snd.send(Buffer.from([0x00, 0x53, 0x77, 0xa1, 0x10]));
    snd.advance();
    run(client, server);
    assert.deepEqual(c.seen(), []);
    assert.ok(d.remote instanceof Rejected);
    assert.equal(d.remote.error?.condition, 'amqp:decode-error');
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /link 'q'/);
  });
  it('an empty delivery is an empty message, as in Proton, and does not block the link', () => {
    const { c, client, server, snd } = setup();
    const d = snd.delivery();
    snd.advance();
    run(client, server);
    assert.deepEqual(c.seen(), ['message:undefined']);
    assert.ok(d.remote instanceof Accepted);
    send(snd, 'after');
    run(client, server);
    assert.deepEqual(c.seen(), ['message:undefined', 'message:after']);
  });
});

describe('IncomingMessageHandler alone', () => {
  it('without a delegate, its own onMessage; a subclass can use the acking methods', () => {
    const bodies: unknown[] = [];
    class Mine extends IncomingMessageHandler {
      onMessage(e: Event) {
        bodies.push((e.message as Message).body);
        if (e.message?.body === 'drop') this.release(e.delivery!, false);
      }
    }
    const h = new Handler().add(new FlowController(5)).add(new Mine());
    const { client, server } = peers(h, new Recorder());
    openLink(client, server, 'q', false);
    const snd = linkNamed<Sender>(server, 'q', true);
    const d1 = send(snd, 'keep');
    const d2 = send(snd, 'drop');
    run(client, server);
    assert.deepEqual(bodies, ['keep', 'drop']);
    assert.ok(d1.remote instanceof Accepted);
    assert.ok(d2.remote instanceof Released);
  });

  it('ignores deliveries of senders', () => {
    const got: string[] = [];
    const h = new IncomingMessageHandler({ delegate: { onUnhandled: (m: string) => got.push(m) } });
    const { client, server } = peers(new Handler().add(h), new Recorder());
    const snd = openLink(client, server, 'out', true) as Sender;
    send(snd, 'x');
    run(client, server);
    assert.deepEqual(got, []);
  });

  it('checks its options', () => {
    assert.equal(new IncomingMessageHandler().autoAccept, true);
    assert.throws(
      () => new IncomingMessageHandler({ autoAccept: 1 as unknown as boolean }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'autoAccept',
    );
    assert.throws(
      () => new IncomingMessageHandler({ autoSettle: true } as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'autoSettle',
    );
  });
});
