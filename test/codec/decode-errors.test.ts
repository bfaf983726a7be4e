/**
 * Bad input to the decoder: it throws nothing but DecodeError, naming what was wrong and where, and it
 * stays fast and bounded on any bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AmqpArray,
  type AmqpValue,
  type DecodeOptions,
  Described,
  decode,
  decodeAll,
  encode,
  symbol,
  uint,
  ulong,
} from '../../src/codec/index.js';
import { DecodeError } from '../../src/errors.js';
import { amqpValue, validEncodingBytes, WIDTHS } from '../support/arbitraries.js';

/** Every format code of AMQP 1.0 (0x00 is the described-value constructor). */
const KNOWN_CODES = new Set([
  0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x60, 0x61, 0x70, 0x71,
  0x72, 0x73, 0x74, 0x80, 0x81, 0x82, 0x83, 0x84, 0x94, 0x98, 0xa0, 0xa1, 0xa3, 0xb0, 0xb1, 0xb3, 0xc0, 0xc1,
  0xd0, 0xd1, 0xe0, 0xf0,
]);
/** The format codes that are a whole value on their own. */
const ONE_BYTE_VALUES = new Set([0x40, 0x41, 0x42, 0x43, 0x44, 0x45]);

interface Expect {
  /** Patterns the message must match. */
  message?: RegExp[];
  /** The offset, exactly, or as an inclusive range. */
  offset?: number | [number, number];
  options?: DecodeOptions;
  /** Use decodeAll rather than decode. */
  all?: boolean;
}

/** Decodes `bytes`, which must fail with a DecodeError as described; returns the error. */
function expectDecodeError(bytes: Uint8Array | number[], expect: Expect = {}): DecodeError {
  const input = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  let error: unknown;
  try {
    if (expect.all) decodeAll(input, expect.options);
    else decode(input, expect.options);
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, 'decoding should have failed');
  assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${String(error)}`);
  assert.equal(error.condition, 'amqp:decode-error');
  assert.equal(error.name, 'DecodeError');
  for (const p of expect.message ?? []) assert.match(error.message, p);
  assert.match(error.message, new RegExp(`\\(at byte ${error.offset}\\)`), 'the message names the offset');
  if (typeof expect.offset === 'number') assert.equal(error.offset, expect.offset, error.message);
  else if (expect.offset) {
    const [lo, hi] = expect.offset;
    assert.ok(
      error.offset >= lo && error.offset <= hi,
      `offset ${error.offset} not in [${lo}, ${hi}]: ${error.message}`,
    );
  }
  assert.ok(error.offset >= 0 && error.offset <= input.length, `offset ${error.offset} outside the input`);
  return error;
}

/** `depth` list32s, each holding the next, the innermost holding a null. */
function nestedLists(depth: number): Buffer {
  const total = depth * 9 + 1;
  const b = Buffer.alloc(total);
  for (let i = 0; i < depth; i++) {
    const at = i * 9;
    b[at] = 0xd0;
    b.writeUInt32BE(total - at - 5, at + 1);
    b.writeUInt32BE(1, at + 5);
  }
  b[total - 1] = 0x40;
  return b;
}

/** `depth` map32s, each mapping null to the next, the innermost mapping null to null. */
function nestedMaps(depth: number): Buffer {
  const total = depth * 10 + 1;
  const b = Buffer.alloc(total);
  for (let i = 0; i < depth; i++) {
    const at = i * 10;
    b[at] = 0xd1;
    b.writeUInt32BE(total - at - 5, at + 1);
    b.writeUInt32BE(2, at + 5);
    b[at + 9] = 0x40;
  }
  b[total - 1] = 0x40;
  return b;
}

/** `depth` described values, each with a null descriptor describing the next, the innermost a null. */
function nestedDescribed(depth: number): Buffer {
  const b = Buffer.alloc(depth * 2 + 1, 0x40);
  for (let i = 0; i < depth; i++) b[i * 2] = 0x00;
  return b;
}

/** `depth` array32s, each of one array, the innermost an empty array of null. */
function nestedArrays(depth: number): Buffer {
  let body = Buffer.from([0, 0, 0, 5, 0, 0, 0, 0, 0x40]);
  for (let i = 1; i < depth; i++) {
    const head = Buffer.alloc(9);
    head.writeUInt32BE(5 + body.length, 0);
    head.writeUInt32BE(1, 4);
    head[8] = 0xf0;
    body = Buffer.concat([head, body]);
  }
  return Buffer.concat([Buffer.from([0xf0]), body]);
}

/** Milliseconds `fn` takes. */
function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe('decode errors', () => {
  it('truncated input, at every cut of a valid encoding, is a DecodeError', () => {
    const samples: AmqpValue[] = [
      true,
      uint(70000),
      ulong(2n ** 64n - 1n),
      2n ** 60n,
      -1.5,
      new Date(0),
      'é😀'.repeat(100),
      new Uint8Array(300),
      symbol('amqp:open:list'),
      [1, 'two', [symbol('three')]],
      new Map<AmqpValue, AmqpValue>([[symbol('k'), 'v']]),
      new AmqpArray('int', [1, 2, 3], ulong(9)),
      new AmqpArray('string', ['a', 'bc']),
      new Described(ulong(0x70), [symbol('container'), null, uint(5)]),
    ];
    for (const v of samples) {
      for (const widths of WIDTHS) {
        const bytes = encode(v, { widths });
        for (let cut = 0; cut < bytes.length; cut++) {
          expectDecodeError(bytes.subarray(0, cut), { message: [/truncated/], offset: [0, cut] });
        }
      }
    }
    expectDecodeError([], { message: [/truncated/], offset: 0 });
  });

  it('truncated input is a DecodeError, for any value (property)', () => {
    fc.assert(
      fc.property(validEncodingBytes({ maxDepth: 2 }), fc.nat(), (bytes, n) => {
        // every cut of short encodings; of long ones, the first and last 64 and a random one
        const cuts = new Set<number>();
        for (let c = 0; c < bytes.length; c++) {
          if (bytes.length <= 256 || c < 64 || c >= bytes.length - 64) cuts.add(c);
        }
        cuts.add(n % bytes.length);
        for (const cut of cuts) {
          expectDecodeError(bytes.subarray(0, cut), { message: [/truncated/], offset: [0, cut] });
        }
        // and after a whole value, for decodeAll
        const two = Buffer.concat([bytes, bytes.subarray(0, n % bytes.length)]);
        if (n % bytes.length > 0) {
          expectDecodeError(two, { all: true, message: [/truncated/], offset: [bytes.length, two.length] });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('an unknown format code is a DecodeError naming the code, at its offset', () => {
    expectDecodeError([0x01], { message: [/unknown format code 0x01/], offset: 0 });
    expectDecodeError([0xff, 0, 0, 0, 0], { message: [/unknown format code 0xff/], offset: 0 });
    // inside a list: list8, size 2, count 1, then 0x01 at byte 3
    expectDecodeError([0xc0, 0x02, 0x01, 0x01], { message: [/unknown format code 0x01/], offset: 3 });
    // as an array's element constructor
    expectDecodeError([0xe0, 0x02, 0x01, 0x01, 0x00], { message: [/0x01/] });
    for (let code = 0; code < 256; code++) {
      const bytes = [code, ...new Array(40).fill(0)];
      if (!KNOWN_CODES.has(code)) {
        const hex = code.toString(16).padStart(2, '0');
        expectDecodeError(bytes, { message: [new RegExp(`unknown format code 0x${hex}`, 'i')], offset: 0 });
        expectDecodeError([0xe0, 0x02, 0x01, code, 0x00], {
          message: [new RegExp(`0x${hex}`, 'i')],
          offset: [0, 4],
        });
      } else if (ONE_BYTE_VALUES.has(code)) {
        decode(Uint8Array.of(code));
      } else {
        expectDecodeError([code], { message: [/truncated/] });
      }
    }
  });

  it('a size that overruns the buffer is a DecodeError', () => {
    // str32 claiming 1 GiB, with 3 bytes
    expectDecodeError([0xb1, 0x40, 0, 0, 0, 0x61, 0x62, 0x63], {
      message: [/string/, /1073741824/],
      offset: [0, 5],
    });
    expectDecodeError([0xa1, 0xc8, 0x61], { message: [/string/, /200/], offset: [0, 2] });
    expectDecodeError([0xb0, 0xff, 0xff, 0xff, 0xff, 0x00], { message: [/binary/], offset: [0, 5] });
    expectDecodeError([0xb3, 0x40, 0, 0, 0, 0x61], { message: [/symbol/], offset: [0, 5] });
    expectDecodeError([0xd0, 0x40, 0, 0, 0, 0, 0, 0, 1, 0x40], { message: [/list/], offset: [0, 5] });
    expectDecodeError([0xd1, 0x40, 0, 0, 0, 0, 0, 0, 2, 0x40, 0x40], { message: [/map/], offset: [0, 5] });
    expectDecodeError([0xf0, 0x40, 0, 0, 0, 0, 0, 0, 1, 0x40], { message: [/array/], offset: [0, 5] });
    // a string that runs past the end of its list, though not of the buffer
    expectDecodeError([0xc0, 0x03, 0x01, 0xa1, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f], { offset: [3, 5] });
    // a list whose size holds more than its elements
    expectDecodeError([0xc0, 0x03, 0x01, 0x40, 0x40], { message: [/list/] });
  });

  it('a count larger than its bytes could hold is a DecodeError', () => {
    // list32 claiming 2^31 elements in 10 bytes
    expectDecodeError([0xd0, 0, 0, 0, 5, 0x80, 0, 0, 0, 0x40], {
      message: [/list/, /2147483648/],
      offset: 0,
    });
    expectDecodeError([0xc0, 0x03, 0xc8, 0x40, 0x40], { message: [/list/, /200/], offset: 0 });
    expectDecodeError([0xd1, 0, 0, 0, 6, 0x7f, 0xff, 0xff, 0xfe, 0x40, 0x40], {
      message: [/map/, /2147483646/],
      offset: 0,
    });
    // array32 of int claiming 2^31 elements in 4 bytes of elements
    expectDecodeError([0xf0, 0, 0, 0, 9, 0x80, 0, 0, 0, 0x71, 0, 0, 0, 1], {
      message: [/array/, /2147483648/],
      offset: 0,
    });
    // zero-width elements are bounded at 65536
    expectDecodeError([0xf0, 0, 0, 0, 5, 0x80, 0, 0, 0, 0x40], {
      message: [/array/, /2147483648/],
      offset: 0,
    });
    expectDecodeError([0xf0, 0, 0, 0, 5, 0, 1, 0, 1, 0x40], { message: [/array/, /65537/], offset: 0 });
    const max = decode(Uint8Array.of(0xf0, 0, 0, 0, 5, 0, 1, 0, 0, 0x40));
    assert.ok(max instanceof AmqpArray && max.elements.length === 65536 && max.elementType === 'null');
  });

  it('a map with an odd count is a DecodeError', () => {
    expectDecodeError([0xc1, 0x02, 0x01, 0x40], { message: [/map/, /odd/], offset: 0 });
    expectDecodeError([0xd1, 0, 0, 0, 7, 0, 0, 0, 3, 0x40, 0x40, 0x40], {
      message: [/map/, /odd/],
      offset: 0,
    });
  });

  it('invalid UTF-8 in a string, or a non-ASCII symbol, is a DecodeError', () => {
    expectDecodeError([0xa1, 0x02, 0xc3, 0x28], { message: [/UTF-8/], offset: [0, 2] });
    for (const bad of [
      [0xc0, 0x80], // overlong
      [0xed, 0xa0, 0x80], // a surrogate
      [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
      [0xe2, 0x82], // cut short
      [0x80], // a lone continuation byte
      [0x61, 0xff], // never valid
    ]) {
      expectDecodeError([0xa1, bad.length, ...bad], { message: [/UTF-8/], offset: [0, 2] });
      expectDecodeError([0xb1, 0, 0, 0, bad.length, ...bad], { message: [/UTF-8/], offset: [0, 5] });
    }
    // in an array of strings
    expectDecodeError([0xe0, 0x05, 0x01, 0xa1, 0x02, 0xc3, 0x28], { message: [/UTF-8/] });
    expectDecodeError([0xa3, 0x01, 0x80], { message: [/symbol/, /ASCII/], offset: [0, 2] });
    expectDecodeError([0x73, 0x00, 0x11, 0x00, 0x00], { message: [/char/], offset: [0, 1] });
  });

  it('nesting deeper than maxDepth is a DecodeError (default 128, and a custom limit)', () => {
    const builders: Array<[string, (depth: number) => Buffer]> = [
      ['list', nestedLists],
      ['map', nestedMaps],
      ['described', nestedDescribed],
      ['array', nestedArrays],
    ];
    for (const [name, build] of builders) {
      assert.doesNotThrow(() => decode(build(128)), `${name} nested 128 deep must decode`);
      expectDecodeError(build(129), { message: [/nest/, /128/] });
      for (const maxDepth of [1, 4, 10]) {
        assert.doesNotThrow(() => decode(build(maxDepth), { maxDepth }), `${name} nested ${maxDepth} deep`);
        expectDecodeError(build(maxDepth + 1), {
          message: [/nest/, new RegExp(`${maxDepth}`)],
          options: { maxDepth },
        });
      }
    }
    expectDecodeError(nestedLists(5), { options: { maxDepth: 4 }, offset: 4 * 9 });
    expectDecodeError(nestedDescribed(5), { options: { maxDepth: 4 }, offset: 4 * 2 });
  });

  it('100,000 nested lists fail fast with a DecodeError, not a stack overflow', () => {
    // 100,002 bytes of list8 headers (size 255, count 1), each opening the next
    const list8s = Buffer.alloc(100_002);
    for (let i = 0; i < list8s.length; i += 3) list8s.set([0xc0, 0xff, 0x01], i);
    // 100,000 list32s nested with consistent sizes: only the depth limit stops them
    const list32s = nestedLists(100_000);
    for (const bytes of [list8s, list32s]) {
      const ms = timed(() => expectDecodeError(bytes));
      assert.ok(ms < 1000, `took ${ms} ms`);
      expectDecodeError(bytes, { all: true });
    }
    expectDecodeError(list32s, { message: [/nest/] });
    expectDecodeError(nestedDescribed(100_000), { message: [/nest/] });
  });

  it('a limit raised past what the stack holds still fails with a DecodeError', () => {
    for (const bytes of [nestedLists(100_000), nestedDescribed(100_000), nestedMaps(100_000)]) {
      try {
        decode(bytes, { maxDepth: 1_000_000 });
      } catch (e) {
        assert.ok(e instanceof DecodeError, `expected a DecodeError, got ${String(e)}`);
      }
    }
  });

  it('trailing bytes after the value are a DecodeError for decode(), not for decodeAll()', () => {
    const one = encode(1);
    const bytes = Buffer.concat([one, Buffer.from([0x40])]);
    expectDecodeError(bytes, { message: [/after the value/], offset: one.length });
    assert.deepEqual(decodeAll(bytes), [1, null]);
    const two = Buffer.concat([encode('a'), encode([1, 2])]);
    expectDecodeError(two, { offset: encode('a').length });
    assert.deepEqual(decodeAll(new Uint8Array(0)), []);
  });

  it('zero-width array elements are bounded per decode, not per array, so nesting cannot amplify them', () => {
    // An array32 of 100 array32s, each claiming 65,536 nulls in 9 bytes: 910 bytes asking for 6.5 million.
    const inner = Buffer.from([0xf0, 0, 0, 0, 5, 0, 1, 0, 0, 0x40]);
    const body = Buffer.concat(Array.from({ length: 100 }, () => inner.subarray(1)));
    const head = Buffer.alloc(9);
    head[0] = 0xf0;
    head.writeUInt32BE(4 + 1 + body.length, 1);
    head.writeUInt32BE(100, 5);
    const bytes = Buffer.concat([head, Buffer.from([0xf0]), body]);
    expectDecodeError(bytes, { message: [/claims 65536 null elements/] });
    // One such array alone is within the bound.
    assert.equal((decode(inner) as AmqpArray).elements.length, 65536);
  });

  it('input that is not bytes is a DecodeError', () => {
    for (const bad of ['abc', null, undefined, 42, [0x40], {}]) {
      assert.throws(
        () => decode(bad as unknown as Uint8Array),
        (e: unknown) => e instanceof DecodeError,
      );
    }
  });
});

/** The element types whose elements may take no bytes (null, true, uint0, ulong0, list0). */
const ZERO_WIDTH_TYPES = new Set(['null', 'boolean', 'uint', 'ulong', 'list']);
const ZERO_WIDTH_LIMIT = 65536;

/** Fails if a decoded value holds more elements than `n` input bytes could justify. */
function checkBounded(v: AmqpValue, n: number): void {
  if (Array.isArray(v)) {
    assert.ok(v.length <= n, `a list of ${v.length} elements from ${n} bytes`);
    for (const e of v) checkBounded(e, n);
  } else if (v instanceof Map) {
    assert.ok(v.size * 2 <= n, `a map of ${v.size} entries from ${n} bytes`);
    for (const [k, e] of v) {
      checkBounded(k, n);
      checkBounded(e, n);
    }
  } else if (v instanceof AmqpArray) {
    const limit = ZERO_WIDTH_TYPES.has(v.elementType) ? Math.max(n, ZERO_WIDTH_LIMIT) : n;
    assert.ok(
      v.elements.length <= limit,
      `an array of ${v.elements.length} ${v.elementType} from ${n} bytes`,
    );
    if (v.descriptor !== undefined) checkBounded(v.descriptor, n);
    for (const e of v.elements) checkBounded(e, n);
  } else if (v instanceof Described) {
    checkBounded(v.descriptor, n);
    checkBounded(v.value, n);
  } else if (typeof v === 'string' || v instanceof Uint8Array) {
    assert.ok(v.length <= n, `${v.length} characters or bytes from ${n} bytes`);
  }
}

let slowest = 0;

/** Decodes `bytes` every way: each succeeds with a bounded value or fails with a DecodeError, quickly. */
function decodesSafely(bytes: Uint8Array): void {
  const runs: Array<() => AmqpValue | AmqpValue[]> = [
    () => decode(bytes),
    () => decodeAll(bytes),
    () => decode(bytes, { maxDepth: 2 }),
  ];
  for (const run of runs) {
    const ms = timed(() => {
      try {
        const v = run();
        checkBounded(v as AmqpValue, bytes.length);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw new Error(`decoding threw ${String(e)}, not a DecodeError`);
        assert.ok(
          e.offset >= 0 && e.offset <= bytes.length,
          `offset ${e.offset} outside ${bytes.length} bytes`,
        );
        assert.ok(e.message.includes(`(at byte ${e.offset})`));
      }
    });
    slowest = Math.max(slowest, ms);
    assert.ok(ms < 500, `one decode took ${ms} ms`);
  }
}

type Mutation = { kind: 'set' | 'insert' | 'delete' | 'truncate' | 'bump'; pos: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('set', 'set', 'insert', 'delete', 'truncate', 'bump'),
  pos: fc.nat(),
  byte: fc.oneof(fc.constantFrom(0x00, 0x01, 0x40, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })),
});

/** Applies the mutations in turn to a copy of `bytes`. */
function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  const b = [...bytes];
  for (const m of mutations) {
    const pos = b.length === 0 ? 0 : m.pos % b.length;
    switch (m.kind) {
      case 'set':
        if (b.length > 0) b[pos] = m.byte;
        break;
      case 'insert':
        b.splice(pos, 0, m.byte);
        break;
      case 'delete':
        b.splice(pos, 1);
        break;
      case 'truncate':
        b.length = pos;
        break;
      case 'bump':
        if (b.length > 0) b[pos] = (b[pos]! + (m.byte & 1 ? 1 : 255)) & 0xff;
        break;
    }
  }
  return Uint8Array.from(b);
}

describe('decoding arbitrary bytes (fuzz)', () => {
  const started = performance.now();

  it('random bytes decode or fail with a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => decodesSafely(bytes)),
      { numRuns: 2000 },
    );
  });

  it('random sequences of format codes and small bytes decode or fail with a DecodeError', () => {
    const interesting = fc.oneof(
      fc.constantFrom(...KNOWN_CODES),
      fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(interesting, { maxLength: 512 }), (codes) =>
        decodesSafely(Uint8Array.from(codes)),
      ),
      { numRuns: 2000 },
    );
  });

  it('mutated valid encodings decode or fail with a DecodeError', () => {
    fc.assert(
      fc.property(
        validEncodingBytes({ maxDepth: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        (bytes, ms) => decodesSafely(mutate(bytes, ms)),
      ),
      { numRuns: 2000 },
    );
  });

  it('valid encodings with one byte changed decode or fail with a DecodeError', () => {
    fc.assert(
      fc.property(
        amqpValue({ maxDepth: 2 }),
        fc.constantFrom(...WIDTHS),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (v, widths, pos, byte) => {
          const bytes = Uint8Array.from(encode(v, { widths }));
          bytes[pos % bytes.length] = byte;
          decodesSafely(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the fuzzing finished in bounded time', (t) => {
    const total = performance.now() - started;
    t.diagnostic(`fuzzing took ${total.toFixed(0)} ms; the slowest decode ${slowest.toFixed(1)} ms`);
    assert.ok(total < 60_000, `fuzzing took ${total} ms`);
    assert.ok(slowest < 500, `the slowest decode took ${slowest} ms`);
  });
});
