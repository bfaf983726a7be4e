/**
 * Typed JSON: a neutral, lossless JSON form of AMQP values, written the same way by the TypeScript tests
 * and by the Proton (Python) fixture scripts in test/fixtures/proton/, so the two can compare values type
 * by type and bit by bit. Every value is an object naming its AMQP type in `t`:
 *
 * - `{"t":"null"}`, `{"t":"boolean","v":true}`
 * - `{"t":"ubyte"|"ushort"|"uint"|"byte"|"short"|"int","v":<JSON integer>}`
 * - `{"t":"ulong"|"long"|"timestamp","v":"<decimal string>"}` (timestamp: milliseconds since the epoch)
 * - `{"t":"float"|"double","v":"<hex of the IEEE 754 bits, big-endian>"}`, so NaN, -0 and every other
 *   bit pattern survive: `{"t":"double","v":"7ff8000000000000"}` is NaN
 * - `{"t":"decimal32"|"decimal64"|"decimal128"|"binary","v":"<hex of the bytes>"}`
 * - `{"t":"char","v":<code point>}`, `{"t":"uuid","v":"<8-4-4-4-12, lower case>"}`
 * - `{"t":"string"|"symbol","v":"<text>"}`
 * - `{"t":"list","v":[<typed>...]}`, `{"t":"map","v":[[<typed key>,<typed value>]...]}` (in order)
 * - `{"t":"array","type":"<element type>","descriptor":<typed>|null,"v":[<typed element>...]}`: each
 *   element is a typed value of the element type; `descriptor` is null for an undescribed array
 * - `{"t":"described","d":<typed descriptor>,"v":<typed value>}`
 *
 * Hex is lower case. Two values are the same AMQP value exactly when their typed JSON is deep-equal.
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
} from '../../src/codec/types.js';

/** The name of a typed-JSON scalar whose `v` is a JSON integer. */
type SmallIntName = 'ubyte' | 'ushort' | 'uint' | 'byte' | 'short' | 'int';
/** The name of a typed-JSON scalar whose `v` is a string. */
type StringValuedName =
  | 'ulong'
  | 'long'
  | 'timestamp'
  | 'float'
  | 'double'
  | 'decimal32'
  | 'decimal64'
  | 'decimal128'
  | 'binary'
  | 'uuid'
  | 'string'
  | 'symbol';

/** One AMQP value in typed JSON (see the module comment). */
export type TypedJson =
  | { t: 'null' }
  | { t: 'boolean'; v: boolean }
  | { t: SmallIntName; v: number }
  | { t: 'char'; v: number }
  | { t: StringValuedName; v: string }
  | { t: 'list'; v: TypedJson[] }
  | { t: 'map'; v: [TypedJson, TypedJson][] }
  | { t: 'array'; type: AmqpTypeName; descriptor: TypedJson | null; v: TypedJson[] }
  | { t: 'described'; d: TypedJson; v: TypedJson };

/** Every AMQP type name, as `AmqpTypeName` spells it: the primitive types, and those an array can hold. */
export const AMQP_TYPE_NAMES: readonly AmqpTypeName[] = [
  'null',
  'boolean',
  'ubyte',
  'ushort',
  'uint',
  'ulong',
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'decimal32',
  'decimal64',
  'decimal128',
  'char',
  'timestamp',
  'uuid',
  'binary',
  'string',
  'symbol',
  'list',
  'map',
  'array',
];
const TYPE_NAMES: ReadonlySet<string> = new Set(AMQP_TYPE_NAMES);

const INT_RANGES: Record<SmallIntName, [number, number]> = {
  ubyte: [0, 0xff],
  ushort: [0, 0xffff],
  uint: [0, 0xffffffff],
  byte: [-0x80, 0x7f],
  short: [-0x8000, 0x7fff],
  int: [-0x80000000, 0x7fffffff],
};
/** The wrapper class of each small integer type. */
const SMALL_INT_CLASSES: Record<SmallIntName, new (value: number) => AmqpValue> = {
  ubyte: UByte,
  ushort: UShort,
  uint: UInt,
  byte: Byte,
  short: Short,
  int: Int,
};
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const ULONG_MAX = 2n ** 64n - 1n;
/** The largest magnitude of a `Date`, in milliseconds. */
const DATE_LIMIT = 8.64e15;
const TWO_63 = 2 ** 63;

function fail(message: string): never {
  throw new TypeError(`typed JSON: ${message}`);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (value !== null && typeof value === 'object') return value.constructor?.name ?? 'object';
  return String(value);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function fromHex(hex: string, length?: number): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) fail(`bad hex '${hex}'`);
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  if (length !== undefined && bytes.length !== length) fail(`expected ${length} bytes, got '${hex}'`);
  return bytes;
}

/** The bits of a binary32, as 8 hex digits. */
export function floatBits(value: number): string {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getUint32(0).toString(16).padStart(8, '0');
}

/** The bits of a binary64, as 16 hex digits. */
export function doubleBits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

function floatFromBits(hex: string): number {
  if (!/^[0-9a-f]{8}$/.test(hex)) fail(`bad float bits '${hex}'`);
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, Number.parseInt(hex, 16));
  return view.getFloat32(0);
}

function doubleFromBits(hex: string): number {
  if (!/^[0-9a-f]{16}$/.test(hex)) fail(`bad double bits '${hex}'`);
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function parseBigInt(type: string, text: string, min: bigint, max: bigint): bigint {
  if (typeof text !== 'string' || !/^-?(?:0|[1-9][0-9]*)$/.test(text)) fail(`bad ${type} '${String(text)}'`);
  const n = BigInt(text);
  if (n < min || n > max) fail(`${type} ${text} out of range`);
  return n;
}

/** A bigint as a number when that is exact (within ±2^53), else the bigint. */
function numberIfSafe(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function integerText(type: string, value: unknown, min: bigint, max: bigint): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else return fail(`${type} must be an integer, not ${describe(value)}`);
  if (n < min || n > max) fail(`${type} ${n} out of range`);
  return n.toString();
}

function smallInt(type: SmallIntName, value: unknown): TypedJson {
  const [min, max] = INT_RANGES[type];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${type} must be an integer from ${min} to ${max}, not ${describe(value)}`);
  }
  return { t: type, v: value + 0 }; // + 0 turns -0 into 0
}

function timestampMs(value: unknown): string {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) fail('timestamp of an invalid Date');
    return String(ms + 0);
  }
  if (value instanceof Timestamp) return value.value.toString();
  return integerText('timestamp', value, LONG_MIN, LONG_MAX);
}

function charCodePoint(value: unknown): number {
  if (value instanceof Char) return value.codePoint;
  if (typeof value === 'string') {
    const cp = value.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp) !== value)
      fail(`char must be one code point, not '${value}'`);
    return cp;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x10ffff) return value;
  return fail(`char must be one code point, not ${describe(value)}`);
}

function bytesOf(type: string, value: unknown, length?: number): string {
  let bytes: Uint8Array;
  if (value instanceof Decimal32 || value instanceof Decimal64 || value instanceof Decimal128) {
    if (value.type !== type) fail(`${type} expected, got a ${value.type}`);
    bytes = value.bytes;
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    return fail(`${type} must be bytes, not ${describe(value)}`);
  }
  if (length !== undefined && bytes.length !== length)
    fail(`${type} must be ${length} bytes, not ${bytes.length}`);
  return toHex(bytes);
}

function textOf(type: 'string' | 'symbol', value: unknown): string {
  if (type === 'symbol' && value instanceof AmqpSymbol) return value.value;
  if (typeof value !== 'string') fail(`${type} must be a string, not ${describe(value)}`);
  return value;
}

function arrayToTyped(value: AmqpArray): TypedJson {
  if (!TYPE_NAMES.has(value.elementType)) fail(`unknown array element type '${String(value.elementType)}'`);
  return {
    t: 'array',
    type: value.elementType,
    descriptor: value.descriptor === undefined ? null : toTypedJson(value.descriptor),
    v: value.elements.map((e) => toTypedJson(e, value.elementType)),
  };
}

/**
 * The typed JSON of an element of an AMQP array of `type`, held in its plain form (numbers for the
 * small integers, float and double; number or bigint for long and ulong; Date or bigint for timestamp;
 * string for symbol and char; Uint8Array for binary and the decimals), or as the wrapper of its type.
 */
function elementToTyped(value: AmqpValue, type: AmqpTypeName): TypedJson {
  switch (type) {
    case 'null':
      if (value !== null) fail(`null element expected, got ${describe(value)}`);
      return { t: 'null' };
    case 'boolean':
      if (typeof value !== 'boolean') fail(`boolean element expected, got ${describe(value)}`);
      return { t: 'boolean', v: value };
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
      if (value !== null && typeof value === 'object' && 'type' in value && value.type === type) {
        return smallInt(type, (value as { value: number }).value);
      }
      return smallInt(type, value);
    case 'long':
      return { t: 'long', v: integerText('long', value, LONG_MIN, LONG_MAX) };
    case 'ulong':
      return {
        t: 'ulong',
        v: integerText('ulong', value instanceof ULong ? value.value : value, 0n, ULONG_MAX),
      };
    case 'float': {
      const f = value instanceof Float ? value.value : value;
      if (typeof f !== 'number') return fail(`float element expected, got ${describe(value)}`);
      if (!Number.isNaN(f) && Math.fround(f) !== f) fail(`float element ${f} is not a binary32 value`);
      return { t: 'float', v: floatBits(f) };
    }
    case 'double': {
      const d = value instanceof Double ? value.value : value;
      if (typeof d !== 'number') return fail(`double element expected, got ${describe(value)}`);
      return { t: 'double', v: doubleBits(d) };
    }
    case 'decimal32':
      return { t: 'decimal32', v: bytesOf('decimal32', value, 4) };
    case 'decimal64':
      return { t: 'decimal64', v: bytesOf('decimal64', value, 8) };
    case 'decimal128':
      return { t: 'decimal128', v: bytesOf('decimal128', value, 16) };
    case 'char':
      return { t: 'char', v: charCodePoint(value) };
    case 'timestamp':
      return { t: 'timestamp', v: timestampMs(value) };
    case 'uuid':
      if (value instanceof Uuid) return { t: 'uuid', v: value.toString() };
      if (value instanceof Uint8Array && value.length === 16)
        return { t: 'uuid', v: new Uuid(value).toString() };
      return fail(`uuid element expected, got ${describe(value)}`);
    case 'binary':
      return { t: 'binary', v: bytesOf('binary', value) };
    case 'string':
    case 'symbol':
      return { t: type, v: textOf(type, value) };
    case 'list':
      if (!Array.isArray(value)) fail(`list element expected, got ${describe(value)}`);
      return toTypedJson(value);
    case 'map':
      if (!(value instanceof Map)) fail(`map element expected, got ${describe(value)}`);
      return toTypedJson(value);
    case 'array':
      if (!(value instanceof AmqpArray)) fail(`array element expected, got ${describe(value)}`);
      return arrayToTyped(value);
    default:
      return fail(`unknown array element type '${String(type)}'`);
  }
}

/**
 * The typed JSON of a value in the JavaScript form the codec decodes to. A plain `number` is a long
 * when it is a safe integer (and not -0), a double otherwise; a `bigint` is a long; a `Date` is a
 * timestamp. With `elementType`, `value` is an element of an array of that type, in its plain form.
 */
export function toTypedJson(value: AmqpValue, elementType?: AmqpTypeName): TypedJson {
  if (elementType !== undefined) return elementToTyped(value, elementType);
  if (value === null) return { t: 'null' };
  switch (typeof value) {
    case 'boolean':
      return { t: 'boolean', v: value };
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { t: 'long', v: String(value) };
      return { t: 'double', v: doubleBits(value) };
    case 'bigint':
      return { t: 'long', v: integerText('long', value, LONG_MIN, LONG_MAX) };
    case 'string':
      return { t: 'string', v: value };
    case 'object':
      break;
    default:
      return fail(`not an AMQP value: ${describe(value)}`);
  }
  if (value instanceof Uint8Array) return { t: 'binary', v: toHex(value) };
  if (value instanceof Date) return { t: 'timestamp', v: timestampMs(value) };
  if (Array.isArray(value)) return { t: 'list', v: value.map((item) => toTypedJson(item)) };
  if (value instanceof Map) {
    return {
      t: 'map',
      v: [...value].map(([k, v]): [TypedJson, TypedJson] => [toTypedJson(k), toTypedJson(v)]),
    };
  }
  if (value instanceof UByte || value instanceof UShort || value instanceof UInt)
    return smallInt(value.type, value.value);
  if (value instanceof Byte || value instanceof Short || value instanceof Int)
    return smallInt(value.type, value.value);
  if (value instanceof ULong) return { t: 'ulong', v: integerText('ulong', value.value, 0n, ULONG_MAX) };
  if (value instanceof Float) return { t: 'float', v: floatBits(value.value) };
  if (value instanceof Double) return { t: 'double', v: doubleBits(value.value) };
  if (value instanceof Decimal32 || value instanceof Decimal64 || value instanceof Decimal128) {
    return {
      t: value.type,
      v: bytesOf(value.type, value, { decimal32: 4, decimal64: 8, decimal128: 16 }[value.type]),
    };
  }
  if (value instanceof Char) return { t: 'char', v: value.codePoint };
  if (value instanceof Timestamp) return { t: 'timestamp', v: value.value.toString() };
  if (value instanceof Uuid) return { t: 'uuid', v: value.toString() };
  if (value instanceof AmqpSymbol) return { t: 'symbol', v: value.value };
  if (value instanceof Described)
    return { t: 'described', d: toTypedJson(value.descriptor), v: toTypedJson(value.value) };
  if (value instanceof AmqpArray) return arrayToTyped(value);
  return fail(`not an AMQP value: ${describe(value)}`);
}

function isObject(json: unknown): json is Record<string, unknown> {
  return json !== null && typeof json === 'object' && !Array.isArray(json);
}

function stringField(json: Record<string, unknown>): string {
  if (typeof json.v !== 'string') fail(`${String(json.t)} needs a string "v": ${JSON.stringify(json)}`);
  return json.v;
}

function listField(json: Record<string, unknown>): unknown[] {
  if (!Array.isArray(json.v)) fail(`${String(json.t)} needs an array "v": ${JSON.stringify(json)}`);
  return json.v;
}

function intField(json: Record<string, unknown>, min: number, max: number): number {
  const v = json.v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`${String(json.t)} needs an integer "v" from ${min} to ${max}: ${JSON.stringify(json)}`);
  }
  return v;
}

function timestampFrom(text: string): Date | bigint {
  const ms = parseBigInt('timestamp', text, LONG_MIN, LONG_MAX);
  return ms >= BigInt(-DATE_LIMIT) && ms <= BigInt(DATE_LIMIT) ? new Date(Number(ms)) : ms;
}

function charFrom(json: Record<string, unknown>): number {
  return intField(json, 0, 0x10ffff);
}

/** The plain form of a typed element of an array of `type` (see {@link AmqpArray}). */
function elementFromTyped(json: unknown, type: AmqpTypeName): AmqpValue {
  if (!isObject(json) || json.t !== type)
    fail(`element of an array of ${type} expected: ${JSON.stringify(json)}`);
  switch (type) {
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
      return intField(json, ...INT_RANGES[type]);
    case 'long':
      return numberIfSafe(parseBigInt('long', stringField(json), LONG_MIN, LONG_MAX));
    case 'ulong':
      return numberIfSafe(parseBigInt('ulong', stringField(json), 0n, ULONG_MAX));
    case 'float':
      return floatFromBits(stringField(json));
    case 'double':
      return doubleFromBits(stringField(json));
    case 'decimal32':
      return fromHex(stringField(json), 4);
    case 'decimal64':
      return fromHex(stringField(json), 8);
    case 'decimal128':
      return fromHex(stringField(json), 16);
    case 'binary':
      return fromHex(stringField(json));
    case 'timestamp':
      return timestampFrom(stringField(json));
    case 'char':
      return String.fromCodePoint(charFrom(json));
    case 'symbol':
    case 'string':
      return stringField(json);
    default:
      // null, boolean, uuid, list, map, array: the same form as a value of their own.
      return fromTypedJson(json);
  }
}

/**
 * The value in its natural JavaScript form (the form the codec decodes to) of a typed-JSON value:
 * a long is a number (a bigint beyond ±2^53), a double a number or, when it is a whole number within
 * ±2^63 (and not -0), a {@link Double}, a timestamp a Date (a {@link Timestamp} beyond Date's range),
 * the other types without a JavaScript form the wrappers of types.ts.
 */
export function fromTypedJson(json: unknown): AmqpValue {
  if (!isObject(json)) return fail(`not a typed-JSON value: ${JSON.stringify(json)}`);
  switch (json.t) {
    case 'null':
      return null;
    case 'boolean':
      if (typeof json.v !== 'boolean') fail(`boolean needs a boolean "v": ${JSON.stringify(json)}`);
      return json.v;
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int': {
      const t = json.t as SmallIntName;
      return new SMALL_INT_CLASSES[t](intField(json, ...INT_RANGES[t]));
    }
    case 'ulong':
      return new ULong(parseBigInt('ulong', stringField(json), 0n, ULONG_MAX));
    case 'long':
      return numberIfSafe(parseBigInt('long', stringField(json), LONG_MIN, LONG_MAX));
    case 'float':
      return new Float(floatFromBits(stringField(json)));
    case 'double': {
      const d = doubleFromBits(stringField(json));
      return Number.isInteger(d) && !Object.is(d, -0) && d >= -TWO_63 && d < TWO_63 ? new Double(d) : d;
    }
    case 'decimal32':
      return new Decimal32(fromHex(stringField(json), 4));
    case 'decimal64':
      return new Decimal64(fromHex(stringField(json), 8));
    case 'decimal128':
      return new Decimal128(fromHex(stringField(json), 16));
    case 'char':
      return new Char(charFrom(json));
    case 'timestamp': {
      const ts = timestampFrom(stringField(json));
      return ts instanceof Date ? ts : new Timestamp(ts);
    }
    case 'uuid':
      return new Uuid(stringField(json));
    case 'binary':
      return fromHex(stringField(json));
    case 'string':
      return stringField(json);
    case 'symbol':
      return new AmqpSymbol(stringField(json));
    case 'list':
      return listField(json).map((item) => fromTypedJson(item));
    case 'map': {
      const map = new Map<AmqpValue, AmqpValue>();
      for (const pair of listField(json)) {
        if (!Array.isArray(pair) || pair.length !== 2)
          fail(`map entries are [key, value] pairs: ${JSON.stringify(json)}`);
        const key = fromTypedJson(pair[0]);
        if (map.has(key)) fail(`map key ${JSON.stringify(pair[0])} repeated`);
        map.set(key, fromTypedJson(pair[1]));
      }
      return map;
    }
    case 'array': {
      const type = json.type;
      if (typeof type !== 'string' || !TYPE_NAMES.has(type))
        fail(`array needs an element "type": ${JSON.stringify(json)}`);
      const elementType = type as AmqpTypeName;
      const elements = listField(json).map((e) => elementFromTyped(e, elementType));
      if (json.descriptor === null || json.descriptor === undefined)
        return new AmqpArray(elementType, elements);
      return new AmqpArray(elementType, elements, fromTypedJson(json.descriptor));
    }
    case 'described':
      return new Described(fromTypedJson(json.d), fromTypedJson(json.v));
    default:
      return fail(`unknown type '${String(json.t)}'`);
  }
}
