import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isChallenge,
  isSuccess,
  SaslCode,
  ScramClient,
  type ScramCredentialLookup,
  type ScramCredentials,
  type ScramHash,
  ScramServer,
  type ServerStep,
  scramCredentials,
} from '../../src/sasl/index.js';
import { bytes, exchange, str } from './exchange.js';
import { pythonAvailable, pythonScram, type ScramCase } from './python-scram.js';
import { RFC5802, RFC7677 } from './vectors.js';

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function pencil(hash: ScramHash, salt: string): ScramCredentials {
  return scramCredentials('pencil', hash, { salt: fromB64(salt), iterations: 4096 });
}

const lookupOf =
  (users: Record<string, ScramCredentials>): ScramCredentialLookup =>
  (user) =>
    Object.hasOwn(users, user) ? users[user] : undefined;

function challengeOf(step: ServerStep): string {
  assert.ok(isChallenge(step), `expected a challenge, got ${JSON.stringify(step)}`);
  return str(step.challenge);
}

function assertFailure(step: ServerStep, pattern: RegExp, code: number = SaslCode.auth): void {
  assert.ok('outcome' in step && step.outcome !== 0, `expected a failure, got ${JSON.stringify(step)}`);
  assert.equal(step.outcome, code);
  assert.match(step.reason ?? '', pattern);
}

/** A server on the RFC 7677 credentials that has sent its server-first-message. */
async function serverAfterFirst(): Promise<ScramServer> {
  const s = new ScramServer('SHA-256', lookupOf({ user: pencil('SHA-256', RFC7677.salt) }), {
    nonce: () => RFC7677.serverNonce,
  });
  assert.equal(challengeOf(await s.init(bytes(RFC7677.clientFirst), undefined)), RFC7677.serverFirst);
  return s;
}

describe('ScramServer: the RFC examples', () => {
  for (const v of [RFC5802, RFC7677]) {
    it(`reproduces the SCRAM-${v.hash} exchange exactly, from stored credentials`, async () => {
      const seen: string[] = [];
      const s = new ScramServer(
        v.hash,
        (user, mechanism) => {
          seen.push(`${user} ${mechanism}`);
          return user === 'user' ? pencil(v.hash, v.salt) : undefined;
        },
        { nonce: () => v.serverNonce },
      );
      assert.equal(s.name, `SCRAM-${v.hash}`);
      assert.equal(challengeOf(await s.init(bytes(v.clientFirst), 'example.com')), v.serverFirst);
      const done = await s.response(bytes(v.clientFinal));
      assert.ok(isSuccess(done));
      assert.equal(done.user, 'user');
      assert.equal(done.authzid, undefined);
      assert.equal(str(done.additionalData), v.serverFinal);
      assert.deepEqual(seen, [`user SCRAM-${v.hash}`]);
    });
  }

  it('asks for the client-first-message with an empty challenge when sasl-init has none', async () => {
    const s = new ScramServer('SHA-1', lookupOf({ user: pencil('SHA-1', RFC5802.salt) }), {
      nonce: () => RFC5802.serverNonce,
    });
    assert.equal(challengeOf(await s.init(undefined, undefined)), '');
    assert.equal(challengeOf(await s.response(bytes(RFC5802.clientFirst))), RFC5802.serverFirst);
    assert.ok(isSuccess(await s.response(bytes(RFC5802.clientFinal))));
  });
});

describe('ScramServer: it refuses', () => {
  it('a tampered client proof', async () => {
    const s = await serverAfterFirst();
    const tampered = RFC7677.clientFinal.replace('p=dHzb', 'p=dHzc');
    assertFailure(await s.response(bytes(tampered)), /wrong proof/);
  });

  it('a proof for another nonce or channel binding', async () => {
    const n = RFC7677.clientFinal;
    assertFailure(await (await serverAfterFirst()).response(bytes(n.replace('k0,p=', 'k1,p='))), /nonce/);
    assertFailure(
      await (await serverAfterFirst()).response(bytes(n.replace('c=biws', 'c=eSws'))),
      /gs2 header/,
    );
  });

  it('malformed client-final-messages', async () => {
    const p = RFC7677.clientFinal.slice(RFC7677.clientFinal.indexOf(',p='));
    for (const bad of [
      '',
      'garbage',
      RFC7677.clientFinal.slice(0, RFC7677.clientFinal.indexOf(',p=')),
      `${RFC7677.clientFinal}=`,
      RFC7677.clientFinal.replace(p, ',p=AAAA'),
      `r=x,c=biws${p}`,
    ]) {
      assertFailure(await (await serverAfterFirst()).response(bytes(bad)), /SCRAM-SHA-256/);
    }
    assertFailure(await (await serverAfterFirst()).response(new Uint8Array([0xc0])), /UTF-8/);
  });

  it('malformed client-first-messages, and channel binding', async () => {
    for (const [bad, why] of [
      ['', /gs2 header/],
      ['n,,', /user name/],
      ['x,,n=user,r=abc', /gs2 header/],
      ['p=tls-unique,,n=user,r=abc', /channel binding/],
      ['n,b=admin,n=user,r=abc', /authzid/],
      ['n,a=,n=user,r=abc', /authzid/],
      ['n,a=x=41,n=user,r=abc', /authzid/],
      ['n,,m=ext,n=user,r=abc', /extension/],
      ['n,,n=us=er,r=abc', /user name/],
      ['n,,n=,r=abc', /user name/],
      ['n,,n=a\0b,r=abc', /user name/],
      ['n,,n=user', /nonce/],
      ['n,,n=user,r=', /nonce/],
      ['n,,n=user,r=caf\u00e9', /nonce/],
      ['n,,r=abc,n=user', /user name/],
    ] as const) {
      const s = new ScramServer('SHA-256', () => pencil('SHA-256', RFC7677.salt));
      assertFailure(await s.init(bytes(bad), undefined), why);
    }
  });

  it('messages out of turn', async () => {
    const s = new ScramServer('SHA-1', () => undefined);
    assertFailure(await s.response(bytes(RFC5802.clientFinal)), /unexpected sasl-response/);
    const t = await serverAfterFirst();
    assertFailure(await t.init(bytes(RFC7677.clientFirst), undefined), /second sasl-init/);
    const u = await serverAfterFirst();
    assert.ok(isSuccess(await u.response(bytes(RFC7677.clientFinal))));
    assertFailure(await u.response(bytes(RFC7677.clientFinal)), /unexpected/);
  });

  it('an unknown user, only at the proof, with a salt that stays the same', async () => {
    const lookup = lookupOf({ user: pencil('SHA-256', RFC7677.salt) });
    const firsts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const s = new ScramServer('SHA-256', lookup, { nonce: () => 'S' });
      const c = new ScramClient('SHA-256', { user: 'nobody', password: 'pencil', nonce: 'C' });
      const first = challengeOf(await s.init(c.initialResponse(), undefined));
      firsts.push(first);
      assert.match(first, /^r=CS,s=[A-Za-z0-9+/]{22}==,i=4096$/);
      assertFailure(await s.response(c.challenge(bytes(first))), /unknown user 'nobody'/);
    }
    assert.equal(firsts[0], firsts[1]);
  });

  it('credentials that do not fit the mechanism, as a sys outcome', async () => {
    const c256 = pencil('SHA-256', RFC7677.salt);
    for (const creds of [
      c256,
      { ...c256, salt: new Uint8Array(0) },
      { ...c256, iterations: 0 },
      { ...c256, serverKey: new Uint8Array(3) },
      { ...c256, storedKey: 'nope' as unknown as Uint8Array },
    ]) {
      const s = new ScramServer('SHA-1', () => creds);
      assertFailure(await s.init(bytes(RFC5802.clientFirst), undefined), /stored credentials/, SaslCode.sys);
    }
  });

  it('a lookup that throws or rejects, as a sys outcome', async () => {
    const thrower = new ScramServer('SHA-1', () => {
      throw new Error('db down');
    });
    assertFailure(await thrower.init(bytes(RFC5802.clientFirst), undefined), /db down/, SaslCode.sys);
    const rejecter = new ScramServer('SHA-1', () => Promise.reject(new Error('timeout')));
    assertFailure(await rejecter.init(bytes(RFC5802.clientFirst), undefined), /timeout/, SaslCode.sys);
  });

  it('a nonce generator that makes an invalid nonce', async () => {
    const s = new ScramServer('SHA-1', () => undefined, { nonce: () => 'a,b' });
    assertFailure(await s.init(bytes(RFC5802.clientFirst), undefined), /nonce generator/, SaslCode.sys);
  });
});

describe('ScramServer: with a client', () => {
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-512'] as const) {
    it(`SCRAM-${hash}: success with an async lookup, authzid and escaped names`, async () => {
      const creds = scramCredentials('s\u00e9cret', hash);
      const lookup: ScramCredentialLookup = async (user) => (user === 'a,b=c' ? creds : undefined);
      const r = await exchange(
        new ScramClient(hash, { user: 'a,b=c', password: 's\u00e9cret', authzid: 'bo=ss' }),
        new ScramServer(hash, lookup),
      );
      assert.equal(r.clientError, undefined);
      assert.ok(r.step && isSuccess(r.step));
      assert.equal(r.step.user, 'a,b=c');
      assert.equal(r.step.authzid, 'bo=ss');
    });

    it(`SCRAM-${hash}: a wrong password fails with auth`, async () => {
      const creds = scramCredentials('right', hash, { iterations: 4096 });
      const r = await exchange(
        new ScramClient(hash, { user: 'u', password: 'wrong' }),
        new ScramServer(hash, () => creds),
      );
      assert.equal(r.clientError, undefined);
      assertFailure(r.step!, /wrong proof/);
    });
  }

  it('a password prepared with NFKC on both sides matches its compatibility form', async () => {
    const creds = scramCredentials('\ufb01x\u00a0', 'SHA-256');
    const r = await exchange(
      new ScramClient('SHA-256', { user: 'u', password: 'fix ' }),
      new ScramServer('SHA-256', () => creds),
    );
    assert.ok(r.step && isSuccess(r.step));
  });
});

describe('ScramServer: cross-checked against Python hashlib and hmac', () => {
  it('answers as Python computes', { skip: !pythonAvailable() && 'no /usr/bin/python3' }, async () => {
    const cases: ScramCase[] = [
      {
        hash: 'SHA-1',
        user: 'user',
        password: 'pencil',
        salt: RFC5802.salt,
        iterations: 4096,
        cnonce: 'a',
        snonce: 'b',
      },
      {
        hash: 'SHA-256',
        user: 'x=y,z',
        password: '\u00e4\u00f6\u00fc',
        authzid: 'root',
        salt: 'AAECAwQFBgcICQ==',
        iterations: 4500,
        cnonce: 'Cl1ent+N0nce/',
        snonce: 'S3rver~',
      },
      {
        hash: 'SHA-512',
        user: '\u{1f600}',
        password: 'pw',
        salt: 'c2FsdA==',
        iterations: 4096,
        cnonce: 'n',
        snonce: 'm',
      },
    ];
    const expected = pythonScram(cases);
    for (const [i, c] of cases.entries()) {
      const e = expected[i]!;
      const creds = scramCredentials(c.password, c.hash, { salt: fromB64(c.salt), iterations: c.iterations });
      assert.equal(Buffer.from(creds.storedKey).toString('hex'), e.storedKey);
      assert.equal(Buffer.from(creds.serverKey).toString('hex'), e.serverKey);
      const s = new ScramServer(c.hash, () => creds, { nonce: () => c.snonce });
      assert.equal(challengeOf(await s.init(bytes(e.clientFirst), undefined)), e.serverFirst);
      const done = await s.response(bytes(e.clientFinal));
      assert.ok(isSuccess(done), JSON.stringify(done));
      assert.equal(str(done.additionalData), e.serverFinal);
      assert.equal(done.authzid, c.authzid);
    }
  });
});
