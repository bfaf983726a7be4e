/**
 * connect() and close() of the promise API against the embedded broker: open and close, a refused
 * port, a silent server (timeout), an abort, and nothing left behind on any of these paths.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConnectionClosed, connect, OperationAborted, State, Timeout } from '../../src/index.js';
import { freePort } from '../support/socket-driver.js';
import {
  assertNoListeners,
  assertTimersBackTo,
  type RunningBroker,
  startBroker,
  timerCount,
} from './harness.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

/** A TCP server that accepts and never says a word. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('promise connect', () => {
  it('opens, then closes both ways; the container stops', async () => {
    const timers = timerCount();
    const conn = await connect(broker.url, { containerId: 'promise-client' });
    assert.equal(conn.connection.remoteState, State.REMOTE_ACTIVE);
    assert.ok(conn.isOpen);
    await conn.close();
    assert.equal(conn.connection.localState, State.LOCAL_CLOSED);
    assert.equal(conn.connection.remoteState, State.REMOTE_CLOSED);
    assert.equal(conn.container.running, false);
    assert.equal(conn.isOpen, false);
    await conn.close(); // idempotent
    await assertTimersBackTo(timers);
  });

  it('rejects with ConnectionClosed for a refused port, and stops its container', async () => {
    const port = await freePort();
    await assert.rejects(connect(`127.0.0.1:${port}`), (e: unknown) => {
      assert.ok(e instanceof ConnectionClosed, String(e));
      assert.match(e.message, /disconnected/);
      return true;
    });
  });

  it('times out against a silent server, leaving no timer, socket or container running', async () => {
    const silent = await silentServer();
    try {
      const timers = timerCount();
      const started = Date.now();
      let conn: unknown;
      await assert.rejects(
        connect(`127.0.0.1:${silent.port}`, { timeout: 150 }).then((c) => {
          conn = c;
        }),
        Timeout,
      );
      assert.equal(conn, undefined);
      assert.ok(Date.now() - started >= 140);
      await new Promise((r) => setImmediate(r));
      await assertTimersBackTo(timers);
    } finally {
      await silent.close();
    }
  });

  it('is called off by its AbortSignal, removing its listener', async () => {
    const silent = await silentServer();
    try {
      const ac = new AbortController();
      const p = connect(`127.0.0.1:${silent.port}`, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('changed my mind')), 50);
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof OperationAborted);
        assert.equal((e.cause as Error).message, 'changed my mind');
        return true;
      });
      assertNoListeners(ac.signal);
      // An already aborted signal fails at once.
      await assert.rejects(connect(broker.url, { signal: ac.signal }), OperationAborted);
    } finally {
      await silent.close();
    }
  });

  it('fails what waits on it when the peer closes the connection', async () => {
    const conn = await connect(broker.url);
    const receiver = await conn.openReceiver('promise-peer-close');
    const waiting = receiver.receive();
    // The broker's side of this connection: close it from there.
    const brokerSide = [...(broker.broker?.connections ?? [])].at(-1);
    assert.ok(brokerSide !== undefined, 'the broker knows the connection');
    brokerSide.close();
    await assert.rejects(waiting, ConnectionClosed);
    await assert.rejects(conn.openSender('x'), ConnectionClosed);
    await conn.close();
    assert.equal(conn.container.running, false);
  });
});
