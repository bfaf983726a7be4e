import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scramRecord } from '../../src/broker/users.js';
import { SSLDomain } from '../../src/index.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../support/certs.js';
import { BrokerChild, type ConnectResult, connectOnce, runCli } from './harness.js';

const UNAUTHORIZED = 'amqp:unauthorized-access';

describe('proton-ts broker --users', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-users-'));
  const usersFile = join(dir, 'users');
  let broker: BrokerChild;
  let anonymous: BrokerChild;

  before(async () => {
    writeFileSync(
      usersFile,
      [
        '# alice: a salted SCRAM-SHA-256 record only; bob: a plain password, salted at load',
        scramRecord('alice', 'wonderland', 'SCRAM-SHA-256'),
        '',
        'bob:PLAIN:build:er',
      ].join('\n'),
    );
    [broker, anonymous] = await Promise.all([
      BrokerChild.start('--users', usersFile, '-v'),
      BrokerChild.start('--users', usersFile, '--allow-anonymous'),
    ]);
  });

  after(async () => {
    await Promise.all([broker?.kill(), anonymous?.kill()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('PLAIN with the right password opens, checked against a salted record or a PLAIN line', async () => {
    const alice = await connectOnce(broker.host, {
      user: 'alice',
      password: 'wonderland',
      allowedMechs: 'PLAIN',
      allowInsecureMechs: true, // PLAIN over plain TCP is refused by the client unless asked for
    });
    assert.equal(alice.condition, undefined);
    assert.equal(alice.opened, true);
    assert.equal(alice.mechanism, 'PLAIN');
    const bob = await connectOnce(broker.host, {
      user: 'bob',
      password: 'build:er',
      allowedMechs: 'PLAIN',
      allowInsecureMechs: true,
    });
    assert.equal(bob.opened, true, JSON.stringify(bob.condition));
  });

  it('a wrong password, or an unknown user, is refused as amqp:unauthorized-access', async () => {
    for (const [user, password, mech] of [
      ['alice', 'looking-glass', 'PLAIN'],
      ['alice', 'looking-glass', 'SCRAM-SHA-256'],
      ['carol', 'wonderland', 'PLAIN'],
      ['bob', 'builder', 'SCRAM-SHA-512'],
    ] as const) {
      const r = await connectOnce(broker.host, {
        user,
        password,
        allowedMechs: mech,
        allowInsecureMechs: true,
      });
      assert.equal(r.opened, false, `${user} with ${mech}`);
      assert.equal(r.condition?.name, UNAUTHORIZED, `${user} with ${mech}`);
      assert.match(r.condition?.description ?? '', /auth|SASL/i);
    }
  });

  it('SCRAM works with the hashes a user has records for', async () => {
    // The client picks the strongest offered: SCRAM-SHA-512 for bob (salted for every hash at load).
    const bob = await connectOnce(broker.host, { user: 'bob', password: 'build:er' });
    assert.equal(bob.opened, true, JSON.stringify(bob.condition));
    assert.equal(bob.mechanism, 'SCRAM-SHA-512');
    const alice = await connectOnce(broker.host, {
      user: 'alice',
      password: 'wonderland',
      allowedMechs: 'SCRAM-SHA-256',
    });
    assert.equal(alice.opened, true, JSON.stringify(alice.condition));
    assert.equal(alice.mechanism, 'SCRAM-SHA-256');
    const sha1 = await connectOnce(broker.host, {
      user: 'alice',
      password: 'wonderland',
      allowedMechs: 'SCRAM-SHA-1',
    });
    assert.equal(sha1.condition?.name, UNAUTHORIZED, 'alice has no SHA-1 record');
  });

  it('ANONYMOUS is not offered, and SASL cannot be skipped, unless --allow-anonymous', async () => {
    const anon = await connectOnce(broker.host, {});
    assert.equal(anon.opened, false);
    assert.equal(anon.condition?.name, UNAUTHORIZED);
    assert.match(anon.condition?.description ?? '', /ANONYMOUS|no SASL mechanism/);
    const bare = await connectOnce(broker.host, { saslEnabled: false });
    assert.equal(bare.opened, false, 'a bare AMQP header is refused');
    const allowed = await connectOnce(anonymous.host, {});
    assert.equal(allowed.opened, true, JSON.stringify(allowed.condition));
    assert.equal(allowed.mechanism, 'ANONYMOUS');
    const stillChecked = await connectOnce(anonymous.host, {
      user: 'alice',
      password: 'nope',
      allowedMechs: 'PLAIN',
      allowInsecureMechs: true,
    });
    assert.equal(stillChecked.condition?.name, UNAUTHORIZED);
  });

  it('send with a wrong password in the URL: exit 1, the reason on stderr, the password masked', async () => {
    const s = await runCli(['send', `${broker.host.replace('127', 'bob:hunter2@127')}/q`, '--count', '1']);
    assert.equal(s.status, 1);
    assert.match(
      s.stderr,
      /^proton-ts: send to amqp:\/\/bob:\*\*\*@127\.0\.0\.1:\d+\/q: amqp:unauthorized-access/,
    );
    assert.doesNotMatch(s.stderr, /hunter2/);
  });

  it('-v logs connections and links on stderr', async () => {
    const s = await runCli([
      'send',
      `${broker.host.replace('127', 'bob:build%3Aer@127')}/logged`,
      '--count',
      '1',
    ]);
    assert.equal(s.status, 0, s.stderr);
    assert.match(broker.stderr, /info: connection opened: container .+, user bob/);
    assert.match(broker.stderr, /info: link attached: producer to logged/);
    assert.match(broker.stderr, /info: connection closed/);
    assert.doesNotMatch(broker.stderr, /build:er/, 'no password in the log');
    assert.doesNotMatch(anonymous.stderr, /info:/, 'no info lines without -v');
  });
});

describe('proton-ts broker --acl, and failed logins', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-acl-'));
  let broker: BrokerChild;
  const login = (user: string, password: string) => ({
    user,
    password,
    allowedMechs: 'PLAIN',
    allowInsecureMechs: true,
  });

  before(async () => {
    writeFileSync(join(dir, 'users'), 'alice:PLAIN:wonderland\nbob:PLAIN:builder\n');
    writeFileSync(
      join(dir, 'acl'),
      '# alice sends orders, bob reads them\nalice send orders\nbob receive orders\n',
    );
    broker = await BrokerChild.start('--users', join(dir, 'users'), '--acl', join(dir, 'acl'), '-v');
  });

  after(async () => {
    await broker?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends where the ACL allows; elsewhere the link is refused with amqp:unauthorized-access', async () => {
    const url = (user: string, password: string, address: string) =>
      `${broker.host.replace('127', `${user}:${password}@127`)}/${address}`;
    const ok = await runCli(['send', url('alice', 'wonderland', 'orders'), '--count', '1']);
    assert.equal(ok.status, 0, ok.stderr);
    const denied = await runCli(['send', url('bob', 'builder', 'orders'), '--count', '1']);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /amqp:unauthorized-access/);
    assert.match(denied.stderr, /user 'bob' may not send to 'orders'/);
    assert.match(broker.stderr, /warn: access denied: user 'bob' may not send to 'orders'/);
    const got = await runCli(['receive', url('bob', 'builder', 'orders'), '--count', '1', '--timeout', '5']);
    assert.equal(got.status, 0, got.stderr);
    assert.match(broker.stderr, /info: ACL: 2 rules/);
  });

  it('a failed login is closed, logged as a warning naming the user, and the broker serves on', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await connectOnce(broker.host, login('alice', `guess-${i}`));
      assert.equal(r.opened, false);
      assert.equal(r.condition?.name, UNAUTHORIZED);
    }
    const warned = broker.stderr.split('\n').filter((l) => l.includes('warn: login failed'));
    assert.equal(warned.length, 3, broker.stderr);
    assert.match(warned[2]!, /\(3 since start\): .*user 'alice'/);
    assert.doesNotMatch(broker.stderr, /guess-/, 'no password in the log');
    assert.equal(broker.child.exitCode, null, 'still running');
    const good = await connectOnce(broker.host, login('alice', 'wonderland'));
    assert.equal(good.opened, true, JSON.stringify(good.condition));
  });
});

describe('proton-ts broker: frames, idle timeout, shutdown', { timeout: 60_000 }, () => {
  it('--max-frame-size and --idle-timeout are in the open frame (idle-time-out advertised at half)', async () => {
    const b = await BrokerChild.start('--max-frame-size', '4096', '--idle-timeout', '6');
    try {
      const r = await connectOnce(b.host);
      assert.equal(r.opened, true);
      assert.equal(r.remoteMaxFrameSize, 4096);
      assert.equal(r.remoteIdleTimeout, 3000);
    } finally {
      await b.kill();
    }
  });

  it('--max-connections: one connection more is closed with amqp:resource-limit-exceeded', async () => {
    const b = await BrokerChild.start('--max-connections', '1');
    try {
      let second: Promise<ConnectResult> | undefined;
      const first = await connectOnce(b.host, {}, true, () => {
        second = connectOnce(b.host, {}, true).finally(() => b.child.kill('SIGTERM'));
      });
      assert.equal(first.opened, true);
      assert.equal(first.closedWith, 'amqp:connection:forced', 'closed at the shutdown');
      assert.equal((await second!).closedWith, 'amqp:resource-limit-exceeded');
    } finally {
      await b.kill();
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the clients are closed with amqp:connection:forced, then exit 0`, async () => {
      const b = await BrokerChild.start();
      try {
        const r = await connectOnce(b.host, {}, true, () => b.child.kill(signal));
        assert.equal(r.opened, true);
        assert.equal(r.closedWith, 'amqp:connection:forced');
        const end = await b.exited;
        assert.deepEqual(end, { status: 0, signal: null });
      } finally {
        await b.kill();
      }
    });
  }
});

describe('proton-ts broker over TLS', {
  timeout: 60_000,
  skip: opensslAvailable() ? false : 'no openssl',
}, () => {
  let certs: TestCerts;
  let broker: BrokerChild;
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-tls-users-'));

  before(async () => {
    certs = await makeTestCerts();
    writeFileSync(join(dir, 'users'), 'dave:PLAIN:secret\n');
    broker = await BrokerChild.start(
      '--tls-cert',
      certs.server.cert,
      '--tls-key',
      certs.server.key,
      '--users',
      join(dir, 'users'),
    );
  });

  after(async () => {
    await broker?.kill();
    certs?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = () => {
    const d = new SSLDomain(SSLDomain.MODE_CLIENT);
    d.setTrustedCaDb(certs.ca.cert);
    return d;
  };

  it('serves TLS with the certificate given, and PLAIN and SCRAM over it', async () => {
    const url = `amqps://localhost:${broker.port}`;
    const plain = await connectOnce(url, {
      sslDomain: client(),
      user: 'dave',
      password: 'secret',
      allowedMechs: 'PLAIN',
      allowInsecureMechs: false,
    });
    assert.equal(plain.opened, true, JSON.stringify(plain.condition));
    assert.match(plain.tlsProtocol ?? '', /^TLSv1\.[23]$/);
    const scram = await connectOnce(url, { sslDomain: client(), user: 'dave', password: 'secret' });
    assert.equal(scram.mechanism, 'SCRAM-SHA-512');
    const wrong = await connectOnce(url, { sslDomain: client(), user: 'dave', password: 'guess' });
    assert.equal(wrong.condition?.name, UNAUTHORIZED);
  });

  it('refuses a plain AMQP client on the TLS port', async () => {
    const r = await connectOnce(broker.host, { user: 'dave', password: 'secret' });
    assert.equal(r.opened, false);
  });

  it('a bad certificate file is a usage error naming the option', async () => {
    const r = await runCli(['broker', '--tls-cert', join(dir, 'users'), '--tls-key', certs.server.key]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--tls-cert\/--tls-key: .*not PEM/);
  });
});
