import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { RECORD_MECHANISMS, scramRecord, Users, UsersFileError } from '../../src/broker/users.js';
import { InvalidOptionError, scramCredentials } from '../../src/index.js';

describe('Users', () => {
  it('checks PLAIN logins against salted records, and finds SCRAM credentials by mechanism', () => {
    const users = Users.parse(
      ['# a comment', scramRecord('alice', 'wonderland', 'SCRAM-SHA-256'), '   ', 'bob:PLAIN:build:er'].join(
        '\r\n',
      ),
    );
    assert.equal(users.size, 2);
    assert.equal(users.authenticate('alice', 'wonderland'), true);
    assert.equal(users.authenticate('alice', 'Wonderland'), false);
    assert.equal(users.authenticate('bob', 'build:er'), true, 'colons belong to a PLAIN password');
    assert.equal(users.authenticate('bob', 'build'), false);
    assert.equal(users.authenticate('carol', 'wonderland'), false);
    assert.equal(users.authenticate('bob', 'build:er', 'alice'), false, 'no acting for another');
    assert.equal(users.authenticate('bob', 'build:er', 'bob'), true);
    assert.ok(users.credentials('alice', 'SCRAM-SHA-256'));
    assert.equal(users.credentials('alice', 'SCRAM-SHA-1'), undefined);
    for (const m of RECORD_MECHANISMS) assert.ok(users.credentials('bob', m), `bob ${m}`);
    assert.equal(users.credentials('bob', 'PLAIN'), undefined);
  });

  it('a record holds what scramCredentials makes for the same salt and iterations', () => {
    const salt = Buffer.from('0123456789abcdef');
    const line = scramRecord('u', 'pw', 'SCRAM-SHA-512', { salt, iterations: 5000 });
    const c = Users.parse(line).credentials('u', 'SCRAM-SHA-512')!;
    const expected = scramCredentials('pw', 'SHA-512', { salt, iterations: 5000 });
    assert.equal(c.iterations, 5000);
    assert.deepEqual(Buffer.from(c.salt), salt);
    assert.deepEqual(Buffer.from(c.storedKey), Buffer.from(expected.storedKey));
    assert.deepEqual(Buffer.from(c.serverKey), Buffer.from(expected.serverKey));
    assert.match(
      line,
      /^u:SCRAM-SHA-512:5000:MDEyMzQ1Njc4OWFiY2RlZg==:[A-Za-z0-9+/=]{88}:[A-Za-z0-9+/=]{88}$/,
    );
  });

  it('keeps no plain password once parsed', () => {
    const users = Users.parse('bob:PLAIN:a-very-distinctive-password\n');
    const dump = inspect(users, { depth: 10, showHidden: true });
    assert.doesNotMatch(dump, /a-very-distinctive-password/);
    assert.doesNotMatch(JSON.stringify([...Object.values(users)]), /distinctive/);
  });

  it('refuses a line that is not a record, naming the file and the line', () => {
    const key32 = Buffer.alloc(32).toString('base64');
    const cases: [string, RegExp][] = [
      ['justaname', /expected USER:KIND:DATA/],
      [':PLAIN:pw', /expected USER:KIND:DATA/],
      ['u:PLAIN:', /an empty password for 'u'/],
      ['u:MD5:x', /unknown kind 'MD5'/],
      ['u:SCRAM-SHA-256:4096:c2FsdA==', /a SCRAM-SHA-256 record is/],
      [`u:SCRAM-SHA-256:many:c2FsdA==:${key32}:${key32}`, /iteration count 'many'/],
      [`u:SCRAM-SHA-256:0:c2FsdA==:${key32}:${key32}`, /iteration count '0'/],
      [`u:SCRAM-SHA-256:4096:not base64!:${key32}:${key32}`, /the salt is not base64/],
      [`u:SCRAM-SHA-256:4096:c2FsdA==:${key32}:AAAA`, /base64 of 32 bytes/],
      [`u:SCRAM-SHA-1:4096:c2FsdA==:${key32}:${key32}`, /base64 of 20 bytes/],
    ];
    for (const [line, pattern] of cases) {
      assert.throws(
        () => Users.parse(`# header\n${line}\n`, '/etc/users'),
        (e: unknown) => {
          assert.ok(e instanceof UsersFileError, line);
          assert.equal(e.line, 2);
          assert.match(e.message, /^\/etc\/users, line 2: /);
          assert.match(e.message, pattern, line);
          return true;
        },
      );
    }
    const twice = scramRecord('u', 'p', 'SCRAM-SHA-1');
    assert.throws(() => Users.parse(`${twice}\n${twice}`), /line 2: a second SCRAM-SHA-1 record for 'u'/);
  });

  it('load reads a file, and names it when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proton-ts-users-'));
    try {
      const f = join(dir, 'users');
      writeFileSync(f, 'alice:PLAIN:x\n');
      assert.equal(Users.load(f).has('alice'), true);
      assert.throws(
        () => Users.load(join(dir, 'missing')),
        (e: unknown) => {
          assert.ok(e instanceof UsersFileError);
          assert.match(e.message, /missing: cannot read: ENOENT/);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scramRecord refuses a user name the format cannot hold', () => {
    for (const bad of ['', 'a:b', 'a\nb']) {
      assert.throws(() => scramRecord(bad, 'pw', 'SCRAM-SHA-256'), InvalidOptionError);
    }
  });
});
