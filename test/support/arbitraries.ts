/**
 * fast-check arbitraries of AMQP values in their canonical decoded form: for every generated `v`,
 * `decode(encode(v))` is `amqpEquals` to `v` and has the same JavaScript shape (a long past 2^53 is a
 * bigint, a whole double is a `Double`, a timestamp in range is a `Date`...). `canonicalProblem` checks
 * that shape, so a test can hold decoded values to it too.
 */
import fc from 'fast-check';
import { type EncodeOptions, encode } from '../../src/codec/index.js';
import {
  AmqpArray,
  AmqpSymbol,
  type AmqpTypeName,
  type AmqpValue,
  Byte,
  Char,
  Decimal32,
  Decimal64,
  Decimal128,
  Described,
  Double,
  Float,
  Int,
  LONG_MAX,
  LONG_MIN,
  Short,
  Timestamp,
  UByte,
  UInt,
  ULong,
  UShort,
  Uuid,
} from '../../src/codec/types.js';
import { AMQP_TYPE_NAMES } from './typed-json.js';

/** The largest magnitude of a `Date`, in milliseconds from the epoch. */
export const MAX_DATE_MS = 8.64e15;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const SAFE = BigInt(MAX_SAFE);
const ULONG_MAX = 0xffffffffffffffffn;
const TWO_63 = 2 ** 63;

/** Every AMQP type an array can hold. */
export const ELEMENT_TYPES: readonly AmqpTypeName[] = AMQP_TYPE_NAMES;

/** The array element types whose elements nest other values. */
const COMPOUND_TYPES = new Set<AmqpTypeName>(['list', 'map', 'array']);

/** True when the encoder writes the number `d` as a long rather than a double. */
export function isLongNumber(d: number): boolean {
  return Number.isInteger(d) && !Object.is(d, -0) && d >= -TWO_63 && d < TWO_63;
}

/** Integers from `min` to `max`, often their edges (and 0, 1, -1 when in range). */
function ints(min: number, max: number, ...extra: number[]): fc.Arbitrary<number> {
  const edges = [...new Set([min, max, 0, 1, -1, ...extra])].filter((v) => v >= min && v <= max);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...edges), weight: 1 },
    { arbitrary: fc.integer({ min, max }), weight: 3 },
  );
}

/** Bigints from `min` to `max`, often their edges. */
function bigints(min: bigint, max: bigint, ...extra: bigint[]): fc.Arbitrary<bigint> {
  const edges = [...new Set([min, max, ...extra])].filter((v) => v >= min && v <= max);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...edges), weight: 1 },
    { arbitrary: fc.bigInt(min, max), weight: 3 },
  );
}

/** A long in canonical form: a number when safe, a bigint past `Number.MAX_SAFE_INTEGER` either way. */
const longPlain: fc.Arbitrary<number | bigint> = fc.oneof(
  ints(-MAX_SAFE, MAX_SAFE, 127, -128, 128, -129, 2 ** 31, -(2 ** 31) - 1),
  bigints(SAFE + 1n, LONG_MAX, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n),
  bigints(LONG_MIN, -SAFE - 1n, -(2n ** 53n), -(2n ** 53n) - 1n),
);

/** A ulong as an array element: a number when safe, else a bigint. */
const ulongPlain: fc.Arbitrary<number | bigint> = fc.oneof(
  ints(0, MAX_SAFE, 255, 256),
  bigints(SAFE + 1n, ULONG_MAX, 2n ** 63n),
);

/** Any double as a plain number (the form of an array element): whole, fractional, NaN, -0, infinities. */
const doublePlain: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, -0, Infinity, -Infinity, 2 ** 63, -TWO_63, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.maxSafeInteger(),
);

/** A double in canonical form: a `Double` when it is a whole number a long could hold, else a number. */
const doubleValue: fc.Arbitrary<number | Double> = fc
  .oneof(
    doublePlain,
    fc.constantFrom(0, 2, -1, -TWO_63, TWO_63 - 1024, 2 ** 53, 2 ** 53 + 2, 2 ** 63, -TWO_63 - 2048, 0.5),
  )
  .map((d) => (isLongNumber(d) ? new Double(d) : d));

/** A float's value (already single precision), edges included. */
const floatPlain: fc.Arbitrary<number> = fc.oneof(
  fc.float(),
  fc.constantFrom(
    Number.NaN,
    -0,
    0,
    Infinity,
    -Infinity,
    Math.fround(3.4028234663852886e38),
    Math.fround(1e-45),
  ),
);

/** Code points over the whole range, surrogates included (a char is UTF-32 on the wire). */
const codePoint: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 0x7f, 0x80, 0x7ff, 0x800, 0xd800, 0xdfff, 0xfffd, 0xffff, 0x10000, 0x10ffff),
  fc.integer({ min: 0, max: 0x10ffff }),
);

const asciiUnit = fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c));
const astralUnit = fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

/** Strings over all of Unicode (no lone surrogates: UTF-8 cannot carry them), empty and past 255 bytes. */
const stringPlain: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 4 },
  { arbitrary: fc.string({ unit: astralUnit, maxLength: 4 }), weight: 1 },
  { arbitrary: fc.constantFrom('', '__proto__', 'é', '😀'), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 70, maxLength: 300 }), weight: 1 },
);

/** ASCII text for symbols, empty and longer than 255 characters. */
const symbolPlain: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: asciiUnit, maxLength: 12 }), weight: 4 },
  { arbitrary: fc.constantFrom('', 'amqp:open:list', 'x-opt-jms-dest', '\x7f'), weight: 1 },
  { arbitrary: fc.string({ unit: asciiUnit, minLength: 256, maxLength: 300 }), weight: 1 },
);

/** Binary values: empty, short, and longer than 255 bytes. */
const binaryPlain: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 16 }), weight: 4 },
  { arbitrary: fc.constant(new Uint8Array(0)), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 256, maxLength: 300 }), weight: 1 },
);

const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** A timestamp's milliseconds beyond the range of `Date`, as a bigint. */
const farTimestamp: fc.Arbitrary<bigint> = fc.oneof(
  bigints(BigInt(MAX_DATE_MS) + 1n, LONG_MAX, SAFE + 1n),
  bigints(LONG_MIN, -BigInt(MAX_DATE_MS) - 1n),
);

const dateValue: fc.Arbitrary<Date> = ints(-MAX_DATE_MS, MAX_DATE_MS).map((ms) => new Date(ms));

/** Every AMQP primitive (no lists, maps, arrays or described values) in canonical form. */
export const primitiveValue: fc.Arbitrary<AmqpValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  ints(0, 0xff).map((v) => new UByte(v)),
  ints(0, 0xffff).map((v) => new UShort(v)),
  ints(0, 0xffffffff, 255, 256).map((v) => new UInt(v)),
  bigints(0n, ULONG_MAX, 1n, 255n, 256n, SAFE, SAFE + 1n).map((v) => new ULong(v)),
  ints(-0x80, 0x7f).map((v) => new Byte(v)),
  ints(-0x8000, 0x7fff).map((v) => new Short(v)),
  ints(-0x80000000, 0x7fffffff, 127, -128, 128, -129).map((v) => new Int(v)),
  longPlain,
  floatPlain.map((v) => new Float(v)),
  doubleValue,
  bytesOf(4).map((b) => new Decimal32(b)),
  bytesOf(8).map((b) => new Decimal64(b)),
  bytesOf(16).map((b) => new Decimal128(b)),
  codePoint.map((cp) => new Char(cp)),
  dateValue,
  farTimestamp.map((ms) => new Timestamp(ms)),
  bytesOf(16).map((b) => new Uuid(b)),
  binaryPlain,
  stringPlain,
  symbolPlain.map((s) => new AmqpSymbol(s)),
);

/** Common descriptors: ulongs (including the spec's 0x10-0x78 codes), symbols, and small other values. */
const descriptorValue: fc.Arbitrary<AmqpValue> = fc.oneof(
  {
    arbitrary: bigints(0n, ULONG_MAX, 0x10n, 0x53n, 0x70n, 0x77n, 0x78n).map((v) => new ULong(v)),
    weight: 3,
  },
  { arbitrary: symbolPlain.map((s) => new AmqpSymbol(s)), weight: 2 },
  { arbitrary: primitiveValue, weight: 1 },
);

/** The arbitraries of one nesting budget: values, arrays, and array elements by type. */
interface Level {
  value: fc.Arbitrary<AmqpValue>;
  array: fc.Arbitrary<AmqpArray> | undefined;
}

const levels = new Map<number, Level>();

/**
 * The arbitraries of values nesting at most `depth` compound levels (lists, maps, arrays, described
 * values): depth 0 is primitives only.
 */
function level(depth: number): Level {
  const cached = levels.get(depth);
  if (cached) return cached;
  let result: Level;
  if (depth <= 0) {
    result = { value: primitiveValue, array: undefined };
  } else {
    const inner = level(depth - 1).value;
    const list = fc.array(inner, { maxLength: 5 });
    const key = fc.oneof(
      { arbitrary: inner, weight: 4 },
      { arbitrary: fc.constantFrom<AmqpValue>('__proto__', 'constructor', 'toString'), weight: 1 },
      { arbitrary: symbolPlain.map((s) => new AmqpSymbol(s)), weight: 1 },
    );
    const map = fc.array(fc.tuple(key, inner), { maxLength: 4 }).map((entries) => new Map(entries));
    const array = arrayOf(depth);
    const described = fc
      .tuple(fc.oneof(descriptorValue, inner), inner)
      .map(([descriptor, value]) => new Described(descriptor, value));
    result = {
      value: fc.oneof(
        { arbitrary: primitiveValue, weight: 6 },
        { arbitrary: list, weight: 2 },
        { arbitrary: map, weight: 2 },
        { arbitrary: array, weight: 2 },
        { arbitrary: described, weight: 2 },
      ),
      array,
    };
  }
  levels.set(depth, result);
  return result;
}

/** Elements of an array of `type`, in plain form, for an array allowed `depth` levels (itself included). */
function elementOf(type: AmqpTypeName, depth: number): fc.Arbitrary<AmqpValue> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'ubyte':
      return ints(0, 0xff);
    case 'ushort':
      return ints(0, 0xffff);
    case 'uint':
      return ints(0, 0xffffffff, 255, 256);
    case 'ulong':
      return ulongPlain;
    case 'byte':
      return ints(-0x80, 0x7f);
    case 'short':
      return ints(-0x8000, 0x7fff);
    case 'int':
      return ints(-0x80000000, 0x7fffffff, 127, -128, 128, -129);
    case 'long':
      return longPlain;
    case 'float':
      return floatPlain;
    case 'double':
      return doublePlain;
    case 'decimal32':
      return bytesOf(4);
    case 'decimal64':
      return bytesOf(8);
    case 'decimal128':
      return bytesOf(16);
    case 'char':
      return codePoint.map((cp) => String.fromCodePoint(cp));
    case 'timestamp':
      return fc.oneof(dateValue, farTimestamp);
    case 'uuid':
      return bytesOf(16).map((b) => new Uuid(b));
    case 'binary':
      return binaryPlain;
    case 'string':
      return stringPlain;
    case 'symbol':
      return symbolPlain;
    case 'list':
      return fc.array(level(depth - 2).value, { maxLength: 3 });
    case 'map':
      return fc
        .array(fc.tuple(level(depth - 2).value, level(depth - 2).value), { maxLength: 3 })
        .map((entries) => new Map(entries));
    case 'array':
      return arrayOf(depth - 1);
  }
}

/** Arrays of every element type (compound ones when `depth` allows), described or not, empty or not. */
function arrayOf(depth: number): fc.Arbitrary<AmqpArray> {
  const types = ELEMENT_TYPES.filter((t) => depth >= 2 || !COMPOUND_TYPES.has(t));
  return fc
    .constantFrom(...types)
    .chain((type) =>
      fc
        .tuple(
          fc.array(elementOf(type, depth), { maxLength: COMPOUND_TYPES.has(type) ? 3 : 8 }),
          fc.option(descriptorValue, { nil: undefined, freq: 4 }),
        )
        .map(([elements, descriptor]) => new AmqpArray(type, elements, descriptor)),
    );
}

/** Options of {@link amqpValue}. */
export interface AmqpValueOptions {
  /** How many levels of lists, maps, arrays and described values may nest. @default 3 */
  maxDepth?: number;
}

/** Any AMQP value, in the canonical form the decoder produces. */
export function amqpValue(options: AmqpValueOptions = {}): fc.Arbitrary<AmqpValue> {
  return level(options.maxDepth ?? 3).value;
}

/** The widths options of the encoder. */
export const WIDTHS: readonly NonNullable<EncodeOptions['widths']>[] = ['compact', 'proton-0.37'];

/** The encoding, in either width mode, of a value from {@link amqpValue}. */
export function validEncodingBytes(options: AmqpValueOptions = {}): fc.Arbitrary<Buffer> {
  return fc
    .tuple(amqpValue(options), fc.constantFrom(...WIDTHS))
    .map(([value, widths]) => encode(value, { widths }));
}

/**
 * Where a decoded value departs from the canonical form (a bigint that a number could hold exactly, a
 * `Double` that is not a whole number, a `Timestamp` that a `Date` could hold, an array element not in
 * plain form...), as a path and a reason; undefined when it is canonical.
 */
export function canonicalProblem(v: unknown, path = '$'): string | undefined {
  if (typeof v === 'bigint') {
    return v >= -SAFE && v <= SAFE ? `${path}: bigint ${v} is a safe integer (expected a number)` : undefined;
  }
  if (typeof v === 'number') {
    // A whole number past the safe range that a long holds is a long that lost its bigint form.
    return isLongNumber(v) && !Number.isSafeInteger(v)
      ? `${path}: number ${v} is an unsafe long (expected a bigint)`
      : undefined;
  }
  if (v instanceof Double) {
    return isLongNumber(v.value) ? undefined : `${path}: Double(${v.value}) is not a whole long-range number`;
  }
  if (v instanceof Timestamp) {
    return v.value >= -BigInt(MAX_DATE_MS) && v.value <= BigInt(MAX_DATE_MS)
      ? `${path}: Timestamp(${v.value}) fits a Date`
      : undefined;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? `${path}: invalid Date` : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = canonicalProblem(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (v instanceof Map) {
    let i = 0;
    for (const [k, value] of v) {
      const p = canonicalProblem(k, `${path}.key${i}`) ?? canonicalProblem(value, `${path}.value${i}`);
      if (p) return p;
      i++;
    }
    return undefined;
  }
  if (v instanceof Described) {
    return canonicalProblem(v.descriptor, `${path}.descriptor`) ?? canonicalProblem(v.value, `${path}.value`);
  }
  if (v instanceof AmqpArray) {
    if (v.descriptor !== undefined) {
      const p = canonicalProblem(v.descriptor, `${path}.descriptor`);
      if (p) return p;
    }
    for (let i = 0; i < v.elements.length; i++) {
      const p = elementProblem(v.elementType, v.elements[i], `${path}.elements[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  return undefined;
}

function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && v >= min && v <= max;
}

/** Like {@link canonicalProblem}, for an element of an array of `type`. */
function elementProblem(type: AmqpTypeName, e: unknown, path: string): string | undefined {
  const bad = (expected: string) =>
    `${path}: ${describe(e)} is not the plain form of a ${type} (${expected})`;
  switch (type) {
    case 'null':
      return e === null ? undefined : bad('null');
    case 'boolean':
      return typeof e === 'boolean' ? undefined : bad('a boolean');
    case 'ubyte':
      return isIntIn(e, 0, 0xff) ? undefined : bad('a number');
    case 'ushort':
      return isIntIn(e, 0, 0xffff) ? undefined : bad('a number');
    case 'uint':
      return isIntIn(e, 0, 0xffffffff) ? undefined : bad('a number');
    case 'byte':
      return isIntIn(e, -0x80, 0x7f) ? undefined : bad('a number');
    case 'short':
      return isIntIn(e, -0x8000, 0x7fff) ? undefined : bad('a number');
    case 'int':
      return isIntIn(e, -0x80000000, 0x7fffffff) ? undefined : bad('a number');
    case 'ulong':
    case 'long': {
      const min = type === 'ulong' ? 0 : -MAX_SAFE;
      if (isIntIn(e, min, MAX_SAFE)) return undefined;
      if (typeof e === 'bigint' && (e > SAFE || (type === 'long' && e < -SAFE))) return undefined;
      return bad('a safe number, or a bigint beyond');
    }
    case 'float':
      return typeof e === 'number' && Object.is(Math.fround(e), e)
        ? undefined
        : bad('a single-precision number');
    case 'double':
      return typeof e === 'number' ? undefined : bad('a number');
    case 'decimal32':
    case 'decimal64':
    case 'decimal128': {
      const n = type === 'decimal32' ? 4 : type === 'decimal64' ? 8 : 16;
      return e instanceof Uint8Array && e.length === n ? undefined : bad(`${n} bytes`);
    }
    case 'binary':
      return e instanceof Uint8Array ? undefined : bad('a Uint8Array');
    case 'uuid':
      return e instanceof Uuid ? undefined : bad('a Uuid');
    case 'char':
      return typeof e === 'string' && [...e].length === 1 ? undefined : bad('a one-code-point string');
    case 'string':
      return typeof e === 'string' ? undefined : bad('a string');
    case 'symbol':
      return typeof e === 'string' && isAscii(e) ? undefined : bad('an ASCII string');
    case 'timestamp':
      if (e instanceof Date) return canonicalProblem(e, path);
      if (typeof e === 'bigint' && (e > BigInt(MAX_DATE_MS) || e < -BigInt(MAX_DATE_MS))) return undefined;
      return bad('a Date, or a bigint beyond the range of Date');
    case 'list':
      return Array.isArray(e) ? canonicalProblem(e, path) : bad('an Array');
    case 'map':
      return e instanceof Map ? canonicalProblem(e, path) : bad('a Map');
    case 'array':
      return e instanceof AmqpArray ? canonicalProblem(e, path) : bad('an AmqpArray');
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return `a ${v.constructor?.name ?? 'object'}`;
}
