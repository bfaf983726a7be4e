/**
 * A message to bytes and back: the sections of the AMQP bare and annotated message, in order, with
 * Proton's encoding rules (fields at their defaults not sent, priority 4 and zero times as null, the
 * group sequence only with a group id, integer ids as ulong). Decoding accepts every width, and keeps
 * data bodies as views of the input.
 */
import { ByteWriter } from '../codec/byte-writer.js';
import {
  compositeSpec,
  readFieldsInto,
  readSpecDescriptor,
  symbolKeysToStrings,
  writeFieldsFrom,
  writeSymbolKeyedMap,
} from '../codec/composites.js';
import { type DecodeOptions, type Decoder, decodeWith } from '../codec/decoder.js';
import { type EncodeOptions, Encoder } from '../codec/encoder.js';
import { Code } from '../codec/format-codes.js';
import { LENT_MIN } from '../codec/lent-buffers.js';
import type { CompositeSpec } from '../codec/spec.js';
import { type AmqpValue, type Encodable, ULong, Uuid } from '../codec/types.js';
import { DecodeError, EncodeError } from '../errors.js';
import { type ApplicationProperties, BodySections, Message, type MessageId, setProperty } from './message.js';

/**
 * The descriptor codes of the AMQP message sections (AMQP 1.0 section 3.2, `amqp:header:list` 0x70 to
 * `amqp:footer:map` 0x78). proton-ts only: Proton Python exposes no such table.
 */
export const Section = {
  /** `amqp:header:list`: durability, priority, ttl, first-acquirer, delivery-count. */
  header: 0x70,
  /** `amqp:delivery-annotations:map`: annotations for the next hop only. */
  deliveryAnnotations: 0x71,
  /** `amqp:message-annotations:map`: annotations that travel with the message. */
  messageAnnotations: 0x72,
  /** `amqp:properties:list`: the immutable standard properties (id, to, reply-to...). */
  properties: 0x73,
  /** `amqp:application-properties:map`: the application's string-keyed properties. */
  applicationProperties: 0x74,
  /** `amqp:data:binary`: one opaque binary body section. */
  data: 0x75,
  /** `amqp:amqp-sequence:list`: one list body section. */
  amqpSequence: 0x76,
  /** `amqp:amqp-value:*`: the single AMQP value body. */
  amqpValue: 0x77,
  /** `amqp:footer:map`: annotations after the body (checksums, signatures). */
  footer: 0x78,
} as const;

const HEADER = compositeSpec('header') as CompositeSpec;
const PROPERTIES = compositeSpec('properties') as CompositeSpec;

function sectionStart(e: Encoder, code: number): void {
  e.w.u8(Code.described);
  e.w.u8(Code.smallulong);
  e.w.u8(code);
}

/** An id as it goes on the wire: a number is a ulong. */
function wireId(id: MessageId | undefined, field: string): Encodable {
  if (id === undefined || id === null) return null;
  if (typeof id === 'number' || typeof id === 'bigint') {
    if (id < 0) throw new EncodeError(`message ${field} must not be negative: ${id}`);
    return new ULong(id);
  }
  if (typeof id === 'string' || id instanceof Uint8Array || id instanceof Uuid || id instanceof ULong)
    return id;
  throw new EncodeError(`message ${field} must be a number, bigint, string, Uuid or Uint8Array`);
}

/** An id as the application sees it: a ulong becomes a number (a bigint past 2^53). */
function appId(v: unknown): MessageId | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof ULong) return v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
  if (typeof v === 'string' || v instanceof Uint8Array || v instanceof Uuid) return v;
  return v as MessageId;
}

/** The header's field `i` (spec order) as it goes on the wire: null for a default, which is not sent. */
function headerField(m: Message, i: number): unknown {
  switch (i) {
    case 0:
      return m.durable || null;
    case 1:
      return m.priority === Message.DEFAULT_PRIORITY ? null : m.priority;
    case 2:
      return m.ttl || null;
    case 3:
      return m.firstAcquirer || null;
    default:
      return m.deliveryCount || null;
  }
}

/**
 * The properties' field `i` (spec order) as it goes on the wire. The ids come as the application set
 * them: a number is written by {@link writeNumericId}, anything else made a wire id here.
 */
function propertiesField(m: Message, i: number): unknown {
  switch (i) {
    case 0:
      return typeof m.id === 'number' ? m.id : wireId(m.id, 'id');
    case 1:
      return m.userId;
    case 2:
      return m.address;
    case 3:
      return m.subject;
    case 4:
      return m.replyTo;
    case 5:
      return typeof m.correlationId === 'number' ? m.correlationId : wireId(m.correlationId, 'correlationId');
    case 6:
      return m.contentType;
    case 7:
      return m.contentEncoding;
    case 8:
      return m.expiryTime || null;
    case 9:
      return m.creationTime || null;
    case 10:
      return m.groupId;
    case 11:
      // As Proton does: sent with a group id (even when 0), and whenever it is not 0.
      return m.groupId === undefined && m.groupSequence === 0 ? null : m.groupSequence;
    default:
      return m.replyToGroupId;
  }
}

/** A numeric message-id or correlation-id (fields 0 and 5), written as a ulong with no `ULong` made. */
function writeNumericId(e: Encoder, i: number, v: unknown): boolean {
  if (typeof v !== 'number' || (i !== 0 && i !== 5)) return false;
  const field = i === 0 ? 'id' : 'correlationId';
  if (Number.isSafeInteger(v) && v >= 0) e.ulong(v);
  else e.value(wireId(v, field) as Encodable);
  return true;
}

/** Writes `m`'s sections into `e`. */
export function writeMessage(e: Encoder, m: Message): void {
  const keepEmpty = e.proton037;
  if (
    m.durable ||
    m.priority !== Message.DEFAULT_PRIORITY ||
    m.ttl !== 0 ||
    m.firstAcquirer ||
    m.deliveryCount !== 0 ||
    keepEmpty
  ) {
    writeFieldsFrom(e, HEADER, m, headerField);
  }
  if (m.instructions !== undefined) {
    sectionStart(e, Section.deliveryAnnotations);
    writeSymbolKeyedMap(e, m.instructions);
  }
  if (m.annotations !== undefined) {
    sectionStart(e, Section.messageAnnotations);
    writeSymbolKeyedMap(e, m.annotations);
  }
  const hasProperties =
    m.id !== undefined ||
    m.userId !== undefined ||
    m.address !== undefined ||
    m.subject !== undefined ||
    m.replyTo !== undefined ||
    m.correlationId !== undefined ||
    m.contentType !== undefined ||
    m.contentEncoding !== undefined ||
    (m.expiryTime !== 0 && m.expiryTime !== 0n) ||
    (m.creationTime !== 0 && m.creationTime !== 0n) ||
    m.groupId !== undefined ||
    m.groupSequence !== 0 ||
    m.replyToGroupId !== undefined;
  if (hasProperties || keepEmpty) writeFieldsFrom(e, PROPERTIES, m, propertiesField, writeNumericId);
  if (m.properties !== undefined) writeApplicationProperties(e, m.properties);
  writeBody(e, m);
  if (m.footer !== undefined) {
    sectionStart(e, Section.footer);
    writeSymbolKeyedMap(e, m.footer);
  }
}

function writeApplicationProperties(e: Encoder, props: ApplicationProperties): void {
  sectionStart(e, Section.applicationProperties);
  const start = e.beginCompound(Code.map8, Code.map32);
  let count = 0;
  if (props instanceof Map) {
    for (const [k, v] of props as Map<unknown, Encodable>) {
      if (typeof k !== 'string') {
        throw new EncodeError(`application property key is not a string: ${String(k)} (${typeof k})`);
      }
      e.string(k);
      e.value(v);
      count += 2;
    }
  } else {
    for (const k in props) {
      e.string(k);
      e.value(props[k]);
      count += 2;
    }
  }
  e.endCompound(start, count, Code.map32);
}

/** Reads the application-properties map straight into an object. */
function readApplicationProperties(d: Decoder): ApplicationProperties {
  const at = d.pos;
  const code = d.u8('application-properties');
  if (code !== Code.map8 && code !== Code.map32)
    throw new DecodeError('application-properties must be a map', at);
  d.enter(at);
  const { count, outerEnd } = d.compound(code, 'application-properties');
  if (count % 2 !== 0) throw new DecodeError(`map has an odd number of elements (${count})`, at);
  const props: ApplicationProperties = {};
  for (let i = 0; i < count; i += 2) {
    const kat = d.pos;
    const kc = d.u8('application property key');
    if (kc !== Code.str8 && kc !== Code.str32) {
      throw new DecodeError('application property key is not a string', kat);
    }
    setProperty(props, d.utf8(kc === Code.str8 ? d.u8('string') : d.u32('string')), d.value());
  }
  d.leave(outerEnd, 'application-properties');
  return props;
}

function writeBody(e: Encoder, m: Message): void {
  const body = m.body;
  const sections = body instanceof BodySections ? body.sections : [body];
  switch (m.bodyKind) {
    case 'value':
      if (body instanceof BodySections)
        throw new EncodeError('a value body is one section: BodySections needs data or sequence');
      // Proton 0.37 sends no body section for no body; an AMQP message should have one, so we send null.
      if ((body === undefined || body === null) && e.proton037) return;
      sectionStart(e, Section.amqpValue);
      e.value(body);
      return;
    case 'data':
      for (const s of sections) {
        if (!(s instanceof Uint8Array))
          throw new EncodeError('a data body must be a Uint8Array (or BodySections of them)');
        sectionStart(e, Section.data);
        e.binary(s);
      }
      return;
    case 'sequence':
      for (const s of sections) {
        if (!Array.isArray(s))
          throw new EncodeError('a sequence body must be an array (or BodySections of arrays)');
        sectionStart(e, Section.amqpSequence);
        e.list(s);
      }
      return;
    default:
      throw new EncodeError(`unknown bodyKind '${String(m.bodyKind)}': use 'value', 'data' or 'sequence'`);
  }
}

const shared = {
  compact: new Encoder(new ByteWriter()),
  proton037: new Encoder(new ByteWriter(), { widths: 'proton-0.37' }),
};

/**
 * Encodes a message into a new Buffer: its AMQP sections, in order. Proton: `Message.encode()`. `widths`
 * defaults to the compact encodings; `'proton-0.37'` matches Proton 0.37's bytes.
 */
export function encodeMessage(m: Message, options: EncodeOptions = {}): Buffer {
  const e = options.widths === 'proton-0.37' ? shared.proton037 : shared.compact;
  e.w.pos = 0;
  try {
    writeMessage(e, m);
    return e.w.take();
  } finally {
    e.w.pos = 0;
  }
}

/** A message for `Sender.send` with no large binary body is encoded after the last one, in a slab this big... */
const SEND_SLAB = 64 * 1024;
/** ...while this much room is left in it. */
const SEND_ROOM = 4096;
/** The encoder of messages given to `Sender.send` without a large body: an arena (ByteWriter.beginView). */
const toSend = new Encoder(new ByteWriter(SEND_SLAB));

/**
 * Encodes a message for `Sender.send`, with the compact encodings, into memory nobody else writes: a
 * large binary body into a buffer lent by lent-buffers.ts, which the transport gives back once it is
 * written; anything else as a view of a slab shared with the messages sent before and after it (no
 * buffer and copy per message; the slab lives as long as the transport holds one of them, which for
 * small messages is until their transfer is written). The caller must hand the result to the transport
 * and keep no other reference to it.
 */
export function encodeMessageToSend(m: Message): Buffer {
  if (m.body instanceof Uint8Array && m.body.length >= LENT_MIN) {
    const w = shared.compact.w;
    w.lending = true;
    try {
      return encodeMessage(m);
    } finally {
      w.lending = false;
    }
  }
  const w = toSend.w;
  w.beginView(SEND_ROOM, SEND_SLAB);
  try {
    writeMessage(toSend, m);
  } catch (err) {
    w.dropView();
    throw err;
  }
  return w.takeView();
}

/** Reads the section code of a described section (-1 for a descriptor naming no section); the constructor 0x00 is at `at`. */
function sectionCode(d: Decoder, at: number): number {
  const code = d.u8('section');
  if (code !== Code.described) throw new DecodeError('a message section must be a described type', at);
  return readSpecDescriptor(d)?.code ?? -1;
}

function readMap(d: Decoder, what: string): Map<AmqpValue, AmqpValue> {
  const at = d.pos;
  const v = d.value();
  if (!(v instanceof Map)) throw new DecodeError(`${what} must be a map`, at);
  return v;
}

/** Reads a message from `bytes` (all of them): its AMQP sections. Proton: `Message().decode(bytes)`. */
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions = {}): Message {
  return decodeWith(bytes, options, readMessage);
}

/** Sets the message field of the header's field `i` (spec order), present on the wire as `v`. */
function setHeaderField(m: Message, i: number, v: unknown): void {
  switch (i) {
    case 0:
      m.durable = v as boolean;
      break;
    case 1:
      m.priority = v as number;
      break;
    case 2:
      m.ttl = v as number;
      break;
    case 3:
      m.firstAcquirer = v as boolean;
      break;
    case 4:
      m.deliveryCount = v as number;
      break;
  }
}

/**
 * The message-id or correlation-id (fields 0 and 5) when it is a ulong below 2^53, as the number the
 * application gets: without the `ULong` and bigint the generic reader would make and `appId` undo.
 * Undefined, having read nothing, for anything else.
 */
function readNumericId(d: Decoder, i: number): number | undefined {
  if (i !== 0 && i !== 5) return undefined;
  const b = d.buf;
  const p = d.pos;
  if (p >= d.end) return undefined;
  const code = b[p];
  if (code === Code.smallulong && d.end - p >= 2) {
    d.pos = p + 2;
    return b[p + 1];
  }
  if (code === Code.ulong && d.end - p >= 9) {
    const hi = b.readUInt32BE(p + 1);
    if (hi >= 0x200000) return undefined;
    d.pos = p + 9;
    return hi * 0x100000000 + b.readUInt32BE(p + 5);
  }
  if (code === Code.ulong0) {
    d.pos = p + 1;
    return 0;
  }
  return undefined;
}

/** Sets the message field of the properties' field `i` (spec order), present on the wire as `v`. */
function setPropertiesField(m: Message, i: number, v: unknown): void {
  switch (i) {
    case 0:
      m.id = appId(v);
      break;
    case 1:
      m.userId = v as Uint8Array;
      break;
    case 2:
      m.address = v as string;
      break;
    case 3:
      m.subject = v as string;
      break;
    case 4:
      m.replyTo = v as string;
      break;
    case 5:
      m.correlationId = appId(v);
      break;
    case 6:
      m.contentType = v as string;
      break;
    case 7:
      m.contentEncoding = v as string;
      break;
    case 8:
      m.expiryTime = v as number | bigint;
      break;
    case 9:
      m.creationTime = v as number | bigint;
      break;
    case 10:
      m.groupId = v as string;
      break;
    case 11:
      m.groupSequence = v as number;
      break;
    case 12:
      m.replyToGroupId = v as string;
      break;
  }
}

/** Reads a message's sections, to the end of the decoder's bytes. */
export function readMessage(d: Decoder): Message {
  const m = new Message();
  let last = 0;
  let bodySections: Encodable[] | undefined;
  while (d.pos < d.end) {
    const at = d.pos;
    const code = sectionCode(d, at);
    if (code < 0x70 || code > 0x78) throw new DecodeError('unknown message section', at);
    const isBody = code >= Section.data && code <= Section.amqpValue;
    if (code < last || (code === last && !isBody)) throw new DecodeError('message sections out of order', at);
    if (
      isBody &&
      last >= Section.data &&
      last <= Section.amqpValue &&
      (code !== last || code === Section.amqpValue)
    ) {
      throw new DecodeError('a message body mixes section kinds or has two amqp-value sections', at);
    }
    last = code;
    switch (code) {
      case Section.header:
        readFieldsInto(d, HEADER, m, setHeaderField);
        break;
      case Section.deliveryAnnotations:
        m.instructions = symbolKeysToStrings(readMap(d, 'delivery-annotations'));
        break;
      case Section.messageAnnotations:
        m.annotations = symbolKeysToStrings(readMap(d, 'message-annotations'));
        break;
      case Section.properties:
        readFieldsInto(d, PROPERTIES, m, setPropertiesField, readNumericId);
        break;
      case Section.applicationProperties:
        m.properties = readApplicationProperties(d);
        break;
      case Section.data: {
        const v = d.value();
        if (!(v instanceof Uint8Array)) throw new DecodeError('a data section must hold binary', at);
        m.bodyKind = 'data';
        if (bodySections === undefined) bodySections = [v];
        else bodySections.push(v);
        break;
      }
      case Section.amqpSequence: {
        const v = d.value();
        if (!Array.isArray(v)) throw new DecodeError('an amqp-sequence section must hold a list', at);
        m.bodyKind = 'sequence';
        if (bodySections === undefined) bodySections = [v];
        else bodySections.push(v);
        break;
      }
      case Section.amqpValue:
        m.bodyKind = 'value';
        m.body = d.value();
        break;
      case Section.footer:
        m.footer = symbolKeysToStrings(readMap(d, 'footer'));
        break;
    }
  }
  if (bodySections?.length === 1) m.body = bodySections[0];
  else if (bodySections !== undefined) m.body = new BodySections(bodySections);
  return m;
}
