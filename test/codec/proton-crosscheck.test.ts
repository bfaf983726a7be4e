/**
 * Cross-checks the codec against Apache Qpid Proton 0.37 (Debian's python3-qpid-proton), through
 * test/fixtures/proton/values.py and the typed-JSON form of test/support/typed-json.ts:
 *
 * (a) Proton encodes a set of values covering every AMQP type and its edge values; each decodes here to
 *     the same typed value, and re-encodes with Proton 0.37's widths to the same bytes;
 * (b) the same values, plus JavaScript-native ones, encoded here with both width modes, decode in Proton
 *     to the values we meant.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AmqpArray,
  type AmqpValue,
  Described,
  decode,
  type Encodable,
  encode,
  int32,
  symbol,
  ulong,
  uuid,
} from '../../src/codec/index.js';
import {
  brief,
  decodeInProton,
  encodeInEveryWidth,
  hexOf,
  mismatch,
  requireProton,
  runProtonScript,
} from '../support/proton-python.js';
import { fromTypedJson, type TypedJson, toTypedJson } from '../support/typed-json.js';

interface ProtonEncoded {
  name: string;
  hex: string;
  typed: TypedJson;
  /** Set when Proton 0.37 cannot decode its own encoding of this value (a compound descriptor). */
  proton_decode_error?: string;
}

interface ProtonDecoded {
  name: string;
  typed?: TypedJson;
  error?: string;
}

/** A value encoded here, with the typed value Proton should decode it to. */
interface Case {
  name: string;
  value: Encodable;
  expected: TypedJson;
  /** Proton's own bytes for the value, when they came from Proton. */
  protonHex?: string;
  protonCannotDecode?: boolean;
}

const L = (n: number | bigint | string): TypedJson => ({ t: 'long', v: String(n) });
const D = (bits: string): TypedJson => ({ t: 'double', v: bits });
const S = (v: string): TypedJson => ({ t: 'string', v });
const TS = (ms: number | bigint): TypedJson => ({ t: 'timestamp', v: String(ms) });

/** JavaScript-native values, with the AMQP values the default mapping makes of them. */
function nativeCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, value: Encodable, expected?: TypedJson): void => {
    cases.push({ name: `js: ${name}`, value, expected: expected ?? toTypedJson(value as AmqpValue) });
  };
  for (const n of [
    0,
    1,
    -1,
    127,
    128,
    -128,
    -129,
    255,
    65536,
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER,
  ]) {
    add(`number ${n}`, n, L(n));
  }
  add('number -MAX_SAFE_INTEGER', -Number.MAX_SAFE_INTEGER, L(-Number.MAX_SAFE_INTEGER));
  add('number 0.5', 0.5, D('3fe0000000000000'));
  add('number -0', -0, D('8000000000000000'));
  add('number 0.1', 0.1, D('3fb999999999999a'));
  add('number NaN', Number.NaN, D('7ff8000000000000'));
  add('number Infinity', Number.POSITIVE_INFINITY, D('7ff0000000000000'));
  add('number -Infinity', Number.NEGATIVE_INFINITY, D('fff0000000000000'));
  add('number 5e-324', 5e-324, D('0000000000000001'));
  add('number MAX_VALUE', Number.MAX_VALUE, D('7fefffffffffffff'));
  add('number 2^63', 2 ** 63, D('43e0000000000000'));
  add('number 1e300', 1e300, D('7e37e43c8800759c'));
  add('bigint 0n', 0n, L(0));
  add('bigint 2^53+1', 2n ** 53n + 1n, L(2n ** 53n + 1n));
  add('bigint -2^63', -(2n ** 63n), L(-(2n ** 63n)));
  add('bigint 2^63-1', 2n ** 63n - 1n, L(2n ** 63n - 1n));
  add('true', true, { t: 'boolean', v: true });
  add('false', false, { t: 'boolean', v: false });
  add('null', null, { t: 'null' });
  add('undefined', undefined, { t: 'null' });
  add('string', 'h\u00e9llo \u20ac \u{1f600}', S('h\u00e9llo \u20ac \u{1f600}'));
  add('empty string', '', S(''));
  add('300-char string', 'r'.repeat(300), S('r'.repeat(300)));
  add('Date 0', new Date(0), TS(0));
  add('Date -1', new Date(-1), TS(-1));
  add('Date 2023', new Date(1700000000123), TS(1700000000123));
  add('Date max', new Date(8.64e15), TS(8.64e15));
  add('Date min', new Date(-8.64e15), TS(-8.64e15));
  add('Buffer', Buffer.from('00ff00', 'hex'), { t: 'binary', v: '00ff00' });
  add('Uint8Array', new Uint8Array([1, 2, 3]), { t: 'binary', v: '010203' });
  add('Uint8Array view', new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4), { t: 'binary', v: '080706' });
  add('empty Uint8Array', new Uint8Array(0), { t: 'binary', v: '' });
  add('300-byte Buffer', Buffer.alloc(300, 0xab), { t: 'binary', v: 'ab'.repeat(300) });
  add('list', [1, 'a', null, [true, 0.5], []], {
    t: 'list',
    v: [
      L(1),
      S('a'),
      { t: 'null' },
      { t: 'list', v: [{ t: 'boolean', v: true }, D('3fe0000000000000')] },
      { t: 'list', v: [] },
    ],
  });
  add('list with undefined', [undefined], { t: 'list', v: [{ t: 'null' }] });
  add('empty list', [], { t: 'list', v: [] });
  add(
    'Map with mixed keys',
    new Map<AmqpValue, AmqpValue>([
      [symbol('sym'), 1],
      [ulong(2), 'ulong key'],
      ['str', 0.25],
      [int32(-3), null],
      [42, new Date(5)],
      [2n ** 60n, [symbol('v')]],
      [null, false],
    ]),
    {
      t: 'map',
      v: [
        [{ t: 'symbol', v: 'sym' }, L(1)],
        [{ t: 'ulong', v: '2' }, S('ulong key')],
        [S('str'), D('3fd0000000000000')],
        [{ t: 'int', v: -3 }, { t: 'null' }],
        [L(42), TS(5)],
        [L(2n ** 60n), { t: 'list', v: [{ t: 'symbol', v: 'v' }] }],
        [{ t: 'null' }, { t: 'boolean', v: false }],
      ],
    },
  );
  add('empty Map', new Map(), { t: 'map', v: [] });
  add(
    'nested plain objects',
    { a: 1, b: { c: [1, { d: 'e' }], f: {} }, g: 'h', 'x-opt-key': symbol('y') },
    {
      t: 'map',
      v: [
        [S('a'), L(1)],
        [
          S('b'),
          {
            t: 'map',
            v: [
              [S('c'), { t: 'list', v: [L(1), { t: 'map', v: [[S('d'), S('e')]] }] }],
              [S('f'), { t: 'map', v: [] }],
            ],
          },
        ],
        [S('g'), S('h')],
        [S('x-opt-key'), { t: 'symbol', v: 'y' }],
      ],
    },
  );
  add('empty plain object', {}, { t: 'map', v: [] });
  add('list of plain objects', [{ k: 1 }, {}], {
    t: 'list',
    v: [
      { t: 'map', v: [[S('k'), L(1)]] },
      { t: 'map', v: [] },
    ],
  });
  add('Described', new Described(ulong(0x70), [true]));
  add('Described by symbol', new Described(symbol('com.example:x'), new Map([['k', 1]])));
  add('array of int', new AmqpArray('int', [1, -2, 2 ** 31 - 1]));
  add('array of symbol, strings and wrappers', new AmqpArray('symbol', ['a', symbol('b')]));
  add('array of ulong', new AmqpArray('ulong', [0, 1, 2n ** 64n - 1n]));
  add('array of long', new AmqpArray('long', [5, -(2n ** 63n), 2n ** 60n]));
  add('array of timestamp', new AmqpArray('timestamp', [new Date(0), new Date(-5), 2n ** 62n]));
  add('array of char', new AmqpArray('char', ['a', '\u20ac', '\u{1f600}']));
  add('array of float', new AmqpArray('float', [0.5, -0, Number.NaN, Number.NEGATIVE_INFINITY]));
  add('array of double', new AmqpArray('double', [1, -0, 0.1, Number.NaN]));
  add('array of uuid', new AmqpArray('uuid', [uuid('f81d4fae-7dec-41d0-a765-00a0c91e6bf6')]));
  add('array of binary', new AmqpArray('binary', [Buffer.from('ab', 'hex'), new Uint8Array(0)]));
  add('array of list', new AmqpArray('list', [[1, 'x'], []]));
  add('array of map', new AmqpArray('map', [new Map([[symbol('k'), 1]]), new Map()]));
  add(
    'array of array',
    new AmqpArray('array', [new AmqpArray('string', ['s']), new AmqpArray('boolean', [])]),
  );
  add('described array', new AmqpArray('string', ['a', 'b'], symbol('d')));
  add('empty described array', new AmqpArray('int', [], ulong(9)));
  return cases;
}

test('cross-check with Proton 0.37 (python3-qpid-proton)', async (t) => {
  if (!requireProton(t)) return;

  const protonValues = runProtonScript<ProtonEncoded[]>('values.py', 'encode');
  assert.ok(protonValues.length > 200, 'values.py encode covers the types');

  await t.test('(a) values Proton encodes decode here, and re-encode to the same bytes', async (t) => {
    for (const entry of protonValues) {
      await t.test(entry.name, () => {
        const decoded = decode(Buffer.from(entry.hex, 'hex'));
        const typed = toTypedJson(decoded);
        assert.deepEqual(typed, entry.typed, mismatch('decoded value', entry.hex, entry.typed, typed));
        const again = hexOf(encode(decoded, { widths: 'proton-0.37' }));
        assert.equal(again, entry.hex, `re-encoding ${brief(entry.typed)} with proton-0.37 widths`);
      });
    }
  });

  await t.test('(b) values encoded here decode in Proton to the same values', async (t) => {
    const cases: Case[] = [
      ...protonValues.map(
        (e): Case => ({
          name: `proton: ${e.name}`,
          value: fromTypedJson(e.typed),
          expected: e.typed,
          protonHex: e.hex,
          protonCannotDecode: e.proton_decode_error !== undefined,
        }),
      ),
      ...nativeCases(),
    ];
    const encodings = encodeInEveryWidth(cases, (c, widths) => encode(c.value, { widths }));
    const answers = decodeInProton<ProtonDecoded>('values.py', encodings.values());

    for (const { name, c, widths, hex, threw } of encodings.values()) {
      await t.test(name, () => {
        assert.equal(threw, undefined, `encode threw: ${threw}\n  value: ${brief(c.expected)}`);
        // Our own decoder agrees with what we meant.
        const ours = toTypedJson(decode(Buffer.from(hex, 'hex')));
        assert.deepEqual(ours, c.expected, mismatch('our decode of our encoding', hex, c.expected, ours));
        if (widths === 'proton-0.37' && c.protonHex !== undefined) {
          assert.equal(hex, c.protonHex, 'proton-0.37 widths: the bytes Proton writes');
        }
        const answer = answers.get(name);
        assert.ok(answer, `values.py decode answered ${name}`);
        if (c.protonCannotDecode) {
          // Proton 0.37 rejects compound descriptors, whoever encodes them.
          assert.ok(answer.error, `Proton was expected to reject ${brief(hex)}`);
          return;
        }
        assert.equal(answer.error, undefined, `Proton cannot decode ${brief(hex)}: ${answer.error}`);
        assert.deepEqual(
          answer.typed,
          c.expected,
          mismatch("Proton's decode", hex, c.expected, answer.typed),
        );
      });
    }
  });
});
