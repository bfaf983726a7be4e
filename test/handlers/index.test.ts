/** The handlers' public surface, and Reject and Release. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Condition } from '../../src/engine/index.js';
import { ProtonError } from '../../src/errors.js';
import * as handlers from '../../src/handlers/index.js';

describe('handlers index', () => {
  it('exports every handler, the acking functions, Reject and Release', () => {
    for (const name of [
      'Handler',
      'MessagingHandler',
      'FlowController',
      'Handshaker',
      'EndpointStateHandler',
      'IncomingMessageHandler',
      'OutgoingMessageHandler',
      'TransactionHandler',
      'TransactionalClientHandler',
      'Reject',
      'Release',
      'accept',
      'reject',
      'release',
      'settle',
    ]) {
      assert.equal(typeof (handlers as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('Reject: a ProtonError, with or without an error for the rejected outcome', () => {
    const plain = new handlers.Reject();
    assert.ok(plain instanceof ProtonError);
    assert.equal(plain.name, 'Reject');
    assert.equal(plain.message, 'message rejected');
    assert.equal(plain.error, undefined);
    const c = new Condition('amqp:invalid-field', 'no subject');
    const withError = new handlers.Reject('bad message', c);
    assert.equal(withError.error, c, 'a Condition fits');
    assert.equal(withError.condition, 'amqp:invalid-field');
    assert.equal(withError.message, 'bad message');
  });

  it('Release: a ProtonError', () => {
    const r = new handlers.Release();
    assert.ok(r instanceof ProtonError);
    assert.equal(r.name, 'Release');
    assert.equal(r.message, 'message released');
    assert.equal(new handlers.Release('later').message, 'later');
  });
});
