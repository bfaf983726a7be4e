/**
 * The frame trace, in Proton's words: with `PN_TRACE_FRM=1` every frame in and out is printed as
 * Proton 0.37 prints it, so that a trace of proton-ts reads (and diffs) like a trace of Proton:
 *
 * ```text
 * [0x1]: SASL:FRAME:  -> SASL
 * [0x1]: AMQP:FRAME:0 -> @sasl-init(65) [mechanism=:PLAIN, initial-response=b"\x00user\x00***"]
 * [0x1]: AMQP:FRAME:  -> AMQP
 * [0x1]: AMQP:FRAME:0 -> @open(16) [container-id="c1", hostname="localhost", channel-max=0x7fff]
 * [0x1]: AMQP:FRAME:0 -> @transfer(20) [handle=0x0, delivery-id=0x0, delivery-tag=b"1"] (36) \x00SpE...
 * [0x1]: AMQP:FRAME:0 <- (EMPTY FRAME)
 * [0x1]:   IO:FRAME:  -> EOS
 * ```
 *
 * A line is `[prefix]:SUBSYSTEM:LEVEL:message`, the subsystem and level right-aligned in 5 columns. The
 * prefix is Proton's logger address; here, an id per transport ({@link tracePrefix}).
 *
 * Proton prints a frame from its bytes, so the wire type decides the text; here the text comes from the
 * decoded object and the spec's field types, which gives the same text for every frame the encoder of
 * proton-ts writes and for those Proton writes. What the decoded object cannot tell (a peer sending one
 * symbol where the spec allows an array, `:PLAIN` against `@<symbol>[:PLAIN]`; an integer of another
 * width than the spec's) may print differently from Proton's trace of the same bytes.
 *
 * How values print (observed from Proton 0.37 and mirrored here):
 * - unsigned integers (ubyte, ushort, uint, ulong) in hex, `0x7fff`; signed ones and timestamps (epoch
 *   milliseconds) in decimal; float and double as C's `%g` (`1.5`, `0.333333`, `1e+100`, `inf`);
 * - strings `"…"`, binaries `b"…"`: printable ASCII as it is, every other byte of the UTF-8 (and `"`,
 *   `'`, `\`) as `\xNN`; symbols `:name`, or `:"…"` unless a letter followed by letters, digits, `-`;
 * - `null`, `true`, `false`; a char prints nothing (Proton 0.37 prints no text for a char);
 * - lists `[a, b]`, maps `{k=v, k2=v2}`, arrays `@<type>[a, b]` (the element type's name; a char array
 *   is `@<73>[…]`, an array of arrays `@<f0>[…]`, after their constructor codes);
 * - composites `@open(16) [container-id="x", …]`: the spec's name and code, then the fields present, by
 *   name; absent (null) fields are left out wherever they are, not only at the end;
 * - other described values: `@name(code) value` for a descriptor code up to 255, `@0x1234value` above
 *   (no space: Proton's dumper takes such a descriptor as a plain value), `@:"sym"value` for a symbol;
 * - a frame's payload (a transfer's message bytes) follows the performative as ` (size) bytes`, quoted
 *   as binaries are, without the quotes, cut at 511 characters with ` ... (truncated)`.
 *
 * SASL secrets never print. Proton prints the whole sasl-init, password included; here the
 * initial-response of PLAIN (`authzid NUL authcid NUL password`) keeps its bytes up to the second NUL
 * and the rest prints as `***` (`b"\x00user\x00***"`; `b"***"` when there is no second NUL), whatever
 * the password's length. ANONYMOUS (a trace token) and EXTERNAL (an authorization identity) print as
 * they are. The initial-response of any other mechanism, and every sasl-response (it answers a
 * challenge, and may carry a credential or a proof), print as their length only: `<12 bytes masked>`.
 */
import { compositeSpec, specOf } from '../codec/composites.js';
import type { CompositeSpec, FieldSpec } from '../codec/spec.js';
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
} from '../codec/types.js';

/** The direction of a frame: `->` out, `<-` in. */
export type TraceDirection = '->' | '<-';

/** The prefix of a line when none is given. */
export const DEFAULT_TRACE_PREFIX = '[0x0]';

/** What a heartbeat (an empty frame) prints as. */
export const EMPTY_FRAME_TEXT = '(EMPTY FRAME)';

/** The largest payload text, in characters, before Proton cuts it (its 512-byte buffer, less the NUL). */
const PAYLOAD_TEXT_MAX = 511;

/** The spec types whose maps are keyed by symbols; the decoder gives their keys as strings. */
const SYMBOL_KEYED = new Set(['fields', 'filter-set', 'node-properties', 'annotations']);

/** The name Proton gives an array's element type; char and array have none, so it prints their code. */
const ARRAY_TYPE_NAME: Record<AmqpTypeName, string> = {
  null: 'null',
  boolean: 'bool',
  ubyte: 'ubyte',
  ushort: 'ushort',
  uint: 'uint',
  ulong: 'ulong',
  byte: 'byte',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  decimal32: 'decimal32',
  decimal64: 'decimal64',
  decimal128: 'decimal128',
  char: '73',
  timestamp: 'timestamp',
  uuid: 'uuid',
  binary: 'binary',
  string: 'string',
  symbol: 'symbol',
  list: 'list',
  map: 'map',
  array: 'f0',
};

const TWO_63 = 2 ** 63;

/** `\xNN` for every byte value. */
const ESCAPE = Array.from({ length: 256 }, (_, i) => `\\x${i.toString(16).padStart(2, '0')}`);

/** Whether a byte prints as itself: printable ASCII other than the quotes and the backslash. */
function plain(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x27 && c !== 0x5c;
}

/** Bytes as Proton quotes them (without the quotes): printable ASCII as it is, other bytes `\xNN`. */
export function quoteBytes(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    s += plain(c) ? String.fromCharCode(c) : ESCAPE[c];
  }
  return s;
}

/** The significant digits C's `%g` prints. */
const G_PRECISION = 6;

/**
 * A number as C's `printf("%g")` prints it (glibc): 6 significant digits, rounded half to even on the
 * exact binary value; fixed notation for decimal exponents from -4 to 5, else `d.ddddde±XX`; trailing
 * zeros dropped. NaN prints `nan` (glibc's `-nan` for a negative NaN cannot be told apart here).
 */
export function formatG(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  // The exact value of |x| as digits * 10^exp10: a double is mantissa * 2^e, and for e < 0 that is
  // mantissa * 5^-e * 10^e.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let e2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  let digits: string;
  let exp10: number;
  if (e2 >= 0) {
    digits = (mantissa << BigInt(e2)).toString();
    exp10 = 0;
  } else {
    digits = (mantissa * 5n ** BigInt(-e2)).toString();
    exp10 = e2;
  }
  // The decimal exponent of the leading digit, then the digits rounded to G_PRECISION, half to even.
  let exponent = digits.length - 1 + exp10;
  let head = digits.slice(0, G_PRECISION).padEnd(G_PRECISION, '0');
  const rest = digits.slice(G_PRECISION);
  let up = false;
  if (rest.length > 0) {
    const first = rest.charCodeAt(0) - 48;
    if (first > 5) up = true;
    else if (first === 5) {
      up = /[1-9]/.test(rest.slice(1)) || (head.charCodeAt(G_PRECISION - 1) - 48) % 2 === 1;
    }
  }
  if (up) {
    const rounded = (BigInt(head) + 1n).toString();
    if (rounded.length > G_PRECISION) {
      head = rounded.slice(0, G_PRECISION);
      exponent++;
    } else {
      head = rounded;
    }
  }
  if (exponent < -4 || exponent >= G_PRECISION) {
    const fraction = head.slice(1).replace(/0+$/, '');
    const mant = fraction.length > 0 ? `${head[0]}.${fraction}` : head[0]!;
    const expText = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mant}e${exponent < 0 ? '-' : '+'}${expText}`;
  }
  let fixed: string;
  if (exponent < 0) fixed = `0.${'0'.repeat(-exponent - 1)}${head}`;
  else fixed = `${head.slice(0, exponent + 1)}.${head.slice(exponent + 1)}`;
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return sign + fixed;
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A string: `"…"`. */
function formatString(s: string): string {
  return `"${quoteBytes(utf8(s))}"`;
}

/** A symbol: `:name` when it is a letter followed by letters, digits and `-`; else `:"…"`. */
function formatSymbol(s: string): string {
  const b = utf8(s);
  let bare = b.length > 0 && isAlpha(b[0]!);
  for (let i = 1; bare && i < b.length; i++) {
    const c = b[i]!;
    bare = isAlpha(c) || isDigit(c) || c === 0x2d;
  }
  return bare ? `:${s}` : `:"${quoteBytes(b)}"`;
}

function formatBinary(b: Uint8Array): string {
  return `b"${quoteBytes(b)}"`;
}

function hexOf(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function bigEndian(b: Uint8Array, from: number, to: number): bigint {
  let v = 0n;
  for (let i = from; i < to; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

function formatDecimal(type: 'decimal32' | 'decimal64' | 'decimal128', b: Uint8Array): string {
  if (type === 'decimal32') return `D32(${bigEndian(b, 0, 4).toString(16).padStart(4, '0')})`;
  if (type === 'decimal64') return `D64(${bigEndian(b, 0, 8).toString(16).padStart(8, '0')})`;
  const hi = bigEndian(b, 0, 8).toString(16).padStart(8, '0');
  const lo = bigEndian(b, 8, 16).toString(16).padStart(8, '0');
  return `D128(${hi}${lo})`;
}

/** A map: `{k=v, …}`; with `symbolKeys`, string keys print as symbols (the spec's symbol-keyed maps). */
function formatMap(m: unknown, symbolKeys: boolean): string {
  const entries: Iterable<[unknown, unknown]> =
    m instanceof Map ? m.entries() : Object.entries(m as Record<string, unknown>);
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const key = symbolKeys && typeof k === 'string' ? formatSymbol(k) : formatValue(k);
    parts.push(`${key}=${formatValue(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

/** An array: `@<type>[a, b]`; the descriptor of a described array does not print. */
function formatArray(elementType: AmqpTypeName, elements: readonly unknown[]): string {
  const name = ARRAY_TYPE_NAME[elementType] ?? elementType;
  if (elementType === 'null' && elements.length > 0) {
    // Elements of a null array have no bytes; Proton prints the first and counts the rest.
    return elements.length > 1 ? `@<null>[null, ...(${elements.length - 1} more)]` : '@<null>[null]';
  }
  const parts = new Array<string>(elements.length);
  for (let i = 0; i < elements.length; i++) parts[i] = formatTyped(elementType, elements[i]);
  return `@<${name}>[${parts.join(', ')}]`;
}

/**
 * A value held in the plain form of a known AMQP type: a field of a composite, whose type the spec gives
 * (a `uint` field holds a number), or an array element. Anything not in that plain form prints as
 * {@link formatValue} prints it.
 */
function formatTyped(type: AmqpTypeName, v: unknown): string {
  switch (type) {
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'ulong':
      if (typeof v === 'number' || typeof v === 'bigint') return hexOf(v);
      break;
    case 'byte':
    case 'short':
    case 'int':
    case 'long':
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      break;
    case 'timestamp':
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      break;
    case 'float':
    case 'double':
      if (typeof v === 'number') return formatG(v);
      break;
    case 'string':
      if (typeof v === 'string') return formatString(v);
      break;
    case 'symbol':
      if (typeof v === 'string') return formatSymbol(v);
      break;
    case 'char':
      if (typeof v === 'string' || typeof v === 'number') return '';
      break;
    case 'uuid':
      if (v instanceof Uint8Array && v.length === 16) return `UUID(${new Uuid(v).toString()})`;
      break;
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
      if (v instanceof Uint8Array) return formatDecimal(type, v);
      break;
    default:
      break;
  }
  return formatValue(v);
}

/** A described value that is not a composite object of the spec. */
function formatDescribed(d: Described): string {
  const desc = d.descriptor;
  if (desc instanceof ULong && desc.value <= 0xffn) {
    // The encoder writes these as smallulong or ulong0: Proton names the code when the spec has it,
    // and a described list prints like a composite's fields (nulls left out), by name when known.
    const code = Number(desc.value);
    const spec = code === 0 ? undefined : compositeSpec(code);
    const head = spec === undefined ? `@${code} ` : `@${spec.name}(${code}) `;
    if (Array.isArray(d.value) && code !== 0) {
      const names = spec?.fields ?? [];
      const parts: string[] = [];
      for (let i = 0; i < d.value.length; i++) {
        const item = d.value[i];
        if (item === null || item === undefined) continue;
        parts.push(i < names.length ? `${names[i]!.name}=${formatValue(item)}` : formatValue(item));
      }
      return `${head}[${parts.join(', ')}]`;
    }
    return head + formatValue(d.value);
  }
  return `@${formatValue(desc)}${formatValue(d.value)}`;
}

/** Any value: an AMQP value as the decoder gives it, or a composite object (an `Open`, a `Source`…). */
export function formatValue(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      // As the encoder maps a number: a long when it is a whole number in range, else a double.
      return Number.isInteger(v) && !Object.is(v, -0) && v >= -TWO_63 && v < TWO_63 ? String(v) : formatG(v);
    case 'bigint':
      return String(v);
    case 'string':
      return formatString(v);
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return formatBinary(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof Map) return formatMap(v, false);
  if (v instanceof Date) return String(v.getTime());
  if (v instanceof AmqpSymbol) return formatSymbol(v.value);
  if (v instanceof UByte || v instanceof UShort || v instanceof UInt || v instanceof ULong) {
    return hexOf(v.value);
  }
  if (v instanceof Byte || v instanceof Short || v instanceof Int) return String(v.value);
  if (v instanceof Float || v instanceof Double) return formatG(v.value);
  if (v instanceof Char) return '';
  if (v instanceof Timestamp) return String(v.value);
  if (v instanceof Uuid) return `UUID(${v.toString()})`;
  if (v instanceof Decimal32 || v instanceof Decimal64 || v instanceof Decimal128) {
    return formatDecimal(v.type, v.bytes);
  }
  if (v instanceof Described) return formatDescribed(v);
  if (v instanceof AmqpArray) return formatArray(v.elementType, v.elements);
  const spec = specOf(v);
  if (spec !== undefined) return formatComposite(spec, v as Record<string, unknown>);
  return formatMap(v, false); // a plain object: the encoder writes it as a map with string keys
}

/** A field of a composite, by the spec's type of the field. */
function formatField(f: FieldSpec, v: unknown): string {
  const anyType = f.kind === '*' || f.kind === 'composite';
  if (f.multiple && Array.isArray(v))
    return anyType ? formatValue(v) : formatArray(f.kind as AmqpTypeName, v);
  if (anyType) return formatValue(v);
  if (f.kind === 'map' && SYMBOL_KEYED.has(f.type) && typeof v === 'object' && v !== null) {
    return formatMap(v, true);
  }
  return formatTyped(f.kind as AmqpTypeName, v);
}

function formatComposite(spec: CompositeSpec, obj: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const f of spec.fields) {
    const v = obj[f.key];
    if (v === undefined || v === null) continue;
    const masked = maskedSaslField(spec.name, f.name, obj, v);
    parts.push(`${f.name}=${masked ?? formatField(f, v)}`);
  }
  return `@${spec.name}(${spec.code}) [${parts.join(', ')}]`;
}

/** The text of a SASL field that may carry a secret, or `undefined` for a field that prints as usual. */
function maskedSaslField(
  composite: string,
  field: string,
  obj: Readonly<Record<string, unknown>>,
  v: unknown,
): string | undefined {
  if (!(v instanceof Uint8Array)) return undefined;
  if (composite === 'sasl-response' && field === 'response') return maskedLength(v);
  if (composite !== 'sasl-init' || field !== 'initial-response') return undefined;
  const m = obj.mechanism;
  const mechanism = (m instanceof AmqpSymbol ? m.value : String(m)).toUpperCase();
  if (mechanism === 'ANONYMOUS' || mechanism === 'EXTERNAL') return undefined;
  if (mechanism === 'PLAIN') return maskPlain(v);
  return maskedLength(v);
}

function maskedLength(v: Uint8Array): string {
  return `<${v.length} bytes masked>`;
}

/** PLAIN's `authzid NUL authcid NUL password`, printed up to the second NUL, then `***`. */
export function maskPlain(response: Uint8Array): string {
  const first = response.indexOf(0);
  const second = first < 0 ? -1 : response.indexOf(0, first + 1);
  return second < 0 ? 'b"***"' : `b"${quoteBytes(response.subarray(0, second + 1))}***"`;
}

/**
 * A performative or SASL frame (any composite object of the spec, as decoded or about to be encoded):
 * `@open(16) [container-id="c", channel-max=0x7fff]`. SASL secrets print masked (see the module notes).
 */
export function formatPerformative(obj: object): string {
  const spec = specOf(obj);
  return spec === undefined ? formatValue(obj) : formatComposite(spec, obj as Record<string, unknown>);
}

/**
 * A frame's payload as Proton prints it after the performative: `(size) bytes`, the bytes quoted as
 * binaries are (without quotes), cut at 511 characters with ` ... (truncated)`.
 */
export function formatPayload(payload: Uint8Array): string {
  let s = '';
  let truncated = false;
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i]!;
    if (plain(c)) {
      if (s.length >= PAYLOAD_TEXT_MAX) {
        truncated = true;
        break;
      }
      s += String.fromCharCode(c);
    } else {
      if (s.length >= PAYLOAD_TEXT_MAX - 3) {
        truncated = true;
        break;
      }
      s += ESCAPE[c];
    }
  }
  return truncated ? `(${payload.length}) ${s} ... (truncated)` : `(${payload.length}) ${s}`;
}

/**
 * The text of a frame after its channel and direction: the performative, then the payload if there is
 * one (`@transfer(20) […] (36) \x00Sp…`); `(EMPTY FRAME)` for an empty frame (a heartbeat), given as
 * no performative.
 */
export function formatFrame(performative: object | undefined, payload?: Uint8Array): string {
  if (performative === undefined) return EMPTY_FRAME_TEXT;
  const text = formatPerformative(performative);
  return payload !== undefined && payload.length > 0 ? `${text} ${formatPayload(payload)}` : text;
}

/** The prefix of a transport's lines, from its id: `[0x1f]` (Proton prints its logger's address). */
export function tracePrefix(id: number | bigint): string {
  return `[0x${id.toString(16)}]`;
}

/** A line of Proton's log: `prefix:SUBSYSTEM:LEVEL:message`, subsystem and level right-aligned in 5. */
function logLine(prefix: string, subsystem: string, message: string): string {
  return `${prefix}:${subsystem.padStart(5)}:FRAME:${message}`;
}

/**
 * The trace line of a frame (AMQP and SASL frames alike): `[0x1]: AMQP:FRAME:0 -> @open(16) […]`; `body`
 * is what {@link formatFrame} gives.
 */
export function traceLine(
  direction: TraceDirection,
  channel: number,
  body: string,
  prefix: string = DEFAULT_TRACE_PREFIX,
): string {
  return logLine(prefix, 'AMQP', `${channel} ${direction} ${body}`);
}

/**
 * The trace line of a protocol header: `[0x1]: SASL:FRAME:  -> SASL`, `[0x1]: AMQP:FRAME:  <- AMQP`.
 * Proton traces no TLS header.
 */
export function traceHeaderLine(
  direction: TraceDirection,
  protocol: 'AMQP' | 'SASL',
  prefix: string = DEFAULT_TRACE_PREFIX,
): string {
  return logLine(prefix, protocol, `  ${direction} ${protocol}`);
}

/** The trace line of the end of a stream: `[0x1]:   IO:FRAME:  -> EOS` (written) or `<- EOS` (read). */
export function traceEosLine(direction: TraceDirection, prefix: string = DEFAULT_TRACE_PREFIX): string {
  return logLine(prefix, 'IO', `  ${direction} EOS`);
}
