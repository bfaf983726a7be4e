import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BrokerChild, runCli } from './harness.js';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'server.js');

describe('proton-ts request', { timeout: 60_000 }, () => {
  let broker: BrokerChild;
  let server: ChildProcess;

  before(async () => {
    broker = await BrokerChild.start();
    // examples/server: upper-cases each request's body back to its reply-to.
    server = spawn(process.execPath, [SERVER, '-a', `${broker.host}/requests`], { stdio: 'ignore' });
  });

  after(async () => {
    server?.kill('SIGKILL');
    await broker?.kill();
  });

  it('sends with a dynamic reply-to and prints the reply, exit 0', async () => {
    const r = await runCli(['request', `${broker.host}/requests`, 'hello there', '--timeout', '10']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'HELLO THERE\n');
    assert.equal(r.stderr, '');
    // Each request has its own reply queue, so two in turn each get their own reply.
    const again = await runCli(['request', `${broker.host}/requests`, 'again']);
    assert.equal(again.stdout, 'AGAIN\n');
  });

  it('no reply within --timeout: exit 1 with a clear message', async () => {
    const started = performance.now();
    const r = await runCli(['request', `${broker.host}/nobody-serves-this`, 'hello', '--timeout', '0.5']);
    const took = performance.now() - started;
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^proton-ts: request to amqp:\/\/127\.0\.0\.1:\d+\/nobody-serves-this: no reply within 0\.5 s\n$/,
    );
    assert.ok(took >= 500, `took ${took} ms`);
  });

  it('no peer at the URL: exit 1 saying why', async () => {
    const r = await runCli(['request', '127.0.0.1:1/requests', 'hello']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /request to amqp:\/\/127\.0\.0\.1:1\/requests: .*ECONNREFUSED/);
  });

  it('bad input exits 2 naming it', async () => {
    const cases: [string[], RegExp][] = [
      [['request'], /request needs a URL/],
      [['request', `${broker.host}/requests`], /request needs a BODY/],
      [['request', 'host:port/q', 'x'], /bad URL 'host:port\/q'/],
      [['request', `${broker.host}`, 'x'], /bad URL '.*': no address/],
      [
        ['request', `${broker.host}/q`, 'x', '--timeout', 'soon'],
        /--timeout: 'soon' is not a number of seconds/,
      ],
      [['request', `${broker.host}/q`, 'x', '--timeout'], /--timeout <value>' argument missing/],
      [['request', `${broker.host}/q`, 'x', 'y'], /unexpected argument 'y'/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, pattern);
    }
  });
});
