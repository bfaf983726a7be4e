/**
 * The interop matrix against Proton C 0.37 (Debian's libqpid-proton11): its example broker, built by
 * peers/proton-c.sh together with send, receive and direct, plain and TLS on one port (a certificate
 * made at test time, CN=localhost), and those example clients against proton-ts.
 *
 * Its limits, as the examples have them: SASL ANONYMOUS only; the broker hands messages on pre-settled
 * (so no outcome of ours reaches it), and the example clients only accept.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SSLDomain } from '../../src/container/ssl-domain.js';
import { Message } from '../../src/message/message.js';
import { Scope } from '../support/container-harness.js';
import { outcomeName, receiveAll, sendAll } from './support/clients.js';
import { commandFails, freePort, interopPath, PeerProcess, requirePeer, usePeer } from './support/peer.js';
import {
  assertSequence,
  countAndBigThroughTests,
  quietThenSend,
  reconnectThrough,
  sequenceMessages,
  sequenceOf,
  typesThrough,
} from './support/scenarios.js';
import { assertSameDump, messageOf, type TypedDump, typedDumps } from './support/typed-message.js';

const P = 'proton-c';
const THROUGH = '(proton-ts → proton-c broker → proton-ts)';
const TS_TO_C = '(proton-ts → proton-c)';
const C_TO_TS = '(proton-c → proton-ts)';

const peer = usePeer({
  name: P,
  script: 'proton-c.sh',
  env: async () => ({ PEER_PORT: String(await freePort()) }),
  missing: () => commandFails('gcc', ['--version'], 'apt-get install -y gcc'),
  startTimeoutMs: 60_000,
});
const url = () => `127.0.0.1:${peer.env.PEER_PORT}`;
/** One of the example programs the script built. */
const program = (scope: Scope, name: string, args: string[]) =>
  scope.add(new PeerProcess(join(peer.dir, 'bin', name), args));

describe('proton-c broker', () => {
  test(`${P} › types ${THROUGH}`, async (t) => {
    if (!peer.require(t)) return;
    await typesThrough(new Scope(t), url(), 'types');
  });

  test(`${P} › types (proton-ts → proton-c broker → proton-python)`, async (t) => {
    if (!peer.require(t)) return;
    if (!requirePeer(t, commandFails('/usr/bin/python3', ['-c', 'import proton'], 'python3-qpid-proton')))
      return;
    const scope = new Scope(t);
    const dumps = typedDumps();
    const sent = await sendAll(scope, {
      url: url(),
      address: 'types-py',
      messages: dumps.map((d, i) => messageOf(d, { id: i })),
    });
    assert.deepEqual(sent.outcomes.map(outcomeName), ['accepted', 'accepted', 'accepted']);
    const recv = scope.add(
      new PeerProcess('/usr/bin/python3', [
        interopPath('python/typed_peer.py'),
        'recv',
        `${url()}/types-py`,
        '3',
      ]),
    );
    assert.equal(await recv.exit(20_000), 0, recv.stderr);
    const got = recv.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { dump: TypedDump });
    assert.equal(got.length, 3);
    for (const [i, g] of got.entries()) assertSameDump(g.dump, dumps[i]!, `message ${i} via the C broker`);
  });

  countAndBigThroughTests(P, THROUGH, peer, url);

  test(`${P} › release ${THROUGH} [limit: the broker hands messages on pre-settled, so it never sees our outcome]`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    await sendAll(scope, { url: url(), address: 'presettled', messages: [new Message({ body: 'x' })] });
    let settledByPeer: boolean | undefined;
    const r = await receiveAll(scope, {
      url: url(),
      address: 'presettled',
      count: 1,
      settle: (h, d) => {
        settledByPeer = d.remoteSettled;
        h.release(d, false);
      },
    });
    assert.equal(settledByPeer, true, 'the C broker sent it settled');
    assert.deepEqual(r.errors, [], 'releasing a settled delivery is a no-op, not an error');
  });

  test(`${P} › sasl-anonymous ${TS_TO_C}`, async (t) => {
    if (!peer.require(t)) return;
    const r = await sendAll(new Scope(t), {
      url: url(),
      address: 'anon',
      messages: [new Message({ body: 'anonymous' })],
      connect: { allowedMechs: 'ANONYMOUS' },
    });
    assert.equal(outcomeName(r.outcomes[0]), 'accepted');
    assert.equal(r.handler.opened?.saslMechanism, 'ANONYMOUS');
  });

  test(`${P} › sasl-plain ${TS_TO_C} [limit: the example broker offers ANONYMOUS only]`, async (t) => {
    if (!peer.require(t)) return;
    const r = await sendAll(new Scope(t), {
      url: url(),
      address: 'plain',
      messages: [new Message({ body: 'x' })],
      connect: { user: 'alice', password: 'secret', allowedMechs: 'PLAIN', allowInsecureMechs: true },
    });
    assert.equal(outcomeName(r.outcomes[0]), 'none');
    assert.match(r.errors[0]?.condition ?? '', /amqp:unauthorized-access/);
  });

  test(`${P} › tls-verify-peer-name ${TS_TO_C}`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const domain = new SSLDomain(SSLDomain.MODE_CLIENT);
    domain.setTrustedCaDb(join(peer.dir, 'ssl-certs', 'ca.pem'));
    domain.setPeerAuthentication(SSLDomain.VERIFY_PEER_NAME);
    const tlsUrl = `amqps://localhost:${peer.env.PEER_PORT}`;
    const m = new Message({ id: 'tls', body: 'over TLS' });
    const sent = await sendAll(scope, {
      url: tlsUrl,
      address: 'tls',
      messages: [m],
      connect: { sslDomain: domain },
    });
    assert.deepEqual(sent.errors, []);
    assert.equal(outcomeName(sent.outcomes[0]), 'accepted');
    const got = await receiveAll(scope, {
      url: tlsUrl,
      address: 'tls',
      count: 1,
      connect: { sslDomain: domain },
    });
    assert.equal(got.messages[0]?.body, 'over TLS');
    // The same CA, but a name the certificate does not carry: refused before any AMQP.
    const wrong = await sendAll(scope, {
      url: tlsUrl,
      address: 'tls',
      messages: [m],
      connect: { sslDomain: domain, sni: 'not-the-broker.example', virtualHost: 'not-the-broker.example' },
    });
    assert.equal(outcomeName(wrong.outcomes[0]), 'none');
    assert.ok(wrong.errors.length > 0, 'the wrong name is an error');
    assert.match(`${wrong.errors[0]?.condition} ${wrong.errors[0]?.description}`, /ssl|tls|cert|name/i);
  });

  test(`${P} › idle-timeout ${TS_TO_C}`, async (t) => {
    if (!peer.require(t)) return;
    const remote = await quietThenSend(new Scope(t), url(), 'idle', 1000);
    assert.equal(remote, 0, 'the example broker advertises no idle timeout');
  });

  test(`${P} › reconnect ${THROUGH}`, async (t) => {
    if (!peer.require(t)) return;
    const r = await reconnectThrough(
      new Scope(t),
      url(),
      'bounce',
      () => peer.stop(),
      () => peer.start(),
    );
    t.diagnostic(`duplicates ${r.duplicates}`);
  });
});

describe('proton-c example clients', () => {
  test(`${P} › 10k-at-least-once ${C_TO_TS} (send → broker → proton-ts)`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const receiving = receiveAll(scope, {
      url: url(),
      address: 'from-c',
      count: 10_000,
      prefetch: 500,
      timeoutMs: 60_000,
    });
    const send = program(scope, 'send', ['127.0.0.1', peer.env.PEER_PORT!, 'from-c', '10000']);
    assert.equal(await send.exit(60_000), 0, send.stderr);
    assert.ok(send.lines.includes('10000 messages sent and acknowledged'), send.lines.join('\n'));
    const r = await receiving;
    // The C example counts from 1; its body is {"sequence": int}, its id a ulong.
    assertSequence(r.messages.map(sequenceOf), 10_000, 1);
  });

  test(`${P} › 10k-at-least-once ${TS_TO_C} (direct listens and receives)`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const direct = program(scope, 'direct', ['127.0.0.1', String(port), 'examples', '10000']);
    await direct.waitForLine(/listening on/, 10_000);
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'examples',
      messages: sequenceMessages(10_000, 1),
      timeoutMs: 60_000,
    });
    assert.equal(await direct.exit(20_000), 0, direct.stderr);
    const accepted = sent.outcomes.filter((o) => outcomeName(o) === 'accepted').length;
    assert.equal(accepted, 10_000, 'the C receiver accepted every message (accept)');
    // It prints each body as Proton C's inspect shows it: {"sequence"=N}.
    const printed = direct.lines.filter((l) => l.startsWith('{'));
    assertSequence(
      printed.map((l) => Number(/^\{"sequence"=(\d+)\}$/.exec(l)?.[1] ?? Number.NaN)),
      10_000,
      1,
    );
    assert.ok(direct.lines.includes('10000 messages received'));
  });

  test(`${P} › accept ${C_TO_TS} (direct listens and sends)`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const direct = program(scope, 'direct', ['127.0.0.1', String(port), 'examples', '100']);
    await direct.waitForLine(/listening on/, 10_000);
    const r = await receiveAll(scope, { url: `127.0.0.1:${port}`, address: 'examples', count: 100 });
    assert.equal(await direct.exit(20_000), 0, direct.stderr);
    assertSequence(r.messages.map(sequenceOf), 100, 1);
    assert.ok(direct.lines.includes('100 messages sent and acknowledged'), 'the C sender saw our accepts');
  });
});
