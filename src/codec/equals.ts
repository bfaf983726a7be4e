/**
 * Structural equality of AMQP values: two values are equal when they stand for the same AMQP type and
 * the same value, at every depth.
 */
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
  Short,
  Timestamp,
  UByte,
  UInt,
  ULong,
  UShort,
  Uuid,
} from './types.js';

/** The smallest number past the top of the long range (2^63); -2^63 itself is a long. */
const TWO_POW_63 = 2 ** 63;

/** What a value is compared as: an AMQP type name, or 'described', or 'unknown' for anything else. */
type Kind = AmqpTypeName | 'described' | 'unknown';

/** True when the encoder writes the number `n` as a long: a whole number (not -0) within the long range. */
function isLongNumber(n: number): boolean {
  return Number.isInteger(n) && !Object.is(n, -0) && n >= -TWO_POW_63 && n < TWO_POW_63;
}

/** The AMQP type a JavaScript value stands for, following the encoder's default mapping. */
function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return isLongNumber(v) ? 'long' : 'double';
    case 'bigint':
      return 'long';
    case 'string':
      return 'string';
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      return 'unknown';
  }
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'binary';
  if (v instanceof Date || v instanceof Timestamp) return 'timestamp';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'map';
  if (
    v instanceof UByte ||
    v instanceof UShort ||
    v instanceof UInt ||
    v instanceof ULong ||
    v instanceof Byte ||
    v instanceof Short ||
    v instanceof Int ||
    v instanceof Float ||
    v instanceof Double ||
    v instanceof Decimal32 ||
    v instanceof Decimal64 ||
    v instanceof Decimal128 ||
    v instanceof Char ||
    v instanceof Uuid ||
    v instanceof AmqpSymbol ||
    v instanceof AmqpArray ||
    v instanceof Described
  ) {
    return v.type;
  }
  return 'unknown';
}

/** True when two byte sequences have the same length and content. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A number or bigint as a bigint when it is a whole number, so longs compare exactly whatever their form. */
function asInteger(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

/** Two numbers or bigints as the same whole number, or, when either is not whole, with `Object.is`. */
function sameInteger(a: unknown, b: unknown): boolean {
  const x = asInteger(a);
  const y = asInteger(b);
  if (x === undefined || y === undefined || Object.is(a, -0) || Object.is(b, -0)) return Object.is(a, b);
  return x === y;
}

/** The milliseconds of a timestamp in any of its forms (`Date`, {@link Timestamp}, bigint, number). */
function timestampMillis(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (v instanceof Timestamp) return v.value;
  return v;
}

/** The number held by a number or a numeric wrapper; anything else unchanged. */
function plainNumber(v: unknown): unknown {
  if (
    v instanceof UByte ||
    v instanceof UShort ||
    v instanceof UInt ||
    v instanceof Byte ||
    v instanceof Short ||
    v instanceof Int ||
    v instanceof Float ||
    v instanceof Double
  ) {
    return v.value;
  }
  return v;
}

/** The string held by a string, {@link AmqpSymbol} or {@link Char}; anything else unchanged. */
function plainString(v: unknown): unknown {
  if (v instanceof AmqpSymbol) return v.value;
  if (v instanceof Char) return v.toString();
  return v;
}

/** The bytes held by a `Uint8Array`, a decimal or a {@link Uuid}; undefined for anything else. */
function plainBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof Decimal32 || v instanceof Decimal64 || v instanceof Decimal128 || v instanceof Uuid) {
    return v.bytes;
  }
  return undefined;
}

/**
 * Equality of two elements of an array of `type`. Array elements are held in their plain form (a
 * number for a ubyte, a string for a symbol...), and wrappers of the element type are accepted too, so
 * both are brought to the plain form before comparing.
 */
function elementEquals(type: AmqpTypeName, a: unknown, b: unknown): boolean {
  switch (type) {
    case 'null':
      return a == null && b == null;
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
    case 'double':
      return Object.is(plainNumber(a), plainNumber(b));
    case 'float': {
      const x = plainNumber(a);
      const y = plainNumber(b);
      if (typeof x === 'number' && typeof y === 'number') return Object.is(Math.fround(x), Math.fround(y));
      return Object.is(x, y);
    }
    case 'long':
      return sameInteger(a, b);
    case 'ulong':
      return sameInteger(a instanceof ULong ? a.value : a, b instanceof ULong ? b.value : b);
    case 'timestamp':
      return sameInteger(timestampMillis(a), timestampMillis(b));
    case 'char':
    case 'symbol':
    case 'string':
      return plainString(a) === plainString(b) && typeof plainString(a) === 'string';
    case 'binary':
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
    case 'uuid': {
      const x = plainBytes(a);
      const y = plainBytes(b);
      return x !== undefined && y !== undefined && bytesEqual(x, y);
    }
    default:
      return amqpEquals(a as AmqpValue, b as AmqpValue);
  }
}

/**
 * Deep equality of two AMQP values that also compares their AMQP types.
 *
 * Two values are equal when they stand for the same AMQP type and value, as the encoder maps them:
 *
 * - types matter: `uint(5)`, `ulong(5)` and the number `5` (a long) are three different values, and so
 *   are `symbol('a')`, `char('a')` and the string `'a'`;
 * - the JavaScript forms of one AMQP type are interchangeable: the long `5` equals `5n`, the double
 *   `2.5` equals `double(2.5)` (but `2` is a long, so it does not equal `double(2)`), a `Date` equals the
 *   {@link Timestamp} of the same milliseconds, and a `Buffer` equals a `Uint8Array` of the same bytes;
 * - numbers, floats and doubles compare with `Object.is`: `NaN` equals `NaN` and `-0` differs from `0`.
 *   This tells apart every bit pattern except the payloads of NaNs, which JavaScript engines do not
 *   reliably keep;
 * - bytes (binary, decimals, uuids) compare by content; chars by code point; symbols by their text;
 * - lists compare element by element; maps entry by entry in order (an AMQP map is ordered), keys and
 *   values both with `amqpEquals`;
 * - arrays compare their element type, their descriptor and their elements, where an element in plain
 *   form equals a wrapper of the element type (`5` equals `ubyte(5)` in an array of ubyte);
 * - described values compare their descriptor and their value.
 *
 * Anything that is not an AMQP value is equal only to itself.
 *
 * @example
 * amqpEquals([symbol('a'), 1], [symbol('a'), 1]); // true
 * amqpEquals(uint(5), ulong(5)); // false
 * amqpEquals(new Map([[1, 'a'], [2, 'b']]), new Map([[2, 'b'], [1, 'a']])); // false: order differs
 */
export function amqpEquals(a: AmqpValue, b: AmqpValue): boolean {
  if (Object.is(a, b)) return true;
  const kind = kindOf(a);
  if (kind === 'unknown' || kind !== kindOf(b)) return false;
  switch (kind) {
    case 'null':
      return true;
    case 'boolean':
    case 'string':
      return a === b;
    case 'long':
      return asInteger(a) === asInteger(b);
    case 'double':
      return Object.is(plainNumber(a), plainNumber(b));
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
    case 'float':
      return Object.is((a as { value: number }).value, (b as { value: number }).value);
    case 'ulong':
      return (a as ULong).value === (b as ULong).value;
    case 'timestamp':
      return sameInteger(timestampMillis(a), timestampMillis(b));
    case 'binary':
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
    case 'uuid':
      return bytesEqual(plainBytes(a)!, plainBytes(b)!);
    case 'char':
      return (a as Char).codePoint === (b as Char).codePoint;
    case 'symbol':
      return (a as AmqpSymbol).value === (b as AmqpSymbol).value;
    case 'list': {
      const x = a as AmqpValue[];
      const y = b as AmqpValue[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!amqpEquals(x[i]!, y[i]!)) return false;
      return true;
    }
    case 'map': {
      const x = a as Map<AmqpValue, AmqpValue>;
      const y = b as Map<AmqpValue, AmqpValue>;
      if (x.size !== y.size) return false;
      const ys = y.entries();
      for (const [k, v] of x) {
        const next = ys.next();
        if (next.done) return false;
        const [yk, yv] = next.value;
        if (!amqpEquals(k, yk) || !amqpEquals(v, yv)) return false;
      }
      return true;
    }
    case 'array': {
      const x = a as AmqpArray;
      const y = b as AmqpArray;
      if (x.elementType !== y.elementType) return false;
      if ((x.descriptor === undefined) !== (y.descriptor === undefined)) return false;
      if (x.descriptor !== undefined && !amqpEquals(x.descriptor, y.descriptor!)) return false;
      if (x.elements.length !== y.elements.length) return false;
      for (let i = 0; i < x.elements.length; i++) {
        if (!elementEquals(x.elementType, x.elements[i], y.elements[i])) return false;
      }
      return true;
    }
    case 'described': {
      const x = a as Described;
      const y = b as Described;
      return amqpEquals(x.descriptor, y.descriptor) && amqpEquals(x.value, y.value);
    }
  }
}
