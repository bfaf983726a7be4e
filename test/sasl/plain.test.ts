import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError, SASLError } from '../../src/errors.js';
import {
  isChallenge,
  isSuccess,
  type PlainAuthenticator,
  PlainClient,
  PlainServer,
} from '../../src/sasl/index.js';
import { bytes, exchange, str } from './exchange.js';

const users: Record<string, string> = { bob: 'builder', 'w\u00e9ird,=': 'p\u00e4ss\u00a0' };
const check: PlainAuthenticator = (user, password) => Object.hasOwn(users, user) && users[user] === password;

describe('PLAIN client', () => {
  it('sends authzid NUL authcid NUL passwd, as Proton 0.37', () => {
    assert.equal(str(new PlainClient({ user: 'bob', password: 'pw' }).initialResponse()), '\0bob\0pw');
    assert.equal(
      str(new PlainClient({ user: 'bob', password: 'pw', authzid: 'boss' }).initialResponse()),
      'boss\0bob\0pw',
    );
    assert.deepEqual(
      [...new PlainClient({ user: '\u00e9', password: 'x' }).initialResponse()],
      [0, 0xc3, 0xa9, 0, 0x78],
    );
  });

  it('refuses options it cannot carry, naming them', () => {
    const cases: [ConstructorParameters<typeof PlainClient>[0], string][] = [
      [{ user: 'a\0b', password: 'p' }, 'user'],
      [{ user: 'a', password: 'p\0' }, 'password'],
      [{ user: 'a', password: 'p', authzid: '\0' }, 'authzid'],
      [{ user: '', password: 'p' }, 'user'],
      [{ user: 'a', password: '' }, 'password'],
    ];
    for (const [credentials, option] of cases) {
      assert.throws(
        () => new PlainClient(credentials),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option,
      );
    }
  });

  it('refuses a challenge', () => {
    assert.throws(() => new PlainClient({ user: 'a', password: 'b' }).challenge(), SASLError);
  });
});

describe('PLAIN client to server', () => {
  it('success, with the user and no authzid', async () => {
    const r = await exchange(new PlainClient({ user: 'bob', password: 'builder' }), new PlainServer(check));
    assert.deepEqual(r.step, { outcome: 0, user: 'bob' });
    assert.equal(r.clientError, undefined);
  });

  it('success with an authzid, which reaches the authenticator', async () => {
    const seen: unknown[] = [];
    const auth: PlainAuthenticator = (user, password, authzid) => {
      seen.push([user, password, authzid]);
      return true;
    };
    const r = await exchange(
      new PlainClient({ user: 'bob', password: 'pw', authzid: 'admin' }),
      new PlainServer(auth),
    );
    assert.deepEqual(r.step, { outcome: 0, user: 'bob', authzid: 'admin' });
    assert.deepEqual(seen, [['bob', 'pw', 'admin']]);
  });

  it('passes non-ASCII names and passwords through unchanged', async () => {
    const r = await exchange(
      new PlainClient({ user: 'w\u00e9ird,=', password: 'p\u00e4ss\u00a0' }),
      new PlainServer(check),
    );
    assert.ok(r.step && isSuccess(r.step));
  });

  it('a wrong password and an unknown user fail with auth', async () => {
    for (const [user, password] of [
      ['bob', 'wrong'],
      ['alice', 'builder'],
    ] as const) {
      const r = await exchange(new PlainClient({ user, password }), new PlainServer(check));
      assert.equal(r.step && 'outcome' in r.step && r.step.outcome, 1);
      assert.match(JSON.stringify(r.step), /invalid credentials/);
    }
  });

  it('an async authenticator', async () => {
    const later: PlainAuthenticator = async (user, password) => {
      await new Promise((resolve) => setImmediate(resolve));
      return check(user, password, undefined);
    };
    const server = new PlainServer(later);
    const pending = server.init(new PlainClient({ user: 'bob', password: 'builder' }).initialResponse());
    assert.ok(pending instanceof Promise);
    assert.deepEqual(await pending, { outcome: 0, user: 'bob' });
    const bad = await exchange(new PlainClient({ user: 'bob', password: 'x' }), new PlainServer(later));
    assert.equal(bad.step && 'outcome' in bad.step && bad.step.outcome, 1);
  });

  it('only `true` lets a user in', async () => {
    for (const result of [1, 'yes', {}, undefined]) {
      const s = new PlainServer(() => result as unknown as boolean);
      assert.equal(((await s.init(bytes('\0a\0b'))) as { outcome: number }).outcome, 1);
    }
  });

  it('an authenticator that throws or rejects gives a sys outcome', async () => {
    const thrower = new PlainServer(() => {
      throw new Error('ldap down');
    });
    assert.deepEqual(await thrower.init(bytes('\0a\0b')), {
      outcome: 2,
      reason: 'PLAIN authenticator failed: ldap down',
    });
    const rejecter = new PlainServer(() => Promise.reject(new Error('slow')));
    assert.deepEqual(await rejecter.init(bytes('\0a\0b')), {
      outcome: 2,
      reason: 'PLAIN authenticator failed: slow',
    });
  });
});

describe('PLAIN server', () => {
  it('asks for the message with an empty challenge when sasl-init has none', async () => {
    const s = new PlainServer(check);
    const first = await s.init(undefined);
    assert.ok(isChallenge(first) && first.challenge.length === 0);
    assert.deepEqual(await s.response(bytes('\0bob\0builder')), { outcome: 0, user: 'bob' });
  });

  it('refuses malformed messages without calling the authenticator', async () => {
    let calls = 0;
    const counting: PlainAuthenticator = () => {
      calls++;
      return true;
    };
    for (const bad of [
      bytes(''),
      bytes('bob'),
      bytes('\0bob'),
      bytes('\0bob\0pw\0'),
      bytes('\0\0pw'),
      bytes('\0bob\0'),
      Uint8Array.of(0, 0xff, 0, 0x61),
      Uint8Array.of(0xc3, 0, 0x61, 0, 0x61),
    ]) {
      const step = await new PlainServer(counting).init(bad);
      assert.deepEqual(step, { outcome: 1, reason: 'PLAIN: malformed message' });
    }
    assert.equal(calls, 0);
  });

  it('refuses messages out of turn', async () => {
    const s = new PlainServer(check);
    assert.equal(((await s.response(bytes('\0bob\0builder'))) as { outcome: number }).outcome, 1);
    const t = new PlainServer(check);
    await t.init(bytes('\0bob\0builder'));
    assert.equal(((await t.init(bytes('\0bob\0builder'))) as { outcome: number }).outcome, 1);
    assert.equal(((await t.response(bytes('\0bob\0builder'))) as { outcome: number }).outcome, 1);
  });
});
