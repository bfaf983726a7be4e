/**
 * Values printed as Proton Python's `repr` prints them (`{'sequence': 1}`, `symbol('a')`, `b'x'`,
 * `2.0`), so that output of our examples matches the Python examples line for line.
 */
import {
  AmqpArray,
  AmqpSymbol,
  type AmqpTypeName,
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

/** Proton Python's `Data` type codes, which its `Array` repr prints. */
const PYTHON_TYPE_CODE: Record<AmqpTypeName | 'described', number> = {
  null: 1,
  boolean: 2,
  ubyte: 3,
  byte: 4,
  ushort: 5,
  short: 6,
  uint: 7,
  int: 8,
  char: 9,
  ulong: 10,
  long: 11,
  timestamp: 12,
  float: 13,
  double: 14,
  decimal32: 15,
  decimal64: 16,
  decimal128: 17,
  uuid: 18,
  binary: 19,
  string: 20,
  symbol: 21,
  described: 22,
  array: 23,
  list: 24,
  map: 25,
};

/** A float as Python's `repr(float)`: the shortest round-trip digits, exponent outside 1e-4..1e16. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${out}` : out;
}

/** A string as Python's `repr(str)`. */
export function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Bytes as Python's `repr(bytes)`. */
export function pythonBytes(b: Uint8Array): string {
  let quote = "'";
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    if (c === 0x22) hasDouble = true;
  }
  if (hasSingle && !hasDouble) quote = '"';
  let out = `b${quote}`;
  for (const c of b) {
    if (c === quote.charCodeAt(0) || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out + quote;
}

function bigEndianUnsigned(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Any value as Proton Python's `repr` of the value it decodes to. */
export function pythonRepr(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'None';
    case 'boolean':
      return v ? 'True' : 'False';
    case 'number':
      return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : pythonFloat(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return pythonString(v);
  }
  if (v === null) return 'None';
  if (v instanceof Uint8Array) return pythonBytes(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pythonRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  if (v instanceof Date) return `timestamp(${v.getTime()})`;
  if (v instanceof AmqpSymbol) return `symbol(${pythonString(v.value)})`;
  if (v instanceof Double) return pythonFloat(v.value);
  if (v instanceof Float) return `float32(${pythonFloat(v.value)})`;
  if (
    v instanceof UByte ||
    v instanceof UShort ||
    v instanceof UInt ||
    v instanceof Byte ||
    v instanceof Short
  ) {
    return `${v.type}(${v.value})`;
  }
  if (v instanceof Int) return `int32(${v.value})`;
  if (v instanceof ULong) return `ulong(${v.value})`;
  if (v instanceof Timestamp) return `timestamp(${v.value})`;
  if (v instanceof Char) return `char(${pythonString(v.toString())})`;
  if (v instanceof Uuid) return `UUID('${v.toString()}')`;
  if (v instanceof Decimal32 || v instanceof Decimal64) return `${v.type}(${bigEndianUnsigned(v.bytes)})`;
  if (v instanceof Decimal128) return `decimal128(${pythonBytes(v.bytes)})`;
  if (v instanceof Described) return `Described(${pythonRepr(v.descriptor)}, ${pythonRepr(v.value)})`;
  if (v instanceof AmqpArray) {
    const d = v.descriptor === undefined ? 'UNDESCRIBED' : pythonRepr(v.descriptor);
    const parts = [
      d,
      String(PYTHON_TYPE_CODE[v.elementType]),
      ...v.elements.map((e) => arrayElementRepr(v, e)),
    ];
    return `Array(${parts.join(', ')})`;
  }
  if (typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${pythonString(k)}: ${pythonRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

/** An array element in its plain form, printed as Proton Python prints the element it decodes to. */
function arrayElementRepr(a: AmqpArray, e: unknown): string {
  switch (a.elementType) {
    case 'symbol':
      return e instanceof AmqpSymbol ? pythonRepr(e) : `symbol(${pythonString(String(e))})`;
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
      return typeof e === 'number' ? `${a.elementType}(${e})` : pythonRepr(e);
    case 'int':
      return typeof e === 'number' ? `int32(${e})` : pythonRepr(e);
    case 'ulong':
      return typeof e === 'number' || typeof e === 'bigint' ? `ulong(${e})` : pythonRepr(e);
    case 'float':
      return typeof e === 'number' ? `float32(${pythonFloat(e)})` : pythonRepr(e);
    case 'double':
      return typeof e === 'number' ? pythonFloat(e) : pythonRepr(e);
    case 'char':
      return typeof e === 'string' ? `char(${pythonString(e)})` : pythonRepr(e);
    case 'timestamp':
      return typeof e === 'bigint' ? `timestamp(${e})` : pythonRepr(e);
    default:
      return pythonRepr(e);
  }
}
