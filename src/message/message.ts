/**
 * `Message`: an AMQP message with every field of Proton's, its header, delivery and message annotations,
 * properties, application properties, body and footer.
 */
import type { DecodeOptions } from '../codec/decoder.js';
import type { EncodeOptions } from '../codec/encoder.js';
import { encodeToSend } from '../codec/lent-buffers.js';
import { pythonFloat, pythonRepr } from '../codec/python-repr.js';
import type { AmqpValue, Encodable, ULong, Uuid } from '../codec/types.js';
import { InvalidOptionError } from '../errors.js';
import { decodeMessage, encodeMessage, encodeMessageToSend } from './message-codec.js';

/**
 * A message-id or correlation-id: a number or bigint (sent as ulong), a string, a uuid or binary. AMQP: the
 * `message-id-ulong`, `-string`, `-uuid` and `-binary` types; Proton: what `Message.id` takes.
 */
export type MessageId = number | bigint | ULong | string | Uuid | Uint8Array;

/**
 * An annotations map (delivery annotations, message annotations, footer). Keys are symbols on the wire:
 * a string key is a symbol; a `ULong` key stays a ulong. AMQP: the `annotations` type; Proton:
 * `AnnotationDict`.
 */
export type Annotations = Map<AmqpValue, AmqpValue>;

/**
 * Application properties: string keys to simple values. AMQP: the `application-properties` section;
 * Proton: `Message.properties`.
 */
export type ApplicationProperties = Record<string, AmqpValue>;

/**
 * How the body is carried: `'value'` is one amqp-value section holding any value; `'data'` is binary in
 * data sections; `'sequence'` is a list in amqp-sequence sections. (Proton Python's `inferred` is true for
 * data and sequence.)
 */
export type BodyKind = 'value' | 'data' | 'sequence';

/**
 * A body of several sections: for a `'data'` message each section is a `Uint8Array`, for a
 * `'sequence'` message each is a list. A body of one section is just the section's content. AMQP allows
 * several `data` or `amqp-sequence` sections; proton-ts only: Proton Python keeps just one.
 */
export class BodySections {
  constructor(
    /** The sections' contents, in order: each becomes one AMQP `data` or `amqp-sequence` section. */
    readonly sections: readonly Encodable[],
  ) {}
}

/**
 * The fields a `Message` can be constructed with, as `new Message({ address, body })` (Proton Python takes
 * them as keyword arguments). An unknown field throws `InvalidOptionError`.
 */
export interface MessageInit {
  /**
   * Header `durable`: the message must survive a broker restart (Proton: `Message.durable`).
   * @default false
   */
  durable?: boolean;
  /** Header `priority`, 0 to 255 (Proton: `Message.priority`). @default 4 */
  priority?: number;
  /** Header `ttl`, in milliseconds; 0 for none (Proton: `Message.ttl`, in seconds). @default 0 */
  ttl?: number;
  /** Header `first-acquirer` (Proton: `Message.first_acquirer`). @default false */
  firstAcquirer?: boolean;
  /**
   * Header `delivery-count`: earlier failed delivery attempts (Proton: `Message.delivery_count`).
   * @default 0
   */
  deliveryCount?: number;
  /** Properties `message-id`; a number goes as a ulong (Proton: `Message.id`). */
  id?: MessageId;
  /** Properties `user-id`: the authenticated sender's identity, as bytes (Proton: `Message.user_id`). */
  userId?: Uint8Array;
  /** Properties `to`: the address the message is for (Proton: `Message.address`). */
  address?: string;
  /** Properties `subject` (Proton: `Message.subject`). */
  subject?: string;
  /** Properties `reply-to`: where answers go (Proton: `Message.reply_to`). */
  replyTo?: string;
  /**
   * Properties `correlation-id`: the id of the message this one answers (Proton: `Message.correlation_id`).
   */
  correlationId?: MessageId;
  /** Properties `content-type`, a MIME type sent as a symbol (Proton: `Message.content_type`). */
  contentType?: string;
  /** Properties `content-encoding`, sent as a symbol (Proton: `Message.content_encoding`). */
  contentEncoding?: string;
  /**
   * Properties `absolute-expiry-time`, in ms since the epoch; 0 for none (Proton: `Message.expiry_time`, in
   * seconds).
   * @default 0
   */
  expiryTime?: number | bigint;
  /**
   * Properties `creation-time`, in ms since the epoch; 0 for none (Proton: `Message.creation_time`, in
   * seconds).
   * @default 0
   */
  creationTime?: number | bigint;
  /** Properties `group-id` (Proton: `Message.group_id`). */
  groupId?: string;
  /** Properties `group-sequence` (Proton: `Message.group_sequence`). @default 0 */
  groupSequence?: number;
  /** Properties `reply-to-group-id` (Proton: `Message.reply_to_group_id`). */
  replyToGroupId?: string;
  /**
   * The delivery-annotations section; a plain object's keys become symbols (Proton: `Message.instructions`).
   */
  instructions?: Annotations | Readonly<Record<string, Encodable>>;
  /**
   * The message-annotations section; a plain object's keys become symbols (Proton: `Message.annotations`).
   */
  annotations?: Annotations | Readonly<Record<string, Encodable>>;
  /** The application-properties section: string keys to simple values (Proton: `Message.properties`). */
  properties?: Readonly<Record<string, Encodable>> | ReadonlyMap<string, Encodable>;
  /**
   * The body: one amqp-value, binary for data, a list for amqp-sequence, or {@link BodySections} (Proton:
   * `Message.body`).
   */
  body?: Encodable | BodySections;
  /**
   * How the body is carried; `'data'` and `'sequence'` are Proton's `Message.inferred = True`.
   * @default 'value'
   */
  bodyKind?: BodyKind;
  /** The footer section: annotations after the body (Proton 0.37 has no footer). */
  footer?: Annotations | Readonly<Record<string, Encodable>>;
}

const FIELDS = new Set<string>([
  'durable',
  'priority',
  'ttl',
  'firstAcquirer',
  'deliveryCount',
  'id',
  'userId',
  'address',
  'subject',
  'replyTo',
  'correlationId',
  'contentType',
  'contentEncoding',
  'expiryTime',
  'creationTime',
  'groupId',
  'groupSequence',
  'replyToGroupId',
  'instructions',
  'annotations',
  'properties',
  'body',
  'bodyKind',
  'footer',
]);

/** An annotations map from a plain object (its keys as symbols) or a Map. */
export function toAnnotations(v: Annotations | Readonly<Record<string, Encodable>>): Annotations {
  return v instanceof Map ? v : new Map(Object.entries(v) as [string, AmqpValue][]);
}

/**
 * Sets a property as an own data property. A plain assignment of the key `__proto__` would replace the
 * object's prototype instead; here it is just a key. (Objects with a null prototype would avoid that too,
 * but V8 keeps them as slow dictionaries, and properties are decoded for every message.)
 */
export function setProperty(obj: ApplicationProperties, key: string, value: AmqpValue): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Application properties from a Map or an object, into a new object. */
export function toProperties(
  v: Readonly<Record<string, Encodable>> | ReadonlyMap<string, Encodable>,
): ApplicationProperties {
  const out: ApplicationProperties = {};
  const entries = v instanceof Map ? v.entries() : Object.entries(v);
  for (const [k, x] of entries) setProperty(out, k, x as AmqpValue);
  return out;
}

/** An AMQP message. Fields left at their defaults are not sent. */
export class Message {
  /** The default priority (4), which is not sent. Proton: `Message.DEFAULT_PRIORITY`. */
  static readonly DEFAULT_PRIORITY = 4;

  // header
  /**
   * Header `durable`: the message must survive a broker restart. Proton: `Message.durable`.
   * @default false
   */
  durable = false;
  /** Header `priority`, 0 to 255. Proton: `Message.priority`. @default 4 */
  priority = 4;
  /** Header `ttl`: time to live in milliseconds; 0 for none. Proton: `Message.ttl`, in seconds. @default 0 */
  ttl = 0;
  /** Header `first-acquirer`. Proton: `Message.first_acquirer`. @default false */
  firstAcquirer = false;
  /**
   * Header `delivery-count`: earlier unsuccessful delivery attempts. Proton: `Message.delivery_count`.
   * @default 0
   */
  deliveryCount = 0;

  // properties
  /** Properties `message-id`. A number is sent as a ulong. Proton: `Message.id`. */
  id: MessageId | undefined = undefined;
  /** Properties `user-id`. Proton: `Message.user_id`. */
  userId: Uint8Array | undefined = undefined;
  /** Properties `to`: the address the message is for. Proton: `Message.address`. */
  address: string | undefined = undefined;
  /** Properties `subject`. Proton: `Message.subject`. */
  subject: string | undefined = undefined;
  /** Properties `reply-to`. Proton: `Message.reply_to`. */
  replyTo: string | undefined = undefined;
  /** Properties `correlation-id`. A number is sent as a ulong. Proton: `Message.correlation_id`. */
  correlationId: MessageId | undefined = undefined;
  /** Properties `content-type` (a symbol on the wire). Proton: `Message.content_type`. */
  contentType: string | undefined = undefined;
  /** Properties `content-encoding` (a symbol on the wire). Proton: `Message.content_encoding`. */
  contentEncoding: string | undefined = undefined;
  /**
   * Properties `absolute-expiry-time`, in milliseconds since the epoch; 0 for none. Proton:
   * `Message.expiry_time`, in seconds. @default 0
   */
  expiryTime: number | bigint = 0;
  /**
   * Properties `creation-time`, in milliseconds since the epoch; 0 for none. Proton: `Message.creation_time`,
   * in seconds. @default 0
   */
  creationTime: number | bigint = 0;
  /** Properties `group-id`. Proton: `Message.group_id`. */
  groupId: string | undefined = undefined;
  /**
   * Properties `group-sequence`: sent with a group id, or when not 0. Proton: `Message.group_sequence`.
   * @default 0
   */
  groupSequence = 0;
  /** Properties `reply-to-group-id`. Proton: `Message.reply_to_group_id`. */
  replyToGroupId: string | undefined = undefined;

  /** Delivery annotations (Proton's `instructions`). */
  instructions: Annotations | undefined = undefined;
  /** Message annotations. Proton: `Message.annotations`. */
  annotations: Annotations | undefined = undefined;
  /** Application properties: string keys only. Proton: `Message.properties`. */
  properties: ApplicationProperties | undefined = undefined;
  /**
   * The body: any value for `'value'`, binary for `'data'`, a list for `'sequence'`, or {@link BodySections}.
   * Proton: `Message.body`.
   */
  body: Encodable | BodySections = undefined;
  /**
   * How the body is carried; `'data'` and `'sequence'` are Proton's `Message.inferred = True`.
   * @default 'value'
   */
  bodyKind: BodyKind = 'value';
  /** The footer: annotations after the body (Proton 0.37 has no footer). */
  footer: Annotations | undefined = undefined;

  constructor(init?: MessageInit) {
    if (init === undefined) return;
    for (const key of Object.keys(init)) {
      if (!FIELDS.has(key)) throw new InvalidOptionError(key, 'Message has no such field');
    }
    const { instructions, annotations, properties, footer, ...plain } = init;
    Object.assign(this, plain);
    if (instructions !== undefined) this.instructions = toAnnotations(instructions);
    if (annotations !== undefined) this.annotations = toAnnotations(annotations);
    if (footer !== undefined) this.footer = toAnnotations(footer);
    if (properties !== undefined) this.properties = toProperties(properties);
  }

  /** The message as AMQP bytes: its sections, fields at their defaults left out. Proton: `Message.encode`. */
  encode(options?: EncodeOptions): Buffer {
    return encodeMessage(this, options);
  }

  /**
   * @internal The bytes `Sender.send` transfers: {@link encode}'s, a large body's in memory the transport
   * reuses once it is written (see lent-buffers.ts). A subclass's own `encode` is respected.
   */
  [encodeToSend](): Buffer {
    return this.encode === Message.prototype.encode ? encodeMessageToSend(this) : this.encode();
  }

  /** Sets every field from the AMQP bytes of a message, as Proton's `Message.decode` does. */
  decode(bytes: Uint8Array, options?: DecodeOptions): this {
    Object.assign(this, decodeMessage(bytes, options));
    return this;
  }

  /** A new message from the AMQP bytes of one. */
  static decode(bytes: Uint8Array, options?: DecodeOptions): Message {
    return decodeMessage(bytes, options);
  }

  /** Resets every field to its default. Proton: `Message.clear`. */
  clear(): void {
    Object.assign(this, new Message());
  }

  /** Prints as Proton Python's `Message.__repr__` does: the fields that are set, Python-style. */
  toString(): string {
    const parts: string[] = [];
    const add = (name: string, v: unknown, repr: (x: never) => string = pythonRepr) => {
      if (truthy(v)) parts.push(`${name}=${repr(v as never)}`);
    };
    add('inferred', this.bodyKind !== 'value');
    add('address', this.address);
    add('reply_to', this.replyTo);
    add('durable', this.durable);
    add('ttl', this.ttl, (ms: number) => pythonFloat(ms / 1000));
    add('priority', this.priority);
    add('first_acquirer', this.firstAcquirer);
    add('delivery_count', this.deliveryCount);
    add('id', idForRepr(this.id));
    add('correlation_id', idForRepr(this.correlationId));
    add('user_id', this.userId);
    add('group_id', this.groupId);
    add('group_sequence', this.groupSequence);
    add('reply_to_group_id', this.replyToGroupId);
    add('instructions', this.instructions, annotationsRepr);
    add('annotations', this.annotations, annotationsRepr);
    add('properties', this.properties);
    // Proton keeps one section of several; a body of one section prints as that section.
    const body =
      this.body instanceof BodySections
        ? this.body.sections.length === 1
          ? this.body.sections[0]
          : this.body.sections
        : this.body;
    add('body', body);
    return `Message(${parts.join(', ')})`;
  }
}

/** Proton Python gives a ulong id back as a plain int. */
function idForRepr(id: MessageId | undefined): unknown {
  return typeof id === 'object' && id !== null && 'type' in id && id.type === 'ulong' ? id.value : id;
}

function annotationsRepr(m: Annotations): string {
  const items = [...m].map(
    ([k, v]) => `${typeof k === 'string' ? `symbol(${pythonRepr(k)})` : pythonRepr(k)}: ${pythonRepr(v)}`,
  );
  return `AnnotationDict({${items.join(', ')}})`;
}

/** Python's truth value of what a field holds. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === 0n || v === '') return false;
  if (typeof v === 'number') return true;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object' && 'valueOf' in v) {
    const x = (v as { valueOf(): unknown }).valueOf();
    if (x !== v) return truthy(x);
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === null) return Object.keys(v).length > 0;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.keys(v).length > 0;
  return true;
}
