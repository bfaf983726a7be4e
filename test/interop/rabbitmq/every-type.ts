/**
 * Messages carrying every AMQP type (in application properties, message annotations, and the body as
 * amqp-value, data and amqp-sequence, with every header and properties field set), and a field by field,
 * type by type comparison of a message with the one that came back, through typed JSON
 * (test/support/typed-json.ts), so that a ulong that comes back as a long, or a symbol as a string, is a
 * difference.
 */
import {
  AmqpArray,
  type AmqpValue,
  BodySections,
  byte,
  char,
  Described,
  decimal32,
  decimal64,
  decimal128,
  double,
  float32,
  int32,
  Message,
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
} from '../../../src/index.js';
import { toTypedJson } from '../../support/typed-json.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

/** One value of every primitive type (what application properties may hold), by a name for each. */
export const PRIMITIVES: Record<string, AmqpValue> = {
  null: null,
  true: true,
  false: false,
  ubyte: ubyte(255),
  ushort: ushort(65535),
  uint: uint(0xffffffff),
  ulong: ulong(2n ** 64n - 1n),
  byte: byte(-128),
  short: short(-32768),
  int: int32(-(2 ** 31)),
  long: -(2n ** 63n),
  smallLong: 42,
  float: float32(1.5),
  double: 1234.5678e-200,
  wholeDouble: double(3),
  nan: Number.NaN,
  negativeZero: -0,
  decimal32: decimal32(bytes(0x22, 0x50, 0x00, 0x01)),
  decimal64: decimal64(bytes(0x22, 0x38, 0, 0, 0, 0, 0, 0x07)),
  decimal128: decimal128(bytes(0x22, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a)),
  char: char('€'),
  astralChar: char('😀'),
  timestamp: timestamp(1_700_000_000_123),
  uuid: uuid('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
  binary: bytes(0, 1, 2, 0xfe, 0xff),
  emptyBinary: bytes(),
  string: 'héllo wörld ✓',
  emptyString: '',
  longString: 'x'.repeat(300),
  symbol: symbol('a:symbol'),
};

/** Compound values: lists, maps with keys of several types, arrays, nesting. */
export const COMPOUNDS: Record<string, AmqpValue> = {
  list: [1, 'two', symbol('three'), null, [ubyte(4), [true]]],
  emptyList: [],
  map: new Map<AmqpValue, AmqpValue>([
    [symbol('k'), 'symbol key'],
    ['k', 'string key'],
    [ulong(7), 'ulong key'],
    [int32(7), 'int key'],
    [null, 'null key'],
  ]),
  emptyMap: new Map(),
  // Values wide enough for the element constructors RabbitMQ 3.10 parses (see RABBITMQ_UNPARSEABLE).
  intArray: new AmqpArray('int', [100_000, -2, 3]),
  ulongArray: new AmqpArray('ulong', [2n ** 40n, 1n]),
  symbolArray: new AmqpArray('symbol', ['a', 'b']),
  stringArray: new AmqpArray('string', ['x', 'y']),
  booleanArray: new AmqpArray('boolean', [true, false]),
  emptyArray: new AmqpArray('string', []),
};

/** Three messages, one per body section kind, all with every header and properties field set. */
export function everyTypeMessages(address: string): Message[] {
  const fields = {
    durable: true,
    priority: 7,
    ttl: 600_000,
    id: uuid('00112233-4455-6677-8899-aabbccddeeff'),
    correlationId: 'correlation',
    // RabbitMQ checks user-id against the authenticated user: ANONYMOUS connects as guest.
    userId: new TextEncoder().encode('guest'),
    address,
    subject: 'every type',
    replyTo: '/queue/replies',
    contentType: 'application/x-test',
    contentEncoding: 'identity',
    expiryTime: Date.now() + 3_600_000,
    creationTime: 1_700_000_000_000,
    groupId: 'group',
    groupSequence: 3,
    replyToGroupId: 'reply-group',
    properties: PRIMITIVES,
    annotations: new Map<AmqpValue, AmqpValue>(
      [...Object.entries({ ...PRIMITIVES, ...COMPOUNDS })].map(([k, v]) => [symbol(`x-opt-${k}`), v]),
    ),
  };
  const all = new Map<AmqpValue, AmqpValue>(Object.entries({ ...PRIMITIVES, ...COMPOUNDS }));
  return [
    new Message({ ...fields, bodyKind: 'value', body: all }),
    new Message({ ...fields, id: 'string-id', bodyKind: 'data', body: bytes(0, 0x80, 0xff, 0x41) }),
    new Message({
      ...fields,
      id: bytes(1, 2, 3),
      bodyKind: 'sequence',
      body: [symbol('first'), 1, ...Object.values(PRIMITIVES), ...Object.values(COMPOUNDS)],
    }),
  ];
}

/**
 * Values RabbitMQ 3.10 fails to parse (its amqp10_binary_parser and amqp10_framing), each of which ends
 * the connection: a described value (descriptor not one of the spec's) in the message annotations; arrays whose element constructor is a compact one (smallint, smalllong, smalluint,
 * smallulong, uint0, ulong0) or a list or map; an amqp-value body holding a list of two items or more
 * (read as the fields of the section itself).
 */
export const RABBITMQ_UNPARSEABLE: Record<string, Message> = {
  'array of smallint': new Message({ body: new AmqpArray('int', [1, 2]) }),
  'array of smallulong': new Message({ body: new AmqpArray('ulong', [1n]) }),
  'array of lists': new Message({ body: new AmqpArray('list', [[1], [2]]) }),
  'amqp-value list of 2': new Message({ body: ['a', 'b'] }),
  'described value in an annotation': new Message({
    annotations: new Map([[symbol('x-opt-d'), new Described(ulong(0x1234_0000_0001n), 1)]]),
    body: 'x',
  }),
};

/** What RabbitMQ 3.10 changes in a message it passes on (each sent in a message of its own). */
export const RABBITMQ_CHANGES = {
  /** A ulong correlation-id comes back as a long. */
  ulongCorrelationId: () => new Message({ correlationId: ulong(12345), body: 'ulong correlation-id' }),
  /** Several amqp-sequence sections come back in the reverse order. */
  sections: () => new Message({ bodyKind: 'sequence', body: new BodySections([['first'], ['second']]) }),
};

/** The header and properties fields compared, as `Message` names them. */
const FIELDS = [
  'durable',
  'priority',
  'ttl',
  'id',
  'correlationId',
  'userId',
  'address',
  'subject',
  'replyTo',
  'contentType',
  'contentEncoding',
  'expiryTime',
  'creationTime',
  'groupId',
  'groupSequence',
  'replyToGroupId',
  'bodyKind',
] as const;

const typed = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  if (v instanceof BodySections) return JSON.stringify(v.sections.map((s) => toTypedJson(s as AmqpValue)));
  return JSON.stringify(toTypedJson(v as AmqpValue));
};

/** A map's entries as typed JSON strings, keyed by the typed JSON of the key. */
function entries(
  m: ReadonlyMap<AmqpValue, AmqpValue> | Record<string, AmqpValue> | undefined,
  stringKeysAreSymbols = false,
) {
  const out = new Map<string, string>();
  const list = m === undefined ? [] : m instanceof Map ? [...m] : Object.entries(m);
  // Annotations decode their symbol keys as plain strings (the Message API's convention).
  for (const [k, v] of list)
    out.set(typed(stringKeysAreSymbols && typeof k === 'string' ? symbol(k) : k), typed(v));
  return out;
}

function compareEntries(
  what: string,
  sent: ReturnType<typeof entries>,
  got: ReturnType<typeof entries>,
  out: string[],
  extrasAllowed: boolean,
): void {
  for (const [k, v] of sent) {
    const g = got.get(k);
    if (g !== v) out.push(`${what} ${k}: sent ${v}, got ${g ?? 'nothing'}`);
  }
  if (!extrasAllowed) for (const k of got.keys()) if (!sent.has(k)) out.push(`${what} ${k}: not sent`);
}

/**
 * The differences between a message sent and the one received, field by field, type by type: empty when
 * every field, property, annotation and the body came back as they went. Annotations the broker added
 * are listed in `added`, not counted as differences.
 */
export function differences(sent: Message, got: Message, added: string[] = []): string[] {
  const out: string[] = [];
  for (const f of FIELDS) {
    const a = typed(sent[f] as unknown);
    const b = typed(got[f] as unknown);
    if (a !== b) out.push(`${f}: sent ${a}, got ${b}`);
  }
  compareEntries('application property', entries(sent.properties), entries(got.properties), out, false);
  const sentAnn = entries(sent.annotations, true);
  const gotAnn = entries(got.annotations, true);
  compareEntries('annotation', sentAnn, gotAnn, out, true);
  for (const k of gotAnn.keys()) if (!sentAnn.has(k)) added.push(k);
  const a = typed(sent.body);
  const b = typed(got.body);
  if (a !== b) out.push(`body: sent ${a}, got ${b}`);
  return out;
}
