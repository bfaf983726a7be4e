import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Users } from '../../src/broker/users.js';
import { runCli } from './harness.js';

describe('proton-ts passwd', () => {
  it('prints a salted record per SCRAM hash for the password on stdin, never the password', async () => {
    const r = await runCli(['passwd', 'alice'], 'wonder land\nignored second line\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no prompt when stdin is not a terminal');
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(':').slice(0, 3).join(':')),
      ['alice:SCRAM-SHA-1:4096', 'alice:SCRAM-SHA-256:4096', 'alice:SCRAM-SHA-512:4096'],
    );
    assert.doesNotMatch(r.stdout, /wonder/);
    const users = Users.parse(r.stdout);
    assert.equal(users.authenticate('alice', 'wonder land'), true);
    assert.equal(users.authenticate('alice', 'wonder'), false);
    for (const m of ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
      assert.ok(users.credentials('alice', m));
  });

  it('takes --iterations, and refuses an empty password', async () => {
    const r = await runCli(['passwd', 'bob', '--iterations', '5000'], 'pw');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^bob:SCRAM-SHA-1:5000:/);
    const empty = await runCli(['passwd', 'bob'], '\n');
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /the password is empty/);
  });
});
