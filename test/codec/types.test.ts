/**
 * The value wrappers' range checks, and amqpEquals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { amqpEquals } from '../../src/codec/equals.js';
import {
  AmqpArray,
  type AmqpValue,
  byte,
  char,
  Described,
  decimal32,
  decimal64,
  decimal128,
  double,
  float32,
  int32,
  LONG_MAX,
  LONG_MIN,
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
} from '../../src/codec/types.js';
import { EncodeError } from '../../src/errors.js';

/** Fails unless `fn` throws an EncodeError whose message matches every pattern. */
function assertEncodeError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EncodeError, `expected an EncodeError, got ${String(err)}`);
    assert.equal(err.condition, 'amqp:invalid-field');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('value wrappers check their range', () => {
  it('reject out-of-range values with a clear EncodeError', () => {
    assertEncodeError(() => ulong(-1), /ulong/, /-1/);
    assertEncodeError(() => ulong(-1n), /ulong/, /-1/);
    assertEncodeError(() => ulong(2n ** 64n), /ulong/, /18446744073709551616/);
    assertEncodeError(() => ulong(1.5), /ulong/, /1\.5/);
    assertEncodeError(() => ubyte(300), /ubyte/, /300/, /0 to 255/);
    assertEncodeError(() => ubyte(-1), /ubyte/, /-1/);
    assertEncodeError(() => ubyte(256), /ubyte/, /256/);
    assertEncodeError(() => ubyte(Number.NaN), /ubyte/, /NaN/);
    assertEncodeError(() => ushort(65536), /ushort/, /65536/);
    assertEncodeError(() => uint(1.5), /uint/, /1\.5/);
    assertEncodeError(() => uint(2 ** 32), /uint/, /4294967296/);
    assertEncodeError(() => uint(-1), /uint/, /-1/);
    assertEncodeError(() => uint(Infinity), /uint/, /Infinity/);
    assertEncodeError(() => byte(128), /byte/, /[^-]128/);
    assertEncodeError(() => byte(-129), /byte/, /-129/);
    assertEncodeError(() => short(32768), /short/, /[^-]32768/);
    assertEncodeError(() => short(-32769), /short/, /-32769/);
    assertEncodeError(() => int32(2 ** 31), /int/, /[^-]2147483648/);
    assertEncodeError(() => int32(-(2 ** 31) - 1), /int/, /-2147483649/);
    assertEncodeError(() => symbol('café'), /symbol/, /ASCII/, /café/);
    assertEncodeError(() => symbol('\u0080'), /symbol/, /ASCII/);
    assertEncodeError(() => decimal32(new Uint8Array(3)), /decimal32/, /4 bytes/);
    assertEncodeError(() => decimal64(new Uint8Array(9)), /decimal64/, /8 bytes/);
    assertEncodeError(() => decimal128(new Uint8Array(15)), /decimal128/, /16 bytes/);
    assertEncodeError(() => uuid('not-a-uuid'), /uuid/, /not-a-uuid/);
    assertEncodeError(() => uuid('0123456789abcdef0123456789abcdef'), /uuid/, /8-4-4-4-12/);
    assertEncodeError(() => uuid('g1234567-89ab-cdef-0123-456789abcdef'), /uuid/);
    assertEncodeError(() => uuid(new Uint8Array(15)), /uuid/, /16 bytes/);
    assertEncodeError(() => char('ab'), /char/, /"ab"/);
    assertEncodeError(() => char(''), /char/);
    assertEncodeError(() => char('😀x'), /char/);
    assertEncodeError(() => char(0x110000), /char/, /1114112/);
    assertEncodeError(() => char(-1), /char/);
    assertEncodeError(() => timestamp(LONG_MAX + 1n), /timestamp/);
    assertEncodeError(() => timestamp(1.5), /timestamp/);
  });

  it('accept their extremes', () => {
    assert.equal(ubyte(0).value, 0);
    assert.equal(ubyte(255).value, 255);
    assert.equal(ushort(0xffff).value, 0xffff);
    assert.equal(uint(0).value, 0);
    assert.equal(uint(2 ** 32 - 1).value, 2 ** 32 - 1);
    assert.equal(ulong(0).value, 0n);
    assert.equal(ulong(Number.MAX_SAFE_INTEGER).value, BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(ulong(2n ** 64n - 1n).value, 2n ** 64n - 1n);
    assert.equal(byte(-128).value, -128);
    assert.equal(byte(127).value, 127);
    assert.equal(short(-32768).value, -32768);
    assert.equal(short(32767).value, 32767);
    assert.equal(int32(-(2 ** 31)).value, -(2 ** 31));
    assert.equal(int32(2 ** 31 - 1).value, 2 ** 31 - 1);
    assert.equal(char(0).codePoint, 0);
    assert.equal(char(0x10ffff).codePoint, 0x10ffff);
    assert.equal(char('😀').codePoint, 0x1f600);
    assert.equal(char('a').toString(), 'a');
    assert.equal(symbol('').value, '');
    assert.equal(symbol('\x00\x7f').value, '\x00\x7f');
    assert.equal(decimal32(new Uint8Array(4)).bytes.length, 4);
    assert.equal(decimal64(new Uint8Array(8)).bytes.length, 8);
    assert.equal(decimal128(new Uint8Array(16)).bytes.length, 16);
    assert.equal(
      uuid('01234567-89AB-cdef-0123-456789abcdef').toString(),
      '01234567-89ab-cdef-0123-456789abcdef',
    );
    assert.equal(uuid(new Uint8Array(16)).toString(), '00000000-0000-0000-0000-000000000000');
    assert.equal(timestamp(LONG_MIN).value, LONG_MIN);
    assert.equal(timestamp(LONG_MAX).value, LONG_MAX);
    assert.equal(timestamp(new Date(5)).value, 5n);
    assert.equal(float32(0.1).value, Math.fround(0.1));
    assert.ok(Object.is(double(-0).value, -0));
  });
});

const bytes = (...b: number[]) => new Uint8Array(b);

describe('amqpEquals', () => {
  it('holds for equal values of the same type', () => {
    const equal: Array<[AmqpValue, AmqpValue]> = [
      [null, null],
      [true, true],
      [5, 5],
      [Number.NaN, Number.NaN],
      [-0, -0],
      [2.5, 2.5],
      [2n ** 60n, 2n ** 60n],
      [uint(5), uint(5)],
      [ulong(5), ulong(5n)],
      [ubyte(0), ubyte(0)],
      [float32(0.1), float32(0.1)],
      [float32(Number.NaN), float32(Number.NaN)],
      [double(2), double(2)],
      [double(Number.NaN), double(Number.NaN)],
      ['é', 'é'],
      [symbol('a'), symbol('a')],
      [char('😀'), char(0x1f600)],
      [bytes(1, 2), Buffer.from([1, 2])],
      [bytes(), Buffer.alloc(0)],
      [decimal32(bytes(1, 2, 3, 4)), decimal32(Buffer.from([1, 2, 3, 4]))],
      [uuid('01234567-89ab-cdef-0123-456789abcdef'), uuid('01234567-89AB-CDEF-0123-456789ABCDEF')],
      [new Date(5), new Date(5)],
      [timestamp(2n ** 62n), timestamp(2n ** 62n)],
      [
        [1, symbol('a'), [null]],
        [1, symbol('a'), [null]],
      ],
      [
        new Map<AmqpValue, AmqpValue>([
          [symbol('k'), 1],
          [uint(1), new Map([['x', 'y']])],
        ]),
        new Map<AmqpValue, AmqpValue>([
          [symbol('k'), 1],
          [uint(1), new Map([['x', 'y']])],
        ]),
      ],
      [new AmqpArray('int', [1, 2]), new AmqpArray('int', [1, 2])],
      [new AmqpArray('int', [1], ulong(7)), new AmqpArray('int', [1], ulong(7))],
      [new AmqpArray('symbol', []), new AmqpArray('symbol', [])],
      [new Described(ulong(0x70), [1]), new Described(ulong(0x70), [1])],
    ];
    for (const [a, b] of equal) {
      assert.ok(amqpEquals(a, b), `${String(a)} should equal ${String(b)}`);
      assert.ok(amqpEquals(b, a), `${String(b)} should equal ${String(a)} (symmetry)`);
    }
  });

  it('treats the JavaScript forms of one AMQP type as the same value', () => {
    // a long: number or bigint
    assert.ok(amqpEquals(5, 5n));
    assert.ok(amqpEquals(-(2 ** 60), -(2n ** 60n)));
    // a double: number or Double (but a whole number is a long)
    assert.ok(amqpEquals(2.5, double(2.5)));
    assert.ok(amqpEquals(Number.NaN, double(Number.NaN)));
    assert.ok(amqpEquals(-0, double(-0)));
    // a timestamp: Date or Timestamp
    assert.ok(amqpEquals(new Date(5), timestamp(5)));
    // array elements: plain form or a wrapper of the element type
    assert.ok(amqpEquals(new AmqpArray('ubyte', [5]), new AmqpArray('ubyte', [ubyte(5)])));
    assert.ok(amqpEquals(new AmqpArray('symbol', ['a']), new AmqpArray('symbol', [symbol('a')])));
    assert.ok(amqpEquals(new AmqpArray('char', ['😀']), new AmqpArray('char', [char('😀')])));
    assert.ok(amqpEquals(new AmqpArray('ulong', [5]), new AmqpArray('ulong', [ulong(5)])));
    assert.ok(amqpEquals(new AmqpArray('ulong', [2n ** 60n]), new AmqpArray('ulong', [ulong(2n ** 60n)])));
    assert.ok(amqpEquals(new AmqpArray('timestamp', [new Date(5)]), new AmqpArray('timestamp', [5n])));
    assert.ok(amqpEquals(new AmqpArray('float', [0.1]), new AmqpArray('float', [Math.fround(0.1)])));
    const u = uuid('01234567-89ab-cdef-0123-456789abcdef');
    assert.ok(amqpEquals(new AmqpArray('uuid', [u]), new AmqpArray('uuid', [u.bytes])));
    assert.ok(
      amqpEquals(
        new AmqpArray('decimal32', [bytes(1, 2, 3, 4)]),
        new AmqpArray('decimal32', [decimal32(bytes(1, 2, 3, 4))]),
      ),
    );
  });

  it('tells apart values of different AMQP types, even with the same number', () => {
    const fives: AmqpValue[] = [
      5,
      double(5),
      float32(5),
      ubyte(5),
      ushort(5),
      uint(5),
      ulong(5),
      byte(5),
      short(5),
      int32(5),
      timestamp(5),
      char(5),
      '5',
      symbol('5'),
      [5],
      new AmqpArray('long', [5]),
      new AmqpArray('int', [5]),
      new Described(null, 5),
    ];
    for (let i = 0; i < fives.length; i++) {
      for (let j = 0; j < fives.length; j++) {
        if (i !== j) assert.equal(amqpEquals(fives[i]!, fives[j]!), false, `${i} vs ${j} must differ`);
      }
    }
  });

  it('tells apart unequal values', () => {
    const unequal: Array<[AmqpValue, AmqpValue]> = [
      [null, false],
      [true, false],
      [0, -0],
      [0, Number.NaN],
      [1, 2],
      [2, double(2)],
      [double(0), double(-0)],
      [float32(0), float32(-0)],
      [float32(0.5), 0.5],
      [float32(1), double(1)],
      [5, 6n],
      [2n ** 60n, 2n ** 60n + 1n],
      [uint(5), uint(6)],
      [ulong(5), ulong(6)],
      ['a', symbol('a')],
      ['a', char('a')],
      [symbol('a'), char('a')],
      [symbol('a'), symbol('b')],
      ['a', 'b'],
      [char('a'), char('b')],
      ['', bytes()],
      [bytes(1, 2), bytes(1, 3)],
      [bytes(1, 2), bytes(1, 2, 3)],
      [bytes(1, 2, 3, 4), decimal32(bytes(1, 2, 3, 4))],
      [decimal32(bytes(1, 2, 3, 4)), decimal32(bytes(1, 2, 3, 5))],
      [decimal64(new Uint8Array(8)), decimal128(new Uint8Array(16))],
      [new Uint8Array(16), uuid(new Uint8Array(16))],
      [uuid(new Uint8Array(16)), uuid('00000000-0000-0000-0000-000000000001')],
      [new Date(5), new Date(6)],
      [new Date(5), 5],
      [timestamp(5), timestamp(6)],
      [[], new Map()],
      [[1], [1, 2]],
      [
        [1, 2],
        [2, 1],
      ],
      [[uint(1)], [1]],
      [[], new AmqpArray('null', [])],
      [new Map([[1, 'a']]), new Map([[uint(1), 'a']])],
      [new Map([['k', 1]]), new Map([[symbol('k'), 1]])],
      [new Map([[1, 'a']]), new Map([[1, 'b']])],
      [
        new Map([[1, 'a']]),
        new Map([
          [1, 'a'],
          [2, 'b'],
        ]),
      ],
      [
        new Map([
          [1, 'a'],
          [2, 'b'],
        ]),
        new Map([
          [2, 'b'],
          [1, 'a'],
        ]),
      ],
      [new AmqpArray('int', [1]), new AmqpArray('long', [1])],
      [new AmqpArray('int', []), new AmqpArray('uint', [])],
      [new AmqpArray('int', [1]), new AmqpArray('int', [2])],
      [new AmqpArray('int', [1]), new AmqpArray('int', [1, 1])],
      [new AmqpArray('int', [1]), new AmqpArray('int', [1], ulong(1))],
      [new AmqpArray('int', [1], ulong(1)), new AmqpArray('int', [1], ulong(2))],
      [new AmqpArray('int', [1], ulong(1)), new AmqpArray('int', [1], 1)],
      [new AmqpArray('double', [0]), new AmqpArray('double', [-0])],
      [new AmqpArray('symbol', ['a']), new AmqpArray('string', ['a'])],
      [new AmqpArray('ubyte', [ubyte(5)]), new AmqpArray('ubyte', [uint(6)])],
      [new Described(ulong(1), null), new Described(1, null)],
      [new Described(ulong(1), null), new Described(symbol('a'), null)],
      [new Described(ulong(1), null), new Described(ulong(1), false)],
      [new Described(ulong(1), null), null],
    ];
    for (const [a, b] of unequal) {
      assert.equal(amqpEquals(a, b), false, `${String(a)} should not equal ${String(b)}`);
      assert.equal(amqpEquals(b, a), false, `${String(b)} should not equal ${String(a)} (symmetry)`);
    }
  });

  it('compares deep structures', () => {
    const make = (leaf: AmqpValue): AmqpValue =>
      new Described(symbol('d'), [
        new Map<AmqpValue, AmqpValue>([[symbol('k'), new AmqpArray('list', [[leaf]])]]),
      ]);
    assert.ok(amqpEquals(make(uint(1)), make(uint(1))));
    assert.equal(amqpEquals(make(uint(1)), make(ulong(1))), false);
    assert.equal(amqpEquals(make(Buffer.from([1])), make(bytes(1))), true);
  });

  it('is false for things that are not AMQP values', () => {
    const notValues = [{}, Symbol('x'), () => 1] as unknown as AmqpValue[];
    for (const v of notValues) {
      assert.equal(amqpEquals(v, null), false);
    }
    assert.equal(amqpEquals({} as unknown as AmqpValue, {} as unknown as AmqpValue), false);
  });
});
