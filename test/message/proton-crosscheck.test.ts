/**
 * Cross-checks `Message` against Apache Qpid Proton 0.37's (Debian's python3-qpid-proton), through
 * test/fixtures/proton/messages.py and a neutral form of every message field (typed JSON for values,
 * milliseconds for times; see the module comment of messages.py):
 *
 * (a) Proton builds and encodes a covering set of messages; each decodes here to the fields Proton
 *     decodes it to, prints (`String(msg)`) as Proton's `repr`, and re-encodes with Proton 0.37's
 *     widths to Proton's bytes;
 * (b) the same messages built here, plus messages only proton-ts can build (bigint ids, a footer,
 *     several data or sequence sections), encoded with both width modes, decode in Proton to the
 *     fields we meant, or to what Proton 0.37 is known to make of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AmqpArray,
  type AmqpValue,
  type Annotations,
  type BodyKind,
  BodySections,
  Described,
  type Encodable,
  float32,
  Message,
  type MessageId,
  symbol,
  ULong,
  ulong,
  uuid,
} from '../../src/index.js';
import {
  brief,
  decodeInProton,
  encodeInEveryWidth,
  hexOf,
  mismatch,
  requireProton,
  runProtonScript,
} from '../support/proton-python.js';
import { fromTypedJson, type TypedJson, toTypedJson } from '../support/typed-json.js';

/** Every field of a message in the neutral form messages.py prints. */
interface Fields {
  durable: boolean;
  priority: number;
  /** Milliseconds. */
  ttl: number;
  first_acquirer: boolean;
  delivery_count: number;
  id: TypedJson | null;
  /** Hex; '' when unset (Proton does not tell unset from empty). */
  user_id: string;
  address: string | null;
  subject: string | null;
  reply_to: string | null;
  correlation_id: TypedJson | null;
  content_type: string | null;
  content_encoding: string | null;
  /** Milliseconds since the epoch. */
  expiry_time: number;
  /** Milliseconds since the epoch. */
  creation_time: number;
  group_id: string | null;
  group_sequence: number;
  reply_to_group_id: string | null;
  instructions: TypedJson | null;
  annotations: TypedJson | null;
  properties: TypedJson | null;
  /** null for no body, or a null body. */
  body: TypedJson | null;
  body_kind: BodyKind;
  repr: string;
}

interface ProtonEncoded {
  name: string;
  hex: string;
  /** The message as Proton built it. */
  fields: Fields;
  /** Proton's own decode of `hex`, when it differs from `fields`. */
  decoded?: Fields;
}

interface ProtonDecoded {
  name: string;
  fields?: Fields;
  error?: string;
}

/** Cases whose neutral fields cannot carry everything Proton put on the wire. */
const LOSSY_FIELDS: ReadonlyMap<string, string> = new Map([
  // Proton sends user-id as an empty binary once it is set to b'', and nothing when unset; its getter
  // gives b'' for both, so a message built from the fields leaves user-id unset.
  ['user_id empty', 'user-id set to empty and unset are both "" in the fields'],
]);

// ---------------------------------------------------------------------------------------------------
// Message <-> neutral fields

/**
 * The typed JSON of anything the encoder takes: as {@link toTypedJson}, and `undefined` is null, a plain
 * object a map with string keys, at any depth of lists and maps.
 */
function typedOf(v: Encodable): TypedJson {
  if (v === undefined) return { t: 'null' };
  if (Array.isArray(v)) return { t: 'list', v: v.map((x: Encodable) => typedOf(x)) };
  if (v instanceof Map) {
    return { t: 'map', v: [...v].map(([k, x]): [TypedJson, TypedJson] => [typedOf(k), typedOf(x)]) };
  }
  const proto = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    return {
      t: 'map',
      v: Object.entries(v as Record<string, Encodable>).map(([k, x]): [TypedJson, TypedJson] => [
        { t: 'string', v: k },
        typedOf(x),
      ]),
    };
  }
  return toTypedJson(v as AmqpValue);
}

/** A message-id or correlation-id as it goes on the wire: numbers and bigints are ulongs. */
function idTyped(id: MessageId | undefined): TypedJson | null {
  if (id === undefined || id === null) return null;
  if (typeof id === 'number' || typeof id === 'bigint') return { t: 'ulong', v: BigInt(id).toString() };
  return toTypedJson(id as AmqpValue);
}

/** An annotations map: string keys are symbols. */
function annotationsTyped(m: Annotations | undefined): TypedJson | null {
  if (m === undefined) return null;
  return {
    t: 'map',
    v: [...m].map(([k, v]): [TypedJson, TypedJson] => [
      typeof k === 'string' ? { t: 'symbol', v: k } : typedOf(k),
      typedOf(v),
    ]),
  };
}

function propertiesTyped(p: Message['properties']): TypedJson | null {
  if (p === undefined) return null;
  return {
    t: 'map',
    v: Object.entries(p).map(([k, v]): [TypedJson, TypedJson] => [{ t: 'string', v: k }, typedOf(v)]),
  };
}

/** The neutral fields of a message whose body is one section (see {@link protonView}). */
function fieldsOf(m: Message): Fields {
  if (m.body instanceof BodySections) throw new Error('fieldsOf: a body of several sections');
  return {
    durable: m.durable,
    priority: m.priority,
    ttl: m.ttl,
    first_acquirer: m.firstAcquirer,
    delivery_count: m.deliveryCount,
    id: idTyped(m.id),
    user_id: m.userId === undefined ? '' : hexOf(m.userId),
    address: m.address ?? null,
    subject: m.subject ?? null,
    reply_to: m.replyTo ?? null,
    correlation_id: idTyped(m.correlationId),
    content_type: m.contentType ?? null,
    content_encoding: m.contentEncoding ?? null,
    expiry_time: Number(m.expiryTime),
    creation_time: Number(m.creationTime),
    group_id: m.groupId ?? null,
    group_sequence: m.groupSequence,
    reply_to_group_id: m.replyToGroupId ?? null,
    instructions: annotationsTyped(m.instructions),
    annotations: annotationsTyped(m.annotations),
    properties: propertiesTyped(m.properties),
    body: m.body === undefined || m.body === null ? null : typedOf(m.body),
    body_kind: m.bodyKind,
    repr: String(m),
  };
}

/** Everything our own decode must give back: the fields, every body section and the footer. */
function everythingOf(m: Message): { fields: Fields; sections: TypedJson[]; footer: TypedJson | null } {
  const sections = m.body instanceof BodySections ? m.body.sections : [m.body];
  return {
    fields: fieldsOf(protonView(m)),
    sections: sections.map((s) => typedOf(s)),
    footer: annotationsTyped(m.footer),
  };
}

/**
 * The message Proton 0.37 makes of `m`: it has no footer, and of several data or amqp-sequence
 * sections it keeps the last (its decoder overwrites the body with each body section it reads).
 */
function protonView(m: Message): Message {
  const view = Object.assign(new Message(), m);
  view.footer = undefined;
  if (m.body instanceof BodySections) view.body = m.body.sections[m.body.sections.length - 1];
  return view;
}

function idFrom(t: TypedJson | null): MessageId | undefined {
  if (t === null) return undefined;
  const v = fromTypedJson(t);
  if (v instanceof ULong) return v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
  return v as MessageId;
}

function mapEntries(t: TypedJson): [TypedJson, TypedJson][] {
  assert.equal(t.t, 'map');
  return (t as { v: [TypedJson, TypedJson][] }).v;
}

function annotationsFrom(t: TypedJson | null): Annotations | undefined {
  if (t === null) return undefined;
  return new Map(
    mapEntries(t).map(([k, v]): [AmqpValue, AmqpValue] => [
      k.t === 'symbol' ? k.v : fromTypedJson(k),
      fromTypedJson(v),
    ]),
  );
}

function propertiesFrom(t: TypedJson | null): Map<string, Encodable> | undefined {
  if (t === null) return undefined;
  return new Map(
    mapEntries(t).map(([k, v]): [string, Encodable] => {
      assert.equal(k.t, 'string', 'application property keys are strings');
      return [(k as { v: string }).v, fromTypedJson(v)];
    }),
  );
}

/** A message built here from Proton's fields, every value in its natural JavaScript form. */
function messageFromFields(f: Fields): Message {
  return new Message({
    durable: f.durable,
    priority: f.priority,
    ttl: f.ttl,
    firstAcquirer: f.first_acquirer,
    deliveryCount: f.delivery_count,
    id: idFrom(f.id),
    userId: f.user_id === '' ? undefined : new Uint8Array(Buffer.from(f.user_id, 'hex')),
    address: f.address ?? undefined,
    subject: f.subject ?? undefined,
    replyTo: f.reply_to ?? undefined,
    correlationId: idFrom(f.correlation_id),
    contentType: f.content_type ?? undefined,
    contentEncoding: f.content_encoding ?? undefined,
    expiryTime: f.expiry_time,
    creationTime: f.creation_time,
    groupId: f.group_id ?? undefined,
    groupSequence: f.group_sequence,
    replyToGroupId: f.reply_to_group_id ?? undefined,
    instructions: annotationsFrom(f.instructions),
    annotations: annotationsFrom(f.annotations),
    properties: propertiesFrom(f.properties),
    body: f.body === null ? undefined : fromTypedJson(f.body),
    bodyKind: f.body_kind,
  });
}

// ---------------------------------------------------------------------------------------------------
// Messages only proton-ts builds

/** A message built here, with what Proton should decode it to. */
interface Case {
  name: string;
  message: Message;
  expected: Fields;
  /** Whether Proton's repr should equal `String(message)` (not so for a body of several sections). */
  sameRepr: boolean;
  /** Proton's own bytes for the message, when it came from Proton. */
  protonHex?: string;
}

const UNI = 'h\u00e9llo \u20ac \u{1f600} \u4e2d\u6587';

function nativeCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, message: Message, sameRepr = true): void => {
    cases.push({ name: `js: ${name}`, message, expected: fieldsOf(protonView(message)), sameRepr });
  };
  const bytes = (s: string) => new Uint8Array(Buffer.from(s));
  add('bigint id beyond 2^53', new Message({ id: 2n ** 60n + 1n, correlationId: 2n ** 64n - 1n }));
  add('number id 2^53-1', new Message({ id: Number.MAX_SAFE_INTEGER, correlationId: 0 }));
  add('ULong ids', new Message({ id: ulong(7), correlationId: ulong(2n ** 63n) }));
  add(
    'uuid ids',
    new Message({ id: uuid('f81d4fae-7dec-41d0-a765-00a0c91e6bf6'), correlationId: bytes('c') }),
  );
  // The fields hold bigints, although MessageInit takes numbers only.
  add('bigint times', Object.assign(new Message(), { expiryTime: 1700000000123n, creationTime: -1n }));
  add('user id empty', new Message({ userId: new Uint8Array(0) }));
  add('priority 4 explicit', new Message({ priority: 4, durable: false, body: 'x' }));
  add('null body', new Message({ body: null }));
  add('Date body', new Message({ body: new Date(1700000000123) }));
  add(
    'plain-object annotations and properties',
    new Message({
      instructions: { 'x-opt-i': 1 },
      annotations: { 'x-opt-a': { nested: [1, 'two', 0.5] } },
      properties: { n: 1, big: 2n ** 60n, half: 0.5, d: new Date(5), b: bytes('b'), s: UNI },
    }),
  );
  add(
    'annotations with ulong and long keys',
    new Message({
      annotations: new Map<AmqpValue, AmqpValue>([
        [ulong(1), 'u'],
        [2, 'long'],
        ['s', null],
      ]),
    }),
  );
  add(
    'described and array bodies in properties',
    new Message({
      properties: {
        d: new Described(symbol('d'), 1),
        a: new AmqpArray('float', [0.5, 1.5]),
        f: float32(0.25),
      },
    }),
  );
  add('footer with a value body', new Message({ body: 'b', footer: { 'x-opt-f': 1 } }));
  add(
    'footer with a data body',
    new Message({ body: bytes('d'), bodyKind: 'data', footer: new Map([[ulong(9), 'f']]) }),
  );
  add('footer alone', new Message({ footer: { k: UNI } }));
  // String(msg) prints BodySections as a list of its sections, even of one (body=[b'only']), where the
  // message decoded from the same bytes, and Proton, print body=b'only'.
  add(
    'one data section as BodySections',
    new Message({ body: new BodySections([bytes('only')]), bodyKind: 'data' }),
    false,
  );
  add(
    'three data sections',
    new Message({ body: new BodySections([bytes('a'), bytes(''), bytes('last')]), bodyKind: 'data' }),
    false,
  );
  add(
    'two sequence sections',
    new Message({
      body: new BodySections([
        [1, 'a'],
        [UNI, [2]],
      ]),
      bodyKind: 'sequence',
    }),
    false,
  );
  add(
    'two sequence sections, the last empty',
    new Message({ body: new BodySections([[1], []]), bodyKind: 'sequence' }),
    false,
  );
  add(
    'everything, several data sections and a footer',
    new Message({
      durable: true,
      priority: 0,
      ttl: 4294967295,
      firstAcquirer: true,
      deliveryCount: 7,
      id: 2n ** 62n,
      userId: bytes(UNI),
      address: UNI,
      subject: UNI,
      replyTo: UNI,
      correlationId: UNI,
      contentType: 'application/octet-stream',
      contentEncoding: 'binary',
      expiryTime: 4102444800500,
      creationTime: 1700000000123,
      groupId: UNI,
      groupSequence: 2 ** 32 - 1,
      replyToGroupId: UNI,
      instructions: { 'x-opt-i': UNI },
      annotations: new Map<AmqpValue, AmqpValue>([
        ['x-opt-a', 1],
        [ulong(3), [UNI]],
      ]),
      properties: { [UNI]: UNI },
      body: new BodySections([bytes('one'), bytes('two')]),
      bodyKind: 'data',
      footer: { 'x-opt-f': bytes('sig') },
    }),
    false,
  );
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// Checks

function assertSameFields(actual: Fields, expected: Fields, what: string, hex: string): void {
  for (const key of Object.keys(expected) as (keyof Fields)[]) {
    assert.deepEqual(
      actual[key],
      expected[key],
      mismatch(`${what}: ${key}`, hex, expected[key], actual[key]),
    );
  }
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: the field names`);
}

test('Message cross-check with Proton 0.37 (python3-qpid-proton)', async (t) => {
  if (!requireProton(t)) return;

  const protonMessages = runProtonScript<ProtonEncoded[]>('messages.py', 'encode');
  assert.ok(protonMessages.length > 150, 'messages.py encode covers the fields');

  await t.test('(a) messages Proton encodes decode here to the same fields, repr and bytes', async (t) => {
    for (const entry of protonMessages) {
      await t.test(entry.name, () => {
        // What Proton itself decodes from its bytes: a message built with inferred=True and a body that
        // is neither binary nor a list is sent as an amqp-value, and comes back without inferred.
        const expected = entry.decoded ?? entry.fields;
        const m = Message.decode(Buffer.from(entry.hex, 'hex'));
        assertSameFields(fieldsOf(m), expected, 'our decode of Proton bytes', entry.hex);
        const again = hexOf(m.encode({ widths: 'proton-0.37' }));
        assert.equal(again, entry.hex, 're-encoding with proton-0.37 widths gives Proton bytes');
      });
    }
  });

  await t.test('(b) messages encoded here decode in Proton to the same fields', async (t) => {
    const cases: Case[] = [
      ...protonMessages.map((e): Case => {
        const expected = e.decoded ?? e.fields;
        return {
          name: `proton: ${e.name}`,
          message: messageFromFields(expected),
          expected,
          sameRepr: true,
          protonHex: LOSSY_FIELDS.has(e.name) ? undefined : e.hex,
        };
      }),
      ...nativeCases(),
    ];
    const encodings = encodeInEveryWidth(cases, (c, widths) => c.message.encode({ widths }));
    const answers = decodeInProton<ProtonDecoded>('messages.py', encodings.values());

    for (const { name, c, widths, hex, threw } of encodings.values()) {
      await t.test(name, () => {
        assert.equal(threw, undefined, `encode threw: ${threw}`);
        // Our own decoder gives back everything, footer and every section included.
        assert.deepEqual(
          everythingOf(Message.decode(Buffer.from(hex, 'hex'))),
          everythingOf(c.message),
          `our decode of our encoding ${brief(hex)}`,
        );
        if (c.sameRepr) assert.equal(String(c.message), c.expected.repr, 'String(msg) is the repr');
        if (widths === 'proton-0.37' && c.protonHex !== undefined) {
          assert.equal(hex, c.protonHex, 'proton-0.37 widths: the bytes Proton writes');
        }
        const answer = answers.get(name);
        assert.ok(answer, `messages.py decode answered ${name}`);
        assert.equal(answer.error, undefined, `Proton cannot decode ${brief(hex)}: ${answer.error}`);
        assertSameFields(answer.fields!, c.expected, "Proton's decode", hex);
      });
    }
  });
});
