/**
 * OutgoingMessageHandler: onSendable on every flow of an open sender with credit (and only then), the
 * receiver's outcomes as onAccepted / onRejected / onReleased (released or modified), onSettled and
 * auto settle, other states giving no outcome callback, and `updated` cleared.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accepted, Received } from '../../src/codec/composite-types.js';
import type { Event } from '../../src/container/event.js';
import type { Delivery, Receiver, Sender } from '../../src/engine/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { Handler } from '../../src/handlers/handler.js';
import type { MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import { OutgoingMessageHandler } from '../../src/handlers/outgoing-message-handler.js';
import { fire, linkNamed, openLink, peers, Recorder, run, send } from './loop.js';

const OPENED = ['connection_opened', 'session_opened', 'link_opened'];

/** A client sender 'out' (the client a Recorder) to a server Recorder receiving. */
function setup(clientOptions?: MessagingHandlerOptions, serverOptions?: MessagingHandlerOptions) {
  const c = new Recorder(clientOptions);
  const s = new Recorder(serverOptions);
  const { client, server } = peers(c, s);
  return { c, s, client, server };
}

describe('OutgoingMessageHandler: sendable', () => {
  it('on every flow while the sender has credit, the local flows after sending included', () => {
    const { c, client, server } = setup();
    const credits: number[] = [];
    let sent = 0;
    c.hooks.sendable = (e) => {
      credits.push(e.sender!.credit);
      if (sent === 0) for (; sent < 3; sent++) send(e.sender!, `m${sent}`);
    };
    openLink(client, server, 'out', true);
    assert.equal(credits[0], 10, 'the peer granted its prefetch');
    assert.equal(credits[1], 7, 'after 3 sends, as Proton observes');
    assert.ok(credits.length >= 2);
    assert.equal(c.seen(...OPENED).filter((x) => x === 'accepted').length, 3);
  });

  it('not for a sender closed here, nor without credit', () => {
    const { c, client, server } = setup({}, { prefetch: 0 });
    const snd = openLink(client, server, 'out', true) as Sender;
    assert.deepEqual(c.seen(...OPENED), [], 'no credit, no sendable');
    const rcv = linkNamed<Receiver>(server, 'out', false);
    rcv.flow(2);
    c.hooks.sendable = (e) => {
      send(e.sender!, 'only');
      e.sender!.close();
    };
    run(client, server);
    assert.equal(c.seen(...OPENED).filter((x) => x === 'sendable').length, 1);
    assert.ok(snd.credit > 0, 'credit left, but the link is closed');
    c.log.length = 0;
    fire(c, 'link_flow', snd);
    assert.deepEqual(c.seen(), [], 'closed here: no sendable');
  });

  it('not before the peer has attached', () => {
    const got: string[] = [];
    const h = new OutgoingMessageHandler({ delegate: { onUnhandled: (m: string) => got.push(m) } });
    const { client } = peers(h, new Handler());
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const snd = s.sender('x');
    snd.open();
    snd.linkCredit = 5;
    fire(h, 'link_flow', snd);
    assert.deepEqual(got, []);
  });
});

describe('OutgoingMessageHandler: outcomes', () => {
  /** Sends one message per body; the server settles each with `outcome(body, delivery, handler)`. */
  function exchange(
    bodies: string[],
    outcome: (body: string, d: Delivery, h: Recorder) => void,
    autoSettle = true,
  ) {
    const env = setup({ autoSettle }, { autoAccept: false });
    env.s.hooks.message = (e, h) => outcome(String(e.message?.body), e.delivery!, h);
    const snd = openLink(env.client, env.server, 'out', true) as Sender;
    env.c.log.length = 0;
    const ds = bodies.map((b) => send(snd, b));
    run(env.client, env.server);
    return { ...env, ds, snd };
  }

  it('accepted, then settled; auto settled here', () => {
    const { c, ds } = exchange(['a'], (_b, d, h) => h.accept(d));
    assert.deepEqual(c.seen('sendable'), ['accepted', 'settled']);
    assert.equal(ds[0]!.settled, true);
    assert.equal(ds[0]!.updated, false, 'updated cleared');
  });

  it('autoSettle false: settled is reported, the delivery left for the application', () => {
    const { c, ds } = exchange(['a'], (_b, d, h) => h.accept(d), false);
    assert.deepEqual(c.seen('sendable'), ['accepted', 'settled']);
    assert.equal(ds[0]!.settled, false);
    assert.equal(ds[0]!.remoteSettled, true);
  });

  it('rejected; released for released and for modified', () => {
    const { c } = exchange(['rej', 'rel', 'mod'], (b, d, h) => {
      if (b === 'rej') h.reject(d);
      else h.release(d, b === 'mod');
    });
    assert.deepEqual(c.seen('sendable'), [
      'rejected',
      'settled',
      'released',
      'settled',
      'released',
      'settled',
    ]);
  });

  it('another state (received): no outcome callback, settled only', () => {
    const { c } = exchange(['x'], (_b, d, h) => {
      const r = new Received();
      r.sectionNumber = 0;
      r.sectionOffset = 0;
      h.settle(d, r);
    });
    assert.deepEqual(c.seen('sendable'), ['settled']);
  });

  it('an outcome without settlement: the outcome only; settled comes with the settlement', () => {
    let held: Delivery | undefined;
    const { c, client, server, ds } = exchange(['x'], (_b, d) => {
      d.update(new Accepted());
      held = d;
    });
    assert.deepEqual(c.seen('sendable'), ['accepted']);
    assert.equal(ds[0]!.settled, false);
    held!.settle();
    run(client, server);
    assert.deepEqual(c.seen('sendable'), ['accepted', 'accepted', 'settled']);
    assert.equal(ds[0]!.settled, true);
  });

  it('nothing for a delivery event without a remote change, or on a receiver', () => {
    const got: string[] = [];
    const h = new OutgoingMessageHandler({ delegate: { onUnhandled: (m: string) => got.push(m) } });
    const { client, server } = peers(h, new Recorder());
    const snd = openLink(client, server, 'out', true) as Sender;
    got.length = 0;
    const d = snd.delivery();
    fire(h, 'delivery', d);
    assert.deepEqual(got, []);
    const s2 = new Recorder();
    const env = peers(new Handler().add(h), s2);
    const rcv = openLink(env.client, env.server, 'in', false) as Receiver;
    rcv.flow(1);
    run(env.client, env.server);
    send(linkNamed<Sender>(env.server, 'in', true), 'x');
    run(env.client, env.server);
    assert.deepEqual(got, []);
  });

  it('calls its own methods without a delegate', () => {
    const seen: string[] = [];
    class Mine extends OutgoingMessageHandler {
      onSendable(e: Event) {
        seen.push(e.type);
      }
    }
    const { client, server } = peers(new Mine(), new Recorder());
    openLink(client, server, 'out', true);
    assert.deepEqual(seen, ['sendable']);
  });

  it('checks its options', () => {
    assert.equal(new OutgoingMessageHandler().autoSettle, true);
    assert.throws(
      () => new OutgoingMessageHandler({ autoSettle: 'no' as unknown as boolean }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'autoSettle',
    );
    assert.throws(
      () => new OutgoingMessageHandler({ prefetch: 3 } as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'prefetch',
    );
  });
});
