/**
 * Proton's blocking utilities on the promise API: BlockingConnection, BlockingSender.send with its
 * error states, BlockingReceiver.receive(timeout) and settling the oldest message, SyncRequestResponse,
 * and the exceptions (SendException, LinkDetached, ConnectionClosed, Timeout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BlockingConnection,
  Condition,
  ConnectionClosed,
  LinkDetached,
  Message,
  Modified,
  reject,
  release,
  SendException,
  SyncRequestResponse,
  Timeout,
} from '../../src/index.js';
import { until } from '../support/container-harness.js';
import { freePort } from '../support/socket-driver.js';
import { DirectPeer, type RunningBroker, startBroker } from './harness.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

describe('blocking utilities', () => {
  it('helloworld_blocking, as Proton Python writes it with await added', async () => {
    const conn = new BlockingConnection(broker.url);
    const receiver = await conn.createReceiver('blocking-hello');
    const sender = await conn.createSender('blocking-hello');
    await sender.send(new Message({ body: 'Hello World!' }));
    const msg = await receiver.receive(30_000);
    assert.equal(msg.body, 'Hello World!');
    receiver.accept();
    await conn.close();
    assert.equal(conn.connection?.container.running, false);
  });

  it('receive(timeout) rejects with Timeout; accept/release settle the oldest message first', async () => {
    const conn = new BlockingConnection(broker.url, { timeout: 5000 });
    try {
      const sender = await conn.createSender('blocking-order');
      for (const body of ['a', 'b']) await sender.send(new Message({ body }));
      const receiver = await conn.createReceiver('blocking-order', { credit: 10 });
      assert.equal((await receiver.receive()).body, 'a');
      assert.equal((await receiver.receive()).body, 'b');
      receiver.release(false); // a goes back
      receiver.accept(); // b is consumed
      assert.equal((await receiver.receive()).body, 'a');
      receiver.accept();
      await assert.rejects(receiver.receive(100), (e: unknown) => {
        assert.ok(e instanceof Timeout);
        assert.match(e.message, /Receiving on receiver/);
        return true;
      });
      assert.throws(() => receiver.accept(), /no message received/);
    } finally {
      await conn.close();
    }
  });

  it('send rejects with SendException for rejected and released, not for modified unless asked', async () => {
    const peer = await new DirectPeer().start();
    peer.decide = (m, d) => {
      if (m.body === 'reject') reject(d);
      else if (m.body === 'release') release(d, false);
      else if (m.body === 'modify') release(d, true);
      else d.settle();
    };
    const conn = new BlockingConnection(peer.url);
    try {
      const sender = await conn.createSender('q');
      await assert.rejects(sender.send(new Message({ body: 'reject' })), (e: unknown) => {
        return e instanceof SendException && e.outcome === 'rejected';
      });
      await assert.rejects(sender.send(new Message({ body: 'release' })), SendException);
      const d = await sender.send(new Message({ body: 'modify' }));
      assert.ok(d.remote instanceof Modified, 'modified is not an error state by default');
      await assert.rejects(
        sender.send(new Message({ body: 'modify' }), { errorStates: ['rejected', 'released', 'modified'] }),
        SendException,
      );
      // The link detached by the peer: LinkDetached, with the condition.
      const receiver = await conn.createReceiver('r');
      await until(2000, 'peer link', () => peer.senders.length === 1);
      peer.senders[0]!.close(new Condition('amqp:resource-deleted', 'gone'));
      await assert.rejects(receiver.receive(2000), (e: unknown) => {
        assert.ok(e instanceof LinkDetached);
        assert.match(e.message, /closed due to: amqp:resource-deleted/);
        return true;
      });
      // The connection closed by the peer: ConnectionClosed, with the peer's condition.
      const other = await conn.createReceiver('other');
      const waiting = other.receive(5000);
      for (const c of peer.connections) c.close(new Condition('amqp:internal-error', 'shutting down'));
      await assert.rejects(waiting, (e: unknown) => {
        assert.ok(e instanceof ConnectionClosed, String(e));
        assert.equal(e.condition, 'amqp:internal-error');
        assert.match(e.message, /closed by peer due to: amqp:internal-error \(shutting down\)/);
        return true;
      });
    } finally {
      await conn.close();
      await peer.stop();
    }
  });

  it('a refused connection surfaces at the first await as ConnectionClosed', async () => {
    const port = await freePort();
    const conn = new BlockingConnection(`127.0.0.1:${port}`);
    await assert.rejects(conn.createSender('x'), ConnectionClosed);
    await conn.close();
  });

  it('SyncRequestResponse.call, as sync_client.py', async () => {
    const server = new BlockingConnection(broker.url);
    const service = await (await server.opened).serve('blocking-rpc', (req) =>
      String(req.body).toUpperCase(),
    );
    const client = new SyncRequestResponse(
      new BlockingConnection(broker.url, { timeout: 5000 }),
      'blocking-rpc',
    );
    try {
      const REQUESTS = ['Twas brillig, and the slithy toves', 'Did gire and gymble in the wabe.'];
      const lines: string[] = [];
      for (const request of REQUESTS) {
        const response = await client.call(new Message({ body: request }));
        lines.push(`${request} => ${response.body}`);
      }
      assert.deepEqual(
        lines,
        REQUESTS.map((r) => `${r} => ${r.toUpperCase()}`),
      );
      await assert.rejects(
        new SyncRequestResponse(client.connection).call(new Message({ body: 'x' })),
        /no address/,
      );
    } finally {
      await client.connection.close();
      await service.close();
      await server.close();
    }
  });
});
