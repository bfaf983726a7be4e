/** checkOptions: known keys only, each of its kind, undefined for the default, the caller's object untouched. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/errors.js';
import { checkOptions, isLogger, type OptionKind } from '../../src/handlers/options.js';
import { NULL_LOGGER } from '../../src/util/logger.js';

const KINDS: Record<string, OptionKind> = {
  flag: 'boolean',
  n: 'count',
  logger: 'logger',
  delegate: 'object',
};

function fails(options: unknown, option: string, pattern?: RegExp): void {
  assert.throws(
    () => checkOptions('Thing', options, KINDS),
    (e: unknown) =>
      e instanceof InvalidOptionError &&
      e.option === option &&
      (pattern === undefined || pattern.test(e.message)),
  );
}

describe('checkOptions', () => {
  it('takes undefined, an empty object, and good values', () => {
    checkOptions('Thing', undefined, KINDS);
    checkOptions('Thing', {}, KINDS);
    const o = { flag: true, n: 0, logger: NULL_LOGGER, delegate: {} };
    const copy = { ...o };
    checkOptions('Thing', o, KINDS);
    assert.deepEqual(o, copy, 'not changed');
    checkOptions('Thing', { flag: undefined, n: undefined }, KINDS);
  });

  it('refuses what is not an options object', () => {
    for (const bad of [null, 5, 'x', [], () => {}]) fails(bad, 'options', /Thing: options must be an object/);
  });

  it('names an unknown option, and lists the known ones', () => {
    fails({ flags: true }, 'flags', /Thing has no such option \(it takes flag, n, logger, delegate\)/);
    fails({ __proto__: { flag: true }, toString: 1 }, 'toString');
  });

  it('names an option of the wrong kind', () => {
    fails({ flag: 1 }, 'flag', /must be a boolean, not number 1/);
    fails({ n: -1 }, 'n', /whole number >= 0/);
    fails({ n: 2.5 }, 'n');
    fails({ n: '3' }, 'n', /the string "3"/);
    fails({ n: Number.POSITIVE_INFINITY }, 'n');
    fails({ logger: { error() {} } }, 'logger', /Logger/);
    fails({ delegate: null }, 'delegate', /null/);
    fails({ delegate: [] }, 'delegate', /an array/);
  });

  it('isLogger', () => {
    assert.equal(isLogger(NULL_LOGGER), true);
    assert.equal(isLogger({ debug() {}, info() {}, warn() {} }), false);
    assert.equal(isLogger(undefined), false);
  });
});
