/**
 * Acking: accept, reject (with and without an error), release (modified with delivery-failed, or
 * released), settle with and without a state; each settles, each is a no-op on a settled delivery, and
 * the sender sees the outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accepted, Modified, Rejected, Released } from '../../src/codec/composite-types.js';
import { Condition, type Delivery, type Sender } from '../../src/engine/index.js';
import {
  accept,
  modifiedOutcome,
  reject,
  rejectedOutcome,
  release,
  settle,
  toAmqpError,
} from '../../src/handlers/acking.js';
import { linkNamed, openLink, peers, Recorder, run, send } from './loop.js';

/** One message received and left unsettled; returns both ends of it and a way to deliver the outcome. */
function received(): { got: Delivery; sent: Delivery; flush: () => void } {
  const c = new Recorder({ autoAccept: false });
  const s = new Recorder({ autoSettle: false });
  let got: Delivery | undefined;
  c.hooks.message = (e) => {
    got = e.delivery;
  };
  const { client, server } = peers(c, s);
  openLink(client, server, 'q', false);
  const sent = send(linkNamed<Sender>(server, 'q', true), 'm');
  run(client, server);
  assert.ok(got);
  return { got, sent, flush: () => run(client, server) };
}

describe('acking', () => {
  it('accept: the accepted outcome, settled', () => {
    const { got, sent, flush } = received();
    accept(got);
    assert.ok(got.local instanceof Accepted);
    assert.equal(got.settled, true);
    flush();
    assert.ok(sent.remote instanceof Accepted);
    assert.equal(sent.remoteSettled, true);
  });

  it('reject: the rejected outcome, with the condition given as its error', () => {
    const a = received();
    reject(a.got);
    a.flush();
    assert.ok(a.sent.remote instanceof Rejected);
    assert.equal(a.sent.remote.error, undefined);
    const b = received();
    reject(b.got, new Condition('amqp:invalid-field', 'no subject', new Map([['field', 'subject']])));
    b.flush();
    assert.ok(b.sent.remote instanceof Rejected);
    assert.equal(b.sent.remote.error?.condition, 'amqp:invalid-field');
    assert.equal(b.sent.remote.error?.description, 'no subject');
    const info = b.sent.remote.error?.info as Map<unknown, unknown>;
    assert.equal(info.get('field'), 'subject');
  });

  it('release: modified with delivery-failed when delivered (the default), released otherwise', () => {
    const a = received();
    release(a.got);
    a.flush();
    assert.ok(a.sent.remote instanceof Modified);
    assert.equal(a.sent.remote.deliveryFailed, true);
    assert.ok(!a.sent.remote.undeliverableHere);
    const b = received();
    release(b.got, false);
    b.flush();
    assert.ok(b.sent.remote instanceof Released);
  });

  it('settle: with no state, settles only; with one, sets it first', () => {
    const a = received();
    settle(a.got);
    assert.equal(a.got.local, undefined);
    assert.equal(a.got.settled, true);
    a.flush();
    assert.equal(a.sent.remoteSettled, true);
    const b = received();
    settle(b.got, new Released());
    assert.ok(b.got.local instanceof Released);
    b.flush();
    assert.ok(b.sent.remote instanceof Released);
  });

  it('does nothing to a delivery settled already', () => {
    const { got } = received();
    accept(got);
    assert.doesNotThrow(() => {
      reject(got);
      release(got);
      settle(got, new Released());
      accept(got);
    });
    assert.ok(got.local instanceof Accepted, 'the first outcome stands');
  });

  it('the outcome builders', () => {
    const m = modifiedOutcome(false, true);
    assert.deepEqual([m.deliveryFailed, m.undeliverableHere, m.messageAnnotations], [false, true, undefined]);
    assert.equal(rejectedOutcome().error, undefined);
    const e = toAmqpError({ name: 'x:y', description: 'd', info: { k: 1 } });
    assert.deepEqual([e.condition, e.description, e.info], ['x:y', 'd', { k: 1 }]);
    assert.equal(toAmqpError({ name: 'x:y', info: 'not a map' }).info, undefined);
    assert.equal(toAmqpError({ name: 'x:y', info: [1] }).info, undefined);
  });
});
