/**
 * The promise API across a reconnect (a TCP relay in front of a direct peer, dropped mid-send): sends
 * in doubt reject with DeliveryInDoubt saying so, unless the sender was opened with resend, in which
 * case they are sent again and resolve with the new outcome; the links come back and keep working.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Accepted,
  accept,
  connect,
  type Delivery,
  DeliveryInDoubt,
  Message,
  State,
} from '../../src/index.js';
import { TcpProxy, until } from '../support/container-harness.js';
import { DirectPeer } from './harness.js';

async function setUp() {
  const peer = await new DirectPeer().start();
  const proxy = new TcpProxy(Number(peer.url.split(':')[1]));
  await proxy.listen();
  const conn = await connect(`127.0.0.1:${proxy.port}`, {
    reconnect: [20, 20, 20, 20, 20, 20],
    timeout: 5000,
  });
  const held: Delivery[] = [];
  // The peer holds the first copy of 'held' unsettled, and accepts everything else.
  peer.decide = (m, d) => {
    if (m.body === 'held' && held.length === 0) held.push(d);
    else accept(d);
  };
  return {
    peer,
    proxy,
    conn,
    held,
    async tearDown() {
      await conn.close();
      await proxy.dispose();
      await peer.stop();
    },
  };
}

describe('promise API and reconnect', () => {
  it('without resend, a send in flight rejects with DeliveryInDoubt; the sender works after', async () => {
    const t = await setUp();
    try {
      const s = await t.conn.openSender('q');
      const p = s.send(new Message({ body: 'held' }));
      await until(2000, 'the peer holds it', () => t.held.length === 1);
      t.proxy.dropAll();
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof DeliveryInDoubt, String(e));
        assert.match(e.message, /may or may not have it/);
        assert.match(e.message, /resend: true/);
        return true;
      });
      await until(3000, 'reattached', () => t.proxy.accepted === 2 && s.isOpen);
      await s.send(new Message({ body: 'after' }));
      assert.deepEqual(
        t.peer.messages.map((m) => m.body),
        ['held', 'after'],
      );
      assert.equal(s.sender.inDoubt.length, 0);
    } finally {
      await t.tearDown();
    }
  });

  it('with resend, a send in flight survives: sent again, it resolves with the new outcome', async () => {
    const t = await setUp();
    try {
      const s = await t.conn.openSender('q', { resend: true });
      const p = s.send(new Message({ body: 'held' }));
      await until(2000, 'the peer holds it', () => t.held.length === 1);
      t.proxy.dropAll();
      // Sent while the connection is down: it waits for the new link's credit.
      const later = s.send(new Message({ body: 'during' }));
      assert.ok((await p) instanceof Accepted);
      assert.ok((await later) instanceof Accepted);
      assert.deepEqual(
        t.peer.messages.map((m) => m.body),
        ['held', 'held', 'during'],
        'the held message went twice (at-least-once), then the one sent during the outage',
      );
      assert.equal(t.conn.connection.remoteState, State.REMOTE_ACTIVE);
    } finally {
      await t.tearDown();
    }
  });

  it('a receiver gets credit again on the new link', async () => {
    const t = await setUp();
    try {
      const r = await t.conn.openReceiver('feed', { credit: 5 });
      await until(2000, 'peer sender', () => t.peer.senders.length === 1);
      t.proxy.dropAll();
      await until(3000, 'the new link', () => t.peer.senders.length === 2 && t.peer.senders[1]!.credit === 5);
      t.peer.senders[1]!.send(new Message({ body: 'after reconnect' }));
      const d = await r.receive({ timeout: 2000 });
      assert.equal(d.message.body, 'after reconnect');
      d.accept();
    } finally {
      await t.tearDown();
    }
  });
});
