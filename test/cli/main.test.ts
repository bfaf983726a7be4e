import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 20_000 });

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
