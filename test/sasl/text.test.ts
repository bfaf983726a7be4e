import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SASLError } from '../../src/errors.js';
import { saslPrep } from '../../src/sasl/index.js';
import { fromUtf8, tryUtf8, utf8 } from '../../src/sasl/text.js';

describe('SASL text', () => {
  it('encodes and strictly decodes UTF-8', () => {
    assert.deepEqual([...utf8('\u00e9')], [0xc3, 0xa9]);
    assert.equal(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), 'x'), '\ufeffa');
    assert.equal(tryUtf8(Uint8Array.of(0xc3)), undefined);
    assert.throws(
      () => fromUtf8(Uint8Array.of(0xc3, 0x28), 'the message', 3),
      (e: unknown) =>
        e instanceof SASLError && e.code === 3 && /the message is not valid UTF-8/.test(e.message),
    );
  });

  it('approximates SASLprep with NFKC', () => {
    assert.equal(saslPrep('pencil'), 'pencil');
    assert.equal(saslPrep('a\u00a0b'), 'a b'); // non-ASCII space to space (RFC 4013 section 2.1)
    assert.equal(saslPrep('\u2168'), 'IX'); // RFC 4013's example: ROMAN NUMERAL NINE
    assert.equal(saslPrep('\u00aa'), 'a'); // RFC 4013's example: FEMININE ORDINAL INDICATOR
    assert.equal(saslPrep('\ufb01'), 'fi');
    assert.equal(saslPrep('e\u0301'), '\u00e9');
  });
});
