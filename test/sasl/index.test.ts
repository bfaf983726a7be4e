import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as sasl from '../../src/sasl/index.js';

describe('the sasl/ public surface', () => {
  it('exports the mechanisms, the negotiators and the helpers', () => {
    assert.deepEqual(Object.keys(sasl).sort(), [
      'ANONYMOUS_TRACE',
      'AnonymousClient',
      'AnonymousServer',
      'ClientNegotiator',
      'ExternalClient',
      'ExternalServer',
      'PlainClient',
      'PlainServer',
      'SASL_MECHANISMS',
      'SCRAM_DEFAULT_ITERATIONS',
      'SCRAM_MAX_ITERATIONS',
      'SCRAM_MECHANISMS',
      'SaslCode',
      'ScramClient',
      'ScramServer',
      'ServerNegotiator',
      'isChallenge',
      'isRefusal',
      'isSuccess',
      'saslPrep',
      'scramCredentials',
    ]);
  });

  it('names every mechanism as its classes do', () => {
    const names = [
      new sasl.AnonymousClient().name,
      new sasl.PlainClient({ user: 'u', password: 'p' }).name,
      new sasl.ExternalClient().name,
      ...(['SHA-1', 'SHA-256', 'SHA-512'] as const).map(
        (h) => new sasl.ScramClient(h, { user: 'u', password: 'p' }).name,
      ),
    ];
    assert.deepEqual([...names].sort(), [...sasl.SASL_MECHANISMS].sort());
  });
});
