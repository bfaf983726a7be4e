/**
 * SSLDomain over real loopback sockets: a listening Container (a MessagingHandler that receives) and a
 * connecting one (each client a connection that sends one message), in one process, every server on
 * 127.0.0.1 and a free port, every run with a deadline and everything closed at the end. Certificates
 * are made at test time (test/support/certs.ts) and removed after.
 *
 * - VERIFY_PEER_NAME (a client's default): the right host passes, by name and by IP; another host's
 *   certificate fails with Node's reason in the transport condition; VERIFY_PEER skips the name;
 * - an untrusted self-signed server is refused, by the default domain of amqps URLs too; a pinned CA
 *   is the only one trusted; ANONYMOUS_PEER on a client is the explicit way not to verify;
 * - client certificates: a VERIFY_PEER server, SASL EXTERNAL with the certificate subject as the user,
 *   clients without a certificate or with an untrusted one refused; an ANONYMOUS_PEER server asks none;
 * - TLS and plain AMQP on one port; a password-protected key; what `tlsInfo` reports on both sides;
 * - the mapping onto node:tls options, and the errors of settings that cannot work.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import type { ListenOptions } from '../../src/container/acceptor.js';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import type { ConnectOptions } from '../../src/container/options.js';
import { SSLDomain, SSLException, type TlsInfo, tlsInfo } from '../../src/container/ssl-domain.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import { Message } from '../../src/message/message.js';
import type { Logger } from '../../src/util/logger.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../support/certs.js';

const HOST = '127.0.0.1';
const DEADLINE = 5000;
const SUBJECT_SERVER = 'CN=localhost,O=proton-ts';
const SUBJECT_CLIENT = 'CN=test-client,O=proton-ts';
const FRAMING = 'amqp:connection:framing-error';

/** What the server saw of one message. */
interface Received {
  body: unknown;
  user: string | undefined;
  mechanism: string | undefined;
  encrypted: boolean;
  tls: TlsInfo | undefined;
}

/** How one client fared. */
interface ClientOutcome {
  accepted: boolean;
  condition: { name: string; description: string | undefined } | undefined;
  tls: TlsInfo | undefined;
}

interface Client {
  /** The URL, given the server's port. */
  url: (port: number) => string;
  options?: ConnectOptions;
}

class Receiving extends MessagingHandler {
  readonly received: Received[] = [];

  override onMessage(event: Event): void {
    const t = event.transport;
    this.received.push({
      body: event.message?.body,
      user: t?.sasl?.user,
      mechanism: t?.sasl?.mechanism,
      encrypted: t?.encrypted ?? false,
      tls: tlsInfo(event.connection),
    });
  }
}

/** One connection that sends one message, then closes; or records why it could not. */
class Sending extends MessagingHandler {
  readonly outcome: ClientOutcome = { accepted: false, condition: undefined, tls: undefined };
  private sent = false;

  override onSendable(event: Event): void {
    if (this.sent) return;
    this.sent = true;
    event.sender!.send(new Message({ body: 'over TLS' }));
  }

  override onAccepted(event: Event): void {
    this.outcome.accepted = true;
    this.outcome.tls = tlsInfo(event.connection);
    event.connection!.close();
  }

  override onTransportError(event: Event): void {
    const c = event.transport?.condition;
    if (c !== undefined && this.outcome.condition === undefined) {
      this.outcome.condition = { name: c.name, description: c.description };
    }
  }
}

/** A logger that keeps the warnings and errors. */
function recordingLogger(lines: string[]): Logger {
  const ignore = () => {};
  return {
    debug: ignore,
    info: ignore,
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
}

/**
 * Runs a listening container with `listen`, and a connecting one making each of `clients` (no
 * reconnect); resolves once both have finished, with what each side saw.
 */
async function exchange(
  listen: ListenOptions,
  clients: Client[],
): Promise<{ received: Received[]; outcomes: ClientOutcome[]; serverLog: string[] }> {
  const serverLog: string[] = [];
  const receiver = new Receiving();
  const server = new Container(receiver, { containerId: 'server', logger: recordingLogger(serverLog) });
  const acceptor = await server.listen(`${HOST}:0`, listen);
  const port = acceptor.port;
  const senders = clients.map(() => new Sending());
  const client = new Container(
    {
      onReactorInit() {
        clients.forEach((spec, i) => {
          const c = client.connect(spec.url(port), {
            reconnect: false,
            ...spec.options,
            handler: senders[i],
          });
          client.createSender(c, 'examples');
        });
      },
    },
    { containerId: 'client' },
  );
  const serverRun = server.run();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.stop();
    server.stop();
  }, DEADLINE);
  try {
    await client.run();
    // Let the server see the last close before its port goes.
    await new Promise((r) => setTimeout(r, 20));
    acceptor.close();
    await serverRun;
  } finally {
    clearTimeout(timer);
    client.stop();
    server.stop();
  }
  assert.equal(timedOut, false, `the exchange took longer than ${DEADLINE} ms`);
  return { received: receiver.received, outcomes: senders.map((s) => s.outcome), serverLog };
}

function serverDomain(certs: TestCerts, which: 'server' | 'wrongHost' | 'selfSigned' = 'server'): SSLDomain {
  const d = new SSLDomain(SSLDomain.MODE_SERVER);
  d.setCredentials(certs[which].cert, certs[which].key);
  return d;
}

function clientDomain(ca: string | undefined, verify?: 1 | 2 | 3): SSLDomain {
  const d = new SSLDomain(SSLDomain.MODE_CLIENT);
  if (ca !== undefined) d.setTrustedCaDb(ca);
  if (verify !== undefined) d.setPeerAuthentication(verify);
  return d;
}

const amqps = (host: string) => (port: number) => `amqps://${host}:${port}`;
const amqp = (host: string) => (port: number) => `amqp://${host}:${port}`;

function assertRefused(o: ClientOutcome, pattern: RegExp): void {
  assert.equal(o.accepted, false);
  assert.ok(o.condition !== undefined, 'a transport condition');
  assert.equal(o.condition.name, FRAMING);
  assert.match(o.condition.description ?? '', pattern);
}

const skip = opensslAvailable() ? false : 'no openssl command';

describe('SSLDomain over loopback sockets', { skip, timeout: 30_000 }, () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeTestCerts();
  });
  after(() => certs?.remove());

  it('VERIFY_PEER_NAME (the default): the right host passes, by name and by IP; tlsInfo on both sides', async () => {
    const { received, outcomes } = await exchange({ sslDomain: serverDomain(certs) }, [
      { url: amqps('localhost'), options: { sslDomain: clientDomain(certs.ca.cert) } },
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.ca.cert) } },
    ]);
    for (const o of outcomes) {
      assert.equal(o.condition, undefined);
      assert.equal(o.accepted, true);
      assert.match(o.tls?.protocol ?? '', /^TLSv1\.[23]$/);
      assert.ok((o.tls?.cipher ?? '') !== '');
      assert.equal(o.tls?.peerSubject, SUBJECT_SERVER);
      assert.equal(o.tls?.peerVerified, true);
      assert.equal(o.tls?.peerCertificate?.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    }
    assert.equal(received.length, 2);
    for (const r of received) {
      assert.equal(r.body, 'over TLS');
      assert.equal(r.encrypted, true);
      assert.equal(r.mechanism, 'ANONYMOUS');
      assert.match(r.tls?.protocol ?? '', /^TLSv1\.[23]$/);
      assert.equal(r.tls?.cipher, outcomes[0]!.tls?.cipher);
      assert.equal(r.tls?.peerSubject, undefined, 'no client certificate');
    }
  });

  it("refuses another host's certificate with Node's reason; VERIFY_PEER and the SNI name", async () => {
    const { received, outcomes } = await exchange({ sslDomain: serverDomain(certs, 'wrongHost') }, [
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.ca.cert) } },
      {
        url: amqps('localhost'),
        options: { sslDomain: clientDomain(certs.ca.cert, SSLDomain.VERIFY_PEER_NAME) },
      },
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.ca.cert, SSLDomain.VERIFY_PEER) } },
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.ca.cert), sni: 'wrong.example' } },
    ]);
    assertRefused(
      outcomes[0]!,
      /^SSL Failure: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
    );
    assertRefused(
      outcomes[1]!,
      /Host: localhost\. is not in the cert's altnames: DNS:wrong\.example.*ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    // VERIFY_PEER checks the chain, not the name.
    assert.equal(outcomes[2]!.accepted, true);
    assert.equal(outcomes[2]!.tls?.peerSubject, 'CN=wrong.example');
    // The name checked is the one asked for (the SNI), not the address.
    assert.equal(outcomes[3]!.accepted, true);
    assert.equal(received.length, 2);
  });

  it('refuses an untrusted self-signed server: the default domain of amqps URLs, a CA db; ANONYMOUS_PEER does not verify', async () => {
    const { received, outcomes } = await exchange({ sslDomain: serverDomain(certs, 'selfSigned') }, [
      { url: amqps(HOST) },
      { url: amqps('localhost'), options: { sslDomain: clientDomain(certs.ca.cert) } },
      { url: amqps(HOST), options: { sslDomain: clientDomain(undefined, SSLDomain.ANONYMOUS_PEER) } },
    ]);
    assertRefused(outcomes[0]!, /^SSL Failure: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
    assertRefused(outcomes[1]!, /^SSL Failure: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
    assert.equal(outcomes[2]!.accepted, true);
    assert.equal(outcomes[2]!.tls?.peerVerified, false);
    assert.equal(outcomes[2]!.tls?.peerSubject, 'CN=localhost');
    assert.equal(received.length, 1);
  });

  it('a pinned CA is the only one trusted; the default domain trusts only the system CAs', async () => {
    const { received, outcomes } = await exchange({ sslDomain: serverDomain(certs) }, [
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.otherCa.cert) } },
      { url: amqps('localhost') },
      { url: amqps('localhost'), options: { sslDomain: clientDomain(certs.ca.cert) } },
    ]);
    assertRefused(
      outcomes[0]!,
      /^SSL Failure: unable to (get local issuer certificate|verify the first certificate) \(UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)\)$/,
    );
    assertRefused(outcomes[1]!, /UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)/);
    assert.equal(outcomes[2]!.accepted, true);
    assert.equal(received.length, 1);
  });

  it('client certificates: a VERIFY_PEER server takes SASL EXTERNAL, the subject as the user; others refused', async () => {
    const server = new SSLDomain(SSLDomain.MODE_SERVER);
    server.setCredentials(certs.server.cert, certs.server.key);
    server.setTrustedCaDb(certs.ca.cert);
    server.setPeerAuthentication(SSLDomain.VERIFY_PEER);
    const withCert = (cert: { cert: string; key: string }) => {
      const d = clientDomain(certs.ca.cert);
      d.setCredentials(cert.cert, cert.key);
      assert.equal(d.hasCredentials, true);
      return d;
    };
    const { received, outcomes, serverLog } = await exchange({ sslDomain: server }, [
      { url: amqps('localhost'), options: { sslDomain: withCert(certs.client) } },
      { url: amqps('localhost'), options: { sslDomain: clientDomain(certs.ca.cert) } },
      { url: amqps('localhost'), options: { sslDomain: withCert(certs.selfSigned) } },
    ]);
    assert.equal(outcomes[0]!.accepted, true);
    assert.equal(outcomes[0]!.tls?.peerSubject, SUBJECT_SERVER);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.mechanism, 'EXTERNAL');
    assert.equal(received[0]!.user, SUBJECT_CLIENT);
    assert.equal(received[0]!.tls?.peerSubject, SUBJECT_CLIENT);
    assert.equal(received[0]!.tls?.peerVerified, true);
    // No certificate: the server's alert is the client's condition.
    assert.equal(outcomes[1]!.accepted, false);
    assert.ok(outcomes[1]!.condition !== undefined);
    assert.match(
      outcomes[1]!.condition.description ?? '',
      /^SSL Failure: .*certificate required|connection aborted/,
    );
    // An untrusted certificate: refused; the server's log says why.
    assert.equal(outcomes[2]!.accepted, false);
    assert.ok(outcomes[2]!.condition !== undefined);
    assert.ok(
      serverLog.some((l) => /did not return a certificate|PEER_DID_NOT_RETURN_A_CERTIFICATE/.test(l)),
      serverLog.join('\n'),
    );
    assert.ok(
      serverLog.some((l) => l.includes('client certificate refused: DEPTH_ZERO_SELF_SIGNED_CERT')),
      serverLog.join('\n'),
    );
  });

  it('an ANONYMOUS_PEER server (the default) asks no certificate: a client that has one uses ANONYMOUS', async () => {
    const server = serverDomain(certs);
    assert.equal(server.verifyMode, SSLDomain.ANONYMOUS_PEER);
    const d = clientDomain(certs.ca.cert);
    d.setCredentials(certs.client.cert, certs.client.key);
    const { received, outcomes } = await exchange({ sslDomain: server }, [
      { url: amqps(HOST), options: { sslDomain: d } },
    ]);
    assert.equal(outcomes[0]!.accepted, true);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.mechanism, 'ANONYMOUS');
    assert.equal(received[0]!.tls?.peerSubject, undefined);
  });

  it('TLS and plain AMQP on one port with allowUnsecuredClient; without it a plain client is refused', async () => {
    const both = serverDomain(certs);
    both.allowUnsecuredClient();
    assert.equal(both.allowUnsecured, true);
    const mixed = await exchange({ sslDomain: both }, [
      { url: amqps(HOST), options: { sslDomain: clientDomain(certs.ca.cert) } },
      { url: amqp(HOST) },
    ]);
    assert.deepEqual(
      mixed.outcomes.map((o) => o.accepted),
      [true, true],
    );
    assert.equal(mixed.outcomes[1]!.tls, undefined);
    assert.deepEqual(mixed.received.map((r) => r.encrypted).sort(), [false, true]);
    for (const r of mixed.received) {
      if (r.encrypted) assert.match(r.tls?.protocol ?? '', /^TLSv1\.[23]$/);
      else assert.equal(r.tls, undefined);
    }

    const tlsOnly = await exchange({ sslDomain: serverDomain(certs) }, [{ url: amqp(HOST) }]);
    assert.equal(tlsOnly.outcomes[0]!.accepted, false);
    assert.equal(tlsOnly.received.length, 0);
    assert.ok(
      tlsOnly.serverLog.some((l) =>
        /^TLS handshake with .* failed: SSL Failure: .*wrong version number/.test(l),
      ),
      tlsOnly.serverLog.join('\n'),
    );
  });

  it('a password-protected key: the server serves with it; a wrong or missing password is an SSLException', async () => {
    const server = new SSLDomain(SSLDomain.MODE_SERVER);
    server.setCredentials(certs.encrypted.cert, certs.encrypted.key, certs.encrypted.password);
    const { received, outcomes } = await exchange({ sslDomain: server }, [
      { url: amqps('localhost'), options: { sslDomain: clientDomain(certs.ca.cert) } },
    ]);
    assert.equal(outcomes[0]!.accepted, true);
    assert.equal(received.length, 1);

    const d = new SSLDomain(SSLDomain.MODE_SERVER);
    assert.throws(
      () => d.setCredentials(certs.encrypted.cert, certs.encrypted.key, 'not the password'),
      (e: unknown) =>
        e instanceof SSLException &&
        /cannot use the credentials .*server\.pem.*: .*bad decrypt/.test(e.message),
    );
    assert.throws(() => d.setCredentials(certs.encrypted.cert, certs.encrypted.key), SSLException);
    // A key that is not the certificate's.
    assert.throws(
      () => d.setCredentials(certs.server.cert, certs.client.key),
      (e: unknown) => e instanceof SSLException && /key values mismatch/.test(e.message),
    );
    assert.equal(d.hasCredentials, false);
  });

  it('listen() with a domain that cannot serve rejects at once', async () => {
    const c = new Container({ containerId: 'x' });
    await assert.rejects(
      c.listen(`${HOST}:0`, { sslDomain: new SSLDomain(SSLDomain.MODE_CLIENT) }),
      SSLException,
    );
    await assert.rejects(
      c.listen(`${HOST}:0`, { sslDomain: new SSLDomain(SSLDomain.MODE_SERVER) }),
      /needs its certificate and key/,
    );
  });
});

describe('SSLDomain settings', { skip }, () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeTestCerts();
  });
  after(() => certs?.remove());

  it("has Proton's constants and defaults", () => {
    assert.equal(SSLDomain.MODE_CLIENT, 1);
    assert.equal(SSLDomain.MODE_SERVER, 2);
    assert.equal(SSLDomain.VERIFY_PEER, 1);
    assert.equal(SSLDomain.ANONYMOUS_PEER, 2);
    assert.equal(SSLDomain.VERIFY_PEER_NAME, 3);
    const client = new SSLDomain(SSLDomain.MODE_CLIENT);
    assert.equal(client.verifyMode, SSLDomain.VERIFY_PEER_NAME);
    assert.equal(client.hasCredentials, false);
    assert.equal(client.allowUnsecured, false);
    assert.equal(new SSLDomain(SSLDomain.MODE_SERVER).verifyMode, SSLDomain.ANONYMOUS_PEER);
    assert.throws(() => new SSLDomain(7 as 1), SSLException);
  });

  it('maps a client domain onto tls.connect options', () => {
    const cert = {
      subject: { CN: 'localhost' },
      subjectaltname: 'DNS:localhost',
    } as unknown as tls.PeerCertificate;
    const d = new SSLDomain(SSLDomain.MODE_CLIENT);
    let o = d.clientTlsOptions('localhost');
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.servername, 'localhost');
    assert.equal(o.ca, undefined, "Node's trusted CAs");
    assert.equal(o.cert, undefined);
    // The name checked is the servername, whatever host Node passes.
    assert.equal(o.checkServerIdentity?.('127.0.0.9', cert), undefined);
    assert.ok(d.clientTlsOptions('other.example').checkServerIdentity?.('localhost', cert) instanceof Error);
    // An IP address is not sent as SNI, but is still the name checked.
    o = d.clientTlsOptions('127.0.0.1');
    assert.equal(o.servername, undefined);
    assert.ok(o.checkServerIdentity?.('127.0.0.1', cert) instanceof Error);

    d.setPeerAuthentication(SSLDomain.VERIFY_PEER);
    o = d.clientTlsOptions('other.example');
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.checkServerIdentity?.('other.example', cert), undefined);

    d.setPeerAuthentication(SSLDomain.ANONYMOUS_PEER);
    assert.equal(d.clientTlsOptions('localhost').rejectUnauthorized, false);

    d.setTrustedCaDb(certs.ca.cert);
    d.setCredentials(certs.encrypted.cert, certs.encrypted.key, certs.encrypted.password);
    o = d.clientTlsOptions('localhost');
    assert.equal((o.ca as Buffer[]).length, 1);
    assert.match(String((o.ca as Buffer[])[0]), /BEGIN CERTIFICATE/);
    assert.match(String(o.cert), /BEGIN CERTIFICATE/);
    assert.match(String(o.key), /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.equal(o.passphrase, certs.encrypted.password);
    assert.throws(() => d.serverTlsOptions(), /client domain/);
    assert.throws(() => d.allowUnsecuredClient(), SSLException);
  });

  it('maps a server domain onto tls server options', () => {
    const d = new SSLDomain(SSLDomain.MODE_SERVER);
    assert.throws(() => d.serverTlsOptions(), /needs its certificate and key/);
    assert.throws(() => d.clientTlsOptions('localhost'), /server domain/);
    d.setCredentials(certs.server.cert, certs.server.key);
    const o = d.serverTlsOptions();
    assert.equal(o.requestCert, false);
    assert.equal(o.rejectUnauthorized, false);
    assert.equal(o.ca, undefined);
    assert.equal(d.serverTlsOptions(), o, 'the same options until a setter changes them');
    // A verifying server needs CAs to verify with.
    assert.throws(() => d.setPeerAuthentication(SSLDomain.VERIFY_PEER), /needs the CAs it trusts/);
    d.setPeerAuthentication(SSLDomain.VERIFY_PEER_NAME, certs.ca.cert);
    const v = d.serverTlsOptions();
    assert.notEqual(v, o);
    assert.equal(v.requestCert, true);
    assert.equal(v.rejectUnauthorized, true);
    assert.equal((v.ca as Buffer[]).length, 1);
    // A CA db wins over the advertised list for verification.
    d.setTrustedCaDb(certs.otherCa.cert);
    assert.deepEqual(d.serverTlsOptions().ca, [readFileSync(certs.otherCa.cert)]);
    assert.throws(() => d.setPeerAuthentication(5 as 1), SSLException);
  });

  it('reads CA directories, and says which file is wrong', () => {
    const d = new SSLDomain(SSLDomain.MODE_CLIENT);
    // The certs directory: the CA certificates and the leaf ones (keys, requests skipped).
    d.setTrustedCaDb(certs.dir);
    const ca = d.clientTlsOptions('localhost').ca as Buffer[];
    assert.ok(ca.length >= 5);
    assert.ok(ca.every((b) => b.includes('-----BEGIN CERTIFICATE-----')));
    assert.throws(
      () => d.setTrustedCaDb(`${certs.dir}/missing.pem`),
      /cannot read the CA certificates .*missing\.pem/,
    );
    assert.throws(() => d.setTrustedCaDb(certs.ca.key), /no CA certificate found/);
    assert.throws(
      () => d.setCredentials(`${certs.dir}/missing.pem`, certs.ca.key),
      /cannot read the certificate file/,
    );
    assert.throws(
      () => d.setCredentials(certs.ca.cert, `${certs.dir}/server.ext`),
      /private key file .* is not PEM/,
    );
  });

  it('tlsInfo is undefined for anything not over TLS', () => {
    assert.equal(tlsInfo(undefined), undefined);
    assert.equal(tlsInfo({ transport: undefined }), undefined);
  });
});
