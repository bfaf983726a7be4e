/**
 * Request and response against the embedded broker: conn.request() with a dynamic reply queue and
 * correlation ids, conn.serve() answering, concurrent requests matched by correlation id, a handler
 * that fails, and a request that times out leaving nothing pending.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  connect,
  InvalidOptionError,
  Message,
  type PromiseConnection,
  type Responder,
  Timeout,
} from '../../src/index.js';
import { assertTimersBackTo, type RunningBroker, startBroker, timerCount } from './harness.js';

let broker: RunningBroker;
let client: PromiseConnection;
let server: PromiseConnection;
let responder: Responder;

before(async () => {
  broker = await startBroker();
  client = await connect(broker.url);
  server = await connect(broker.url);
  responder = await server.serve('upper', async (request) => {
    const body = String(request.body);
    if (body === 'fail') throw new Error('cannot do that');
    if (body.startsWith('slow')) await new Promise((r) => setTimeout(r, 30));
    return new Message({ body: body.toUpperCase(), properties: { via: 'upper' } });
  });
});
after(async () => {
  await responder.close();
  await client.close();
  await server.close();
  await broker.stop();
});

describe('request and serve', () => {
  it('a request gets its response, with reply-to the dynamic queue and a correlation id', async () => {
    const request = new Message({ body: 'hello' });
    const response = await client.request('upper', request, { timeout: 5000 });
    assert.equal(response.body, 'HELLO');
    assert.equal(response.properties?.via, 'upper');
    assert.ok(request.replyTo !== undefined && request.replyTo.length > 0);
    assert.equal(response.correlationId, request.correlationId);
  });

  it('concurrent requests are matched to their responses by correlation id', async () => {
    const bodies = ['slow a', 'b', 'slow c', 'd', 'e'];
    const responses = await Promise.all(bodies.map((b) => client.request('upper', new Message({ body: b }))));
    assert.deepEqual(
      responses.map((r) => r.body),
      bodies.map((b) => b.toUpperCase()),
    );
    const ids = new Set(responses.map((r) => String(r.correlationId)));
    assert.equal(ids.size, bodies.length);
  });

  it('a handler that throws has the request rejected; the client, with no response, times out', async () => {
    const failedBefore = responder.failed;
    // The broker accepts the request on arrival; the responder's rejection stays between it and the broker.
    // So the client's call times out, and the responder counts the failure.
    await assert.rejects(client.request('upper', new Message({ body: 'fail' }), { timeout: 200 }), Timeout);
    assert.equal(responder.failed, failedBefore + 1);
  });

  it('times out when nobody answers, leaving no pending response or timer', async () => {
    const timers = timerCount();
    await assert.rejects(
      client.request('nobody-home', new Message({ body: 'anyone?' }), { timeout: 100 }),
      Timeout,
    );
    await assertTimersBackTo(timers);
    // The reply queue still works after.
    assert.equal((await client.request('upper', new Message({ body: 'still here' }))).body, 'STILL HERE');
  });

  it('a request without an address is refused at once', async () => {
    await assert.rejects(client.request(undefined, new Message({ body: 'x' })), InvalidOptionError);
    // The message's own address is used when given.
    const r = await client.request(undefined, new Message({ address: 'upper', body: 'own address' }));
    assert.equal(r.body, 'OWN ADDRESS');
  });
});
