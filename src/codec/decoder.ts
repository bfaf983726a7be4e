/**
 * The AMQP decoder: bytes to JavaScript values, by the mapping of `types.ts`. It never throws anything
 * but {@link DecodeError}, never reads past the end of the bytes it was given or of the compound value it
 * is in, never allocates more than the input could justify, and stops at a nesting limit. Binary values
 * are views of the input (`subarray`), not copies: they live as long as the input buffer.
 */
import { isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.js';
import type { NodeBuffer } from './byte-writer.js';
import { Code, TYPE_OF_CODE } from './format-codes.js';
import { CACHED_MAX_BYTES, cachedAscii, isAscii, wordView } from './string-cache.js';
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

/**
 * Limits on what the AMQP decoder accepts. proton-ts only: Proton Python's `Data.decode()` takes no options.
 */
export interface DecodeOptions {
  /**
   * How deep AMQP lists, maps, arrays and described values may nest. proton-ts only: Proton Python has no
   * such option.
   * @default 128
   */
  maxDepth?: number;
}

const TWO_63 = 2 ** 63;
const MAX_DATE_MS = 8.64e15;
/**
 * Array elements of zero width (null, true...) take no bytes, so their count needs its own bound: per decode.
 */
const MAX_ZERO_WIDTH_ELEMENTS = 65536;

function asBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('input is not a Uint8Array', 0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** Reads AMQP values from a buffer, from `pos` up to `end`. */
export class Decoder {
  buf: Buffer;
  pos: number;
  /** Where the value being read must end: the input's end, or the end of the enclosing compound. */
  end: number;
  depth = 0;
  maxDepth: number;
  /** Array elements of zero width this decoder may still produce (nested arrays share the bound). */
  zeroWidthBudget = MAX_ZERO_WIDTH_ELEMENTS;
  /** A DataView of `buf`'s memory, got when a string is first read (see {@link view}). */
  private dv: DataView | undefined = undefined;

  constructor(bytes: Uint8Array, options: DecodeOptions = {}, start = 0, end?: number) {
    this.buf = asBuffer(bytes);
    this.pos = start;
    this.end = end ?? this.buf.length;
    this.maxDepth = options.maxDepth ?? 128;
  }

  /** Makes this decoder read `bytes` from the start, as a new one would. */
  reset(bytes: Uint8Array, options: DecodeOptions): void {
    this.buf = asBuffer(bytes);
    this.pos = 0;
    this.end = this.buf.length;
    this.depth = 0;
    this.maxDepth = options.maxDepth ?? 128;
    this.zeroWidthBudget = MAX_ZERO_WIDTH_ELEMENTS;
    this.dv = undefined;
  }

  /** Lets go of the input: a decoder kept for the next decode must not keep this one's bytes alive. */
  release(): void {
    this.buf = NO_BYTES;
    this.dv = undefined;
  }

  /** A DataView of the input's memory (read at `buf.byteOffset` + index), for word-wise string reads. */
  private view(): DataView {
    if (this.dv === undefined) this.dv = wordView(this.buf.buffer);
    return this.dv;
  }

  /** Fails unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DecodeError(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`, this.pos);
    }
  }

  u8(what: string): number {
    if (this.pos >= this.end) throw new DecodeError(`truncated ${what}: needs 1 byte, 0 left`, this.pos);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2, 'ushort');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A signed 64-bit value: a number when exact, else a bigint. */
  i64(what: string): number | bigint {
    this.need(8, what);
    const hi = this.buf.readInt32BE(this.pos);
    if (hi >= -0x200000 && hi < 0x200000) {
      const v = hi * 0x100000000 + this.buf.readUInt32BE(this.pos + 4);
      // Exact here; only -2^53 itself is past the safe range and must be a bigint.
      if (v !== -0x20000000000000) {
        this.pos += 8;
        return v;
      }
    }
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned 64-bit value as a bigint. */
  u64(): bigint {
    this.need(8, 'ulong');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The next `n` bytes as a view of the input. */
  slice(n: number, what: string): Buffer {
    this.need(n, what);
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** The size prefix of a variable-width value: 1 byte for the 0xa_ codes, 4 for the 0xb_ codes. */
  private size(code: number, what: string): number {
    const n = code < 0xb0 ? this.u8(what) : this.u32(what);
    this.need(n, what);
    return n;
  }

  utf8(n: number): string {
    this.need(n, 'string');
    const b = this.buf;
    const start = this.pos;
    const end = start + n;
    if (n <= CACHED_MAX_BYTES) {
      const cached = cachedAscii(b, this.view(), b.byteOffset, start, end);
      if (cached !== undefined) {
        this.pos = end;
        return cached;
      }
    }
    // A short string the cache did not take has a byte above 0x7f: it is UTF-8 or nothing.
    if (n > CACHED_MAX_BYTES && isAscii(b, this.view(), b.byteOffset, start, end)) {
      this.pos = end;
      return (b as NodeBuffer).latin1Slice(start, end);
    }
    if (!isUtf8(b.subarray(start, end))) throw new DecodeError('string is not valid UTF-8', start);
    this.pos = end;
    return (b as NodeBuffer).utf8Slice(start, end);
  }

  /**
   * The text of a symbol. AMQP symbols are ASCII, but some peers (Proton among them) write UTF-8 into
   * them: that is taken as it comes, so that such a message is not lost; bytes that are not UTF-8 at all
   * are an error.
   */
  symbol(n: number): string {
    this.need(n, 'symbol');
    const b = this.buf;
    const start = this.pos;
    const end = start + n;
    if (n <= CACHED_MAX_BYTES) {
      const cached = cachedAscii(b, this.view(), b.byteOffset, start, end);
      if (cached !== undefined) {
        this.pos = end;
        return cached;
      }
    }
    if (!isAscii(b, this.view(), b.byteOffset, start, end)) {
      if (!isUtf8(b.subarray(start, end))) throw new DecodeError('symbol is neither ASCII nor UTF-8', start);
      this.pos = end;
      return (b as NodeBuffer).utf8Slice(start, end);
    }
    this.pos = end;
    return (b as NodeBuffer).latin1Slice(start, end);
  }

  /** Enters a nested value, failing past the depth limit. */
  enter(at: number): void {
    if (++this.depth > this.maxDepth) {
      throw new DecodeError(`values nest deeper than the limit of ${this.maxDepth}`, at);
    }
  }

  /** Reads the size and count of a compound (list, map, array) and bounds the reading to its end. */
  compound(code: number, what: string): { count: number; outerEnd: number } {
    const at = this.pos - 1;
    let size: number;
    let count: number;
    if (code === Code.list8 || code === Code.map8 || code === Code.array8) {
      size = this.u8(what);
      this.need(size, what);
      if (size < 1) throw new DecodeError(`${what} of size 0 has no room for its count`, at);
      count = this.u8(what);
      size -= 1;
    } else {
      size = this.u32(what);
      this.need(size, what);
      if (size < 4) throw new DecodeError(`${what} of size ${size} has no room for its count`, at);
      count = this.u32(what);
      size -= 4;
    }
    // Every value takes at least one byte (its constructor), so the size bounds the count.
    if (count > size && code !== Code.array8 && code !== Code.array32) {
      throw new DecodeError(`${what} claims ${count} elements in ${size} bytes`, at);
    }
    const outerEnd = this.end;
    this.end = this.pos + size;
    return { count, outerEnd };
  }

  /** Checks a compound was read to its end exactly, and restores the outer bound. */
  leave(outerEnd: number, what: string): void {
    if (this.pos !== this.end) {
      throw new DecodeError(`${what} has ${this.end - this.pos} bytes beyond its elements`, this.pos);
    }
    this.end = outerEnd;
    this.depth--;
  }

  /** Reads one value: its constructor, then its bytes. */
  value(): AmqpValue {
    return this.body(this.u8('value'));
  }

  /** Reads the bytes of a value whose constructor `code` was just read. */
  body(code: number): AmqpValue {
    switch (code) {
      case Code.described: {
        this.enter(this.pos - 1);
        const descriptor = this.value();
        const value = this.value();
        this.depth--;
        return new Described(descriptor, value);
      }
      case Code.null:
        return null;
      case Code.true:
        return true;
      case Code.false:
        return false;
      case Code.boolean:
        return this.u8('boolean') !== 0;
      case Code.ubyte:
        return new UByte(this.u8('ubyte'));
      case Code.ushort:
        return new UShort(this.u16());
      case Code.uint0:
        return new UInt(0);
      case Code.smalluint:
        return new UInt(this.u8('uint'));
      case Code.uint:
        return new UInt(this.u32('uint'));
      case Code.ulong0:
        return new ULong(0n);
      case Code.smallulong:
        return new ULong(BigInt(this.u8('ulong')));
      case Code.ulong:
        return new ULong(this.u64());
      case Code.byte:
        return new Byte((this.u8('byte') << 24) >> 24);
      case Code.short:
        return new Short((this.u16() << 16) >> 16);
      case Code.smallint:
        return new Int((this.u8('int') << 24) >> 24);
      case Code.int:
        return new Int(this.u32('int') | 0);
      case Code.smalllong:
        return (this.u8('long') << 24) >> 24;
      case Code.long:
        return this.i64('long');
      case Code.float: {
        this.need(4, 'float');
        const v = this.buf.readFloatBE(this.pos);
        this.pos += 4;
        return new Float(v);
      }
      case Code.double: {
        this.need(8, 'double');
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        // A whole number would go back out as a long: keep it a double.
        return Number.isInteger(v) && v >= -TWO_63 && v < TWO_63 && !Object.is(v, -0) ? new Double(v) : v;
      }
      case Code.decimal32:
        return new Decimal32(this.slice(4, 'decimal32'));
      case Code.decimal64:
        return new Decimal64(this.slice(8, 'decimal64'));
      case Code.decimal128:
        return new Decimal128(this.slice(16, 'decimal128'));
      case Code.char:
        return new Char(this.codePoint());
      case Code.timestamp:
        return this.timestamp(false);
      case Code.uuid:
        return new Uuid(this.slice(16, 'uuid'));
      case Code.vbin8:
      case Code.vbin32:
        return this.slice(this.size(code, 'binary'), 'binary');
      case Code.str8:
      case Code.str32:
        return this.utf8(this.size(code, 'string'));
      case Code.sym8:
      case Code.sym32:
        return AmqpSymbol.fromWire(this.symbol(this.size(code, 'symbol')));
      case Code.list0:
        return [];
      case Code.list8:
      case Code.list32:
        return this.list(code);
      case Code.map8:
      case Code.map32:
        return this.map(code);
      case Code.array8:
      case Code.array32:
        return this.array(code);
      default:
        throw new DecodeError(`unknown format code ${hex(code)}`, this.pos - 1);
    }
  }

  private codePoint(): number {
    const at = this.pos;
    const cp = this.u32('char');
    if (cp > 0x10ffff) throw new DecodeError(`char ${hex(cp)} is beyond Unicode`, at);
    return cp;
  }

  /** A timestamp: a Date when it fits one, else a Timestamp (or a bigint for an array element). */
  private timestamp(plain: boolean): Date | Timestamp | bigint {
    const v = this.i64('timestamp');
    if (typeof v === 'number' && v >= -MAX_DATE_MS && v <= MAX_DATE_MS) return new Date(v);
    return plain ? BigInt(v) : new Timestamp(v);
  }

  list(code: number): AmqpValue[] {
    const at = this.pos - 1;
    this.enter(at);
    const { count, outerEnd } = this.compound(code, 'list');
    const items: AmqpValue[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = this.value();
    this.leave(outerEnd, 'list');
    return items;
  }

  map(code: number): Map<AmqpValue, AmqpValue> {
    const at = this.pos - 1;
    this.enter(at);
    const { count, outerEnd } = this.compound(code, 'map');
    if (count % 2 !== 0) throw new DecodeError(`map has an odd number of elements (${count})`, at);
    const m = new Map<AmqpValue, AmqpValue>();
    for (let i = 0; i < count; i += 2) {
      const k = this.value();
      // A Map would fold a -0 key into 0, which encodes as a long: keep it a double.
      m.set(k === 0 && Object.is(k, -0) ? new Double(-0) : k, this.value());
    }
    this.leave(outerEnd, 'map');
    return m;
  }

  array(code: number): AmqpArray {
    const at = this.pos - 1;
    this.enter(at);
    const { count, outerEnd } = this.compound(code, 'array');
    let descriptor: AmqpValue | undefined;
    let elementCode = this.u8('array constructor');
    if (elementCode === Code.described) {
      descriptor = this.value();
      elementCode = this.u8('array constructor');
    }
    const type = TYPE_OF_CODE[elementCode] as AmqpTypeName | undefined;
    if (type === undefined)
      throw new DecodeError(`unknown array element code ${hex(elementCode)}`, this.pos - 1);
    const width = elementWidth(elementCode);
    const room = this.end - this.pos;
    if (width === 0 ? count > this.zeroWidthBudget : count > room / width) {
      throw new DecodeError(`array claims ${count} ${type} elements in ${room} bytes`, at);
    }
    if (width === 0) this.zeroWidthBudget -= count;
    const elements: AmqpValue[] = new Array(count);
    for (let i = 0; i < count; i++) elements[i] = this.element(elementCode);
    this.leave(outerEnd, 'array');
    return new AmqpArray(type, elements, descriptor);
  }

  /** Reads one array element of constructor `code`, in its plain form. */
  element(code: number): AmqpValue {
    switch (code) {
      case Code.ubyte:
      case Code.smalluint:
      case Code.smallulong:
        return this.u8('array element');
      case Code.ushort:
        return this.u16();
      case Code.uint:
        return this.u32('array element');
      case Code.ulong: {
        const v = this.u64();
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case Code.byte:
      case Code.smallint:
      case Code.smalllong:
        return (this.u8('array element') << 24) >> 24;
      case Code.short:
        return (this.u16() << 16) >> 16;
      case Code.int:
        return this.u32('array element') | 0;
      case Code.float: {
        this.need(4, 'float');
        const v = this.buf.readFloatBE(this.pos);
        this.pos += 4;
        return v;
      }
      case Code.double: {
        this.need(8, 'double');
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case Code.char:
        return String.fromCodePoint(this.codePoint());
      case Code.timestamp:
        return this.timestamp(true) as Date | bigint;
      case Code.decimal32:
        return this.slice(4, 'decimal32');
      case Code.decimal64:
        return this.slice(8, 'decimal64');
      case Code.decimal128:
        return this.slice(16, 'decimal128');
      case Code.sym8:
      case Code.sym32:
        return this.symbol(this.size(code, 'symbol'));
      case Code.uint0:
      case Code.ulong0:
        return 0;
      case Code.long:
      case Code.null:
      case Code.true:
      case Code.false:
      case Code.boolean:
      case Code.uuid:
      case Code.vbin8:
      case Code.vbin32:
      case Code.str8:
      case Code.str32:
      case Code.list0:
      case Code.list8:
      case Code.list32:
      case Code.map8:
      case Code.map32:
      case Code.array8:
      case Code.array32:
        return this.body(code);
      default:
        throw new DecodeError(`unknown array element code ${hex(code)}`, this.pos);
    }
  }
}

/** The least number of bytes an element of constructor `code` takes (0 for null, true, uint0...). */
function elementWidth(code: number): number {
  switch (code >> 4) {
    case 0x4:
      return 0;
    case 0x5:
      return 1;
    case 0x6:
      return 2;
    case 0x7:
      return 4;
    case 0x8:
      return 8;
    case 0x9:
      return 16;
    case 0xa:
    case 0xc:
    case 0xe:
      return 1;
    default:
      return 4;
  }
}

/**
 * Runs `read` over `bytes`, turning whatever else it throws (a stack overflow from nesting past what
 * the stack holds, however high `maxDepth` was set) into a {@link DecodeError}.
 */
export function decodeWith<T>(bytes: Uint8Array, options: DecodeOptions, read: (d: Decoder) => T): T {
  // One decoder serves every decode (a message per delivery makes this hot); a decode inside a decode,
  // which nothing does today, would find none spare and make its own.
  let d = spare;
  if (d === undefined) d = new Decoder(bytes, options);
  else {
    spare = undefined;
    d.reset(bytes, options);
  }
  try {
    return read(d);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    const why = e instanceof RangeError ? 'values nest too deeply for the stack' : String(e);
    throw new DecodeError(why, d.pos, { cause: e });
  } finally {
    d.release();
    spare = d;
  }
}

const NO_BYTES = Buffer.alloc(0);
let spare: Decoder | undefined;

/**
 * Decodes exactly one AMQP value; bytes left over are an error. Proton Python: `Data.decode()` then
 * `Data.get_object()`, which leave the extra bytes unread instead.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): AmqpValue {
  return decodeWith(bytes, options, (d) => {
    const v = d.value();
    if (d.pos !== d.end) throw new DecodeError(`${d.end - d.pos} bytes after the value`, d.pos);
    return v;
  });
}

/**
 * Decodes a concatenation of AMQP values, to the end of the bytes. Proton Python: `Data.decode()` until the
 * bytes are used up, then `Data.get_object()` on each value.
 */
export function decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): AmqpValue[] {
  return decodeWith(bytes, options, (d) => {
    const out: AmqpValue[] = [];
    while (d.pos < d.end) out.push(d.value());
    return out;
  });
}
