/**
 * FlowController: receiver credit topped up to the window on the four events Proton uses, the queued
 * (unread) deliveries counted in so the prefetch is Proton's, senders left alone, no credit on links
 * that cannot take it, and a drain that pauses one link only (not Proton's shared counter).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/container/event.js';
import type { Receiver, Sender } from '../../src/engine/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { FlowController } from '../../src/handlers/flow-controller.js';
import { Handler } from '../../src/handlers/handler.js';
import { Handshaker } from '../../src/handlers/handshaker.js';
import { fire, linkNamed, openLink, peers, run, send } from './loop.js';

/** A server that opens what the client opens and answers drains with all the credit back. */
function drainingServer(): Handler {
  const h = new Handler();
  h.add(new Handshaker());
  h.add({
    onLinkFlow(e: Event) {
      const s = e.sender;
      if (s?.drain) s.drained();
    },
  });
  return h;
}

/** The receiver's credit on the wire (the engine's `linkCredit`): what the sender still holds. */
function wire(r: Receiver): number {
  return r.linkCredit;
}

function setup(window: number) {
  const fc = new FlowController(window);
  const { client, server } = peers(fc, drainingServer());
  const rcv = openLink(client, server, 'q', false) as Receiver;
  const snd = linkNamed<Sender>(server, 'q', true);
  return { fc, client, server, rcv, snd };
}

describe('FlowController', () => {
  it('grants the window when the receiver opens', () => {
    const { rcv, snd } = setup(5);
    assert.equal(rcv.credit, 5);
    assert.equal(snd.credit, 5);
  });

  it('counts unread deliveries in: never more than the window granted or arrived and unread', () => {
    const { client, server, rcv, snd } = setup(5);
    for (let i = 0; i < 3; i++) send(snd, `m${i}`);
    run(client, server);
    assert.equal(rcv.queued, 3);
    assert.equal(wire(rcv), 2, 'wire credit + queued = window');
    assert.equal(snd.credit, 2, 'no more credit for the sender while the 3 are unread');
    for (let i = 3; i < 8; i++) if (snd.credit > 0) send(snd, `m${i}`);
    run(client, server);
    assert.equal(rcv.queued, 5, 'the prefetch: 5 unread messages at most');
    assert.equal(wire(rcv), 0);
    assert.equal(snd.credit, 0);
  });

  it('gives credit back after a message is read, on the next event of the link', () => {
    const { client, server, rcv, snd } = setup(4);
    for (let i = 0; i < 4; i++) send(snd, `m${i}`);
    run(client, server);
    assert.equal(snd.credit, 0);
    for (let i = 0; i < 2; i++) {
      rcv.recv(rcv.current!.pending);
      rcv.advance();
    }
    run(client, server);
    assert.equal(snd.credit, 0, 'reading alone grants nothing');
    fire(client.handler, 'link_flow', rcv);
    assert.equal(wire(rcv), 2);
    run(client, server);
    assert.equal(snd.credit, 2, 'the sender was told');
  });

  it('tops up on link_local_open, link_remote_open, link_flow and delivery only', () => {
    const fc = new FlowController(3);
    const { client, server } = peers(fc, new Handshaker());
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const rcv = s.receiver('r');
    rcv.open();
    // Dispatch link_local_open alone.
    for (let e = client.collector.pop(); e !== undefined; e = client.collector.pop()) {
      if (e.type === 'link_local_open') {
        assert.equal(wire(rcv), 0);
        fire(fc, e.type, e.context);
        assert.equal(wire(rcv), 3);
      }
    }
    run(client, server);
    assert.equal(linkNamed<Sender>(server, 'r', true).credit, 3);
    for (const type of ['link_remote_open', 'link_flow', 'delivery']) {
      assert.equal(wire(rcv), 3);
      // Take credit away by hand (as arrivals would) and check the event restores it.
      rcv.linkCredit = 1;
      fire(fc, type, type === 'delivery' ? { link: rcv, delivery: undefined } : rcv);
      assert.equal(wire(rcv), 3, type);
    }
    rcv.linkCredit = 1;
    for (const type of ['link_init', 'session_remote_open', 'link_remote_close', 'transport']) {
      fire(fc, type, rcv);
      assert.equal(wire(rcv), 1, `${type} gives no credit`);
    }
  });

  it('leaves senders alone', () => {
    const fc = new FlowController(7);
    const { client, server } = peers(fc, new Handshaker());
    const snd = openLink(client, server, 'out', true) as Sender;
    assert.equal(snd.credit, 0);
    assert.equal(linkNamed<Receiver>(server, 'out', false).credit, 0);
  });

  it('gives no credit to a link closed here, closed by the peer, or on a closed connection', () => {
    const { client, server, rcv, snd } = setup(2);
    send(snd, 'a');
    send(snd, 'b');
    run(client, server);
    rcv.advance();
    rcv.close();
    assert.doesNotThrow(() => fire(client.handler, 'delivery', rcv.current));
    assert.equal(wire(rcv), 0);

    const other = setup(2);
    other.snd.close();
    run(other.client, other.server);
    other.rcv.linkCredit = 0;
    fire(other.fc, 'link_flow', other.rcv);
    assert.equal(wire(other.rcv), 0, 'the peer closed it');

    const third = setup(2);
    third.rcv.linkCredit = 0;
    third.client.connection.close();
    assert.doesNotThrow(() => fire(third.fc, 'link_flow', third.rcv));
    assert.equal(wire(third.rcv), 0);
  });

  it('pauses a draining link only, and keeps its window again once the drain is over', () => {
    const fc = new FlowController(3);
    const { client, server } = peers(fc, drainingServer());
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const a = s.receiver('a');
    const b = s.receiver('b');
    a.open();
    b.open();
    run(client, server);
    const sa = linkNamed<Sender>(server, 'a', true);
    const sb = linkNamed<Sender>(server, 'b', true);
    send(sa, 'x');
    run(client, server);
    a.recv(a.current!.pending);
    a.advance();
    assert.equal(wire(a) + a.queued, 2, 'one short of the window');
    a.drainCredit(0);
    fire(fc, 'link_flow', a);
    assert.equal(wire(a), 2, 'no credit added while draining');
    assert.equal(a.drain, true, 'the drain is still asked for');
    run(client, server);
    assert.equal(a.drain, false, 'the sender answered the drain');
    assert.equal(wire(a), 3, 'the window is kept again after the drain');
    assert.equal(sa.credit, 3);
    // Proton's shared drained counter would now starve every link; b still gets its credit back.
    send(sb, 'y');
    run(client, server);
    b.recv(b.current!.pending);
    b.advance();
    fire(fc, 'link_flow', b);
    assert.equal(wire(b), 3);
  });

  it('takes a whole window of 0 or more, 1024 by default', () => {
    assert.equal(new FlowController().window, 1024);
    assert.equal(new FlowController(0).window, 0);
    for (const bad of [-1, 1.5, Number.NaN, '10' as unknown as number]) {
      assert.throws(
        () => new FlowController(bad),
        (e: unknown) => e instanceof InvalidOptionError && e.option === 'window',
      );
    }
  });

  it('with a window of 0 gives nothing', () => {
    const fc = new FlowController(0);
    const { client, server } = peers(fc, new Handshaker());
    const rcv = openLink(client, server, 'z', false) as Receiver;
    assert.equal(rcv.credit, 0);
  });
});
