/** RFC 1982 serial-number arithmetic over 32 bits, checked near the 2^32 wrap and at random. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  SERIAL_UNDEFINED,
  serialAdd,
  serialDiff,
  serialGt,
  serialGte,
  serialLt,
  serialLte,
} from '../../src/util/serial.js';

const MAX = 0xffffffff;
const HALF = 0x80000000;
const RUNS = 2000;

/** A serial number, biased towards both ends of the range, where the wrap is. */
const serial = fc.oneof(
  fc.integer({ min: 0, max: MAX }),
  fc.integer({ min: MAX - 1000, max: MAX }),
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: HALF - 1000, max: HALF + 1000 }),
);
/** A distance a window can span: 0 to 2^31-1. */
const step = fc.oneof(fc.integer({ min: 0, max: HALF - 1 }), fc.integer({ min: 0, max: 100 }));

describe('serialAdd', () => {
  it('wraps modulo 2^32', () => {
    assert.equal(serialAdd(MAX, 1), 0);
    assert.equal(serialAdd(MAX, 2), 1);
    assert.equal(serialAdd(0, -1), MAX);
    assert.equal(serialAdd(5, 0), 5);
    assert.equal(serialAdd(HALF, HALF), 0);
  });

  it('stays in 0..2^32-1 and agrees with bigint arithmetic', () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: -MAX, max: MAX }), (a, n) => {
        const r = serialAdd(a, n);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= MAX);
        assert.equal(BigInt(r), (((BigInt(a) + BigInt(n)) % 0x100000000n) + 0x100000000n) % 0x100000000n);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('serialDiff', () => {
  it('is the signed distance b - a across the wrap', () => {
    assert.equal(serialDiff(MAX, 0), 1);
    assert.equal(serialDiff(0, MAX), -1);
    assert.equal(serialDiff(MAX - 1, 3), 5);
    assert.equal(serialDiff(3, MAX - 1), -5);
    assert.equal(serialDiff(7, 7), 0);
    assert.equal(serialDiff(0, HALF - 1), HALF - 1);
    assert.equal(serialDiff(HALF - 1, 0), -(HALF - 1));
  });

  it('gives SERIAL_UNDEFINED at exactly 2^31 apart', () => {
    assert.equal(serialDiff(0, HALF), SERIAL_UNDEFINED);
    assert.equal(serialDiff(HALF, 0), SERIAL_UNDEFINED);
    assert.equal(serialDiff(MAX, HALF - 1), SERIAL_UNDEFINED);
  });

  it('inverts serialAdd for steps below 2^31', () => {
    fc.assert(
      fc.property(serial, step, (a, n) => {
        assert.equal(serialDiff(a, serialAdd(a, n)), n);
        assert.equal(serialDiff(serialAdd(a, n), a), n === 0 ? 0 : -n);
      }),
      { numRuns: RUNS },
    );
  });

  it('is antisymmetric, and always in [-2^31, 2^31)', () => {
    fc.assert(
      fc.property(serial, serial, (a, b) => {
        const d = serialDiff(a, b);
        assert.ok(Number.isInteger(d) && d >= -HALF && d < HALF);
        if (d !== SERIAL_UNDEFINED) assert.equal(serialDiff(b, a), d === 0 ? 0 : -d);
        assert.equal(serialAdd(a, d), b);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('serial comparisons', () => {
  it('order numbers across the wrap', () => {
    assert.ok(serialLt(MAX, 0));
    assert.ok(serialGt(0, MAX));
    assert.ok(!serialLt(0, MAX));
    assert.ok(serialLte(MAX, 0) && serialLte(4, 4));
    assert.ok(serialGte(0, MAX) && serialGte(4, 4));
    assert.ok(serialLt(HALF - 1, HALF));
    assert.ok(serialLt(0, HALF - 1));
  });

  it('are all false in the undefined case', () => {
    for (const [a, b] of [
      [0, HALF],
      [HALF, 0],
      [MAX, HALF - 1],
    ] as const) {
      assert.ok(!serialLt(a, b) && !serialLte(a, b) && !serialGt(a, b) && !serialGte(a, b));
    }
  });

  it('a + n comes after a for 0 < n < 2^31', () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: 1, max: HALF - 1 }), (a, n) => {
        const b = serialAdd(a, n);
        assert.ok(serialLt(a, b) && serialLte(a, b) && serialGt(b, a) && serialGte(b, a));
        assert.ok(!serialGt(a, b) && !serialGte(a, b) && !serialLt(b, a) && !serialLte(b, a));
      }),
      { numRuns: RUNS },
    );
  });

  it('are consistent with one another for any pair', () => {
    fc.assert(
      fc.property(serial, serial, (a, b) => {
        assert.equal(serialGt(a, b), serialLt(b, a));
        assert.equal(serialGte(a, b), serialLte(b, a));
        assert.equal(serialLte(a, b), a === b || serialLt(a, b));
        if (a === b) assert.ok(!serialLt(a, b) && serialLte(a, b));
        else if (serialDiff(a, b) !== SERIAL_UNDEFINED) assert.notEqual(serialLt(a, b), serialLt(b, a));
      }),
      { numRuns: RUNS },
    );
  });

  it('agree with plain order when no wrap lies between the numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HALF - 1 }), fc.integer({ min: 0, max: HALF - 1 }), (a, b) => {
        assert.equal(serialLt(a, b), a < b);
        assert.equal(serialGte(a, b), a >= b);
      }),
      { numRuns: RUNS },
    );
  });
});
