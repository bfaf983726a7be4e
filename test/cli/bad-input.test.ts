import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { brokerConfig } from '../../src/cli/broker-command.js';
import { main } from '../../src/cli/main.js';

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** Runs the command in this process; bad input fails before anything listens or connects. */
async function run(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('bad input: exit 2 with a message naming the option, the argument or the URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-bad-'));
  const badUsers = join(dir, 'users');
  writeFileSync(badUsers, 'alice:PLAIN:ok\nbob\n');
  const badAcl = join(dir, 'acl');
  writeFileSync(badAcl, '# rules\nalice send orders\nalice publish orders\n');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string[], RegExp][] = [
    [[], /usage: proton-ts/],
    [['fly'], /unknown command 'fly'/],
    [['broker', '--bogus'], /broker: Unknown option '--bogus'/],
    [['broker', '--port'], /broker: Option '--port <value>' argument missing/],
    [['broker', '--port', 'http'], /option --port: 'http' is not a whole number \(0 to 65535\)/],
    [['broker', '--port', '65536'], /option --port: '65536'/],
    [
      ['broker', '--max-frame-size', '100'],
      /option --max-frame-size: '100' is not a whole number \(512 to 4294967295\)/,
    ],
    [['broker', '--idle-timeout=-1'], /option --idle-timeout: '-1' is not a number of seconds/],
    [['broker', '--idle-timeout', 'never'], /option --idle-timeout: 'never' is not a number of seconds/],
    [['broker', '--max-connections', '0'], /option --max-connections: '0'/],
    [['broker', '--max-queue-depth', 'lots'], /option --max-queue-depth: 'lots'/],
    [['broker', '--tls-cert', 'c.pem'], /option --tls-cert needs --tls-key/],
    [['broker', '--tls-key', 'k.pem'], /option --tls-key needs --tls-cert/],
    [['broker', '--tls-ca', 'ca.pem'], /option --tls-ca needs --tls-cert/],
    [
      ['broker', '--tls-cert', '/no/such/c.pem', '--tls-key', '/no/such/k.pem'],
      /--tls-cert\/--tls-key: .*cannot read/,
    ],
    [['broker', '--users', '/no/such/users'], /option --users: \/no\/such\/users: cannot read: ENOENT/],
    [['broker', '--users', badUsers], /option --users: .*users, line 2: expected USER:KIND:DATA/],
    [['broker', '--acl', '/no/such/acl'], /option --acl: \/no\/such\/acl: cannot read: ENOENT/],
    [['broker', '--acl', badAcl], /option --acl: .*acl, line 3: unknown action 'publish'/],
    [['broker', '--acl'], /broker: Option '--acl <value>' argument missing/],
    [['broker', 'extra'], /broker: unexpected argument 'extra'/],
    [['send'], /send needs a URL/],
    [['send', 'localhost:amqpx/q'], /bad URL 'localhost:amqpx\/q': .*port/],
    [['send', 'localhost:5672'], /bad URL 'localhost:5672': no address/],
    [['send', 'h/q', '--count', 'lots'], /option --count: 'lots' is not a whole number/],
    [['send', 'h/q', '--count'], /Option '--count <value>' argument missing/],
    [['send', 'h/q', '--body', 'a', '--file', 'f'], /--body or --file, not both/],
    [['send', 'h/q', '--property', 'novalue'], /--property: 'novalue' is not key=value/],
    [['receive', 'h/q', '--timeout', '0'], /option --timeout: '0' is not a number of seconds/],
    [['receive', 'h/q', '--bogus'], /receive: Unknown option '--bogus'/],
    [['receive', 'h:1:2/q'], /bad URL 'h:1:2\/q'/],
    [['request', 'h/q'], /request needs a BODY/],
    [['passwd'], /passwd needs a USER/],
    [['passwd', 'a:b'], /'a:b' cannot be a user name/],
    [
      ['passwd', 'alice', '--iterations', '10'],
      /option --iterations: '10' is not a whole number \(at least 4096\)/,
    ],
  ];
  for (const [args, pattern] of cases) {
    it(`proton-ts ${args.join(' ')}`, async () => {
      const r = await run(...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, /^proton-ts: |^usage/);
    });
  }

  it('--help prints the usage on stdout, exit 0', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /request URL BODY/);
  });
});

describe('brokerConfig', () => {
  it('turns the flags into listen and broker options', () => {
    const c = brokerConfig([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--max-frame-size',
      '4096',
      '--idle-timeout',
      '2.5',
      '--max-connections',
      '3',
      '--max-queue-depth',
      '50',
      '-v',
    ]);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 0);
    assert.deepEqual(c.listen, { maxFrameSize: 4096, heartbeat: 2500 });
    assert.deepEqual(c.broker, { maxConnections: 3, maxQueueDepth: 50 });
    assert.equal(c.verbose, true);
    assert.equal(c.users, undefined);
    const d = brokerConfig([]);
    assert.deepEqual([d.host, d.port, d.listen, d.broker, d.verbose], ['0.0.0.0', 5672, {}, {}, false]);
  });
});
