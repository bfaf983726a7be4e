/**
 * rhea (npm, a second JavaScript AMQP 1.0 implementation) and the `types` scenario: rhea can send any
 * AMQP type through its typed wrappers ({@link toRhea}), but it gives received values back in plain
 * JavaScript, losing the type (a ulong beyond 2^53 is a Buffer, a symbol a string...). So what proton-ts
 * sends is compared with what rhea's own mapping must give for each typed value ({@link rheaView}),
 * both sides reduced to one plain form ({@link plainOfRhea}).
 */
import { createRequire } from 'node:module';
import type { TypedJson } from '../../support/typed-json.js';
import type { TypedDump } from './typed-message.js';

const require = createRequire(import.meta.url);
// rhea is CommonJS; its typings do not cover the wrappers of its types module.
// biome-ignore lint/suspicious/noExplicitAny: rhea's untyped internals
export const rhea: any = require('rhea');
const T = rhea.types;
const hexBuf = (h: string) => Buffer.from(h, 'hex');
const ARRAY_CODES: Record<string, number> = {
  int: 0x71,
  symbol: 0xb3,
  string: 0xb1,
  ubyte: 0x50,
  uint: 0x70,
};

/** The rhea typed value of a typed-JSON value (rhea encodes it as exactly that AMQP type). */
export function toRhea(v: TypedJson): unknown {
  switch (v.t) {
    case 'null':
      return T.Null();
    case 'boolean':
      return T.wrap_boolean(v.v);
    case 'ubyte':
      return T.wrap_ubyte(v.v);
    case 'ushort':
      return T.wrap_ushort(v.v);
    case 'uint':
      return T.wrap_uint(v.v);
    case 'byte':
      return T.wrap_byte(v.v);
    case 'short':
      return T.wrap_short(v.v);
    case 'int':
      return T.wrap_int(v.v);
    case 'ulong':
    case 'long': {
      const b = Buffer.alloc(8);
      if (v.t === 'ulong') b.writeBigUInt64BE(BigInt(v.v));
      else b.writeBigInt64BE(BigInt(v.v));
      return v.t === 'ulong' ? T.wrap_ulong(b) : T.wrap_long(b);
    }
    case 'float':
      return T.wrap_float(hexBuf(v.v).readFloatBE(0));
    case 'double':
      return T.wrap_double(hexBuf(v.v).readDoubleBE(0));
    case 'decimal32':
      return T.Decimal32(hexBuf(v.v));
    case 'decimal64':
      return T.Decimal64(hexBuf(v.v));
    case 'decimal128':
      return T.Decimal128(hexBuf(v.v));
    case 'char':
      return T.wrap_char(v.v);
    case 'timestamp':
      return T.wrap_timestamp(Number(v.v));
    case 'uuid':
      return T.wrap_uuid(hexBuf(v.v.replaceAll('-', '')));
    case 'binary':
      return T.wrap_binary(hexBuf(v.v));
    case 'string':
      return T.wrap_string(v.v);
    case 'symbol':
      return T.wrap_symbol(v.v);
    case 'list':
      return v.v.length === 0 ? T.List0() : T.List32(v.v.map(toRhea));
    case 'map':
      return T.Map32(v.v.flatMap(([k, x]) => [toRhea(k), toRhea(x)]));
    case 'array': {
      const code = ARRAY_CODES[v.type];
      if (code === undefined || v.descriptor !== null) throw new Error(`no rhea array of ${v.type} here`);
      return T.wrap_array(
        v.v.map((e) => ('v' in e ? (e.v as unknown) : null)),
        code,
      );
    }
    case 'described':
      return T.described(toRhea(v.d), toRhea(v.v));
  }
}

/** The text of a string or symbol key. */
const keyText = (k: TypedJson): string => String((k as { v: unknown }).v);

/** A rhea message (as `sender.send` takes it) carrying a typed dump. */
export function rheaMessageOf(d: TypedDump, id: number): Record<string, unknown> {
  const m: Record<string, unknown> = { message_id: id };
  const entries = (x: TypedJson | null) => (x !== null && x.t === 'map' ? x.v : []);
  if (d.properties) {
    m.application_properties = Object.fromEntries(
      entries(d.properties).map(([k, v]) => [keyText(k), toRhea(v)]),
    );
  }
  if (d.annotations) {
    m.message_annotations = Object.fromEntries(
      entries(d.annotations).map(([k, v]) => [keyText(k), toRhea(v)]),
    );
  }
  if (d.body !== null) {
    if (d.body_kind === 'data')
      m.body = rhea.message.data_section(Buffer.from((d.body as { v: string }).v, 'hex'));
    else if (d.body_kind === 'sequence')
      m.body = rhea.message.sequence_section((d.body as { v: TypedJson[] }).v.map(toRhea));
    else m.body = toRhea(d.body);
  }
  return m;
}

/** One comparable plain form: buffers as {hex}, dates as {ms}, described as {described, value}, maps sorted. */
export type Plain =
  | null
  | boolean
  | number
  | string
  | { hex: string }
  | { ms: number }
  | Plain[]
  | { [k: string]: Plain };

/** rhea's received value, in the comparable plain form. */
export function plainOfRhea(x: unknown): Plain {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (Buffer.isBuffer(x)) return { hex: x.toString('hex') };
  if (x instanceof Date) return { ms: x.getTime() };
  if (Array.isArray(x)) return x.map(plainOfRhea);
  const o = x as Record<string, unknown>;
  if (o.constructor?.name === 'Typed') {
    return o.descriptor === undefined
      ? plainOfRhea(o.value)
      : { described: plainOfRhea((o.descriptor as { value: unknown }).value), value: plainOfRhea(o.value) };
  }
  if (o.constructor?.name === 'Section')
    return { section: o.typecode as number, content: plainOfRhea(o.content) };
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, plainOfRhea(o[k])]),
  );
}

/** What rhea must give for a typed value it received, in the plain form of {@link plainOfRhea}. */
export function rheaView(v: TypedJson): Plain {
  switch (v.t) {
    case 'null':
      return null;
    case 'ulong':
    case 'long': {
      // rhea gives a 64-bit integer as a number when it is exact, else as its 8 bytes.
      const n = BigInt(v.v);
      if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n);
      const b = Buffer.alloc(8);
      if (v.t === 'ulong') b.writeBigUInt64BE(n);
      else b.writeBigInt64BE(n);
      return { hex: b.toString('hex') };
    }
    case 'float':
      return hexBuf(v.v).readFloatBE(0);
    case 'double':
      return hexBuf(v.v).readDoubleBE(0);
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
    case 'binary':
      return { hex: v.v };
    case 'uuid':
      return { hex: v.v.replaceAll('-', '') };
    case 'timestamp':
      return { ms: Number(v.v) };
    case 'list':
    case 'array':
      return v.v.map(rheaView);
    case 'map':
      return Object.fromEntries(
        v.v
          .map(([k, x]) => [k.t === 'null' ? 'null' : String((k as { v: unknown }).v), rheaView(x)] as const)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    case 'described':
      return { described: rheaView(v.d), value: rheaView(v.v) };
    default:
      return (v as { v: boolean | number | string }).v;
  }
}
