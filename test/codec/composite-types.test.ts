import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import {
  Accepted,
  AmqpError,
  Attach,
  COMPOSITE_CLASSES,
  Coordinator,
  Declared,
  type DeliveryState,
  Detach,
  Disposition,
  type LifetimePolicy,
  Modified,
  Open,
  type Outcome,
  type Performative,
  Properties,
  Received,
  Rejected,
  Released,
  type SaslFrame,
  SaslInit,
  Source,
  Target,
  Transfer,
} from '../../src/codec/composite-types.js';
import { readValue, writeComposite } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';
import { Encoder } from '../../src/codec/encoder.js';
import { COMPOSITES, type CompositeSpec } from '../../src/codec/spec.js';

// The compiled test runs from dist/test/codec; the repository root is three levels up.
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const COMPOSITE_NAMES = [
  'open',
  'begin',
  'attach',
  'flow',
  'transfer',
  'disposition',
  'detach',
  'end',
  'close',
  'error',
  'header',
  'properties',
  'received',
  'accepted',
  'rejected',
  'released',
  'modified',
  'source',
  'target',
  'delete-on-close',
  'delete-on-no-links',
  'delete-on-no-messages',
  'delete-on-no-links-or-messages',
  'sasl-mechanisms',
  'sasl-init',
  'sasl-challenge',
  'sasl-response',
  'sasl-outcome',
  'coordinator',
  'declare',
  'discharge',
  'declared',
  'transactional-state',
];

type CompositeClass = (new () => object) & { readonly descriptor: number; readonly symbol: string };
const CLASSES = COMPOSITE_CLASSES as unknown as Readonly<Record<string, CompositeClass>>;

function specNamed(name: string): CompositeSpec {
  const found = COMPOSITES.find((c) => c.name === name);
  assert.ok(found, `no composite named ${name}`);
  return found;
}

function roundTrip(obj: object): unknown {
  const e = new Encoder(new ByteWriter());
  writeComposite(e, obj);
  const bytes = e.w.take();
  const d = new Decoder(bytes);
  const out = readValue(d);
  assert.equal(d.pos, bytes.length, 'the whole encoding is read');
  return out;
}

describe('composite-types.ts: the classes', () => {
  it('has a class for each of the 33 composites, keyed by spec name, in spec file order', () => {
    assert.equal(COMPOSITE_NAMES.length, 33);
    assert.deepEqual(Object.keys(COMPOSITE_CLASSES), COMPOSITE_NAMES);
    assert.deepEqual(
      COMPOSITES.filter((c) => c.class === 'composite').map((c) => c.name),
      COMPOSITE_NAMES,
    );
    assert.equal(new Set(Object.values(COMPOSITE_CLASSES)).size, 33);
  });

  it('names each class in PascalCase, error as AmqpError', () => {
    for (const [name, cls] of Object.entries(CLASSES)) {
      const expected =
        name === 'error' ? 'AmqpError' : name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
      assert.equal(cls.name, expected);
    }
    assert.equal(COMPOSITE_CLASSES.error, AmqpError);
    assert.equal(COMPOSITE_CLASSES['sasl-init'], SaslInit);
    assert.equal(COMPOSITE_CLASSES['transactional-state'].name, 'TransactionalState');
  });

  it('gives each class the descriptor code and symbol of its spec', () => {
    for (const [name, cls] of Object.entries(CLASSES)) {
      const spec = specNamed(name);
      assert.equal(cls.descriptor, spec.code, name);
      assert.equal(cls.symbol, spec.symbol, name);
    }
    assert.equal(Open.descriptor, 0x10);
    assert.equal(Open.symbol, 'amqp:open:list');
    assert.equal(AmqpError.descriptor, 0x1d);
    assert.equal(Declared.symbol, 'amqp:declared:list');
  });

  it('gives every fresh instance every field, in wire order, all undefined', () => {
    for (const [name, cls] of Object.entries(CLASSES)) {
      const keys = specNamed(name).fields.map((f) => f.key);
      const obj = new cls();
      assert.deepEqual(Object.keys(obj), keys, name);
      assert.deepEqual(Object.getOwnPropertyNames(obj), keys, `${name}: no hidden properties`);
      for (const key of keys) {
        assert.equal((obj as Record<string, unknown>)[key], undefined, `${name}.${key}`);
      }
      // The same shape whatever order the fields are then set in.
      const other = new cls();
      for (const key of [...keys].reverse()) (other as Record<string, unknown>)[key] = 1;
      assert.deepEqual(Object.keys(other), keys, name);
    }
    assert.deepEqual(Object.keys(new Open()), [
      'containerId',
      'hostname',
      'maxFrameSize',
      'channelMax',
      'idleTimeOut',
      'outgoingLocales',
      'incomingLocales',
      'offeredCapabilities',
      'desiredCapabilities',
      'properties',
    ]);
    assert.deepEqual(Object.keys(new Accepted()), []);
  });

  it('says it is generated', () => {
    const text = readFileSync(join(REPO, 'src', 'codec', 'composite-types.ts'), 'utf8');
    assert.match(text, /^\/\/ Generated by scripts\/gen-spec\.mjs from the AMQP 1\.0 XML/);
    assert.match(text.split('\n').slice(0, 5).join('\n'), /Do not edit by hand/);
  });
});

describe('composite-types.ts: the field types', () => {
  // Most of this test is checked by the compiler: each assignment must type-check, each @ts-expect-error
  // must be an error.
  it('types the fields as the codec gives and takes them', () => {
    const open = new Open();
    open.containerId = 'c';
    open.maxFrameSize = 512;
    open.offeredCapabilities = ['ANONYMOUS-RELAY'];
    open.properties = { product: 'proton-ts' };
    open.properties = new Map([['product', 'proton-ts']]);
    // @ts-expect-error a uint is a number
    open.maxFrameSize = '512';
    // @ts-expect-error a multiple symbol is a string[]
    open.offeredCapabilities = 'ANONYMOUS-RELAY';

    const attach = new Attach();
    attach.role = true;
    attach.maxMessageSize = 2n ** 64n - 1n;
    attach.source = new Source();
    attach.target = new Coordinator();
    attach.target = new Target();
    attach.unsettled = new Map();

    const transfer = new Transfer();
    transfer.deliveryTag = new Uint8Array([1]);
    transfer.state = new Received();
    transfer.state = new Declared();
    // @ts-expect-error a plain object is no delivery state
    transfer.state = {};

    const detach = new Detach();
    detach.error = new AmqpError();
    // @ts-expect-error error is an AmqpError
    detach.error = new Rejected();

    const props = new Properties();
    props.creationTime = 1_700_000_000_000;
    props.absoluteExpiryTime = 2n ** 62n;
    props.messageId = 'id-1';

    const states: DeliveryState[] = [new Received(), new Accepted(), new Rejected(), new Declared()];
    const outcomes: Outcome[] = [new Accepted(), new Released(), new Modified(), new Declared()];
    // @ts-expect-error received is no outcome
    const notOutcome: Outcome = new Received();
    // @ts-expect-error accepted is no performative
    const notPerformative: Performative = new Accepted();
    // @ts-expect-error released is not accepted, though neither has a field
    const notAccepted: Accepted = new Released();
    const frames: [Performative, SaslFrame] = [new Disposition(), new SaslInit()];
    const policies: LifetimePolicy[] = [];

    // Exclude<> goes by assignability: were the classes without fields all `{}`, it would drop Released too.
    const notAcceptedState: Exclude<DeliveryState, Accepted> = new Released();
    const state: DeliveryState = notAcceptedState;
    assert.ok(state instanceof Released && !(state instanceof Accepted));
    assert.equal(states.length + outcomes.length + frames.length + policies.length, 10);
    assert.ok(notOutcome && notPerformative && notAccepted && open && attach && transfer && detach && props);
  });
});

describe('composite-types.ts: through the codec', () => {
  it('decodes what it encodes, to instances of the classes', () => {
    const open = new Open();
    open.containerId = 'container';
    open.maxFrameSize = 16384;
    open.offeredCapabilities = ['cap'];
    open.properties = { product: 'proton-ts' };
    const decoded = roundTrip(open);
    assert.ok(decoded instanceof Open);
    assert.deepEqual(Object.keys(decoded), Object.keys(new Open()));
    assert.equal(decoded.containerId, 'container');
    assert.equal(decoded.maxFrameSize, 16384);
    assert.equal(decoded.hostname, undefined);
    assert.deepEqual(decoded.offeredCapabilities, ['cap']);
    assert.deepEqual(decoded.properties, new Map([['product', 'proton-ts']]));

    const transfer = new Transfer();
    transfer.handle = 0;
    transfer.deliveryTag = new Uint8Array([7]);
    const rejected = new Rejected();
    rejected.error = Object.assign(new AmqpError(), { condition: 'amqp:internal-error', description: 'x' });
    transfer.state = rejected;
    const t = roundTrip(transfer);
    assert.ok(t instanceof Transfer);
    assert.ok(t.state instanceof Rejected);
    assert.ok(t.state.error instanceof AmqpError);
    assert.equal(t.state.error.condition, 'amqp:internal-error');

    const props = new Properties();
    props.creationTime = 1_700_000_000_000;
    props.contentType = 'text/plain';
    const p = roundTrip(props);
    assert.ok(p instanceof Properties);
    assert.equal(p.creationTime, 1_700_000_000_000);
    assert.equal(p.contentType, 'text/plain');
  });
});
