import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SASLError } from '../../src/errors.js';
import { ExternalClient, ExternalServer } from '../../src/sasl/index.js';
import { bytes, exchange, str } from './exchange.js';

const SUBJECT = 'CN=client,O=Example';

describe('EXTERNAL', () => {
  it('sends an empty initial response, or the authzid, as Proton 0.37', () => {
    assert.equal(new ExternalClient().initialResponse().length, 0);
    assert.equal(str(new ExternalClient('boss').initialResponse()), 'boss');
  });

  it('lets the client in as the transport identity', async () => {
    const r = await exchange(new ExternalClient(), new ExternalServer(SUBJECT));
    assert.deepEqual(r.step, { outcome: 0, user: SUBJECT });
    assert.equal(r.clientError, undefined);
    assert.deepEqual(await new ExternalServer(SUBJECT).init(undefined), { outcome: 0, user: SUBJECT });
  });

  it('passes the authzid on', async () => {
    const r = await exchange(new ExternalClient('boss'), new ExternalServer(SUBJECT));
    assert.deepEqual(r.step, { outcome: 0, user: SUBJECT, authzid: 'boss' });
  });

  it('refuses a client when the transport has no identity', async () => {
    for (const identity of [undefined, '']) {
      const r = await exchange(new ExternalClient(), new ExternalServer(identity));
      assert.deepEqual(r.step, {
        outcome: 1,
        reason: 'EXTERNAL: the transport established no identity (no client certificate)',
      });
    }
  });

  it('refuses an authzid that is not UTF-8, a second init and a response', async () => {
    assert.equal(new ExternalServer(SUBJECT).init(Uint8Array.of(0xff)).outcome, 1);
    const s = new ExternalServer(SUBJECT);
    s.init(bytes(''));
    assert.equal(s.init(bytes('')).outcome, 1);
    assert.equal(new ExternalServer(SUBJECT).response().outcome, 1);
    assert.throws(() => new ExternalClient().challenge(), SASLError);
  });
});
