import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/errors.js';
import {
  ClientNegotiator,
  type ClientSaslOptions,
  type ClientTransportInfo,
  isRefusal,
  isSuccess,
  SASL_MECHANISMS,
  type SaslMechanismName,
  ServerNegotiator,
  type ServerSaslOptions,
  scramCredentials,
} from '../../src/sasl/index.js';
import { exchange, str } from './exchange.js';
import { type ProtonClientCase, protonAvailable, protonClientChoices } from './proton-client.js';

const ALL = [...SASL_MECHANISMS];
const PLAIN_TEXT: ClientTransportInfo = { encrypted: false };
const TLS: ClientTransportInfo = { encrypted: true };
const TLS_CERT: ClientTransportInfo = { encrypted: true, externalIdentity: true };
const BOB = { user: 'bob', password: 'pw' };

function choice(
  offered: string[],
  options: ClientSaslOptions,
  transport: ClientTransportInfo,
): string | null {
  const c = new ClientNegotiator(options).choose(offered, transport);
  return c.mechanism === undefined ? null : c.mechanism.name;
}

function throwsOption(f: () => unknown, option: string, pattern?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.option, option);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('ClientNegotiator: the choice table', () => {
  // offered, options, transport, expected
  const table: [string[], ClientSaslOptions, ClientTransportInfo, string | null][] = [
    // the strongest usable mechanism wins
    [ALL, BOB, PLAIN_TEXT, 'SCRAM-SHA-512'],
    [['SCRAM-SHA-1', 'SCRAM-SHA-256'], BOB, PLAIN_TEXT, 'SCRAM-SHA-256'],
    [['PLAIN', 'SCRAM-SHA-1'], BOB, TLS, 'SCRAM-SHA-1'],
    [['ANONYMOUS', 'PLAIN'], BOB, TLS, 'PLAIN'],
    // PLAIN: a user and a password, and encryption or allowInsecureMechs
    [['PLAIN'], BOB, PLAIN_TEXT, null],
    [['PLAIN'], { ...BOB, allowInsecureMechs: true }, PLAIN_TEXT, 'PLAIN'],
    [['PLAIN'], { ...BOB, allowInsecureMechs: false }, TLS, 'PLAIN'],
    [['PLAIN'], { user: 'bob' }, TLS, null],
    [['PLAIN'], { password: 'pw' }, TLS, null],
    [['PLAIN'], { user: 'bob', password: '' }, TLS, null],
    [['PLAIN', 'ANONYMOUS'], BOB, PLAIN_TEXT, null],
    // SCRAM: a user and a password, encrypted or not
    [['SCRAM-SHA-256'], { user: 'bob' }, TLS, null],
    [['SCRAM-SHA-256'], {}, TLS, null],
    [['SCRAM-SHA-256', 'ANONYMOUS'], {}, PLAIN_TEXT, 'ANONYMOUS'],
    // EXTERNAL: only with a transport identity; then before PLAIN and ANONYMOUS
    [['EXTERNAL'], {}, TLS, null],
    [['EXTERNAL', 'ANONYMOUS'], {}, TLS_CERT, 'EXTERNAL'],
    [['EXTERNAL', 'PLAIN'], BOB, TLS_CERT, 'PLAIN'],
    [['EXTERNAL', 'SCRAM-SHA-1'], BOB, TLS_CERT, 'SCRAM-SHA-1'],
    [['EXTERNAL', 'PLAIN'], { user: 'bob' }, TLS_CERT, 'EXTERNAL'],
    // ANONYMOUS: with no user; with a user only when allowedMechs names it
    [['ANONYMOUS'], {}, PLAIN_TEXT, 'ANONYMOUS'],
    [['ANONYMOUS'], BOB, PLAIN_TEXT, null],
    [['ANONYMOUS'], { ...BOB, allowedMechs: 'ANONYMOUS' }, PLAIN_TEXT, 'ANONYMOUS'],
    [['ANONYMOUS'], { user: '', password: 'pw' }, PLAIN_TEXT, 'ANONYMOUS'],
    // allowedMechs narrows, in either form, case-insensitively; it does not reorder
    [ALL, { ...BOB, allowedMechs: 'PLAIN SCRAM-SHA-1' }, TLS, 'SCRAM-SHA-1'],
    [ALL, { ...BOB, allowedMechs: ['plain'] }, TLS, 'PLAIN'],
    [ALL, { ...BOB, allowedMechs: '  scram-sha-256\tPLAIN ' }, TLS, 'SCRAM-SHA-256'],
    [['SCRAM-SHA-512'], { ...BOB, allowedMechs: 'SCRAM-SHA-256' }, TLS, null],
    [['ANONYMOUS'], { allowedMechs: 'PLAIN' }, TLS, null],
    // the offered list: case-insensitive; unknown names ignored; empty
    [['scram-sha-256'], BOB, PLAIN_TEXT, 'SCRAM-SHA-256'],
    [['GSSAPI', 'CRAM-MD5', 'ANONYMOUS'], {}, PLAIN_TEXT, 'ANONYMOUS'],
    [['GSSAPI'], BOB, TLS, null],
    [[], {}, TLS, null],
  ];
  for (const [offered, options, transport, expected] of table) {
    it(`[${offered.join(' ')}] ${JSON.stringify(options)} ${JSON.stringify(transport)} -> ${expected}`, () => {
      assert.equal(choice(offered, options, transport), expected);
    });
  }

  it('agrees with the rules over every offered set, credentials and transport', () => {
    const allowedLists: (string | undefined)[] = [
      undefined,
      'ANONYMOUS',
      'PLAIN ANONYMOUS',
      'SCRAM-SHA-1 EXTERNAL',
    ];
    const credentials: ClientSaslOptions[] = [{}, { user: 'bob' }, BOB];
    let count = 0;
    for (let mask = 0; mask < 1 << ALL.length; mask++) {
      const offered = ALL.filter((_, i) => mask & (1 << i));
      // offer them in a scrambled order too
      const scrambled = [...offered].reverse();
      for (const allowedMechs of allowedLists)
        for (const creds of credentials)
          for (const encrypted of [false, true])
            for (const externalIdentity of [false, true])
              for (const allowInsecureMechs of [false, true]) {
                const options = { ...creds, allowedMechs, allowInsecureMechs };
                const transport = { encrypted, externalIdentity };
                const allowed = allowedMechs === undefined ? ALL : allowedMechs.split(' ');
                const usable = (m: SaslMechanismName): boolean => {
                  if (!offered.includes(m) || !allowed.includes(m)) return false;
                  const full = creds.user !== undefined && creds.password !== undefined;
                  if (m.startsWith('SCRAM')) return full;
                  if (m === 'PLAIN') return full && (encrypted || allowInsecureMechs);
                  if (m === 'EXTERNAL') return externalIdentity;
                  return creds.user === undefined || allowedMechs !== undefined;
                };
                const expected = ALL.find(usable) ?? null;
                assert.equal(
                  choice(scrambled, options, transport),
                  expected,
                  JSON.stringify({ offered, options, transport }),
                );
                count++;
              }
    }
    assert.equal(count, 64 * 4 * 3 * 8);
  });

  it('says why nothing fits', () => {
    const c = new ClientNegotiator(BOB).choose(['PLAIN', 'ANONYMOUS', 'GSSAPI'], PLAIN_TEXT);
    assert.equal(c.mechanism, undefined);
    assert.equal(
      c.reason,
      'no SASL mechanism fits: the server offers PLAIN ANONYMOUS GSSAPI; ' +
        'PLAIN needs an encrypted transport (or allowInsecureMechs); ANONYMOUS is not used when a user is given; ' +
        'not allowed or not implemented: GSSAPI',
    );
    assert.match(new ClientNegotiator().choose([], TLS).reason!, /offers none/);
  });

  it('builds mechanisms with the credentials, as Proton 0.37 sends them', () => {
    const n = new ClientNegotiator({ ...BOB, authzid: 'boss', allowInsecureMechs: true });
    assert.equal(str(n.choose(['PLAIN'], PLAIN_TEXT).mechanism!.initialResponse(undefined)), 'boss\0bob\0pw');
    assert.equal(str(n.choose(['EXTERNAL'], TLS_CERT).mechanism!.initialResponse(undefined)), 'boss');
    assert.match(
      str(n.choose(['SCRAM-SHA-1'], TLS).mechanism!.initialResponse(undefined)),
      /^n,a=boss,n=bob,r=/,
    );
    const anon = new ClientNegotiator().choose(['ANONYMOUS'], TLS).mechanism!;
    assert.equal(str(anon.initialResponse(undefined)), 'anonymous');
    const named = new ClientNegotiator({ ...BOB, allowedMechs: 'ANONYMOUS' }).choose(['ANONYMOUS'], TLS)
      .mechanism!;
    assert.equal(str(named.initialResponse(undefined)), 'bob');
  });

  it('lists what it allows, strongest first', () => {
    assert.deepEqual(new ClientNegotiator().allowed, ALL);
    assert.deepEqual(new ClientNegotiator({ allowedMechs: 'anonymous PLAIN plain SCRAM-SHA-1' }).allowed, [
      'SCRAM-SHA-1',
      'PLAIN',
      'ANONYMOUS',
    ]);
  });

  it('refuses wrong options, naming them', () => {
    throwsOption(() => new ClientNegotiator({ allowedMechs: 'PLAIN GSSAPI' }), 'allowedMechs', /'GSSAPI'/);
    throwsOption(
      () => new ClientNegotiator({ allowedMechs: ['SCRAM-SHA-3'] }),
      'allowedMechs',
      /SCRAM-SHA-3/,
    );
    throwsOption(() => new ClientNegotiator({ allowedMechs: '  ' }), 'allowedMechs', /no mechanism/);
    throwsOption(() => new ClientNegotiator({ allowedMechs: [] }), 'allowedMechs');
    throwsOption(() => new ClientNegotiator({ allowedMechs: 42 as unknown as string }), 'allowedMechs');
    throwsOption(() => new ClientNegotiator({ allowedMechs: [7] as unknown as string[] }), 'allowedMechs');
    throwsOption(() => new ClientNegotiator({ scramMinIterations: 0 }), 'scramMinIterations');
    throwsOption(() => new ClientNegotiator({ scramMinIterations: Number.NaN }), 'scramMinIterations');
    throwsOption(
      () => new ClientNegotiator({ allowInsecureMechs: 'yes' as unknown as boolean }),
      'allowInsecureMechs',
    );
    throwsOption(() => new ClientNegotiator({ user: 5 as unknown as string }), 'user');
    throwsOption(() => new ClientNegotiator({ user: 'a\0b' }), 'user');
    throwsOption(() => new ClientNegotiator({ password: 'a\0b' }), 'password');
    throwsOption(() => new ClientNegotiator({ authzid: '\0' }), 'authzid');
  });

  it('does not change the options it was given', () => {
    const options = Object.freeze({ ...BOB, allowedMechs: Object.freeze(['plain']) });
    new ClientNegotiator(options).choose(['PLAIN'], TLS);
    assert.deepEqual(options, { ...BOB, allowedMechs: ['plain'] });
  });

  it('passes scramMinIterations to SCRAM', () => {
    const m = new ClientNegotiator({ ...BOB, scramMinIterations: 10_000 }).choose(['SCRAM-SHA-1'], TLS)
      .mechanism!;
    const nonce = str(m.initialResponse(undefined)).split(',r=')[1];
    const serverFirst = new TextEncoder().encode(`r=${nonce}xyz,s=c2FsdA==,i=9999`);
    assert.throws(() => m.challenge(serverFirst), /9999 is below the minimum 10000/);
  });
});

describe('ClientNegotiator: cross-checked against Proton 0.37', () => {
  it('picks what Proton picks and sends the same initial response', { skip: !protonAvailable() }, () => {
    // Cases where the rules coincide: no TLS in memory, and EXTERNAL left out, which Proton's client picks
    // whenever it is offered, identity or not.
    const cases: (ProtonClientCase & { ours?: ClientSaslOptions })[] = [
      { mechs: ['ANONYMOUS'] },
      { mechs: ['PLAIN', 'ANONYMOUS'] },
      { mechs: ['SCRAM-SHA-256', 'PLAIN', 'ANONYMOUS'] },
      { mechs: ['FOO', 'ANONYMOUS'] },
      { mechs: ['PLAIN', 'ANONYMOUS'], ...BOB, insecure: true },
      { mechs: ['PLAIN'], ...BOB, insecure: true, authzid: 'boss' },
      { mechs: ['PLAIN'], ...BOB, insecure: false },
      { mechs: ['PLAIN'], ...BOB },
      { mechs: ['PLAIN'], user: 'bob', insecure: true },
      { mechs: ['PLAIN', 'ANONYMOUS'], user: '', password: 'pw', insecure: true },
      { mechs: ['ANONYMOUS'], allowed: 'PLAIN' },
      { mechs: ['PLAIN', 'ANONYMOUS'], ...BOB, allowed: 'ANONYMOUS', insecure: true },
      { mechs: ['PLAIN', 'ANONYMOUS'], ...BOB, allowed: 'plain', insecure: true },
      { mechs: ['PLAIN', 'ANONYMOUS'], hostname: 'example.com' },
    ];
    const proton = protonClientChoices(cases);
    cases.forEach((c, i) => {
      const p = proton[i]!;
      const options: ClientSaslOptions = {
        user: c.user,
        password: c.password,
        authzid: c.authzid,
        allowedMechs: c.allowed,
        allowInsecureMechs: c.insecure,
      };
      const ours = new ClientNegotiator(options).choose(c.mechs, PLAIN_TEXT);
      const where = `case ${i} ${JSON.stringify(c)}: Proton ${JSON.stringify(p)}`;
      if ('error' in p) {
        assert.equal(ours.mechanism, undefined, where);
        assert.match(p.error, /amqp:unauthorized-access/);
      } else {
        assert.equal(ours.mechanism?.name, p.mechanism, where);
        const response = ours.mechanism!.initialResponse(c.hostname);
        assert.equal(
          response === undefined ? null : Buffer.from(response).toString('hex'),
          p.response,
          where,
        );
        // Proton's client never sends a hostname in sasl-init, even with the connection's hostname set.
        assert.equal(p.hostname, null, where);
      }
    });
  });

  it("records where we differ: Proton's client picks EXTERNAL whenever offered", {
    skip: !protonAvailable(),
  }, () => {
    const [p] = protonClientChoices([{ mechs: ['EXTERNAL', 'PLAIN', 'ANONYMOUS'], ...BOB, insecure: true }]);
    assert.deepEqual(p, { mechanism: 'EXTERNAL', response: '', hostname: null });
    const ours = choice(['EXTERNAL', 'PLAIN', 'ANONYMOUS'], { ...BOB, allowInsecureMechs: true }, PLAIN_TEXT);
    assert.equal(ours, 'PLAIN');
  });

  it('records where we differ: Proton sends PLAIN with an empty password', {
    skip: !protonAvailable(),
  }, () => {
    // RFC 4616 wants a non-empty password, so we do not pick PLAIN without one.
    const [p] = protonClientChoices([{ mechs: ['PLAIN'], user: 'bob', password: '', insecure: true }]);
    assert.deepEqual(p, { mechanism: 'PLAIN', response: '00626f6200', hostname: null });
    assert.equal(
      choice(['PLAIN'], { user: 'bob', password: '', allowInsecureMechs: true }, PLAIN_TEXT),
      null,
    );
  });
});

const creds256 = scramCredentials('pw', 'SHA-256');
const creds512 = scramCredentials('pw', 'SHA-512');
const creds1 = scramCredentials('pw', 'SHA-1');
const serverOptions: ServerSaslOptions = {
  authenticate: (user, password) => user === 'bob' && password === 'pw',
  scramCredentials: (user, mechanism) =>
    user !== 'bob'
      ? undefined
      : { 'SCRAM-SHA-512': creds512, 'SCRAM-SHA-256': creds256, 'SCRAM-SHA-1': creds1 }[mechanism],
};

describe('ServerNegotiator: what it offers', () => {
  const offers = (options: ServerSaslOptions, encrypted = false) =>
    new ServerNegotiator(options, { encrypted }).mechanisms.join(' ');

  it('offers ANONYMOUS alone when it has nothing to check, as Proton', () => {
    assert.equal(offers({}), 'ANONYMOUS');
    assert.equal(offers({ externalIdentity: 'CN=x' }), 'EXTERNAL ANONYMOUS');
  });

  it('offers what the callbacks can check, and no ANONYMOUS then', () => {
    assert.equal(offers(serverOptions, true), 'SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1 PLAIN');
    assert.equal(offers({ authenticate: () => true }, true), 'PLAIN');
    assert.equal(
      offers({ scramCredentials: () => undefined, externalIdentity: 'CN=x' }),
      'SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1 EXTERNAL',
    );
  });

  it('offers PLAIN over an unencrypted transport only when allowed', () => {
    assert.equal(offers(serverOptions), 'SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1');
    assert.equal(
      offers({ ...serverOptions, allowInsecureMechs: true }),
      'SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1 PLAIN',
    );
    assert.equal(offers({ authenticate: () => true }), '');
  });

  it('offers the listed mechanisms in the listed order, where they can work', () => {
    const o = { ...serverOptions, externalIdentity: 'CN=x' };
    assert.equal(
      offers({ ...o, mechanisms: 'plain anonymous SCRAM-SHA-1' }, true),
      'PLAIN ANONYMOUS SCRAM-SHA-1',
    );
    assert.equal(offers({ ...o, mechanisms: ['PLAIN', 'EXTERNAL'] }), 'EXTERNAL');
    assert.equal(offers({ ...serverOptions, mechanisms: ['EXTERNAL', 'ANONYMOUS'] }), 'ANONYMOUS');
  });

  it('refuses wrong options, naming them', () => {
    throwsOption(
      () => new ServerNegotiator({ mechanisms: ['PLAIN', 'KERBEROS'] }, TLS),
      'mechanisms',
      /KERBEROS/,
    );
    throwsOption(() => new ServerNegotiator({ mechanisms: [] }, TLS), 'mechanisms');
    throwsOption(() => new ServerNegotiator({ mechanisms: ['PLAIN'] }, TLS), 'authenticate');
    throwsOption(() => new ServerNegotiator({ mechanisms: 'SCRAM-SHA-256' }, TLS), 'scramCredentials');
    throwsOption(() => new ServerNegotiator({ authenticate: true as never }, TLS), 'authenticate');
    throwsOption(() => new ServerNegotiator({ scramCredentials: {} as never }, TLS), 'scramCredentials');
    throwsOption(() => new ServerNegotiator({ externalIdentity: 3 as never }, TLS), 'externalIdentity');
    throwsOption(() => new ServerNegotiator({ allowInsecureMechs: 1 as never }, TLS), 'allowInsecureMechs');
  });
});

describe('ServerNegotiator: answering the client', () => {
  it('refuses a mechanism it did not offer with auth, as Proton', () => {
    const n = new ServerNegotiator(serverOptions, { encrypted: false });
    for (const name of ['PLAIN', 'ANONYMOUS', 'GSSAPI', '']) {
      const r = n.select(name);
      assert.ok(isRefusal(r));
      assert.equal(r.outcome, 1);
      assert.match(r.reason!, /was not offered/);
    }
  });

  it('answers a mechanism it offered, case-insensitively', () => {
    const n = new ServerNegotiator({ ...serverOptions, externalIdentity: 'CN=x' }, { encrypted: true });
    for (const name of n.mechanisms) {
      const r = n.select(name.toLowerCase());
      assert.ok(!isRefusal(r));
      assert.equal(r.name, name);
    }
  });
});

describe('negotiators end to end, every mechanism', () => {
  async function run(
    client: ClientSaslOptions,
    server: ServerSaslOptions,
    transport: { encrypted: boolean; externalIdentity?: boolean },
  ) {
    const s = new ServerNegotiator(server, transport);
    const chosen = new ClientNegotiator(client).choose(s.mechanisms, transport);
    assert.ok(chosen.mechanism, chosen.reason);
    const m = s.select(chosen.mechanism.name);
    assert.ok(!isRefusal(m));
    return { name: chosen.mechanism.name, ...(await exchange(chosen.mechanism, m)) };
  }

  for (const mech of ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const) {
    it(`${mech}: success, wrong password, unknown user`, async () => {
      const ok = await run({ ...BOB, allowedMechs: mech }, serverOptions, TLS);
      assert.equal(ok.name, mech);
      assert.ok(ok.step && isSuccess(ok.step) && ok.step.user === 'bob');
      assert.equal(ok.clientError, undefined);
      for (const who of [
        { user: 'bob', password: 'nope' },
        { user: 'eve', password: 'pw' },
      ]) {
        const bad = await run({ ...who, allowedMechs: mech }, serverOptions, TLS);
        assert.equal(bad.step && 'outcome' in bad.step && bad.step.outcome, 1);
        assert.equal(bad.clientError, undefined);
      }
    });
  }

  it('EXTERNAL with an identity, and ANONYMOUS', async () => {
    const ext = await run({}, { externalIdentity: 'CN=client' }, { encrypted: true, externalIdentity: true });
    assert.equal(ext.name, 'EXTERNAL');
    assert.deepEqual(ext.step, { outcome: 0, user: 'CN=client' });
    const anon = await run({}, {}, { encrypted: false });
    assert.equal(anon.name, 'ANONYMOUS');
    assert.deepEqual(anon.step, { outcome: 0, user: 'anonymous' });
  });

  it('an async authenticator and lookup', async () => {
    const slow: ServerSaslOptions = {
      authenticate: async (u, p) => u === 'bob' && p === 'pw',
      scramCredentials: async () => creds256,
    };
    assert.ok(isSuccess((await run({ ...BOB, allowedMechs: 'PLAIN' }, slow, TLS)).step!));
    assert.ok(isSuccess((await run({ ...BOB, allowedMechs: 'SCRAM-SHA-256' }, slow, TLS)).step!));
  });
});
