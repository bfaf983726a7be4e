/**
 * Round trips through the codec: every AMQP value comes back as the same AMQP type and value, in the same
 * canonical JavaScript form, and re-encodes to the same bytes, in both width modes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AmqpArray,
  AmqpSymbol,
  type AmqpValue,
  amqpEquals,
  Described,
  Double,
  decode,
  decodeAll,
  double,
  encode,
  Float,
  float32,
  int32,
  symbol,
  UInt,
  ULong,
  uint,
  ulong,
} from '../../src/codec/index.js';
import { amqpValue, canonicalProblem, WIDTHS } from '../support/arbitraries.js';

const RUNS = 400;

/** Fails unless `actual` is the same AMQP value as `expected`, in canonical form. */
function assertSameValue(actual: AmqpValue, expected: AmqpValue): void {
  const problem = canonicalProblem(actual);
  assert.equal(problem, undefined, `decoded value is not in canonical form: ${problem}`);
  assert.ok(amqpEquals(actual, expected), 'decoded value differs from the encoded one');
}

describe('codec round trips (properties)', () => {
  it('the arbitraries generate values in canonical form', () => {
    fc.assert(
      fc.property(amqpValue(), (v) => canonicalProblem(v) === undefined),
      { numRuns: RUNS },
    );
  });

  for (const widths of WIDTHS) {
    it(`decode(encode(v)) is v, widths ${widths}`, () => {
      fc.assert(
        fc.property(amqpValue(), (v) => {
          assertSameValue(decode(encode(v, { widths })), v);
        }),
        { numRuns: RUNS },
      );
    });

    it(`encode(decode(encode(v))) is byte-identical to encode(v), widths ${widths}`, () => {
      fc.assert(
        fc.property(amqpValue(), (v) => {
          const bytes = encode(v, { widths });
          assert.deepEqual(encode(decode(bytes), { widths }), bytes);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('decoding one width mode and encoding in the other gives that mode’s bytes', () => {
    fc.assert(
      fc.property(amqpValue(), (v) => {
        const compact = encode(v, { widths: 'compact' });
        const proton = encode(v, { widths: 'proton-0.37' });
        assert.deepEqual(encode(decode(proton), { widths: 'compact' }), compact);
        assert.deepEqual(encode(decode(compact), { widths: 'proton-0.37' }), proton);
      }),
      { numRuns: RUNS },
    );
  });

  it('compact is never longer than proton-0.37', () => {
    fc.assert(
      fc.property(amqpValue(), (v) => {
        assert.ok(encode(v, { widths: 'compact' }).length <= encode(v, { widths: 'proton-0.37' }).length);
      }),
      { numRuns: RUNS },
    );
  });

  it('decodeAll of a concatenation gives the values back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(amqpValue({ maxDepth: 2 }), fc.constantFrom(...WIDTHS)), { maxLength: 6 }),
        (items) => {
          const bytes = Buffer.concat(items.map(([v, widths]) => encode(v, { widths })));
          const values = decodeAll(bytes);
          assert.equal(values.length, items.length);
          for (let i = 0; i < items.length; i++) assertSameValue(values[i]!, items[i]![0]);
        },
      ),
      { numRuns: RUNS / 2 },
    );
  });
});

/** Encodes in both width modes and decodes back, checking both give the same value; returns it. */
function roundTrip(v: Parameters<typeof encode>[0]): AmqpValue {
  const compact = decode(encode(v, { widths: 'compact' }));
  const proton = decode(encode(v, { widths: 'proton-0.37' }));
  assert.ok(amqpEquals(compact, proton), 'the two width modes decode differently');
  return compact;
}

describe('codec round trips (examples)', () => {
  it('a long beyond 2^53 comes back exact, as a bigint', () => {
    for (const n of [
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      -(2n ** 53n) - 1n,
      12345678901234567n,
    ]) {
      const back = roundTrip(n);
      assert.equal(typeof back, 'bigint', `${n} decoded as ${typeof back}`);
      assert.equal(back, n);
    }
    assert.equal(roundTrip(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    assert.equal(roundTrip(-Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
    assert.equal(roundTrip(42n), 42, 'a safe bigint decodes as a number');
    const ul = roundTrip(ulong(2n ** 64n - 1n));
    assert.ok(ul instanceof ULong);
    assert.equal(ul.value, 2n ** 64n - 1n);
  });

  it('a symbol stays a symbol, a string a string', () => {
    const s = roundTrip(symbol('amqp:accepted:list'));
    assert.ok(s instanceof AmqpSymbol);
    assert.equal(s.value, 'amqp:accepted:list');
    assert.equal(roundTrip('amqp:accepted:list'), 'amqp:accepted:list');
    const long = symbol('x'.repeat(300));
    assert.ok(amqpEquals(roundTrip(long), long));
  });

  it('map keys keep their types and their order', () => {
    const keys: AmqpValue[] = [
      1,
      ulong(1),
      uint(1),
      int32(1),
      double(1),
      float32(1),
      '1',
      symbol('1'),
      true,
      null,
      new Uint8Array([1]),
      [1],
    ];
    const m = new Map<AmqpValue, AmqpValue>(keys.map((k, i) => [k, i]));
    const back = roundTrip(m);
    assert.ok(back instanceof Map);
    const backKeys = [...back.keys()];
    assert.equal(backKeys.length, keys.length);
    for (let i = 0; i < keys.length; i++) {
      assert.ok(amqpEquals(backKeys[i]!, keys[i]!), `key ${i} changed`);
      assert.equal(back.get(backKeys[i]!), i);
    }
    assert.equal(typeof backKeys[0], 'number');
    assert.ok(backKeys[1] instanceof ULong);
    assert.ok(backKeys[2] instanceof UInt);
    assert.ok(backKeys[4] instanceof Double);
    assert.ok(backKeys[5] instanceof Float);
    assert.equal(backKeys[6], '1');
    assert.ok(backKeys[7] instanceof AmqpSymbol);
  });

  it('a described value keeps its descriptor', () => {
    for (const descriptor of [ulong(0x70), symbol('amqp:open:list'), 'a string', ulong(2n ** 64n - 1n)]) {
      const d = new Described(descriptor, [symbol('container'), null, uint(5)]);
      const back = roundTrip(d);
      assert.ok(back instanceof Described);
      assert.ok(amqpEquals(back.descriptor, descriptor));
      assert.ok(amqpEquals(back, d));
    }
    const arr = new AmqpArray('int', [1, 2, 3], symbol('x-desc'));
    const back = roundTrip(arr);
    assert.ok(back instanceof AmqpArray);
    assert.ok(amqpEquals(back.descriptor!, symbol('x-desc')));
  });

  it('NaN stays NaN and -0 stays -0', () => {
    assert.ok(Number.isNaN(roundTrip(Number.NaN)));
    assert.ok(Object.is(roundTrip(-0), -0));
    assert.ok(Object.is(roundTrip(0), 0));
    const f = roundTrip(float32(Number.NaN));
    assert.ok(f instanceof Float && Number.isNaN(f.value));
    const fz = roundTrip(float32(-0));
    assert.ok(fz instanceof Float && Object.is(fz.value, -0));
    const a = roundTrip(new AmqpArray('double', [Number.NaN, -0, 0]));
    assert.ok(a instanceof AmqpArray);
    assert.ok(Number.isNaN(a.elements[0]) && Object.is(a.elements[1], -0) && Object.is(a.elements[2], 0));
  });

  it('2.0 given as a double stays a double; 2 stays a long', () => {
    const d = roundTrip(double(2));
    assert.ok(d instanceof Double);
    assert.equal(d.value, 2);
    assert.equal(roundTrip(2), 2);
    assert.equal(encode(double(2))[0], 0x82, 'a double is encoded with the double format code');
    assert.equal(roundTrip(2.5), 2.5);
    const big = roundTrip(double(-(2 ** 63)));
    assert.ok(big instanceof Double && big.value === -(2 ** 63));
    assert.equal(roundTrip(2 ** 63), 2 ** 63, '2^63 is past the long range: a plain double');
    assert.equal(roundTrip(1e300), 1e300);
  });

  it('a Date comes back a Date, and a timestamp outside its range a Timestamp', () => {
    const now = new Date(1700000000123);
    const back = roundTrip(now);
    assert.ok(back instanceof Date);
    assert.equal(back.getTime(), now.getTime());
    assert.ok(roundTrip(new Date(8.64e15)) instanceof Date);
  });

  it('a string key "__proto__" is just a key, and decoding hostile maps leaves Object.prototype alone', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const protoBefore = Object.getPrototypeOf({});
    const hostile: AmqpValue[] = [
      new Map<AmqpValue, AmqpValue>([['__proto__', new Map([['polluted', true]])]]),
      new Map<AmqpValue, AmqpValue>([
        ['constructor', new Map([['prototype', new Map([['polluted', true]])]])],
      ]),
      new Map<AmqpValue, AmqpValue>([[symbol('__proto__'), new Map([['polluted', true]])]]),
      [
        new Map<AmqpValue, AmqpValue>([
          ['__proto__', 'x'],
          ['polluted', 'y'],
        ]),
      ],
      new Described(symbol('__proto__'), new Map([['__proto__', new Map([['polluted', true]])]])),
    ];
    for (const h of hostile) {
      for (const widths of WIDTHS) {
        const back = decode(encode(h, { widths }));
        assert.ok(amqpEquals(back, h));
      }
    }
    // A plain object with an own '__proto__' property, as JSON.parse makes them, encodes as a map too.
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const back = decode(encode(parsed));
    assert.ok(back instanceof Map);
    assert.equal(back.size, 2);
    const inner = back.get('__proto__');
    assert.ok(inner instanceof Map && inner.get('polluted') === true);
    assert.equal(back.get('a'), 1);
    const m = decode(encode(new Map([['__proto__', 'x']])));
    assert.ok(m instanceof Map);
    assert.deepEqual([...m.entries()], [['__proto__', 'x']]);

    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
    assert.equal(Object.getPrototypeOf({}), protoBefore);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal('polluted' in {}, false);
  });

  it('a map key of double -0 stays a double -0', () => {
    // map8, size 11, count 2: key double -0 (0x82 80 00..00), value null
    const bytes = Buffer.from([0xc1, 0x0b, 0x02, 0x82, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x40]);
    const back = decode(bytes);
    assert.deepEqual(encode(back, { widths: 'compact' }), bytes);
  });

  it('binary values decode as views of the input, not copies', () => {
    const input = encode(new Uint8Array([1, 2, 3]));
    const decoded = decode(input);
    assert.ok(decoded instanceof Uint8Array);
    assert.equal(decoded.buffer, input.buffer);
    assert.deepEqual([...decoded], [1, 2, 3]);
    input[input.length - 1] = 99;
    assert.equal(decoded[2], 99, 'mutating the input shows in the decoded bytes');

    // a plain Uint8Array input, at an offset in a larger buffer, and binaries nested in compounds
    const big = new Uint8Array(64);
    const enc = encode([new Uint8Array([7, 8]), new AmqpArray('binary', [new Uint8Array([9])])]);
    big.set(enc, 10);
    const view = big.subarray(10, 10 + enc.length);
    const list = decode(view);
    assert.ok(Array.isArray(list));
    const first = list[0];
    const arr = list[1];
    assert.ok(first instanceof Uint8Array && arr instanceof AmqpArray);
    const el = arr.elements[0];
    assert.ok(el instanceof Uint8Array);
    assert.equal(first.buffer, big.buffer);
    assert.equal(el.buffer, big.buffer);
    big.fill(0x55, 10);
    assert.deepEqual([...first], [0x55, 0x55]);
    assert.deepEqual([...el], [0x55]);
  });
});
