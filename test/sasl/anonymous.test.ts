import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SASLError } from '../../src/errors.js';
import { AnonymousClient, AnonymousServer, isSuccess } from '../../src/sasl/index.js';
import { bytes, exchange, str } from './exchange.js';

describe('ANONYMOUS', () => {
  it('sends the trace `anonymous` by default, as Proton 0.37', () => {
    const c = new AnonymousClient();
    assert.equal(c.name, 'ANONYMOUS');
    assert.equal(str(c.initialResponse()), 'anonymous');
    assert.equal(str(new AnonymousClient('bob').initialResponse()), 'bob');
  });

  it('lets the client in as `anonymous`, whatever the trace', async () => {
    for (const trace of [undefined, new Uint8Array(0), bytes('bob'), Uint8Array.of(0xff, 0)]) {
      const step = await new AnonymousServer().init(trace, undefined);
      assert.deepEqual(step, { outcome: 0, user: 'anonymous' });
    }
    const r = await exchange(new AnonymousClient(), new AnonymousServer());
    assert.ok(r.step && isSuccess(r.step));
    assert.equal(r.clientError, undefined);
    assert.deepEqual(r.transcript, ['C: anonymous', 'S: (none)']);
  });

  it('refuses a challenge (client) and a response (server)', async () => {
    assert.throws(
      () => new AnonymousClient().challenge(),
      (e: unknown) => e instanceof SASLError && e.code === 3,
    );
    const s = new AnonymousServer();
    assert.deepEqual((await s.response()) as object, {
      outcome: 1,
      reason: 'ANONYMOUS: unexpected sasl-response',
    });
    s.init();
    assert.match(JSON.stringify(s.response()), /after the outcome/);
  });
});
