/**
 * Issue 5: the broker's clean shutdown. Every client is sent a close (amqp:connection:forced, so
 * reconnecting clients try again) before the sockets go, and the broker's container stops.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Event, MessagingHandler } from '../../src/index.js';
import { client, startBroker, until } from './harness.js';

/** Connects with a receiver, and records how the connection ends, in order. */
class Watcher extends MessagingHandler {
  readonly seen: string[] = [];
  opened = false;
  constructor(
    private readonly url: string,
    /** Close our side when the broker closes its (as a client not reconnecting would). */
    private readonly answer = false,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.createReceiver(e.container.connect(this.url, { reconnect: false }), 'q');
  }
  override onConnectionOpened(): void {
    this.opened = true;
  }
  onConnectionRemoteClose(e: Event): void {
    const c = e.connection!.remoteCondition;
    this.seen.push(`remote close ${c?.name} (${c?.description})`);
    if (this.answer) e.connection!.close();
  }
  override onConnectionClosed(): void {
    this.seen.push('closed');
  }
}

describe('broker shutdown', () => {
  it('a connected client is sent a close before the socket goes; the container stops', async () => {
    const b = await startBroker();
    const w = new Watcher(b.url);
    const running = client(w, 5000);
    await until(() => w.opened, 3000, 'the client to connect');
    const started = Date.now();
    await b.broker.shutdown({ timeout: 300 });
    await b.done;
    // The client is left with nothing to do once the socket goes: its container ends by itself.
    await running;
    assert.ok(Date.now() - started < 2000, 'the client saw the socket go');
    assert.deepEqual(w.seen, ['remote close amqp:connection:forced (the broker is shutting down)']);
    assert.equal(b.broker.connections.size, 0);
  });

  it('clients that close their side let the shutdown finish without waiting out the timeout', async () => {
    const b = await startBroker();
    const ws = [new Watcher(b.url, true), new Watcher(b.url, true)];
    const running = ws.map((w) => client(w, 5000));
    await until(() => ws.every((w) => w.opened), 3000, 'the clients to connect');
    const started = Date.now();
    await b.broker.shutdown({ timeout: 4000 });
    const took = Date.now() - started;
    await Promise.all([b.done, ...running]);
    assert.ok(took < 2000, `shutdown took ${took} ms`);
    for (const w of ws) {
      assert.equal(w.seen[0], 'remote close amqp:connection:forced (the broker is shutting down)');
      assert.ok(w.seen.includes('closed'), w.seen.join(', '));
    }
  });

  it('with no client, shutdown stops the broker at once', async () => {
    const b = await startBroker();
    const started = Date.now();
    await b.broker.shutdown({ timeout: 4000 });
    await b.done;
    assert.ok(Date.now() - started < 1000);
  });
});
