import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError } from '../../src/errors.js';
import { SCRAM_DEFAULT_ITERATIONS, SCRAM_MECHANISMS, scramCredentials } from '../../src/sasl/index.js';
import {
  attribute,
  escapeName,
  fromBase64,
  isNonce,
  randomNonce,
  safeEqual,
  unescapeName,
  xor,
} from '../../src/sasl/scram.js';
import { pythonAvailable, pythonScram } from './python-scram.js';
import { RFC5802, RFC7677 } from './vectors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('scramCredentials', () => {
  it('computes StoredKey and ServerKey as Python does for the RFC inputs', {
    skip: !pythonAvailable(),
  }, () => {
    for (const v of [RFC5802, RFC7677]) {
      const [e] = pythonScram([
        {
          hash: v.hash,
          user: 'user',
          password: 'pencil',
          salt: v.salt,
          iterations: 4096,
          cnonce: 'a',
          snonce: 'b',
        },
      ]);
      const c = scramCredentials('pencil', v.hash, { salt: Buffer.from(v.salt, 'base64'), iterations: 4096 });
      assert.equal(hex(c.storedKey), e!.storedKey);
      assert.equal(hex(c.serverKey), e!.serverKey);
      assert.equal(c.iterations, 4096);
      assert.equal(Buffer.from(c.salt).toString('base64'), v.salt);
    }
  });

  it('draws a random 16-byte salt and 4096 iterations by default, with keys of the hash length', () => {
    const a = scramCredentials('pw', 'SHA-512');
    const b = scramCredentials('pw', 'SHA-512');
    assert.equal(a.salt.length, 16);
    assert.notEqual(hex(a.salt), hex(b.salt));
    assert.notEqual(hex(a.storedKey), hex(b.storedKey));
    assert.equal(a.iterations, SCRAM_DEFAULT_ITERATIONS);
    assert.equal(a.storedKey.length, 64);
    assert.equal(a.serverKey.length, 64);
    assert.equal(scramCredentials('pw', 'SHA-1').storedKey.length, 20);
  });

  it('copies the salt it was given', () => {
    const salt = new Uint8Array([1, 2, 3]);
    const c = scramCredentials('pw', 'SHA-1', { salt, iterations: 1 });
    salt[0] = 9;
    assert.deepEqual([...c.salt], [1, 2, 3]);
  });

  it('refuses wrong arguments, naming them', () => {
    const cases: [() => unknown, string][] = [
      [() => scramCredentials('pw', 'MD5' as 'SHA-1'), 'hash'],
      [() => scramCredentials('pw', 'SHA-1', { salt: new Uint8Array(0) }), 'salt'],
      [() => scramCredentials('pw', 'SHA-1', { iterations: 0 }), 'iterations'],
      [() => scramCredentials('pw', 'SHA-1', { iterations: 2.5 }), 'iterations'],
    ];
    for (const [f, option] of cases) {
      assert.throws(f, (e: unknown) => e instanceof InvalidOptionError && e.option === option);
    }
  });

  it('maps each mechanism to its hash', () => {
    assert.deepEqual(SCRAM_MECHANISMS, {
      'SCRAM-SHA-512': 'SHA-512',
      'SCRAM-SHA-256': 'SHA-256',
      'SCRAM-SHA-1': 'SHA-1',
    });
  });
});

describe('SCRAM message pieces', () => {
  it('escapes and unescapes saslnames (RFC 5802 section 5.1)', () => {
    assert.equal(escapeName('a=b,c'), 'a=3Db=2Cc');
    assert.equal(escapeName('=2C'), '=3D2C');
    assert.equal(unescapeName('a=3Db=2Cc'), 'a=b,c');
    assert.equal(unescapeName('=3D2C'), '=2C');
    for (const bad of ['=', 'a=', '=2c', '=41', 'x=3', '=3d'])
      assert.equal(unescapeName(bad), undefined, bad);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => unescapeName(escapeName(s)) === s));
  });

  it('knows a nonce: printable ASCII but a comma', () => {
    assert.ok(isNonce('!~+-/'));
    for (const bad of ['', 'a,b', 'a b', 'caf\u00e9', 'a\tb', '\x7f']) assert.ok(!isNonce(bad), bad);
    for (let i = 0; i < 20; i++) assert.ok(isNonce(randomNonce()));
  });

  it('decodes only strict base64', () => {
    assert.deepEqual(fromBase64('AAEC'), Buffer.from([0, 1, 2]));
    assert.deepEqual(fromBase64(''), Buffer.alloc(0));
    for (const bad of ['AAE', 'AA=C', 'A===', '!!!!', 'AAEC\n', 'AA-_', 'AB==', 'AAF='])
      assert.equal(fromBase64(bad), undefined, bad);
  });

  it('reads attributes', () => {
    assert.equal(attribute('r=abc', 'r'), 'abc');
    assert.equal(attribute('r=', 'r'), '');
    assert.equal(attribute('s=abc', 'r'), undefined);
    assert.equal(attribute('r', 'r'), undefined);
    assert.equal(attribute(undefined, 'r'), undefined);
  });

  it('xors and compares', () => {
    assert.deepEqual([...xor(Uint8Array.of(1, 2), Uint8Array.of(3, 3))], [2, 1]);
    assert.ok(safeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
    assert.ok(!safeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
    assert.ok(!safeEqual(Uint8Array.of(1, 2), Uint8Array.of(1)));
  });
});
