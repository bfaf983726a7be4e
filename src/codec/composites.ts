/**
 * Encoding and decoding of the spec's composite types (performatives, SASL frames, outcomes, terminus,
 * transactions, message header and properties), driven by the declarative table in `spec.ts`: field
 * order, types, `multiple` fields, mandatory fields. Each composite decodes to an instance of its class
 * from `composite-types.ts`; fields absent on the wire are `undefined` (their spec defaults are the
 * reader's to apply). Trailing absent fields are omitted on encode.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { ByteWriter } from './byte-writer.js';
import { COMPOSITE_CLASSES } from './composite-types.js';
import { type DecodeOptions, type Decoder, decodeWith } from './decoder.js';
import { type EncodeOptions, Encoder, setCompositeWriter } from './encoder.js';
import { Code, TYPE_OF_CODE } from './format-codes.js';
import { COMPOSITES, type CompositeSpec, type FieldSpec } from './spec.js';
import {
  AmqpArray,
  AmqpSymbol,
  type AmqpTypeName,
  type AmqpValue,
  Described,
  type Encodable,
  ULong,
} from './types.js';

/** Any composite object: an instance of one of the classes of `composite-types.ts`. */
export type CompositeObject = InstanceType<(typeof COMPOSITE_CLASSES)[keyof typeof COMPOSITE_CLASSES]>;

/** The spec types that are maps keyed by symbols: their string keys go out as symbols and come back as strings. */
const SYMBOL_KEYED = new Set(['fields', 'filter-set', 'node-properties', 'annotations']);

const INTEGER_KINDS = new Set<string>(['ubyte', 'ushort', 'uint', 'ulong', 'byte', 'short', 'int', 'long']);
const INTEGER_RANGE: Record<string, readonly [number | bigint, number | bigint]> = {
  ubyte: [0, 0xff],
  ushort: [0, 0xffff],
  uint: [0, 0xffffffff],
  ulong: [0, 0xffffffffffffffffn],
  byte: [-0x80, 0x7f],
  short: [-0x8000, 0x7fff],
  int: [-0x80000000, 0x7fffffff],
  long: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

/** The described types of the spec, by descriptor code and by descriptor symbol. */
const BY_CODE = new Map<number, CompositeSpec>();
const BY_SYMBOL = new Map<string, CompositeSpec>();
/** The class of each composite, and the spec of each class. */
const CLASS_OF = new Map<string, new () => object>();
const SPEC_OF_CLASS = new Map<unknown, CompositeSpec>();

for (const spec of COMPOSITES) {
  BY_CODE.set(spec.code, spec);
  BY_SYMBOL.set(spec.symbol, spec);
  const cls = (COMPOSITE_CLASSES as Record<string, new () => object>)[spec.name];
  if (cls !== undefined) {
    CLASS_OF.set(spec.name, cls);
    SPEC_OF_CLASS.set(cls, spec);
  }
}

/** The spec of a composite, by name ('open') or descriptor code (0x10). */
export function compositeSpec(key: string | number): CompositeSpec | undefined {
  if (typeof key === 'number') return BY_CODE.get(key);
  return COMPOSITES.find((c) => c.name === key);
}

/** The spec of a composite object (an instance of a class of `composite-types.ts`), if it is one. */
export function specOf(obj: unknown): CompositeSpec | undefined {
  return typeof obj === 'object' && obj !== null ? SPEC_OF_CLASS.get(obj.constructor) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Decoding

/**
 * Reads a descriptor (after the 0x00 constructor) and returns the spec it names, or the descriptor
 * value itself when it names no type of the spec.
 */
function readDescriptor(d: Decoder): CompositeSpec | AmqpValue {
  const code = d.u8('descriptor');
  switch (code) {
    case Code.smallulong: {
      const n = d.u8('descriptor');
      return BY_CODE.get(n) ?? new ULong(BigInt(n));
    }
    case Code.ulong: {
      const v = d.u64();
      // Every AMQP 1.0 descriptor has domain 0, so only the low 32 bits can name one.
      return (v >> 32n === 0n ? BY_CODE.get(Number(v)) : undefined) ?? new ULong(v);
    }
    case Code.sym8:
    case Code.sym32: {
      const n = code === Code.sym8 ? d.u8('descriptor') : d.u32('descriptor');
      const s = d.symbol(n);
      return BY_SYMBOL.get(s) ?? AmqpSymbol.fromWire(s);
    }
    default:
      return d.body(code);
  }
}

/** Reads a descriptor (after the 0x00 constructor): the spec's type it names, or undefined for another. */
export function readSpecDescriptor(d: Decoder): CompositeSpec | undefined {
  const v = readDescriptor(d);
  return isSpec(v) ? v : undefined;
}

function isSpec(v: unknown): v is CompositeSpec {
  return typeof v === 'object' && v !== null && 'fields' in v && 'symbol' in v && !(v instanceof Described);
}

/**
 * Reads one value where described values of the spec's composite types become their objects
 * (an `open`, an `accepted`, a `source`...); anything else decodes as {@link Decoder.value} does.
 */
export function readValue(d: Decoder): unknown {
  const code = d.u8('value');
  if (code !== Code.described) return d.body(code);
  return readDescribed(d, d.pos - 1);
}

/** Reads a described value whose 0x00 constructor, at `at`, was just read. */
export function readDescribed(d: Decoder, at: number): unknown {
  d.enter(at);
  const descriptor = readDescriptor(d);
  let out: unknown;
  if (isSpec(descriptor)) {
    if (descriptor.class === 'composite') out = readFields(d, descriptor);
    else out = new Described(new ULong(BigInt(descriptor.code)), readSection(d, descriptor));
  } else {
    out = new Described(descriptor, d.value());
  }
  d.depth--;
  return out;
}

/** Reads the value of a described type of the spec that is not a list (an annotations map, a data section...). */
function readSection(d: Decoder, spec: CompositeSpec): AmqpValue {
  const at = d.pos;
  const v = d.value();
  const t = typeOfValue(v);
  if (spec.source !== '*' && t !== spec.source) {
    throw new DecodeError(`${spec.name} must hold a ${spec.source}, not a ${t}`, at);
  }
  return v;
}

function typeOfValue(v: AmqpValue): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'binary';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'map';
  if (typeof v === 'object' && 'type' in v) return String(v.type);
  return typeof v;
}

/** Reads the list of a composite's fields into a new object of its class. */
export function readFields(d: Decoder, spec: CompositeSpec): object {
  const obj = new (CLASS_OF.get(spec.name) as new () => Record<string, unknown>)();
  readFieldsInto(d, spec, obj, assignField);
  return obj;
}

function assignField(obj: Record<string, unknown>, _i: number, v: unknown, f: FieldSpec): void {
  obj[f.key] = v;
}

/**
 * Reads the list of a composite's fields and hands each present one to `set` (with its index in the
 * spec), for readers that fill their own object (the message's header and properties go straight into
 * the `Message`, without a `Header` or `Properties` in between). Same checks and errors as
 * {@link readFields}. `readOwn`, when given, reads a field first: it returns undefined, having read
 * nothing, to leave that field to the spec's reader.
 */
export function readFieldsInto<T>(
  d: Decoder,
  spec: CompositeSpec,
  target: T,
  set: (target: T, index: number, value: unknown, field: FieldSpec) => void,
  readOwn?: (d: Decoder, index: number) => unknown,
): void {
  const at = d.pos;
  const code = d.u8(spec.name);
  const fields = spec.fields;
  let count = 0;
  let outerEnd = d.end;
  if (code === Code.list8 || code === Code.list32) {
    d.enter(at);
    ({ count, outerEnd } = d.compound(code, spec.name));
  } else if (code !== Code.list0) {
    throw new DecodeError(`${spec.name} must be a list, not format code 0x${code.toString(16)}`, at);
  }
  for (let i = 0; i < count; i++) {
    if (i >= fields.length) {
      d.value(); // fields a later version of the spec may add: read past them
      continue;
    }
    const f = fields[i]!;
    // The caller's own reading of a field, in a common encoding it reads faster; else (undefined) ours.
    const own = readOwn === undefined ? undefined : readOwn(d, i);
    const v = own !== undefined ? own : readField(d, f, spec);
    if (v !== undefined) set(target, i, v, f);
    else if (f.mandatory) throw missingField(spec, f, at);
  }
  for (let i = count; i < fields.length; i++)
    if (fields[i]!.mandatory) throw missingField(spec, fields[i]!, at);
  if (code !== Code.list0) d.leave(outerEnd, spec.name);
}

function missingField(spec: CompositeSpec, f: FieldSpec, at: number): DecodeError {
  return new DecodeError(`${spec.name} is missing its mandatory field '${f.name}'`, at);
}

function mismatch(spec: CompositeSpec, f: FieldSpec, code: number, at: number): DecodeError {
  const found =
    TYPE_OF_CODE[code] ?? (code === Code.described ? 'described value' : `code 0x${code.toString(16)}`);
  return new DecodeError(`field '${f.name}' of ${spec.name} must be a ${f.kind}, not a ${found}`, at);
}

function readField(d: Decoder, f: FieldSpec, spec: CompositeSpec): unknown {
  const at = d.pos;
  const code = d.u8(f.name);
  if (code === Code.null) return undefined;
  // The short strings and symbols of addresses, subjects and content types, read without the checks below
  // (a str8 is what a string or untyped field holds, a sym8 what a symbol field holds: same result).
  if (!f.multiple) {
    if (code === Code.str8 && (f.kind === 'string' || f.kind === '*')) return d.utf8(d.u8('string'));
    if (code === Code.sym8 && f.kind === 'symbol') return d.symbol(d.u8('symbol'));
  }
  if (f.multiple && (code === Code.array8 || code === Code.array32)) {
    if (f.kind === '*' || f.kind === 'composite') return (d.body(code) as AmqpArray).elements;
    const arr = d.array(code);
    if (arr.elementType !== f.kind) throw mismatch(spec, f, code, at);
    return arr.elements;
  }
  const v = readSingle(d, f, spec, code, at);
  return f.multiple ? [v] : v;
}

function readSingle(d: Decoder, f: FieldSpec, spec: CompositeSpec, code: number, at: number): unknown {
  const kind = f.kind;
  if (kind === '*' || kind === 'composite') {
    const v = code === Code.described ? readDescribed(d, at) : d.body(code);
    if (kind === 'composite' && specOf(v)?.name !== f.composite) throw mismatch(spec, f, code, at);
    return v;
  }
  const wire = TYPE_OF_CODE[code];
  if (wire !== kind) {
    // Peers do send a smaller or larger integer type than the spec's: take it when the value fits.
    if (wire !== undefined && INTEGER_KINDS.has(wire) && INTEGER_KINDS.has(kind)) {
      const v = d.element(code) as number | bigint;
      const [min, max] = INTEGER_RANGE[kind]!;
      if (v < min || v > max)
        throw new DecodeError(`field '${f.name}' of ${spec.name} is out of range: ${v}`, at);
      return typeof v === 'bigint' && v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : v;
    }
    throw mismatch(spec, f, code, at);
  }
  const v = d.element(code);
  if (kind === 'map' && SYMBOL_KEYED.has(f.type)) return symbolKeysToStrings(v as Map<AmqpValue, AmqpValue>);
  if (kind === 'timestamp' && v instanceof Date) return v.getTime();
  return v;
}

/** A map whose symbol keys become strings (for the symbol-keyed maps: fields, annotations, filter sets). */
export function symbolKeysToStrings(m: Map<AmqpValue, AmqpValue>): Map<AmqpValue, AmqpValue> {
  let plain = true;
  for (const k of m.keys()) {
    if (k instanceof AmqpSymbol) {
      plain = false;
      break;
    }
  }
  if (plain) return m;
  const out = new Map<AmqpValue, AmqpValue>();
  for (const [k, v] of m) out.set(k instanceof AmqpSymbol ? k.value : k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

/**
 * Writes a composite object as a described list, omitting trailing absent fields. The list header is
 * the smallest that fits (Proton 0.37 writes its message header and properties as list8 as well).
 */
export function writeComposite(e: Encoder, obj: object): void {
  const spec = specOf(obj);
  if (spec === undefined)
    throw new EncodeError(`${(obj as object).constructor.name} is not a composite type`);
  writeFields(e, spec, obj as Record<string, unknown>);
}

/** Writes the fields of `obj` as the composite `spec`. */
export function writeFields(e: Encoder, spec: CompositeSpec, obj: Readonly<Record<string, unknown>>): void {
  writeFieldsFrom(e, spec, obj, fieldByKey);
}

function fieldByKey(obj: Readonly<Record<string, unknown>>, _i: number, f: FieldSpec): unknown {
  return obj[f.key];
}

/**
 * Writes the composite `spec` with field `i` taken from `get(src, i)`: for writers whose fields live in
 * their own object (a `Message`'s header and properties), with no composite object made in between.
 * `writeOwn`, when given, may write a field's value itself (returning true) in a way it knows is faster.
 * Trailing absent fields are left out; the list is list8 unless the fields outgrow it.
 */
export function writeFieldsFrom<T>(
  e: Encoder,
  spec: CompositeSpec,
  src: T,
  get: (src: T, i: number, f: FieldSpec) => unknown,
  writeOwn?: (e: Encoder, i: number, v: unknown) => boolean,
): void {
  const w = e.w;
  w.u8(Code.described);
  w.u8(Code.smallulong);
  w.u8(spec.code);
  const fields = spec.fields;
  let count = fields.length;
  while (count > 0 && (get(src, count - 1, fields[count - 1]!) ?? null) === null) count--;
  for (let i = count; i < fields.length; i++) {
    if (fields[i]!.mandatory)
      throw new EncodeError(`${spec.name} needs its mandatory field '${fields[i]!.name}'`);
  }
  if (count === 0) {
    w.u8(Code.list0);
    return;
  }
  // The 8-bit header first; widened in place if the fields outgrow it.
  w.u8(Code.list8);
  w.ensure(2);
  w.pos += 2;
  const start = w.pos;
  for (let i = 0; i < count; i++) {
    const f = fields[i]!;
    const v = get(src, i, f);
    if (writeOwn === undefined || v === undefined || v === null || !writeOwn(e, i, v))
      writeField(e, spec, f, v);
  }
  const size = w.pos - start + 1;
  if (size <= 0xff) {
    w.buf[start - 2] = size;
    w.buf[start - 1] = count;
  } else {
    w.shift(start, 6);
    w.buf[start - 3] = Code.list32;
    w.setU32(start - 2, size + 3);
    w.setU32(start + 2, count);
  }
}

function writeField(e: Encoder, spec: CompositeSpec, f: FieldSpec, v: unknown): void {
  if (v === undefined || v === null) {
    if (f.mandatory) throw new EncodeError(`${spec.name} needs its mandatory field '${f.name}'`);
    e.null();
    return;
  }
  if (f.multiple && Array.isArray(v)) {
    if (f.kind === '*' || f.kind === 'composite') {
      e.list(v as Encodable[]);
    } else {
      e.array(new AmqpArray(f.kind, v as AmqpValue[]));
    }
    return;
  }
  writeSingle(e, spec, f, v);
}

function writeSingle(e: Encoder, spec: CompositeSpec, f: FieldSpec, v: unknown): void {
  if (f.kind === '*' || f.kind === 'composite') {
    writeAny(e, v);
    return;
  }
  if (f.kind === 'map' && SYMBOL_KEYED.has(f.type)) {
    writeSymbolKeyedMap(e, v as ReadonlyMap<unknown, unknown> | Readonly<Record<string, unknown>>);
    return;
  }
  try {
    e.as(f.kind as AmqpTypeName, v as Encodable);
  } catch (err) {
    if (err instanceof EncodeError) {
      throw new EncodeError(`field '${f.name}' of ${spec.name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Writes any value, composite objects included, at any depth. */
export function writeAny(e: Encoder, v: unknown): void {
  const spec = specOf(v);
  if (spec !== undefined) writeFields(e, spec, v as Record<string, unknown>);
  else e.value(v as Encodable);
}

setCompositeWriter((e, v) => {
  const spec = specOf(v);
  if (spec === undefined) return false;
  writeFields(e, spec, v as Record<string, unknown>);
  return true;
});

/** Writes a map whose string keys are symbols (fields, annotations, filter sets): a Map or a plain object. */
export function writeSymbolKeyedMap(
  e: Encoder,
  m: ReadonlyMap<unknown, unknown> | Readonly<Record<string, unknown>>,
): void {
  const start = e.beginCompound(Code.map8, Code.map32);
  let count = 0;
  const entries = m instanceof Map ? m.entries() : Object.entries(m);
  for (const [k, v] of entries) {
    if (typeof k === 'string') e.symbol(k);
    else e.value(k as Encodable);
    writeAny(e, v);
    count += 2;
  }
  e.endCompound(start, count, Code.map32);
}

/**
 * Encodes a composite object (an `Open`, an `Accepted`, a `Source`...) into a new Buffer, as the AMQP
 * described list its class names. proton-ts only: Proton Python encodes them inside its engine.
 */
export function encodeComposite(obj: object, options: EncodeOptions = {}): Buffer {
  const e = new Encoder(new ByteWriter(256), options);
  writeComposite(e, obj);
  return e.w.take();
}

/**
 * Decodes one value where described values of the AMQP spec's composite types become objects of their
 * classes; other described values stay {@link Described}. proton-ts only: Proton Python's
 * `Data.get_object()` gives every described value as a `Described`.
 */
export function decodeComposite(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  return decodeWith(bytes, options, (d) => {
    const v = readValue(d);
    if (d.pos !== d.end) throw new DecodeError(`${d.end - d.pos} bytes after the value`, d.pos);
    return v;
  });
}
