import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError, SASLError } from '../../src/errors.js';
import { SaslCode, ScramClient, type ScramHash } from '../../src/sasl/index.js';
import { bytes, str } from './exchange.js';
import { pythonAvailable, pythonScram, type ScramCase } from './python-scram.js';
import { RFC5802, RFC7677 } from './vectors.js';

const client = (
  hash: ScramHash,
  nonce: string,
  extra: Partial<ConstructorParameters<typeof ScramClient>[1]> = {},
) => new ScramClient(hash, { user: 'user', password: 'pencil', nonce, ...extra });

/** A client that has sent its client-first-message. */
function started(extra: Partial<ConstructorParameters<typeof ScramClient>[1]> = {}): ScramClient {
  const c = client('SHA-256', RFC7677.clientNonce, extra);
  c.initialResponse();
  return c;
}

function refuses(f: () => unknown, pattern: RegExp, code?: number): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SASLError, `expected a SASLError, got ${String(e)}`);
    assert.equal(e.condition, 'amqp:unauthorized-access');
    assert.match(e.message, pattern);
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  });
}

describe('ScramClient: the RFC examples', () => {
  for (const v of [RFC5802, RFC7677]) {
    it(`reproduces the SCRAM-${v.hash} exchange exactly`, () => {
      const c = client(v.hash, v.clientNonce);
      assert.equal(c.name, `SCRAM-${v.hash}`);
      assert.equal(str(c.initialResponse()), v.clientFirst);
      assert.equal(str(c.challenge(bytes(v.serverFirst))), v.clientFinal);
      c.outcome(bytes(v.serverFinal));
    });
  }

  it('accepts the server-final-message as a challenge, answering with an empty response', () => {
    const c = client('SHA-1', RFC5802.clientNonce);
    c.initialResponse();
    c.challenge(bytes(RFC5802.serverFirst));
    assert.equal(c.challenge(bytes(RFC5802.serverFinal)).length, 0);
    c.outcome(undefined);
  });
});

describe('ScramClient: it refuses a server that does not prove itself', () => {
  it('a tampered server signature', () => {
    const c = client('SHA-256', RFC7677.clientNonce);
    c.initialResponse();
    c.challenge(bytes(RFC7677.serverFirst));
    refuses(
      () => c.outcome(bytes('v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')),
      /signature does not match/,
      1,
    );
  });

  it('a signature of the wrong length', () => {
    const c = started();
    c.challenge(bytes(RFC7677.serverFirst));
    refuses(() => c.outcome(bytes('v=AAAA')), /signature does not match/);
    // The true signature with a padding bit set: not canonical base64, so not the signature.
    const e = started();
    e.challenge(bytes(RFC7677.serverFirst));
    refuses(() => e.outcome(bytes(RFC7677.serverFinal.replace('G4=', 'G5='))), /malformed/);
  });

  it('an ok outcome without a server-final-message', () => {
    const c = started();
    c.challenge(bytes(RFC7677.serverFirst));
    refuses(() => c.outcome(undefined), /without proving/);
    const d = started();
    d.challenge(bytes(RFC7677.serverFirst));
    refuses(() => d.outcome(new Uint8Array(0)), /without proving/);
  });

  it('an ok outcome before the exchange finished', () => {
    refuses(() => started().outcome(bytes(RFC7677.serverFinal)), /before the exchange finished/);
    refuses(() => client('SHA-1', 'abc').outcome(undefined), /before the exchange finished/);
  });

  it('a server error e=', () => {
    const c = started();
    c.challenge(bytes(RFC7677.serverFirst));
    refuses(() => c.outcome(bytes('e=invalid-proof')), /refused: invalid-proof/, 1);
  });

  it('a server nonce that does not extend the client nonce', () => {
    const s = RFC7677.serverFirst;
    refuses(() => started().challenge(bytes(s.replace('rOpr', 'XOpr'))), /nonce does not extend/, 1);
    // The bare client nonce, with nothing of the server's.
    const bare = s.replace(RFC7677.serverNonce, '');
    refuses(() => started().challenge(bytes(bare)), /nonce does not extend/);
    refuses(() => started().challenge(bytes(s.replace('rOprNGfwEbeRWgbNEkqO', 'rOprNGfw'))), /nonce/);
  });

  it('too few iterations (4096 by default; configurable)', () => {
    const few = RFC7677.serverFirst.replace('i=4096', 'i=4095');
    refuses(() => started().challenge(bytes(few)), /4095 is below the minimum 4096/, 1);
    refuses(
      () => started({ minIterations: 10_000 }).challenge(bytes(RFC7677.serverFirst)),
      /below the minimum/,
    );
    assert.doesNotThrow(() => started({ minIterations: 4095 }).challenge(bytes(few)));
  });

  it('too many iterations', () => {
    const many = RFC7677.serverFirst.replace('i=4096', 'i=10000001');
    refuses(() => started().challenge(bytes(many)), /above the maximum/);
    refuses(
      () => started({ maxIterations: 4095 }).challenge(bytes(RFC7677.serverFirst)),
      /above the maximum/,
    );
  });

  it('malformed server-first-messages', () => {
    const n = `${RFC7677.clientNonce}xyz`;
    for (const bad of [
      '',
      'garbage',
      `r=${n}`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==`,
      `s=W22ZaJ0SNY7soEsUEjb6gQ==,r=${n},i=4096`,
      `r=${n},s=,i=4096`,
      `r=${n},s=not base64!,i=4096`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=04096`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096`,
      `r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096.5`,
      `m=ext,r=${n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`,
      `r=${n}\u00e9,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`,
    ]) {
      refuses(() => started().challenge(bytes(bad)), /SCRAM-SHA-256/);
    }
    refuses(() => started().challenge(new Uint8Array([0xff, 0xfe])), /not valid UTF-8/, SaslCode.sysPerm);
  });

  it('ignores extensions after the iteration count', () => {
    const c = client('SHA-256', RFC7677.clientNonce);
    c.initialResponse();
    assert.doesNotThrow(() => c.challenge(bytes(`${RFC7677.serverFirst},x=ext`)));
  });

  it('a challenge out of turn, and nothing after a refusal', () => {
    refuses(() => client('SHA-1', 'abc').challenge(bytes(RFC5802.serverFirst)), /unexpected challenge/);
    const c = started();
    refuses(() => c.challenge(bytes('garbage')), /malformed/);
    refuses(() => c.challenge(bytes(RFC7677.serverFirst)), /unexpected challenge \(state failed\)/);
    refuses(() => c.initialResponse(), /already sent/);
  });
});

describe('ScramClient: messages', () => {
  it('escapes the user name and prepares it with NFKC', () => {
    const c = new ScramClient('SHA-1', { user: 'a,b=c\u00a0\ufb01', password: 'p', nonce: 'N' });
    assert.equal(str(c.initialResponse()), 'n,,n=a=2Cb=3Dc fi,r=N');
  });

  it('sends an authzid in the gs2 header', () => {
    const c = new ScramClient('SHA-512', { user: 'u', password: 'p', authzid: 'ad,min', nonce: 'N' });
    assert.equal(str(c.initialResponse()), 'n,a=ad=2Cmin,n=u,r=N');
  });

  it('makes a fresh random nonce each time', () => {
    const a = str(new ScramClient('SHA-1', { user: 'u', password: 'p' }).initialResponse());
    const b = str(new ScramClient('SHA-1', { user: 'u', password: 'p' }).initialResponse());
    assert.match(a, /^n,,n=u,r=[A-Za-z0-9+/]{24}$/);
    assert.notEqual(a, b);
  });

  it('refuses wrong options, naming them', () => {
    const bad: [Partial<ConstructorParameters<typeof ScramClient>[1]>, string][] = [
      [{ nonce: 'a,b' }, 'nonce'],
      [{ nonce: '' }, 'nonce'],
      [{ nonce: 'caf\u00e9' }, 'nonce'],
      [{ minIterations: 0 }, 'minIterations'],
      [{ minIterations: 1.5 }, 'minIterations'],
      [{ maxIterations: -1 }, 'maxIterations'],
      [{ user: 'a\0b' }, 'user'],
      [{ authzid: 'a\0b' }, 'authzid'],
    ];
    for (const [options, option] of bad) {
      assert.throws(
        () => new ScramClient('SHA-256', { user: 'u', password: 'p', ...options }),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option,
      );
    }
  });
});

describe('ScramClient: cross-checked against Python hashlib and hmac', () => {
  const ok = pythonAvailable();

  it('computes the messages Python computes, for all three hashes', {
    skip: !ok && 'no /usr/bin/python3',
  }, () => {
    const fixed: ScramCase[] = [
      { ...base('SHA-1'), user: 'user', password: 'pencil', salt: RFC5802.salt },
      { ...base('SHA-256'), user: 'us,er=', password: 'p\u00e4ss w\u00f6rd', authzid: 'admin,=x' },
      {
        ...base('SHA-512'),
        user: '\u00e9l\u00e8ve \u{1f600}',
        password: '\ufb01\u00a0\u2168',
        iterations: 5000,
      },
      {
        ...base('SHA-512'),
        user: 'u',
        password: 'p',
        salt: 'AA==',
        snonce: "!#$%&'()*+-./:;<=>?@[\\]^_`{|}~",
      },
    ];
    const random = fc.sample(
      fc.record({
        hash: fc.constantFrom<ScramHash>('SHA-1', 'SHA-256', 'SHA-512'),
        user: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\0')),
        password: fc.string({ minLength: 1, maxLength: 20 }),
        authzid: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        salt: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')),
        iterations: fc.integer({ min: 4096, max: 4200 }),
        cnonce: fc.stringMatching(/^[!-+\--~]{1,30}$/),
        snonce: fc.stringMatching(/^[!-+\--~]{1,30}$/),
      }),
      { numRuns: 40, seed: 20240517 },
    ) as ScramCase[];
    const cases = [...fixed, ...random].map((c) => (c.authzid === undefined ? omitAuthzid(c) : c));
    const expected = pythonScram(cases);
    cases.forEach((c, i) => {
      const e = expected[i]!;
      const where = `case ${i}: ${JSON.stringify(c)}`;
      const sc = new ScramClient(c.hash, {
        user: c.user,
        password: c.password,
        authzid: c.authzid,
        nonce: c.cnonce,
      });
      assert.equal(str(sc.initialResponse()), e.clientFirst, where);
      assert.equal(str(sc.challenge(bytes(e.serverFirst))), e.clientFinal, where);
      sc.outcome(bytes(e.serverFinal));
    });
  });
});

function base(hash: ScramHash): ScramCase {
  return {
    hash,
    user: 'u',
    password: 'p',
    salt: 'c2FsdHlzYWx0',
    iterations: 4096,
    cnonce: 'cn0nce',
    snonce: 'sn0nce',
  };
}

function omitAuthzid(c: ScramCase): ScramCase {
  const { authzid: _, ...rest } = c;
  return rest;
}
