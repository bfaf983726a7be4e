import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/index.js';
import { Container } from '../../src/index.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 20_000 });

/** Runs the command asynchronously (the broker under test lives in this process's event loop). */
function runAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('proton-ts command', () => {
  it('demo: the embedded broker, a sender and a receiver, exit 0', () => {
    const r = run('demo');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^embedded broker listening on 127\.0\.0\.1:\d+$/);
    assert.ok(lines.includes('  all messages confirmed'), r.stdout);
    for (let i = 1; i <= 5; i++) assert.ok(lines.includes(`  {'sequence': ${i}}`), r.stdout);
  });

  it('a bad option value exits 2 and names the option', () => {
    const r = run('send', '127.0.0.1:1/q', '--count', 'lots');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--count: 'lots' is not a whole number/);
  });

  it('an unknown command or option exits 2 with the usage', () => {
    const r = run('fly');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'fly'/);
    assert.match(r.stderr, /usage: proton-ts/);
    const o = run('receive', 'x/q', '--bogus');
    assert.equal(o.status, 2);
    assert.match(o.stderr, /bogus/);
  });

  it('send needs a URL', () => {
    const r = run('send');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /send needs a URL/);
  });
});

describe('proton-ts send and receive through the embedded broker', () => {
  let container: Container;
  let running: Promise<void>;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-cli-'));

  before(async () => {
    container = new Container(new Broker());
    const acceptor = await container.listen('127.0.0.1:0');
    url = `127.0.0.1:${acceptor.port}`;
    running = container.run();
  });

  after(async () => {
    container.stop();
    await running;
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends with properties and receives them as JSON', async () => {
    const s = await runAsync(
      'send',
      `${url}/props`,
      '--count',
      '2',
      '--body',
      'hi',
      '--property',
      'colour=red',
      '--durable',
    );
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /all messages confirmed/);
    const r = await runAsync('receive', `${url}/props`, '--count', '2', '--json');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines,
      [
        { id: 1, address: undefined, properties: { colour: 'red' }, body: 'hi' },
        { id: 2, address: undefined, properties: { colour: 'red' }, body: 'hi' },
      ].map((o) => JSON.parse(JSON.stringify(o))),
    );
  });

  it('selects and browses', async () => {
    for (const colour of ['red', 'green', 'red']) {
      const s = await runAsync(
        'send',
        `${url}/colours`,
        '--count',
        '1',
        '--body',
        colour,
        '--property',
        `colour=${colour}`,
      );
      assert.equal(s.status, 0, s.stderr);
    }
    const browse = await runAsync('receive', `${url}/colours`, '--count', '3', '--browse');
    assert.deepEqual(browse.stdout.trim().split('\n'), ["'red'", "'green'", "'red'"]);
    const red = await runAsync('receive', `${url}/colours`, '--count', '2', '--selector', "colour = 'red'");
    assert.deepEqual(red.stdout.trim().split('\n'), ["'red'", "'red'"]);
    const rest = await runAsync('receive', `${url}/colours`, '--count', '1');
    assert.deepEqual(rest.stdout.trim().split('\n'), ["'green'"]);
  });

  it('sends a file as a data body, and presettled', async () => {
    const f = join(dir, 'payload.txt');
    writeFileSync(f, 'file contents');
    const s = await runAsync('send', `${url}/files`, '--count', '1', '--file', f, '--presettled');
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /1 messages sent \(presettled\)/);
    const r = await runAsync('receive', `${url}/files`, '--count', '1');
    assert.equal(r.stdout.trim(), "b'file contents'");
  });

  it('refuses a property that is not key=value, and an unreadable file, naming the option', () => {
    const p = run('send', `${url}/x`, '--property', 'novalue');
    assert.equal(p.status, 2);
    assert.match(p.stderr, /--property: 'novalue' is not key=value/);
    const f = run('send', `${url}/x`, '--file', join(dir, 'missing'));
    assert.equal(f.status, 2);
    assert.match(f.stderr, /--file: cannot read/);
  });
});
