import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SASLError } from '../../src/errors.js';
import {
  AnonymousClient,
  AnonymousServer,
  type ClientMechanism,
  ExternalClient,
  ExternalServer,
  isChallenge,
  isSuccess,
  PlainClient,
  PlainServer,
  SaslCode,
  ScramClient,
  type ScramHash,
  ScramServer,
  type ServerMechanism,
  type ServerStep,
  scramCredentials,
} from '../../src/sasl/index.js';
import { andThen, callUser, failure } from '../../src/sasl/mechanism.js';
import { bytes } from './exchange.js';
import { RFC7677 } from './vectors.js';

describe('the SASL outcome codes', () => {
  it('are those of AMQP 1.0 section 5.3.3.6', () => {
    assert.deepEqual(SaslCode, { ok: 0, auth: 1, sys: 2, sysPerm: 3, sysTemp: 4 });
  });

  it('tell the kinds of step apart', () => {
    const steps: ServerStep[] = [
      { challenge: new Uint8Array(0) },
      { outcome: 0, user: 'u' },
      failure(1, 'no'),
    ];
    assert.deepEqual(steps.map(isChallenge), [true, false, false]);
    assert.deepEqual(steps.map(isSuccess), [false, true, false]);
    assert.deepEqual(failure(4, 'later'), { outcome: 4, reason: 'later' });
  });
});

describe('andThen and callUser', () => {
  const ok = (v: boolean): ServerStep => (v ? { outcome: 0, user: 'u' } : failure(1, 'no'));

  it('stay synchronous for a plain value', () => {
    assert.deepEqual(
      callUser('cb', () => true, ok),
      { outcome: 0, user: 'u' },
    );
    assert.deepEqual(
      andThen(false, ok, () => failure(2, 'x')),
      { outcome: 1, reason: 'no' },
    );
  });

  it('wait for a promise or a thenable', async () => {
    const p = callUser('cb', () => Promise.resolve(true), ok);
    assert.ok(p instanceof Promise);
    assert.deepEqual(await p, { outcome: 0, user: 'u' });
    // A thenable that is not a Promise, as another promise library might return.
    const thenable = Object.defineProperty({}, 'then', {
      value: (f: (v: boolean) => unknown) => Promise.resolve(f(false)),
    }) as PromiseLike<boolean>;
    assert.deepEqual(await callUser('cb', () => thenable, ok), { outcome: 1, reason: 'no' });
  });

  it('turn a throw or a rejection into a sys outcome', async () => {
    const boom = () => {
      throw new Error('boom');
    };
    assert.deepEqual(callUser('cb', boom, ok), { outcome: 2, reason: 'cb failed: boom' });
    assert.deepEqual(await callUser('cb', () => Promise.reject('nope'), ok), {
      outcome: 2,
      reason: 'cb failed: nope',
    });
    assert.deepEqual(
      callUser('cb', () => true, boom),
      { outcome: 2, reason: 'cb failed: boom' },
    );
    const odd = await callUser('cb', () => Promise.reject(Object.create(null)), ok);
    assert.deepEqual(odd, { outcome: 2, reason: 'cb failed: an unprintable value' });
  });
});

/** Every client mechanism at every point of its exchange where a server message can arrive. */
function clientsAtEveryStage(): { label: string; make: () => ClientMechanism }[] {
  const out: { label: string; make: () => ClientMechanism }[] = [
    { label: 'ANONYMOUS', make: () => new AnonymousClient() },
    { label: 'PLAIN', make: () => new PlainClient({ user: 'u', password: 'p' }) },
    { label: 'EXTERNAL', make: () => new ExternalClient() },
  ];
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-512'] as ScramHash[]) {
    // One iteration keeps the key derivation cheap across thousands of runs.
    const scram = () =>
      new ScramClient(hash, {
        user: 'user',
        password: 'pencil',
        nonce: RFC7677.clientNonce,
        minIterations: 1,
        maxIterations: 5000,
      });
    out.push({ label: `SCRAM-${hash} fresh`, make: scram });
    out.push({
      label: `SCRAM-${hash} first sent`,
      make: () => {
        const c = scram();
        c.initialResponse();
        return c;
      },
    });
    out.push({
      label: `SCRAM-${hash} final sent`,
      make: () => {
        const c = scram();
        c.initialResponse();
        c.challenge(bytes(RFC7677.serverFirst.replace('i=4096', 'i=1')));
        return c;
      },
    });
  }
  return out;
}

/** Server messages: random bytes, and strings made of SCRAM-looking pieces to reach the deeper checks. */
const serverMessage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'r=',
          's=',
          'i=',
          'v=',
          'e=',
          'm=',
          ',',
          '=',
          RFC7677.clientNonce,
          'W22ZaJ0SNY7soEsUEjb6gQ==',
        ),
        fc.constantFrom('4096', '0', '99999999999999999999', '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 12 },
    )
    .map((parts) => bytes(parts.join(''))),
);

describe('property: malformed peer messages', () => {
  it('a client throws nothing but a SASLError, whatever the server sends', () => {
    const clients = clientsAtEveryStage();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: clients.length - 1 }),
        fc.array(fc.tuple(fc.boolean(), fc.option(serverMessage, { nil: undefined })), {
          minLength: 1,
          maxLength: 4,
        }),
        (which, messages) => {
          const c = clients[which]!.make();
          for (const [asOutcome, data] of messages) {
            try {
              if (asOutcome) c.outcome(data);
              else c.challenge(data ?? new Uint8Array(0));
            } catch (e) {
              if (!(e instanceof SASLError)) throw e;
              assert.ok([1, 2, 3, 4].includes(e.code));
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a server never throws nor rejects, and answers with a well-formed step', async () => {
    const creds = scramCredentials('pencil', 'SHA-256', {
      salt: Buffer.from(RFC7677.salt, 'base64'),
      iterations: 4096,
    });
    const servers: (() => ServerMechanism)[] = [
      () => new AnonymousServer(),
      () => new PlainServer((u, p) => u === 'u' && p === 'p'),
      () => new ExternalServer('CN=x'),
      () => new ExternalServer(undefined),
      () => new ScramServer('SHA-256', (u) => (u === 'user' ? creds : undefined)),
      () => new ScramServer('SHA-1', async () => undefined),
    ];
    const clientMessage = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              'n,,',
              'y,,',
              'p=x,,',
              'n,a=',
              'n=user',
              ',r=',
              'c=biws',
              ',p=',
              ',',
              '=2C',
              '=3D',
              '\0',
            ),
            fc.constantFrom(RFC7677.clientFirst, RFC7677.clientFinal, RFC7677.serverNonce),
            fc.string({ maxLength: 8 }),
          ),
          { maxLength: 10 },
        )
        .map((parts) => bytes(parts.join(''))),
    );
    const wellFormed = (step: ServerStep) => {
      if (isChallenge(step)) assert.ok(step.challenge instanceof Uint8Array);
      else if (isSuccess(step)) assert.equal(typeof step.user, 'string');
      else assert.ok([1, 2, 3, 4].includes(step.outcome));
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: servers.length - 1 }),
        fc.option(clientMessage, { nil: undefined }),
        fc.array(clientMessage, { maxLength: 3 }),
        async (which, initial, responses) => {
          const s = servers[which]!();
          wellFormed(await s.init(initial, undefined));
          for (const r of responses) wellFormed(await s.response(r));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
