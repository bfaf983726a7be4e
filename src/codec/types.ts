/**
 * The JavaScript form of every AMQP 1.0 type.
 *
 * The rule, for decoding as for encoding: a value decodes to the most natural JavaScript value that the
 * default mapping encodes back to the same AMQP type and value. So a long is a `number` (a `bigint` past
 * 2^53), a double is a `number` (a {@link Double} when it is a whole number, which would otherwise go
 * back out as a long), a string is a `string`, a timestamp is a `Date`; the types JavaScript has no form
 * of (ubyte, uint, symbol, decimal...) are small wrapper classes, made with the factory functions below,
 * named as in Proton Python (`ulong(5)`, `symbol('a')`). Nothing is lost in a round trip.
 */
import { EncodeError } from '../errors.js';

/** The names of the AMQP primitive types, as the spec spells them. */
export type AmqpTypeName =
  | 'null'
  | 'boolean'
  | 'ubyte'
  | 'ushort'
  | 'uint'
  | 'ulong'
  | 'byte'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'decimal32'
  | 'decimal64'
  | 'decimal128'
  | 'char'
  | 'timestamp'
  | 'uuid'
  | 'binary'
  | 'string'
  | 'symbol'
  | 'list'
  | 'map'
  | 'array';

/** Any AMQP value in its JavaScript form, as the decoder produces it. */
export type AmqpValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | UByte
  | UShort
  | UInt
  | ULong
  | Byte
  | Short
  | Int
  | Float
  | Double
  | Decimal32
  | Decimal64
  | Decimal128
  | Char
  | Timestamp
  | Uuid
  | AmqpSymbol
  | Described
  | AmqpArray
  | AmqpValue[]
  | Map<AmqpValue, AmqpValue>;

/**
 * What the encoder accepts: any {@link AmqpValue}, plus `undefined` (null) and plain objects (maps with
 * string keys), at any depth. The counterpart of what Proton Python's `Data.put_object()` accepts.
 */
export type Encodable =
  | AmqpValue
  | undefined
  | readonly Encodable[]
  | Map<Encodable, Encodable>
  | { readonly [key: string]: Encodable };

function checkInteger(type: string, v: number, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new EncodeError(`${type} must be an integer from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

function checkBigInt(type: string, v: number | bigint, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else throw new EncodeError(`${type} must be an integer from ${min} to ${max}, not ${String(v)}`);
  if (b < min || b > max) throw new EncodeError(`${type} must be an integer from ${min} to ${max}, not ${b}`);
  return b;
}

/** The base of the wrappers of small integer types: a number with the AMQP type attached. */
abstract class SmallInteger {
  /** The AMQP type's name, as the spec spells it: it tells the wrappers apart without `instanceof`. */
  abstract readonly type: AmqpTypeName;
  constructor(
    /** The integer, already checked against the type's range. */
    readonly value: number,
  ) {}
  /** The plain number, so a wrapper works in arithmetic and comparisons (`ubyte(7) + 1` is 8). */
  valueOf(): number {
    return this.value;
  }
  /** The plain number: `JSON.stringify` shows the value, not the wrapper. */
  toJSON(): number {
    return this.value;
  }
  /** The number in decimal. */
  toString(): string {
    return String(this.value);
  }
}

/** An AMQP ubyte: an integer from 0 to 255 (Proton Python: `proton.ubyte`). */
export class UByte extends SmallInteger {
  /** Always `'ubyte'`: the AMQP type this wrapper encodes as. */
  readonly type = 'ubyte';
  constructor(value: number) {
    super(checkInteger('ubyte', value, 0, 0xff));
  }
}

/** An AMQP ushort: an integer from 0 to 65535 (Proton Python: `proton.ushort`). */
export class UShort extends SmallInteger {
  /** Always `'ushort'`: the AMQP type this wrapper encodes as. */
  readonly type = 'ushort';
  constructor(value: number) {
    super(checkInteger('ushort', value, 0, 0xffff));
  }
}

/** An AMQP uint: an integer from 0 to 2^32-1 (Proton Python: `proton.uint`). */
export class UInt extends SmallInteger {
  /** Always `'uint'`: the AMQP type this wrapper encodes as. */
  readonly type = 'uint';
  constructor(value: number) {
    super(checkInteger('uint', value, 0, 0xffffffff));
  }
}

/** An AMQP byte: an integer from -128 to 127 (Proton Python: `proton.byte`). */
export class Byte extends SmallInteger {
  /** Always `'byte'`: the AMQP type this wrapper encodes as. */
  readonly type = 'byte';
  constructor(value: number) {
    super(checkInteger('byte', value, -0x80, 0x7f));
  }
}

/** An AMQP short: an integer from -32768 to 32767 (Proton Python: `proton.short`). */
export class Short extends SmallInteger {
  /** Always `'short'`: the AMQP type this wrapper encodes as. */
  readonly type = 'short';
  constructor(value: number) {
    super(checkInteger('short', value, -0x8000, 0x7fff));
  }
}

/** An AMQP int: an integer from -2^31 to 2^31-1 (Proton Python: `proton.int32`). */
export class Int extends SmallInteger {
  /** Always `'int'`: the AMQP type this wrapper encodes as. */
  readonly type = 'int';
  constructor(value: number) {
    super(checkInteger('int', value, -0x80000000, 0x7fffffff));
  }
}

const ULONG_MAX = 0xffffffffffffffffn;
/** The range of an AMQP long, the default for whole numbers and bigints: this is its least value, -2^63. */
export const LONG_MIN = -0x8000000000000000n;
/** The greatest AMQP long, 2^63-1: a bigint past it cannot be encoded as a long (use {@link ulong}). */
export const LONG_MAX = 0x7fffffffffffffffn;

/** An AMQP ulong: an integer from 0 to 2^64-1, held as a bigint (Proton Python: `proton.ulong`). */
export class ULong {
  /** Always `'ulong'`: the AMQP type this wrapper encodes as. */
  readonly type = 'ulong';
  /** The integer, exact at any size (Proton Python's `ulong` is itself an `int`). */
  readonly value: bigint;
  constructor(value: number | bigint) {
    this.value = checkBigInt('ulong', value, 0n, ULONG_MAX);
  }
  /** The bigint, so a ulong computes with other bigints (a Proton Python `ulong` is an `int`). */
  valueOf(): bigint {
    return this.value;
  }
  /** The value as a number, exact up to 2^53. proton-ts only: Proton Python's ints need no conversion. */
  toNumber(): number {
    return Number(this.value);
  }
  /**
   * A number when it is exact (up to 2^53), else the decimal string, since JSON has no bigint.
   * proton-ts only: Proton Python has no JSON form.
   */
  toJSON(): number | string {
    return this.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.value) : this.value.toString();
  }
  /** The integer in decimal, as Proton Python's `str()` of a `ulong`. */
  toString(): string {
    return this.value.toString();
  }
}

/** An AMQP float (IEEE 754 binary32), rounded to single precision. Proton Python: `proton.float32`. */
export class Float {
  /** Always `'float'`: the AMQP type this wrapper encodes as. */
  readonly type = 'float';
  /** The number, rounded to single precision as an AMQP float holds it (so it equals what a peer decodes). */
  readonly value: number;
  constructor(value: number) {
    if (typeof value !== 'number') throw new EncodeError(`float must be a number, not ${String(value)}`);
    this.value = Math.fround(value);
  }
  /** The plain number, so the wrapper works in arithmetic (a Proton Python `float32` is a `float`). */
  valueOf(): number {
    return this.value;
  }
  /** The plain number: `JSON.stringify` shows the value. proton-ts only: Proton Python has no JSON form. */
  toJSON(): number {
    return this.value;
  }
  /** The number as JavaScript prints it (Proton Python: `str()` of a `float32`). */
  toString(): string {
    return String(this.value);
  }
}

/**
 * An AMQP double given explicitly. A plain `number` that is not a whole number is already a double;
 * this wrapper keeps a whole number (2.0) a double rather than a long. Proton Python has no wrapper: its
 * `float` is always a double.
 */
export class Double {
  /** Always `'double'`: the AMQP type this wrapper encodes as. */
  readonly type = 'double';
  constructor(
    /** The number, unchanged (Proton Python: the `float` itself). */
    readonly value: number,
  ) {
    if (typeof value !== 'number') throw new EncodeError(`double must be a number, not ${String(value)}`);
  }
  /** The plain number, so the wrapper works in arithmetic (in Proton Python a double is a plain `float`). */
  valueOf(): number {
    return this.value;
  }
  /** The plain number: `JSON.stringify` shows the value. proton-ts only: Proton Python has no JSON form. */
  toJSON(): number {
    return this.value;
  }
  /** The number as JavaScript prints it (Proton Python: `str()` of a `float`). */
  toString(): string {
    return String(this.value);
  }
}

function checkBytes(type: string, bytes: Uint8Array, length: number): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new EncodeError(`${type} must be ${length} bytes`);
  }
  return bytes;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The base of the decimal types: the raw IEEE 754 decimal bits, kept exactly (no decimal arithmetic). */
abstract class DecimalBits {
  /** The AMQP type's name: `'decimal32'`, `'decimal64'` or `'decimal128'`. */
  abstract readonly type: 'decimal32' | 'decimal64' | 'decimal128';
  constructor(
    /** The raw big-endian bytes, as they go on the wire (4, 8 or 16 of them). */
    readonly bytes: Uint8Array,
  ) {}
  /** The type and the bytes in hex, such as `decimal32(0x22500001)`: no decimal formatting is attempted. */
  toString(): string {
    return `${this.type}(0x${hex(this.bytes)})`;
  }
}

/** An AMQP decimal32: 4 raw bytes (IEEE 754 decimal32, big-endian). Proton Python: `proton.decimal32`. */
export class Decimal32 extends DecimalBits {
  /** Always `'decimal32'`: the AMQP type this wrapper encodes as. */
  readonly type = 'decimal32';
  constructor(bytes: Uint8Array) {
    super(checkBytes('decimal32', bytes, 4));
  }
}

/** An AMQP decimal64: 8 raw bytes (IEEE 754 decimal64, big-endian). Proton Python: `proton.decimal64`. */
export class Decimal64 extends DecimalBits {
  /** Always `'decimal64'`: the AMQP type this wrapper encodes as. */
  readonly type = 'decimal64';
  constructor(bytes: Uint8Array) {
    super(checkBytes('decimal64', bytes, 8));
  }
}

/** An AMQP decimal128: 16 raw bytes (IEEE 754 decimal128, big-endian). Proton Python: `proton.decimal128`. */
export class Decimal128 extends DecimalBits {
  /** Always `'decimal128'`: the AMQP type this wrapper encodes as. */
  readonly type = 'decimal128';
  constructor(bytes: Uint8Array) {
    super(checkBytes('decimal128', bytes, 16));
  }
}

/** An AMQP char: one Unicode code point (UTF-32 on the wire). Proton Python: `proton.char`. */
export class Char {
  /** Always `'char'`: the AMQP type this wrapper encodes as. */
  readonly type = 'char';
  /** The Unicode code point, 0 to 0x10FFFF (Proton Python: `ord(c)`). */
  readonly codePoint: number;
  constructor(c: string | number) {
    const cp = typeof c === 'number' ? c : c.codePointAt(0);
    if (
      cp === undefined ||
      !Number.isInteger(cp) ||
      cp < 0 ||
      cp > 0x10ffff ||
      (typeof c === 'string' && String.fromCodePoint(cp) !== c)
    ) {
      throw new EncodeError(`char must be one Unicode code point, not ${JSON.stringify(c)}`);
    }
    this.codePoint = cp;
  }
  /** The character as a one-code-point string, which is what a Proton Python `char` is. */
  toString(): string {
    return String.fromCodePoint(this.codePoint);
  }
  /** The character as a string. proton-ts only: Proton Python has no JSON form. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * An AMQP timestamp outside the range of a JavaScript `Date` (milliseconds since the epoch, signed
 * 64-bit). Timestamps that fit decode to `Date`. Proton Python: `proton.timestamp`, for every timestamp.
 */
export class Timestamp {
  /** Always `'timestamp'`: the AMQP type this wrapper encodes as. */
  readonly type = 'timestamp';
  /** Milliseconds since the Unix epoch, signed 64-bit (Proton Python's `timestamp` is itself that `int`). */
  readonly value: bigint;
  constructor(ms: number | bigint | Date) {
    const v = ms instanceof Date ? ms.getTime() : ms;
    this.value = checkBigInt('timestamp', v, LONG_MIN, LONG_MAX);
  }
  /** `timestamp(N)` with N in milliseconds, as Proton Python's `repr()` of a `timestamp`. */
  toString(): string {
    return `timestamp(${this.value})`;
  }
  /**
   * The milliseconds as a decimal string, since JSON has no bigint. proton-ts only: Proton Python has no
   * JSON form.
   */
  toJSON(): string {
    return this.value.toString();
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An AMQP uuid: 16 bytes, shown in the canonical 8-4-4-4-12 form. Proton Python: `uuid.UUID`. */
export class Uuid {
  /** Always `'uuid'`: the AMQP type this wrapper encodes as. */
  readonly type = 'uuid';
  /** The 16 bytes, in network order (Proton Python: `UUID.bytes`). */
  readonly bytes: Uint8Array;
  constructor(value: string | Uint8Array) {
    if (typeof value === 'string') {
      if (!UUID_RE.test(value)) throw new EncodeError(`uuid must be of the form 8-4-4-4-12, not '${value}'`);
      const h = value.replace(/-/g, '');
      const b = new Uint8Array(16);
      for (let i = 0; i < 16; i++) b[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
      this.bytes = b;
    } else {
      this.bytes = checkBytes('uuid', value, 16);
    }
  }
  /**
   * The canonical lower-case form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (Proton Python: `str()` of a
   * `UUID`).
   */
  toString(): string {
    const h = hex(this.bytes);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** The canonical string form. proton-ts only: Proton Python has no JSON form. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * An AMQP symbol: an ASCII string from a constrained domain (names, capabilities, keys). Proton Python:
 * `proton.symbol`.
 */
export class AmqpSymbol {
  /** Always `'symbol'`: the AMQP type this wrapper encodes as. */
  readonly type = 'symbol';
  constructor(
    /**
     * The symbol's characters (checked to be ASCII unless the symbol came from a peer); a Proton Python
     * `symbol` is a `str`.
     */
    readonly value: string,
  ) {
    if (typeof value !== 'string') throw new EncodeError(`symbol must be a string, not ${String(value)}`);
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        throw new EncodeError(`symbol must be ASCII: ${JSON.stringify(value)} has a non-ASCII character`);
      }
    }
  }
  /**
   * A symbol as a peer sent it, unchecked: peers do put UTF-8 into symbols, and what was received is
   * kept as it came (and sent on the same way). proton-ts only: Proton Python has no counterpart.
   */
  static fromWire(value: string): AmqpSymbol {
    const s: AmqpSymbol = Object.create(AmqpSymbol.prototype);
    (s as { type: string }).type = 'symbol';
    (s as { value: string }).value = value;
    return s;
  }
  /** The symbol's characters, as Proton Python's `str()` of a `symbol`. */
  toString(): string {
    return this.value;
  }
  /**
   * The symbol's characters: in JSON a symbol is a string. proton-ts only: Proton Python has no JSON form.
   */
  toJSON(): string {
    return this.value;
  }
}

/**
 * An AMQP described value: a descriptor (a ulong or symbol, normally) and the value it describes. Proton
 * Python: `proton.Described`.
 */
export class Described {
  /** Always `'described'`: this wrapper encodes as an AMQP described type (0x00 constructor). */
  readonly type = 'described';
  constructor(
    /**
     * The descriptor: a ulong code (domain and id) or a symbol name, normally (Proton Python:
     * `Described.descriptor`).
     */
    readonly descriptor: AmqpValue,
    /** The value being described (Proton Python: `Described.value`). */
    readonly value: AmqpValue,
  ) {}
}

/**
 * An AMQP array: elements of one type, sharing one constructor. Elements are held in their plain form
 * (numbers for `int`, strings for `symbol` and `char`, `Uint8Array` for `binary` and the decimals,
 * `Uuid` or 16 bytes for `uuid`, `Date` or bigint for `timestamp`, nested `AmqpArray` for `array`);
 * wrappers of the element type are accepted too. A described array has a descriptor, and its elements are
 * the values it describes. Proton Python: `proton.Array`.
 */
export class AmqpArray {
  /** Always `'array'`: this wrapper encodes as an AMQP array. */
  readonly type = 'array';
  constructor(
    /** The one AMQP type every element has (Proton Python: `Array.type`). */
    readonly elementType: AmqpTypeName,
    /** The elements, in their plain form (Proton Python: `Array.elements`). */
    readonly elements: readonly AmqpValue[],
    /**
     * For a described array, the descriptor every element shares; else `undefined` (Proton Python:
     * `Array.descriptor`).
     */
    readonly descriptor?: AmqpValue,
  ) {}
}

/** The AMQP ubyte `v`, for example `ubyte(7)` (Proton Python: `ubyte(v)`). */
export const ubyte = (v: number): UByte => new UByte(v);
/** The AMQP ushort `v` (Proton Python: `ushort(v)`). */
export const ushort = (v: number): UShort => new UShort(v);
/** The AMQP uint `v` (Proton Python: `uint(v)`). */
export const uint = (v: number): UInt => new UInt(v);
/** The AMQP ulong `v`, a number or a bigint up to 2^64-1 (Proton Python: `ulong(v)`). */
export const ulong = (v: number | bigint): ULong => new ULong(v);
/** The AMQP byte `v` (Proton Python: `byte(v)`). */
export const byte = (v: number): Byte => new Byte(v);
/** The AMQP short `v` (Proton Python: `short(v)`). */
export const short = (v: number): Short => new Short(v);
/** The AMQP int `v` (Proton Python: `int32(v)`). */
export const int32 = (v: number): Int => new Int(v);
/** The AMQP float `v`, rounded to single precision (Proton Python: `float32(v)`). */
export const float32 = (v: number): Float => new Float(v);
/** The AMQP double `v`, kept a double even when it is a whole number (Proton Python: a plain `float`). */
export const double = (v: number): Double => new Double(v);
/** The AMQP char `c`: one code point, given as a string or a number (Proton Python: `char(c)`). */
export const char = (c: string | number): Char => new Char(c);
/** The AMQP symbol `s`, ASCII only (Proton Python: `symbol(s)`). */
export const symbol = (s: string): AmqpSymbol => new AmqpSymbol(s);
/** The AMQP timestamp `ms` milliseconds since the epoch (Proton Python: `timestamp(ms)`). */
export const timestamp = (ms: number | bigint | Date): Timestamp => new Timestamp(ms);
/** The AMQP uuid of a canonical string or 16 bytes (Proton Python: `uuid.UUID`). */
export const uuid = (v: string | Uint8Array): Uuid => new Uuid(v);
/** The AMQP decimal32 of 4 raw bytes (Proton Python: `decimal32`, of the bits as an int). */
export const decimal32 = (bytes: Uint8Array): Decimal32 => new Decimal32(bytes);
/** The AMQP decimal64 of 8 raw bytes (Proton Python: `decimal64`, of the bits as an int). */
export const decimal64 = (bytes: Uint8Array): Decimal64 => new Decimal64(bytes);
/** The AMQP decimal128 of 16 raw bytes (Proton Python: `decimal128(bytes)`). */
export const decimal128 = (bytes: Uint8Array): Decimal128 => new Decimal128(bytes);
