/**
 * The tutorial's reconnect and TLS examples (examples/reconnect_send.ts, examples/tls_helloworld.ts), run
 * as child processes against the embedded broker: reconnect_send sends its messages through a failover
 * list and to a broker that starts listening only after it began; tls_helloworld logs in over TLS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import { Users } from '../../src/broker/users.js';
import { Container, SSLDomain } from '../../src/index.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../support/certs.js';
import { assertOk, freePort, run, start, waitFor } from '../support/examples-runner.js';
import { useOurBroker } from '../support/our-broker.js';

describe('reconnect_send', { timeout: 60_000 }, () => {
  const ours = useOurBroker('reconnect');

  test('--help prints the usage and the options', async () => {
    const r = await run('ts:reconnect_send', ['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: reconnect_send\.js \[options\]/);
    assert.match(r.stdout, /-m MESSAGES, --messages=MESSAGES/);
    assert.match(r.stdout, /alternate host:port URLs/);
  });

  test('sends N messages and all are confirmed', async () => {
    const q = ours.fresh();
    assertOk(
      await run('ts:reconnect_send', ['-a', ours.address(q), '-m', '50']),
      ['all messages confirmed'],
      'reconnect_send',
    );
    assert.equal(ours.depth(q), 50);
  });

  test('fails over from a port where nothing listens to the alternate', async () => {
    const q = ours.fresh();
    const dead = await freePort();
    const r = await run('ts:reconnect_send', ['-a', `127.0.0.1:${dead}/${q}`, '-m', '20', ours.hostPort]);
    assertOk(r, ['all messages confirmed'], 'reconnect_send');
    assert.match(r.stderr, /disconnected; reconnecting/);
    assert.equal(ours.depth(q), 20);
  });

  test('reconnects to a broker that starts listening after it began', async () => {
    const port = await freePort();
    const p = start('ts:reconnect_send', ['-a', `127.0.0.1:${port}/late`, '-m', '10']);
    let stderr = '';
    p.child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitFor('a failed first attempt', () => stderr.includes('disconnected; reconnecting'));
    const broker = new Broker();
    const container = new Container(broker, { containerId: 'late-broker' });
    await container.listen(`127.0.0.1:${port}`);
    const running = container.run();
    try {
      assertOk(await p.done, ['all messages confirmed'], 'reconnect_send');
      assert.equal(broker.nodes.get('late')?.messages.length, 10);
    } finally {
      container.stop();
      await running.catch(() => {});
    }
  });
});

describe('tls_helloworld', { timeout: 60_000, skip: !opensslAvailable() && 'no openssl' }, () => {
  let certs: TestCerts;
  let container: Container;
  let running: Promise<void>;
  let port = 0;

  before(async () => {
    certs = await makeTestCerts();
    const domain = new SSLDomain(SSLDomain.MODE_SERVER);
    domain.setCredentials(certs.server.cert, certs.server.key);
    const users = Users.parse('dave:PLAIN:secret\n');
    container = new Container(new Broker(), { containerId: 'tls-broker' });
    const acceptor = await container.listen('127.0.0.1:0', {
      sslDomain: domain,
      sasl: {
        mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'],
        authenticate: (user, password, authzid) => users.authenticate(user, password, authzid),
        scramCredentials: (user, mechanism) => users.credentials(user, mechanism),
      },
    });
    port = acceptor.port;
    running = container.run();
  });

  after(async () => {
    container?.stop();
    await running?.catch(() => {});
    certs?.remove();
  });

  test('logs in with the user and password of the URL and prints Hello World!', async () => {
    const r = await run('ts:tls_helloworld', [
      '-a',
      `amqps://dave:secret@localhost:${port}/tls-1`,
      '--ca',
      certs.ca.cert,
    ]);
    assertOk(r, ['Hello World!'], 'tls_helloworld');
  });

  test('logs in with --user and --password', async () => {
    const r = await run('ts:tls_helloworld', [
      '-a',
      `amqps://localhost:${port}/tls-2`,
      '--ca',
      certs.ca.cert,
      '--user',
      'dave',
      '--password',
      'secret',
    ]);
    assertOk(r, ['Hello World!'], 'tls_helloworld');
  });

  test('a wrong password prints no Hello World!', async () => {
    const r = await run('ts:tls_helloworld', [
      '-a',
      `amqps://dave:guess@localhost:${port}/tls-3`,
      '--ca',
      certs.ca.cert,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines, [], r.stderr);
    assert.match(r.stderr, /amqp:unauthorized-access/);
  });

  test('a broker certificate from an authority not given is refused', async () => {
    const r = await run('ts:tls_helloworld', [
      '-a',
      `amqps://dave:secret@localhost:${port}/tls-4`,
      '--ca',
      certs.otherCa.cert,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines, [], r.stderr);
  });
});
