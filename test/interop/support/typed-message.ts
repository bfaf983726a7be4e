/**
 * The `types` scenario's messages: every AMQP type in the application properties, the message
 * annotations and the body (amqp-value, data and amqp-sequence), written once in typed JSON
 * (test/support/typed-json.ts) so that proton-ts, Proton Python (test/interop/python/typed_peer.py) and
 * the tests compare the same thing: a {@link TypedDump} with the fields Proton's messages.py `fields()`
 * prints. {@link diffTyped} names every field whose type or value differs, so a failure says
 * `properties["k-ulong"]: expected ulong 1, got long 1` rather than "not equal".
 *
 * Map keys are distinct under Python's equality as well (1, true and 1.0 are one key to a dict), so that
 * a peer written in Python cannot merge them.
 */
import assert from 'node:assert/strict';
import type { AmqpValue } from '../../../src/codec/types.js';
import { type BodyKind, BodySections, Message } from '../../../src/message/message.js';
import { fromTypedJson, type TypedJson, toTypedJson } from '../../support/typed-json.js';

/** The sections of a message that the `types` scenario compares, in typed JSON. */
export interface TypedDump {
  /** A map with string keys (null when the message has none). */
  properties: TypedJson | null;
  /** A map, symbol keys (null when none). */
  annotations: TypedJson | null;
  body: TypedJson | null;
  body_kind: BodyKind;
}

const s = (v: string): TypedJson => ({ t: 'string', v });
const sym = (v: string): TypedJson => ({ t: 'symbol', v });

/** One value of each simple (non-compound) AMQP type, named for its type; extremes where there are some. */
export const SIMPLE_VALUES: readonly (readonly [string, TypedJson])[] = [
  ['null', { t: 'null' }],
  ['boolean', { t: 'boolean', v: true }],
  ['ubyte', { t: 'ubyte', v: 255 }],
  ['ushort', { t: 'ushort', v: 65535 }],
  ['uint', { t: 'uint', v: 4294967295 }],
  ['ulong', { t: 'ulong', v: '18446744073709551615' }],
  ['byte', { t: 'byte', v: -128 }],
  ['short', { t: 'short', v: -32768 }],
  ['int', { t: 'int', v: -2147483648 }],
  ['long', { t: 'long', v: '-9223372036854775808' }],
  ['float', { t: 'float', v: '3fc00000' }],
  ['double', { t: 'double', v: '400921fb54442d18' }],
  ['decimal32', { t: 'decimal32', v: '22500001' }],
  ['decimal64', { t: 'decimal64', v: '2238000000000001' }],
  ['decimal128', { t: 'decimal128', v: '22080000000000000000000000000001' }],
  ['char', { t: 'char', v: 0x1f600 }],
  ['timestamp', { t: 'timestamp', v: '1700000000123' }],
  ['uuid', { t: 'uuid', v: 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6' }],
  ['binary', { t: 'binary', v: '00ff10' }],
  ['string', s('héllo ✓ wörld')],
  ['symbol', sym('a-symbol')],
];

/** One value of each compound type (and a described value of each kind of descriptor). */
export const COMPOUND_VALUES: readonly (readonly [string, TypedJson])[] = [
  ['list', { t: 'list', v: [{ t: 'int', v: 1 }, s('two'), { t: 'list', v: [] }, { t: 'null' }] }],
  [
    'map',
    {
      t: 'map',
      v: [
        [s('k'), { t: 'ubyte', v: 1 }],
        [sym('s'), { t: 'ulong', v: '2' }],
        [
          { t: 'int', v: 7 },
          { t: 'map', v: [] },
        ],
        [{ t: 'null' }, s('null key')],
      ],
    },
  ],
  ['array-int', { t: 'array', type: 'int', descriptor: null, v: [-1, 0, 1].map((v) => ({ t: 'int', v })) }],
  ['array-symbol', { t: 'array', type: 'symbol', descriptor: null, v: [sym('a'), sym('b')] }],
  ['array-empty', { t: 'array', type: 'string', descriptor: null, v: [] }],
  ['described-ulong', { t: 'described', d: { t: 'ulong', v: '77' }, v: s('by code') }],
  [
    'described-symbol',
    { t: 'described', d: sym('example:thing'), v: { t: 'list', v: [{ t: 'uint', v: 3 }] } },
  ],
];

const entries = (
  pairs: readonly (readonly [string, TypedJson])[],
  key: (k: string) => TypedJson,
): TypedJson => ({
  t: 'map',
  v: pairs.map(([k, v]) => [key(k), v]),
});

/** Application properties: string keys, one value of every simple type (the spec allows no compound). */
export const TYPED_PROPERTIES: TypedJson = entries(SIMPLE_VALUES, (k) => s(`k-${k}`));

/** Message annotations: symbol keys (`x-opt-*`), every simple and compound type. */
export const TYPED_ANNOTATIONS: TypedJson = entries([...SIMPLE_VALUES, ...COMPOUND_VALUES], (k) =>
  sym(`x-opt-${k}`),
);

/** The three `types` messages, one per body kind. */
export function typedDumps(): TypedDump[] {
  const every = [...SIMPLE_VALUES, ...COMPOUND_VALUES];
  const bytes = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  const base = { properties: TYPED_PROPERTIES, annotations: TYPED_ANNOTATIONS };
  return [
    { ...base, body: entries(every, s), body_kind: 'value' },
    { ...base, body: { t: 'binary', v: bytes.toString('hex') }, body_kind: 'data' },
    { ...base, body: { t: 'list', v: every.map(([, v]) => v) }, body_kind: 'sequence' },
  ];
}

/** The message of a dump, for proton-ts to send. */
export function messageOf(dump: TypedDump, init: { id?: number; address?: string } = {}): Message {
  const m = new Message(init);
  if (dump.properties !== null) {
    const props = new Map<string, AmqpValue>();
    for (const [k, v] of (fromTypedJson(dump.properties) as Map<AmqpValue, AmqpValue>).entries()) {
      props.set(k as string, v);
    }
    m.properties = Object.fromEntries(props);
  }
  if (dump.annotations !== null) m.annotations = fromTypedJson(dump.annotations) as Map<AmqpValue, AmqpValue>;
  if (dump.body !== null) m.body = fromTypedJson(dump.body);
  m.bodyKind = dump.body_kind;
  return m;
}

/** The dump of a message proton-ts received. */
export function dumpOf(m: Message): TypedDump {
  const props = m.properties;
  let body = m.body as AmqpValue | BodySections | undefined;
  if (body instanceof BodySections) {
    assert.equal(body.sections.length, 1, 'the types messages have one body section');
    body = body.sections[0] as AmqpValue;
  }
  return {
    properties:
      props === undefined
        ? null
        : { t: 'map', v: Object.entries(props).map(([k, v]) => [s(k), toTypedJson(v as AmqpValue)]) },
    // proton-ts gives symbol keys of annotations as strings (and writes string keys as symbols).
    annotations:
      m.annotations === undefined
        ? null
        : {
            t: 'map',
            v: [...m.annotations].map(([k, v]) => [
              typeof k === 'string' ? sym(k) : toTypedJson(k),
              toTypedJson(v),
            ]),
          },
    body: body === undefined || body === null ? null : toTypedJson(body),
    body_kind: m.bodyKind,
  };
}

/** A typed value, short, for failure messages: `ulong 1`, `map(3)`. */
function brief(v: TypedJson | null | undefined): string {
  if (v === null || v === undefined) return 'nothing';
  if (v.t === 'list' || v.t === 'map' || v.t === 'array') return `${v.t}(${v.v.length})`;
  if (v.t === 'described') return `described ${brief(v.d)} ${brief(v.v)}`;
  if (v.t === 'null') return 'null';
  const text = JSON.stringify(v.v);
  return `${v.t} ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`;
}

function keyName(k: TypedJson): string {
  return k.t === 'string' || k.t === 'symbol' ? JSON.stringify(k.v) : brief(k);
}

/** Every difference between two typed values, each as `<path>: expected X, got Y`. */
export function diffTyped(
  path: string,
  expected: TypedJson | null,
  actual: TypedJson | null,
  out: string[] = [],
): string[] {
  if (expected === null || actual === null || expected.t !== actual.t) {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      out.push(`${path}: expected ${brief(expected)}, got ${brief(actual)}`);
    }
    return out;
  }
  if ((expected.t === 'list' || expected.t === 'array') && (actual.t === 'list' || actual.t === 'array')) {
    if (expected.t === 'array' && actual.t === 'array' && expected.type !== actual.type) {
      out.push(`${path}: expected an array of ${expected.type}, got one of ${actual.type}`);
    }
    const n = Math.max(expected.v.length, actual.v.length);
    for (let i = 0; i < n; i++) diffTyped(`${path}[${i}]`, expected.v[i] ?? null, actual.v[i] ?? null, out);
    return out;
  }
  if (expected.t === 'map' && actual.t === 'map') {
    const n = Math.max(expected.v.length, actual.v.length);
    for (let i = 0; i < n; i++) {
      const [ek, ev] = expected.v[i] ?? [null, null];
      const [ak, av] = actual.v[i] ?? [null, null];
      const name = ek !== null ? keyName(ek) : `#${i}`;
      diffTyped(`${path}{key of ${name}}`, ek, ak, out);
      diffTyped(`${path}[${name}]`, ev, av, out);
    }
    return out;
  }
  if (expected.t === 'described' && actual.t === 'described') {
    diffTyped(`${path}.descriptor`, expected.d, actual.d, out);
    diffTyped(`${path}.value`, expected.v, actual.v, out);
    return out;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    out.push(`${path}: expected ${brief(expected)}, got ${brief(actual)}`);
  }
  return out;
}

/** Fails naming every field of `actual` that differs in type or value from `expected`. */
export function assertSameDump(actual: TypedDump, expected: TypedDump, what: string): void {
  const diffs: string[] = [];
  if (actual.body_kind !== expected.body_kind) {
    diffs.push(`body kind: expected ${expected.body_kind}, got ${actual.body_kind}`);
  }
  diffTyped('properties', expected.properties, actual.properties, diffs);
  diffTyped('annotations', expected.annotations, actual.annotations, diffs);
  diffTyped('body', expected.body, actual.body, diffs);
  assert.deepEqual(diffs, [], `${what}: ${diffs.length} field(s) differ:\n  ${diffs.join('\n  ')}`);
}
