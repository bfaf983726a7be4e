/**
 * The elements of an AMQP array: the one constructor that fits them all (the smallest, or the widest
 * as Proton 0.37 writes), and each element's bytes after it.
 */
import { EncodeError } from '../errors.js';
import type { Encoder } from './encoder.js';
import { Code } from './format-codes.js';
import {
  AmqpArray,
  AmqpSymbol,
  type AmqpTypeName,
  Char,
  type Decimal32,
  type Encodable,
  LONG_MAX,
  LONG_MIN,
  Uuid,
} from './types.js';
import {
  checkRange,
  describe,
  fitsSmallLong,
  isPlainObject,
  numeric,
  symbolLength,
  UINT_MAX,
  wide,
} from './value-checks.js';

/** The one constructor that fits every element of an array of `type`. */
export function elementCode(e: Encoder, type: AmqpTypeName, elements: readonly unknown[]): number {
  const compact = !e.proton037;
  switch (type) {
    case 'null':
      return Code.null;
    case 'boolean':
      return Code.boolean;
    case 'ubyte':
    case 'ushort':
    case 'byte':
    case 'short':
    case 'float':
    case 'double':
    case 'char':
    case 'timestamp':
    case 'uuid':
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
      return Code[type];
    case 'uint':
      return compact && elements.every((e) => numeric(e, type) <= 0xff) ? Code.smalluint : Code.uint;
    case 'ulong':
      return compact && elements.every((e) => wide(e, type) <= 0xff) ? Code.smallulong : Code.ulong;
    case 'int':
      return compact && elements.every((e) => fitsSmallLong(numeric(e, type))) ? Code.smallint : Code.int;
    case 'long':
      return compact && elements.every((e) => fitsSmallLong(wide(e, type))) ? Code.smalllong : Code.long;
    case 'binary':
      return compact && elements.every((e) => e instanceof Uint8Array && e.length <= 0xff)
        ? Code.vbin8
        : Code.vbin32;
    case 'string':
      return compact && elements.every((e) => Buffer.byteLength(String(e)) <= 0xff) ? Code.str8 : Code.str32;
    case 'symbol':
      return compact && elements.every((e) => symbolLength(String(e)) <= 0xff) ? Code.sym8 : Code.sym32;
    // Compound elements always take the 32-bit constructor: one too narrow would mean encoding twice.
    case 'list':
      return Code.list32;
    case 'map':
      return Code.map32;
    case 'array':
      return Code.array32;
    default:
      throw new EncodeError(`unknown array element type '${String(type)}'`);
  }
}

/** Writes one array element's bytes after the shared constructor `code`. */
export function writeElement(enc: Encoder, code: number, type: AmqpTypeName, e: Encodable): void {
  const w = enc.w;
  switch (code) {
    case Code.null:
      if (e !== null && e !== undefined) throw new EncodeError(`an array of null cannot hold ${describe(e)}`);
      return;
    case Code.boolean:
      if (typeof e !== 'boolean') throw new EncodeError(`an array of boolean cannot hold ${describe(e)}`);
      return w.u8(e ? 1 : 0);
    case Code.ubyte:
    case Code.smalluint:
    case Code.smallulong: {
      const v = type === 'ulong' ? Number(wide(e, type)) : numeric(e, type);
      checkRange(type, v, 0, 0xff);
      return w.u8(v);
    }
    case Code.byte:
    case Code.smallint:
    case Code.smalllong: {
      const v = type === 'long' ? Number(wide(e, type)) : numeric(e, type);
      checkRange(type, v, -128, 127);
      return w.u8(v & 0xff);
    }
    case Code.ushort: {
      const v = numeric(e, type);
      checkRange(type, v, 0, 0xffff);
      return w.u16(v);
    }
    case Code.short: {
      const v = numeric(e, type);
      checkRange(type, v, -0x8000, 0x7fff);
      return w.u16(v & 0xffff);
    }
    case Code.uint: {
      const v = numeric(e, type);
      checkRange(type, v, 0, UINT_MAX);
      return w.u32(v);
    }
    case Code.int: {
      const v = numeric(e, type);
      checkRange(type, v, -0x80000000, 0x7fffffff);
      return w.u32(v >>> 0);
    }
    case Code.ulong: {
      const v = wide(e, type);
      checkRange(type, v, 0, 0xffffffffffffffffn);
      return w.u64(v);
    }
    case Code.long:
    case Code.timestamp: {
      const v = wide(e, type);
      checkRange(type, v, LONG_MIN, LONG_MAX);
      return w.u64(v);
    }
    case Code.float:
      return w.f32(numeric(e, type));
    case Code.double:
      return w.f64(numeric(e, type));
    case Code.char:
      return w.u32(e instanceof Char ? e.codePoint : new Char(e as string).codePoint);
    case Code.uuid:
      return w.bytes(e instanceof Uuid ? e.bytes : new Uuid(e as Uint8Array).bytes);
    case Code.decimal32:
    case Code.decimal64:
    case Code.decimal128: {
      const b = e instanceof Uint8Array ? e : (e as Decimal32).bytes;
      const width = code === Code.decimal32 ? 4 : code === Code.decimal64 ? 8 : 16;
      if (!(b instanceof Uint8Array) || b.length !== width)
        throw new EncodeError(`a ${type} must be ${width} bytes`);
      return w.bytes(b);
    }
    case Code.vbin8:
    case Code.vbin32: {
      if (!(e instanceof Uint8Array)) throw new EncodeError(`an array of binary cannot hold ${describe(e)}`);
      if (code === Code.vbin8) w.u8(e.length);
      else w.u32(e.length);
      return w.bytes(e);
    }
    case Code.str8:
    case Code.str32: {
      if (typeof e !== 'string') throw new EncodeError(`an array of string cannot hold ${describe(e)}`);
      const n = Buffer.byteLength(e);
      if (code === Code.str8) w.u8(n);
      else w.u32(n);
      w.utf8(e, n);
      return;
    }
    case Code.sym8:
    case Code.sym32: {
      if (typeof e !== 'string' && !(e instanceof AmqpSymbol)) {
        throw new EncodeError(`an array of symbol cannot hold ${describe(e)}`);
      }
      const s = typeof e === 'string' ? e : e.value;
      const n = symbolLength(s);
      if (code === Code.sym8) w.u8(n);
      else w.u32(n);
      if (n === s.length) return w.ascii(s);
      w.utf8(s, n);
      return;
    }
    case Code.list32: {
      if (!Array.isArray(e)) throw new EncodeError(`an array of list cannot hold ${describe(e)}`);
      const at = reserve32(enc);
      for (const item of e) enc.value(item);
      return fill32(enc, at, e.length);
    }
    case Code.map32: {
      const at = reserve32(enc);
      let count: number;
      if (e instanceof Map) {
        for (const [k, v] of e) {
          enc.value(k);
          enc.value(v);
        }
        count = e.size * 2;
      } else if (typeof e === 'object' && e !== null && isPlainObject(e)) {
        const keys = Object.keys(e);
        for (const k of keys) {
          enc.string(k);
          enc.value((e as Record<string, Encodable>)[k]);
        }
        count = keys.length * 2;
      } else throw new EncodeError(`an array of map cannot hold ${describe(e)}`);
      return fill32(enc, at, count);
    }
    case Code.array32: {
      if (!(e instanceof AmqpArray)) throw new EncodeError(`an array of array cannot hold ${describe(e)}`);
      const at = reserve32(enc);
      if (e.descriptor !== undefined) {
        w.u8(Code.described);
        enc.value(e.descriptor);
      }
      const inner = elementCode(enc, e.elementType, e.elements);
      w.u8(inner);
      for (const item of e.elements) writeElement(enc, inner, e.elementType, item as Encodable);
      return fill32(enc, at, e.elements.length);
    }
  }
}

function reserve32(enc: Encoder): number {
  enc.w.ensure(8);
  enc.w.pos += 8;
  return enc.w.pos;
}

function fill32(enc: Encoder, start: number, count: number): void {
  enc.w.setU32(start - 8, enc.w.pos - start + 4);
  enc.w.setU32(start - 4, count);
}
