/**
 * Security defaults, end to end over loopback sockets: PLAIN is never sent over plain TCP unless the
 * application allows it; a password never shows in the frame trace (PN_TRACE_FRM), a log line, a
 * condition or a printed URL; TLS verifies the server's chain, name and dates by default, and a pinned
 * CA is the only one trusted. Certificates are made at test time with openssl (test/support/certs.ts,
 * plus an expired one made here).
 *
 * The broker refuses what its ACL does not allow and counts failed logins (secured-broker.ts).
 *
 * With WRITE_RELIABILITY=1 the checks made are written to docs/reliability.md (security markers).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect, promisify } from 'node:util';
import { Acl } from '../../src/broker/acl.js';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import type { ConnectOptions } from '../../src/container/options.js';
import { SSLDomain } from '../../src/container/ssl-domain.js';
import { Url } from '../../src/container/url.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import { Message } from '../../src/message/message.js';
import type { Logger } from '../../src/util/logger.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../support/certs.js';
import { HOST } from '../support/container-harness.js';
import { writeReliabilitySection } from './reliability-doc.js';
import { Attempt, as, run, startSecuredBroker } from './secured-broker.js';

const PASSWORD = 'S3cr3t-Pa55word-xyzzy';
const DEADLINE = 20_000;
const skip = opensslAvailable() || process.env.CI === 'true' ? false : 'no openssl command';
const checks: string[] = [];
// Once every suite of the file has run (a skipped one adds nothing).
after(() => {
  if (process.env.WRITE_RELIABILITY === '1') writeReliabilitySection('security', checks);
});

interface Outcome {
  opened: boolean;
  mechanism: string | undefined;
  condition: { name: string; description: string | undefined } | undefined;
}

/** Opens one connection and closes it; records whether it opened, and the transport's condition. */
class OneConnection extends MessagingHandler {
  readonly outcome: Outcome = { opened: false, mechanism: undefined, condition: undefined };

  override onConnectionOpened(event: Event): void {
    this.outcome.opened = true;
    this.outcome.mechanism = event.transport?.sasl?.mechanism;
    event.connection!.close();
  }

  override onTransportError(event: Event): void {
    const c = event.transport?.condition;
    if (c !== undefined && this.outcome.condition === undefined) {
      this.outcome.condition = { name: c.name, description: c.description };
    }
  }
}

/** A logger keeping every line, arguments included. */
function recordingLogger(lines: string[]): Logger {
  const keep =
    (level: string) =>
    (m: string, ...args: unknown[]) =>
      lines.push(`${level} ${m} ${args.map((a) => inspect(a)).join(' ')}`);
  return { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** Everything a run printed or reported: the frame trace, both log streams, the conditions. */
interface Seen {
  outcome: Outcome;
  authenticated: string[];
  text: string;
  trace: string;
}

/**
 * A server offering PLAIN (over plain TCP too, so the client's own rule is what is tested), and one
 * client connection to it, with PN_TRACE_FRM on for both sides.
 */
async function plainExchange(
  url: (port: number) => string,
  options: ConnectOptions,
  serverDomain?: SSLDomain,
): Promise<Seen> {
  const lines: string[] = [];
  const authenticated: string[] = [];
  const server = new Container(new MessagingHandler(), {
    containerId: 'server',
    logger: recordingLogger(lines),
  });
  const traced: string[] = [];
  const write = process.stderr.write;
  const env = process.env.PN_TRACE_FRM;
  process.env.PN_TRACE_FRM = '1';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    traced.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const handler = new OneConnection();
  let timer: NodeJS.Timeout | undefined;
  try {
    const acceptor = await server.listen(`${HOST}:0`, {
      ...(serverDomain === undefined ? {} : { sslDomain: serverDomain }),
      sasl: {
        mechanisms: ['PLAIN'],
        allowInsecureMechs: true,
        authenticate: (user, password) => {
          authenticated.push(user);
          return password === PASSWORD;
        },
      },
    });
    const client = new Container(handler, { containerId: 'client', logger: recordingLogger(lines) });
    client.connect(url(acceptor.port), { reconnect: false, ...options });
    const serverRun = server.run();
    timer = setTimeout(() => {
      client.stop();
      server.stop();
    }, DEADLINE);
    await client.run();
    acceptor.close();
    server.stop();
    await serverRun;
  } finally {
    clearTimeout(timer);
    process.stderr.write = write;
    if (env === undefined) delete process.env.PN_TRACE_FRM;
    else process.env.PN_TRACE_FRM = env;
  }
  const trace = traced.join('');
  const text = [trace, ...lines, JSON.stringify(handler.outcome)].join('\n');
  return { outcome: handler.outcome, authenticated, text, trace };
}

describe('SASL PLAIN and secrets', { timeout: 60_000 }, () => {
  let certs: TestCerts | undefined;
  before(async () => {
    if (skip === false) certs = await makeTestCerts();
  });
  after(() => certs?.remove());

  it('PLAIN is refused over plain TCP by default: the password is never sent', async () => {
    const seen = await plainExchange((p) => `amqp://alice:${PASSWORD}@${HOST}:${p}`, {});
    assert.equal(seen.outcome.opened, false);
    assert.equal(seen.outcome.condition?.name, 'amqp:unauthorized-access');
    assert.match(seen.outcome.condition?.description ?? '', /PLAIN needs an encrypted transport/);
    assert.deepEqual(seen.authenticated, [], 'the server never saw a PLAIN message');
    assert.doesNotMatch(seen.trace, /sasl-init/, 'no sasl-init was sent');
    assert.ok(!seen.text.includes(PASSWORD), 'the password appears nowhere');
    checks.push('PLAIN over plain TCP without allowInsecureMechs: refused by the client, no sasl-init sent');
  });

  it('allowInsecureMechs sends PLAIN over TCP; the trace masks the password, right or wrong', async () => {
    const ok = await plainExchange((p) => `amqp://alice:${PASSWORD}@${HOST}:${p}`, {
      allowInsecureMechs: true,
    });
    assert.equal(ok.outcome.opened, true, JSON.stringify(ok.outcome.condition));
    assert.equal(ok.outcome.mechanism, 'PLAIN');
    assert.match(ok.trace, /@sasl-init\(65\) \[mechanism=:PLAIN, initial-response=b"\\x00alice\\x00\*\*\*"/);
    assert.ok(!ok.text.includes(PASSWORD), 'the password is not in the trace nor the logs');

    const wrong = `${PASSWORD}-wrong`;
    const bad = await plainExchange((p) => `${HOST}:${p}`, {
      user: 'alice',
      password: wrong,
      allowInsecureMechs: true,
    });
    assert.equal(bad.outcome.opened, false);
    assert.equal(bad.outcome.condition?.name, 'amqp:unauthorized-access');
    assert.deepEqual(bad.authenticated, ['alice']);
    assert.ok(!bad.text.includes(PASSWORD), 'a wrong password appears nowhere either');
    checks.push('PLAIN with allowInsecureMechs: the trace prints initial-response=b"\\x00alice\\x00***"');
    checks.push('a refused password is in no condition, log line or trace line');
  });

  it('PLAIN over TLS needs no allowInsecureMechs', { skip }, async () => {
    const server = new SSLDomain(SSLDomain.MODE_SERVER);
    server.setCredentials(certs!.server.cert, certs!.server.key);
    const client = new SSLDomain(SSLDomain.MODE_CLIENT);
    client.setTrustedCaDb(certs!.ca.cert);
    const seen = await plainExchange(
      (p) => `amqps://alice:${PASSWORD}@localhost:${p}`,
      { sslDomain: client },
      server,
    );
    assert.equal(seen.outcome.opened, true, JSON.stringify(seen.outcome.condition));
    assert.equal(seen.outcome.mechanism, 'PLAIN');
    assert.ok(!seen.text.includes(PASSWORD));
    checks.push('PLAIN over TLS (a pinned CA): allowed by default');
  });

  it('a URL never prints its password: toString, JSON, inspect, template strings', () => {
    const u = new Url(`amqps://alice:${PASSWORD}@broker.example:5671/q`);
    for (const shown of [String(u), `${u}`, JSON.stringify(u), inspect(u), inspect({ u }, { depth: 5 })]) {
      assert.ok(!shown.includes(PASSWORD), shown);
    }
    assert.equal(String(u), 'amqps://alice:***@broker.example:5671/q');
    assert.equal(u.password, PASSWORD, 'the password itself is still there for the connector');
    checks.push('Url: toString/JSON/inspect print the password as ***');
  });
});

// ----------------------------------------------------------------------------------------------
// TLS verification

/** A certificate for localhost that expired (made with -days 0, then a second's wait). */
async function makeExpired(certs: TestCerts): Promise<{ cert: string; key: string }> {
  const run = promisify(execFile);
  const p = (n: string) => join(certs.dir, n);
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(p('expired.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const opts = { cwd: certs.dir };
  await run(
    'openssl',
    [
      'req',
      '-new',
      ...curve,
      '-keyout',
      p('expired.key'),
      '-out',
      p('expired.csr'),
      '-subj',
      '/CN=localhost',
    ],
    opts,
  );
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      p('expired.csr'),
      '-CA',
      certs.ca.cert,
      '-CAkey',
      certs.ca.key,
      '-set_serial',
      '77',
      '-days',
      '0',
      '-extfile',
      p('expired.ext'),
      '-out',
      p('expired.pem'),
    ],
    opts,
  );
  await new Promise((r) => setTimeout(r, 1100));
  return { cert: p('expired.pem'), key: p('expired.key') };
}

/** One amqps connection attempt against a server with `cert`; its outcome. */
async function tlsAttempt(
  cert: { cert: string; key: string },
  url: (port: number) => string,
  options: ConnectOptions,
): Promise<Outcome> {
  const serverDomain = new SSLDomain(SSLDomain.MODE_SERVER);
  serverDomain.setCredentials(cert.cert, cert.key);
  const server = new Container(new MessagingHandler(), { containerId: 'tls-server' });
  const acceptor = await server.listen(`${HOST}:0`, { sslDomain: serverDomain });
  const handler = new OneConnection();
  const client = new Container(handler, { containerId: 'tls-client' });
  client.connect(url(acceptor.port), { reconnect: false, ...options });
  const serverRun = server.run();
  const timer = setTimeout(() => {
    client.stop();
    server.stop();
  }, DEADLINE);
  try {
    await client.run();
  } finally {
    clearTimeout(timer);
    acceptor.close();
    server.stop();
    await serverRun;
  }
  return handler.outcome;
}

describe('TLS verification by default, with clear reasons', { skip, timeout: 60_000 }, () => {
  let certs: TestCerts;
  let expired: { cert: string; key: string };
  const pinned = () => {
    const d = new SSLDomain(SSLDomain.MODE_CLIENT);
    d.setTrustedCaDb(certs.ca.cert);
    return d;
  };
  before(async () => {
    certs = await makeTestCerts();
    expired = await makeExpired(certs);
  });
  after(() => certs?.remove());

  const refused = (o: Outcome, pattern: RegExp, what: string) => {
    assert.equal(o.opened, false, what);
    assert.equal(o.condition?.name, 'amqp:connection:framing-error', what);
    assert.match(o.condition?.description ?? '', pattern, what);
    checks.push(`${what}: refused, "${o.condition?.description}"`);
  };

  it('an expired certificate is refused, even from a pinned CA', async () => {
    const o = await tlsAttempt(expired, (p) => `amqps://localhost:${p}`, { sslDomain: pinned() });
    refused(o, /^SSL Failure: certificate has expired \(CERT_HAS_EXPIRED\)$/, 'expired certificate');
  });

  it('a self-signed certificate is refused by an amqps URL with no domain (the default verifies)', async () => {
    const o = await tlsAttempt(certs.selfSigned, (p) => `amqps://localhost:${p}`, {});
    refused(o, /self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/, 'self-signed certificate');
  });

  it('a certificate for another host is refused', async () => {
    const o = await tlsAttempt(certs.wrongHost, (p) => `amqps://localhost:${p}`, { sslDomain: pinned() });
    refused(
      o,
      /not in the cert's altnames.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
      'certificate for another host',
    );
  });

  it('a pinned CA is the only one trusted', async () => {
    const other = new SSLDomain(SSLDomain.MODE_CLIENT);
    other.setTrustedCaDb(certs.otherCa.cert);
    const o = await tlsAttempt(certs.server, (p) => `amqps://localhost:${p}`, { sslDomain: other });
    refused(
      o,
      /UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)/,
      'server signed by a CA not pinned',
    );
    const ok = await tlsAttempt(certs.server, (p) => `amqps://localhost:${p}`, { sslDomain: pinned() });
    assert.equal(ok.opened, true, JSON.stringify(ok.condition));
    checks.push('server signed by the pinned CA: accepted');
  });
});

// ----------------------------------------------------------------------------------------------
// The broker: ACL and failed logins

describe('the broker: ACL and failed logins', { timeout: 60_000 }, () => {
  it('failed logins in a row are each closed, counted and logged; the broker serves on', async () => {
    const b = await startSecuredBroker();
    const n = 20;
    const start = performance.now();
    const tries: Attempt[] = [];
    for (let i = 0; i < n; i++) {
      const a = new Attempt(
        b.url,
        { user: 'alice', password: `${PASSWORD}-${i}` },
        { receive: 'q', count: 1 },
      );
      await run(a);
      tries.push(a);
    }
    const ms = (performance.now() - start) / n;
    assert.ok(
      tries.every((a) => !a.opened && a.saslOutcome === 1),
      'all refused with outcome auth',
    );
    assert.ok(tries.every((a) => a.transportError?.startsWith('amqp:unauthorized-access: ')));
    assert.equal(b.broker.stats.authFailures, n);
    const deadline = Date.now() + 3000;
    while (b.failedCloses.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.failedCloses.length, n, 'the broker closed each connection');
    assert.ok(!b.logger.lines.join('\n').includes(PASSWORD), 'no password in the broker log');
    const good = new Attempt(b.url, as('alice'), { send: 'q', messages: [new Message({ body: 1 })] });
    await run(good);
    assert.deepEqual(good.outcomes, ['accepted']);
    checks.push(
      `broker: ${n} wrong passwords in a row: each refused (amqp:unauthorized-access, SASL outcome 1) and ` +
        `closed by the broker, stats.authFailures = ${b.broker.stats.authFailures}, ` +
        `${ms.toFixed(1)} ms a refusal; the next right password logs in`,
    );
  });

  it('the ACL refuses links and relayed messages it does not allow', async () => {
    const b = await startSecuredBroker(Acl.of(['alice send orders', 'bob receive orders']));
    const send = new Attempt(b.url, as('alice'), { send: 'orders', messages: [new Message({ body: 1 })] });
    const steal = new Attempt(b.url, as('alice'), { receive: 'orders', count: 1 });
    const anon = new Attempt(b.url, 'anonymous', { send: 'orders', messages: [new Message({ body: 2 })] });
    const relay = new Attempt(b.url, as('bob'), {
      send: undefined,
      messages: [new Message({ address: 'orders', body: 3 })],
    });
    await run(send, steal, anon, relay);
    assert.deepEqual(send.outcomes, ['accepted']);
    assert.match(steal.linkError ?? '', /^amqp:unauthorized-access: user 'alice' may not receive from/);
    assert.match(anon.linkError ?? '', /^amqp:unauthorized-access: user 'anonymous' may not send to/);
    assert.deepEqual(relay.outcomes, [
      "rejected amqp:unauthorized-access: user 'bob' may not send to 'orders'",
    ]);
    assert.equal(b.broker.stats.accessDenied, 3);
    checks.push(
      'broker ACL: an allowed send accepted; a receive, an anonymous send and a relayed message not ' +
        `allowed refused with amqp:unauthorized-access naming user and address (stats.accessDenied = ${b.broker.stats.accessDenied})`,
    );
  });
});
