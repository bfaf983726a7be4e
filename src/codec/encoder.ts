/**
 * The AMQP encoder: JavaScript values to bytes, by the default mapping of `types.ts` or as an explicit
 * AMQP type. By default it picks the smallest encoding of each value; `widths: 'proton-0.37'` produces
 * the widths Proton 0.37's `pn_data` produces (list32, map32 and array32 for compound values, the widest
 * element constructor in arrays), for byte-identical output where that matters.
 */
import { EncodeError } from '../errors.js';
import { elementCode, writeElement } from './array-elements.js';
import { ByteWriter } from './byte-writer.js';
import { Code } from './format-codes.js';
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
  type Encodable,
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
} from './types.js';
import {
  checkRange,
  describe,
  isPlainObject,
  numeric,
  symbolLength,
  UINT_MAX,
  wide,
} from './value-checks.js';

/** Binaries this large are given exactly the room they need (see binary()). */
const LARGE_BINARY = 64 * 1024;
/**
 * How the encoder chooses between the AMQP encodings of a value. proton-ts only: Proton Python's
 * `Data.encode()` takes no options.
 */
export interface EncodeOptions {
  /**
   * `'compact'`: the smallest encoding of every value (list0, list8, map8, array8, the smallest element
   * constructor that fits every element). `'proton-0.37'`: the widths Proton 0.37 produces.
   * @default 'compact'
   */
  widths?: 'compact' | 'proton-0.37';
}

const TWO_63 = 2 ** 63;

/**
 * Writes objects of the spec's composite classes (an `Accepted` inside a map, a `Source` in a list);
 * composites.ts installs it, so that this file need not know the composite table.
 */
let compositeWriter: ((e: Encoder, v: object) => boolean) | undefined;

/** @internal Installs the writer of composite objects. */
export function setCompositeWriter(w: (e: Encoder, v: object) => boolean): void {
  compositeWriter = w;
}
/** Writes AMQP values into a {@link ByteWriter}. */
export class Encoder {
  /** True for Proton 0.37's widths. */
  readonly proton037: boolean;

  constructor(
    readonly w: ByteWriter = new ByteWriter(),
    options: EncodeOptions = {},
  ) {
    if (options.widths !== undefined && options.widths !== 'compact' && options.widths !== 'proton-0.37') {
      throw new EncodeError(`unknown widths '${String(options.widths)}': use 'compact' or 'proton-0.37'`);
    }
    this.proton037 = options.widths === 'proton-0.37';
  }

  /** Writes `v` as the AMQP type the default mapping gives it. */
  value(v: Encodable): void {
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        if (Number.isInteger(v) && v >= -TWO_63 && v < TWO_63 && !Object.is(v, -0)) return this.long(v);
        return this.double(v);
      case 'boolean':
        return this.boolean(v);
      case 'bigint':
        return this.long(v);
      case 'undefined':
        return this.null();
      case 'object':
        if (v === null) return this.null();
        return this.object(v);
      default:
        throw new EncodeError(`cannot encode ${describe(v)} as an AMQP value`);
    }
  }

  private object(v: object): void {
    if (Array.isArray(v)) return this.list(v);
    if (v instanceof Uint8Array) return this.binary(v);
    switch (v.constructor) {
      case Map:
        return this.map(v as Map<Encodable, Encodable>);
      case Date:
        return this.timestamp(v as Date);
      case AmqpSymbol:
        return this.symbol((v as AmqpSymbol).value);
      case UByte:
        return this.ubyte((v as UByte).value);
      case UShort:
        return this.ushort((v as UShort).value);
      case UInt:
        return this.uint((v as UInt).value);
      case ULong:
        return this.ulong((v as ULong).value);
      case Byte:
        return this.byte((v as Byte).value);
      case Short:
        return this.short((v as Short).value);
      case Int:
        return this.int((v as Int).value);
      case Float:
        return this.float((v as Float).value);
      case Double:
        return this.double((v as Double).value);
      case Char:
        return this.char((v as Char).codePoint);
      case Timestamp:
        return this.timestamp((v as Timestamp).value);
      case Uuid:
        return this.uuid((v as Uuid).bytes);
      case Decimal32:
        return this.decimal(Code.decimal32, (v as Decimal32).bytes);
      case Decimal64:
        return this.decimal(Code.decimal64, (v as Decimal64).bytes);
      case Decimal128:
        return this.decimal(Code.decimal128, (v as Decimal128).bytes);
      case Described:
        return this.described((v as Described).descriptor, (v as Described).value);
      case AmqpArray:
        return this.array(v as AmqpArray);
    }
    if (isPlainObject(v)) return this.objectMap(v as Record<string, Encodable>);
    if (compositeWriter?.(this, v)) return;
    throw new EncodeError(`cannot encode ${describe(v)} as an AMQP value`);
  }

  /** Writes `v` as the AMQP type `type`, taking either the plain form or the wrapper of that type. */
  as(type: AmqpTypeName, v: Encodable): void {
    if (v === null || v === undefined) return this.null();
    switch (type) {
      case 'null':
        return this.null();
      case 'boolean':
        return this.boolean(v === true || (typeof v === 'object' && Boolean(v.valueOf())));
      case 'ubyte':
        return this.ubyte(numeric(v, type));
      case 'ushort':
        return this.ushort(numeric(v, type));
      case 'uint':
        return this.uint(numeric(v, type));
      case 'ulong':
        return this.ulong(wide(v, type));
      case 'byte':
        return this.byte(numeric(v, type));
      case 'short':
        return this.short(numeric(v, type));
      case 'int':
        return this.int(numeric(v, type));
      case 'long':
        return this.long(wide(v, type));
      case 'float':
        return this.float(numeric(v, type));
      case 'double':
        return this.double(numeric(v, type));
      case 'timestamp':
        return this.timestamp(v instanceof Date ? v : wide(v, type));
      case 'char':
        return this.char(v instanceof Char ? v.codePoint : new Char(v as string).codePoint);
      case 'string':
        return this.string(String(v));
      case 'symbol':
        if (typeof v !== 'string' && !(v instanceof AmqpSymbol))
          throw new EncodeError(`symbol must be a string, not ${describe(v)}`);
        return this.symbol(typeof v === 'string' ? v : v.value);
      case 'uuid':
        return this.uuid(v instanceof Uuid ? v.bytes : new Uuid(v as Uint8Array | string).bytes);
      case 'binary':
        if (!(v instanceof Uint8Array))
          throw new EncodeError(`binary must be a Uint8Array, not ${describe(v)}`);
        return this.binary(v);
      case 'decimal32':
      case 'decimal64':
      case 'decimal128':
        return this.decimal(Code[type], v instanceof Uint8Array ? v : (v as Decimal32).bytes);
      default:
        return this.value(v);
    }
  }

  null(): void {
    this.w.u8(Code.null);
  }

  boolean(v: boolean): void {
    this.w.u8(v ? Code.true : Code.false);
  }

  ubyte(v: number): void {
    checkRange('ubyte', v, 0, 0xff);
    this.w.u8(Code.ubyte);
    this.w.u8(v);
  }

  ushort(v: number): void {
    checkRange('ushort', v, 0, 0xffff);
    this.w.u8(Code.ushort);
    this.w.u16(v);
  }

  uint(v: number): void {
    checkRange('uint', v, 0, UINT_MAX);
    if (v === 0) this.w.u8(Code.uint0);
    else if (v <= 0xff) {
      this.w.u8(Code.smalluint);
      this.w.u8(v);
    } else {
      this.w.u8(Code.uint);
      this.w.u32(v);
    }
  }

  ulong(v: number | bigint): void {
    checkRange('ulong', v, 0, 0xffffffffffffffffn);
    if (v === 0 || v === 0n) this.w.u8(Code.ulong0);
    else if (v <= 0xff) {
      this.w.u8(Code.smallulong);
      this.w.u8(Number(v));
    } else {
      this.w.u8(Code.ulong);
      this.w.u64(v);
    }
  }

  byte(v: number): void {
    checkRange('byte', v, -0x80, 0x7f);
    this.w.u8(Code.byte);
    this.w.u8(v & 0xff);
  }

  short(v: number): void {
    checkRange('short', v, -0x8000, 0x7fff);
    this.w.u8(Code.short);
    this.w.u16(v & 0xffff);
  }

  int(v: number): void {
    checkRange('int', v, -0x80000000, 0x7fffffff);
    if (v >= -128 && v <= 127) {
      this.w.u8(Code.smallint);
      this.w.u8(v & 0xff);
    } else {
      this.w.u8(Code.int);
      this.w.u32(v >>> 0);
    }
  }

  long(v: number | bigint): void {
    if (typeof v === 'number') {
      if (v >= -128 && v <= 127 && Number.isInteger(v)) {
        this.w.u8(Code.smalllong);
        this.w.u8(v & 0xff);
        return;
      }
      checkRange('long', v, -TWO_63, TWO_63 - 1);
    } else {
      checkRange('long', v, LONG_MIN, LONG_MAX);
      if (v >= -128n && v <= 127n) {
        this.w.u8(Code.smalllong);
        this.w.u8(Number(v) & 0xff);
        return;
      }
    }
    this.w.u8(Code.long);
    this.w.u64(v);
  }

  float(v: number): void {
    this.w.u8(Code.float);
    this.w.f32(v);
  }

  double(v: number): void {
    this.w.u8(Code.double);
    this.w.f64(v);
  }

  char(codePoint: number): void {
    this.w.u8(Code.char);
    this.w.u32(codePoint);
  }

  timestamp(v: Date | number | bigint): void {
    const ms = v instanceof Date ? v.getTime() : v;
    if (typeof ms === 'number' && Number.isNaN(ms))
      throw new EncodeError('timestamp cannot be an invalid Date');
    checkRange('timestamp', ms, LONG_MIN, LONG_MAX);
    this.w.u8(Code.timestamp);
    this.w.u64(ms);
  }

  uuid(bytes: Uint8Array): void {
    this.w.u8(Code.uuid);
    this.w.bytes(bytes);
  }

  private decimal(code: number, bytes: Uint8Array): void {
    const width = code === Code.decimal32 ? 4 : code === Code.decimal64 ? 8 : 16;
    if (!(bytes instanceof Uint8Array) || bytes.length !== width) {
      throw new EncodeError(`a decimal${width * 8} must be ${width} bytes`);
    }
    this.w.u8(code);
    this.w.bytes(bytes);
  }

  binary(v: Uint8Array): void {
    const w = this.w;
    if (v.length <= 0xff) {
      w.u8(Code.vbin8);
      w.u8(v.length);
    } else {
      // A large binary (a message body) is most of what is encoded: room for exactly it, so the buffer is
      // not doubled past it and can be handed over whole (ByteWriter.take) rather than copied again.
      if (v.length >= LARGE_BINARY) w.reserveExact(v.length + 5);
      w.u8(Code.vbin32);
      w.u32(v.length);
    }
    w.bytes(v);
  }

  string(s: string): void {
    const w = this.w;
    // Up to 85 UTF-16 units cannot exceed 255 UTF-8 bytes: reserve a str8 and fill in the length.
    if (s.length <= 85) {
      w.u8(Code.str8);
      const at = w.pos;
      w.u8(0);
      // Read w.buf only after the write: utf8() may have grown it into a new buffer.
      const n = w.utf8(s, s.length * 3);
      w.buf[at] = n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (n <= 0xff) {
      w.u8(Code.str8);
      w.u8(n);
    } else {
      w.u8(Code.str32);
      w.u32(n);
    }
    w.utf8(s, n);
  }

  /**
   * Writes a string as a symbol. Symbols made here are ASCII (the `AmqpSymbol` constructor checks);
   * one received with UTF-8 in it goes back out as it came.
   */
  symbol(s: string): void {
    const w = this.w;
    const n = symbolLength(s);
    if (n <= 0xff) {
      w.u8(Code.sym8);
      w.u8(n);
    } else {
      w.u8(Code.sym32);
      w.u32(n);
    }
    if (n === s.length) w.ascii(s);
    else w.utf8(s, n);
  }

  described(descriptor: Encodable, value: Encodable): void {
    this.w.u8(Code.described);
    this.value(descriptor);
    this.value(value);
  }

  /** Writes the header of a compound value whose size is filled in by {@link endCompound}. */
  beginCompound(code8: number, code32: number): number {
    const w = this.w;
    if (this.proton037) {
      w.u8(code32);
      w.ensure(8);
      w.pos += 8;
    } else {
      w.u8(code8);
      w.ensure(2);
      w.pos += 2;
    }
    return w.pos;
  }

  /** Fills in the size and count of a compound begun at `start`, widening it when it outgrew 8 bits. */
  endCompound(start: number, count: number, code32: number): void {
    const w = this.w;
    if (this.proton037) {
      w.setU32(start - 8, w.pos - start + 4);
      w.setU32(start - 4, count);
      return;
    }
    const size = w.pos - start + 1;
    if (size <= 0xff && count <= 0xff) {
      w.buf[start - 2] = size;
      w.buf[start - 1] = count;
      return;
    }
    w.shift(start, 6);
    w.buf[start - 3] = code32;
    w.setU32(start - 2, size + 6 - 3);
    w.setU32(start + 2, count);
  }

  list(items: readonly Encodable[]): void {
    if (items.length === 0) {
      this.w.u8(Code.list0);
      return;
    }
    const start = this.beginCompound(Code.list8, Code.list32);
    for (let i = 0; i < items.length; i++) this.value(items[i]);
    this.endCompound(start, items.length, Code.list32);
  }

  map(m: ReadonlyMap<Encodable, Encodable>): void {
    const start = this.beginCompound(Code.map8, Code.map32);
    for (const [k, v] of m) {
      this.value(k);
      this.value(v);
    }
    this.endCompound(start, m.size * 2, Code.map32);
  }

  /** A plain object as a map with string keys. */
  objectMap(o: Readonly<Record<string, Encodable>>): void {
    const start = this.beginCompound(Code.map8, Code.map32);
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.string(k);
      this.value(o[k]);
    }
    this.endCompound(start, keys.length * 2, Code.map32);
  }

  array(a: AmqpArray): void {
    const start = this.beginCompound(Code.array8, Code.array32);
    if (a.descriptor !== undefined) {
      this.w.u8(Code.described);
      this.value(a.descriptor);
    }
    const code = elementCode(this, a.elementType, a.elements);
    this.w.u8(code);
    for (let i = 0; i < a.elements.length; i++)
      writeElement(this, code, a.elementType, a.elements[i] as Encodable);
    this.endCompound(start, a.elements.length, Code.array32);
  }
}

const shared = {
  compact: new Encoder(new ByteWriter()),
  proton037: new Encoder(new ByteWriter(), { widths: 'proton-0.37' }),
};

/**
 * Encodes one value as AMQP, by the default mapping, into a new Buffer. Proton Python: `Data.put_object()`
 * then `Data.encode()`.
 */
export function encode(value: Encodable, options: EncodeOptions = {}): Buffer {
  const e = options.widths === 'proton-0.37' ? shared.proton037 : shared.compact;
  if (options.widths !== undefined && options.widths !== 'compact' && options.widths !== 'proton-0.37') {
    throw new EncodeError(`unknown widths '${String(options.widths)}': use 'compact' or 'proton-0.37'`);
  }
  e.w.pos = 0;
  try {
    e.value(value);
    return e.w.take();
  } finally {
    e.w.pos = 0;
  }
}
