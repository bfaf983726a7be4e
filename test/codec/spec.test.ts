import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMPOSITES, type CompositeSpec, type FieldSpec, RESTRICTED } from '../../src/codec/spec.js';
import { AMQP_TYPE_NAMES } from '../support/typed-json.js';

// The compiled test runs from dist/test/codec; the repository root is three levels up.
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const PRIMITIVES: ReadonlySet<string> = new Set(AMQP_TYPE_NAMES);
const INTEGERS = new Set(['ubyte', 'ushort', 'uint', 'ulong', 'byte', 'short', 'int', 'long']);

function composite(name: string): CompositeSpec {
  const found = COMPOSITES.find((c) => c.name === name);
  assert.ok(found, `no composite named ${name}`);
  return found;
}

function byCode(code: number): CompositeSpec {
  const found = COMPOSITES.find((c) => c.code === code);
  assert.ok(found, `no composite with code 0x${code.toString(16)}`);
  return found;
}

function field(type: string, name: string): FieldSpec {
  const found = composite(type).fields.find((f) => f.name === name);
  assert.ok(found, `${type} has no field ${name}`);
  return found;
}

const names = (c: CompositeSpec) => c.fields.map((f) => f.name);

describe('spec table: performatives', () => {
  it('has the nine performatives at 0x10..0x18, in order, providing frame', () => {
    const expected = ['open', 'begin', 'attach', 'flow', 'transfer', 'disposition', 'detach', 'end', 'close'];
    expected.forEach((name, i) => {
      const c = byCode(0x10 + i);
      assert.equal(c.name, name);
      assert.equal(c.symbol, `amqp:${name}:list`);
      assert.equal(c.class, 'composite');
      assert.equal(c.source, 'list');
      assert.equal(c.part, 'transport');
      assert.deepEqual(c.provides, ['frame']);
    });
    assert.deepEqual(
      COMPOSITES.filter((c) => c.provides.includes('frame')).map((c) => c.name),
      expected,
    );
  });

  it('has the field counts of the spec', () => {
    const counts: Record<string, number> = {
      open: 10,
      begin: 8,
      attach: 14,
      flow: 11,
      transfer: 11,
      disposition: 6,
      detach: 3,
      end: 1,
      close: 1,
    };
    for (const [name, count] of Object.entries(counts)) {
      assert.equal(composite(name).fields.length, count, name);
    }
  });

  it('lists open, attach and transfer fields in wire order', () => {
    assert.deepEqual(names(composite('open')), [
      'container-id',
      'hostname',
      'max-frame-size',
      'channel-max',
      'idle-time-out',
      'outgoing-locales',
      'incoming-locales',
      'offered-capabilities',
      'desired-capabilities',
      'properties',
    ]);
    assert.deepEqual(names(composite('attach')), [
      'name',
      'handle',
      'role',
      'snd-settle-mode',
      'rcv-settle-mode',
      'source',
      'target',
      'unsettled',
      'incomplete-unsettled',
      'initial-delivery-count',
      'max-message-size',
      'offered-capabilities',
      'desired-capabilities',
      'properties',
    ]);
    assert.deepEqual(names(composite('transfer')), [
      'handle',
      'delivery-id',
      'delivery-tag',
      'message-format',
      'settled',
      'more',
      'rcv-settle-mode',
      'state',
      'resume',
      'aborted',
      'batchable',
    ]);
  });

  it('lists begin, flow, disposition and detach fields in wire order', () => {
    assert.deepEqual(names(composite('begin')), [
      'remote-channel',
      'next-outgoing-id',
      'incoming-window',
      'outgoing-window',
      'handle-max',
      'offered-capabilities',
      'desired-capabilities',
      'properties',
    ]);
    assert.deepEqual(names(composite('flow')), [
      'next-incoming-id',
      'incoming-window',
      'next-outgoing-id',
      'outgoing-window',
      'handle',
      'delivery-count',
      'link-credit',
      'available',
      'drain',
      'echo',
      'properties',
    ]);
    assert.deepEqual(names(composite('disposition')), [
      'role',
      'first',
      'last',
      'settled',
      'state',
      'batchable',
    ]);
    assert.deepEqual(names(composite('detach')), ['handle', 'closed', 'error']);
    assert.deepEqual(names(composite('end')), ['error']);
    assert.deepEqual(names(composite('close')), ['error']);
  });

  it('gives camelCase keys', () => {
    assert.deepEqual(
      composite('open').fields.map((f) => f.key),
      [
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
      ],
    );
    assert.equal(field('attach', 'snd-settle-mode').key, 'sndSettleMode');
    assert.equal(field('transactional-state', 'txn-id').key, 'txnId');
  });

  it('has error at 0x1d, referenced by detach, end, close and rejected as a composite', () => {
    const error = byCode(0x1d);
    assert.equal(error.name, 'error');
    assert.equal(error.symbol, 'amqp:error:list');
    assert.deepEqual(names(error), ['condition', 'description', 'info']);
    assert.deepEqual(error.provides, []);
    const condition = field('error', 'condition');
    assert.equal(condition.kind, 'symbol');
    assert.equal(condition.mandatory, true);
    assert.equal(condition.requires, 'error-condition');
    assert.equal(field('error', 'info').kind, 'map');
    for (const owner of ['detach', 'end', 'close', 'rejected']) {
      const f = field(owner, 'error');
      assert.equal(f.type, 'error', owner);
      assert.equal(f.kind, 'composite', owner);
      assert.equal(f.composite, 'error', owner);
    }
  });
});

describe('spec table: security, messaging, transactions', () => {
  it('has the five SASL frames at 0x40..0x44', () => {
    const expected: [string, string[]][] = [
      ['sasl-mechanisms', ['sasl-server-mechanisms']],
      ['sasl-init', ['mechanism', 'initial-response', 'hostname']],
      ['sasl-challenge', ['challenge']],
      ['sasl-response', ['response']],
      ['sasl-outcome', ['code', 'additional-data']],
    ];
    expected.forEach(([name, fields], i) => {
      const c = byCode(0x40 + i);
      assert.equal(c.name, name);
      assert.equal(c.part, 'security');
      assert.deepEqual(c.provides, ['sasl-frame']);
      assert.deepEqual(names(c), fields);
    });
    const code = field('sasl-outcome', 'code');
    assert.equal(code.type, 'sasl-code');
    assert.equal(code.kind, 'ubyte');
    assert.equal(code.mandatory, true);
  });

  it('has the message sections at 0x70..0x78', () => {
    const expected: [string, string, CompositeSpec['class'], CompositeSpec['source']][] = [
      ['header', 'amqp:header:list', 'composite', 'list'],
      ['delivery-annotations', 'amqp:delivery-annotations:map', 'restricted', 'map'],
      ['message-annotations', 'amqp:message-annotations:map', 'restricted', 'map'],
      ['properties', 'amqp:properties:list', 'composite', 'list'],
      ['application-properties', 'amqp:application-properties:map', 'restricted', 'map'],
      ['data', 'amqp:data:binary', 'restricted', 'binary'],
      ['amqp-sequence', 'amqp:amqp-sequence:list', 'restricted', 'list'],
      ['amqp-value', 'amqp:amqp-value:*', 'restricted', '*'],
      ['footer', 'amqp:footer:map', 'restricted', 'map'],
    ];
    expected.forEach(([name, symbol, cls, source], i) => {
      const c = byCode(0x70 + i);
      assert.equal(c.name, name);
      assert.equal(c.symbol, symbol);
      assert.equal(c.class, cls, name);
      assert.equal(c.source, source, name);
      assert.equal(c.part, 'messaging');
      assert.deepEqual(c.provides, ['section']);
      if (cls === 'restricted') assert.equal(c.fields.length, 0, name);
    });
    assert.deepEqual(names(composite('header')), [
      'durable',
      'priority',
      'ttl',
      'first-acquirer',
      'delivery-count',
    ]);
    assert.equal(field('header', 'ttl').kind, 'uint');
    assert.equal(field('header', 'priority').kind, 'ubyte');
    assert.deepEqual(names(composite('properties')), [
      'message-id',
      'user-id',
      'to',
      'subject',
      'reply-to',
      'correlation-id',
      'content-type',
      'content-encoding',
      'absolute-expiry-time',
      'creation-time',
      'group-id',
      'group-sequence',
      'reply-to-group-id',
    ]);
    assert.equal(field('properties', 'message-id').requires, 'message-id');
    assert.equal(field('properties', 'to').requires, 'address');
    assert.equal(field('properties', 'absolute-expiry-time').kind, 'timestamp');
    assert.equal(field('properties', 'group-sequence').kind, 'uint');
  });

  it('has the delivery states and outcomes at 0x23..0x27', () => {
    const expected: [string, string[], string[]][] = [
      ['received', ['delivery-state'], ['section-number', 'section-offset']],
      ['accepted', ['delivery-state', 'outcome'], []],
      ['rejected', ['delivery-state', 'outcome'], ['error']],
      ['released', ['delivery-state', 'outcome'], []],
      [
        'modified',
        ['delivery-state', 'outcome'],
        ['delivery-failed', 'undeliverable-here', 'message-annotations'],
      ],
    ];
    expected.forEach(([name, provides, fields], i) => {
      const c = byCode(0x23 + i);
      assert.equal(c.name, name);
      assert.equal(c.symbol, `amqp:${name}:list`);
      assert.deepEqual(c.provides, provides);
      assert.deepEqual(names(c), fields);
    });
    assert.equal(field('received', 'section-number').mandatory, true);
    assert.equal(field('received', 'section-offset').kind, 'ulong');
    assert.equal(field('modified', 'message-annotations').kind, 'map');
  });

  it('has source at 0x28 with every field', () => {
    const source = byCode(0x28);
    assert.equal(source.name, 'source');
    assert.deepEqual(source.provides, ['source']);
    const rows = source.fields.map((f) => [f.name, f.type, f.kind, f.multiple, f.default, f.requires]);
    assert.deepEqual(rows, [
      ['address', '*', '*', false, undefined, 'address'],
      ['durable', 'terminus-durability', 'uint', false, 0, undefined],
      ['expiry-policy', 'terminus-expiry-policy', 'symbol', false, 'session-end', undefined],
      ['timeout', 'seconds', 'uint', false, 0, undefined],
      ['dynamic', 'boolean', 'boolean', false, false, undefined],
      ['dynamic-node-properties', 'node-properties', 'map', false, undefined, undefined],
      ['distribution-mode', 'symbol', 'symbol', false, undefined, 'distribution-mode'],
      ['filter', 'filter-set', 'map', false, undefined, undefined],
      ['default-outcome', '*', '*', false, undefined, 'outcome'],
      ['outcomes', 'symbol', 'symbol', true, undefined, undefined],
      ['capabilities', 'symbol', 'symbol', true, undefined, undefined],
    ]);
    assert.ok(source.fields.every((f) => !f.mandatory));
  });

  it('has target at 0x29 with every field', () => {
    const target = byCode(0x29);
    assert.equal(target.name, 'target');
    assert.deepEqual(target.provides, ['target']);
    const rows = target.fields.map((f) => [f.name, f.type, f.kind, f.multiple, f.default, f.requires]);
    assert.deepEqual(rows, [
      ['address', '*', '*', false, undefined, 'address'],
      ['durable', 'terminus-durability', 'uint', false, 0, undefined],
      ['expiry-policy', 'terminus-expiry-policy', 'symbol', false, 'session-end', undefined],
      ['timeout', 'seconds', 'uint', false, 0, undefined],
      ['dynamic', 'boolean', 'boolean', false, false, undefined],
      ['dynamic-node-properties', 'node-properties', 'map', false, undefined, undefined],
      ['capabilities', 'symbol', 'symbol', true, undefined, undefined],
    ]);
    assert.ok(target.fields.every((f) => !f.mandatory));
  });

  it('has the lifetime policies at 0x2b..0x2e, without fields', () => {
    const expected = [
      'delete-on-close',
      'delete-on-no-links',
      'delete-on-no-messages',
      'delete-on-no-links-or-messages',
    ];
    expected.forEach((name, i) => {
      const c = byCode(0x2b + i);
      assert.equal(c.name, name);
      assert.equal(c.symbol, `amqp:${name}:list`);
      assert.deepEqual(c.provides, ['lifetime-policy']);
      assert.equal(c.fields.length, 0);
    });
  });

  it('has the transaction types at 0x30..0x34', () => {
    const expected: [string, string[], string[]][] = [
      ['coordinator', ['target'], ['capabilities']],
      ['declare', [], ['global-id']],
      ['discharge', [], ['txn-id', 'fail']],
      ['declared', ['delivery-state', 'outcome'], ['txn-id']],
      ['transactional-state', ['delivery-state'], ['txn-id', 'outcome']],
    ];
    expected.forEach(([name, provides, fields], i) => {
      const c = byCode(0x30 + i);
      assert.equal(c.name, name);
      assert.equal(c.part, 'transactions');
      assert.deepEqual(c.provides, provides);
      assert.deepEqual(names(c), fields);
    });
    const capabilities = field('coordinator', 'capabilities');
    assert.equal(capabilities.multiple, true);
    assert.equal(capabilities.requires, 'txn-capability');
    for (const owner of ['discharge', 'declared', 'transactional-state']) {
      const txnId = field(owner, 'txn-id');
      assert.equal(txnId.kind, '*', owner);
      assert.equal(txnId.mandatory, true, owner);
      assert.equal(txnId.requires, 'txn-id', owner);
    }
    assert.equal(field('transactional-state', 'outcome').requires, 'outcome');
    assert.equal(field('declare', 'global-id').requires, 'global-tx-id');
  });

  it('has 40 described types in spec file order', () => {
    assert.equal(COMPOSITES.length, 40);
    const parts = COMPOSITES.map((c) => c.part);
    const order = ['transport', 'messaging', 'security', 'transactions'];
    for (let i = 1; i < parts.length; i++) {
      assert.ok(
        order.indexOf(parts[i]!) >= order.indexOf(parts[i - 1]!),
        `${COMPOSITES[i]!.name} is out of order`,
      );
    }
    assert.equal(COMPOSITES[0]!.name, 'open');
    assert.equal(COMPOSITES.at(-1)!.name, 'transactional-state');
  });
});

describe('spec table: flags and defaults', () => {
  it('flags every mandatory field, and only those', () => {
    const mandatory = COMPOSITES.flatMap((c) =>
      c.fields.filter((f) => f.mandatory).map((f) => `${c.name}.${f.name}`),
    );
    assert.deepEqual(mandatory.sort(), [
      'attach.handle',
      'attach.name',
      'attach.role',
      'begin.incoming-window',
      'begin.next-outgoing-id',
      'begin.outgoing-window',
      'declared.txn-id',
      'detach.handle',
      'discharge.txn-id',
      'disposition.first',
      'disposition.role',
      'error.condition',
      'flow.incoming-window',
      'flow.next-outgoing-id',
      'flow.outgoing-window',
      'open.container-id',
      'received.section-number',
      'received.section-offset',
      'sasl-challenge.challenge',
      'sasl-init.mechanism',
      'sasl-mechanisms.sasl-server-mechanisms',
      'sasl-outcome.code',
      'sasl-response.response',
      'transactional-state.txn-id',
      'transfer.handle',
    ]);
  });

  it('flags every multiple field, and only those', () => {
    const multiple = COMPOSITES.flatMap((c) =>
      c.fields.filter((f) => f.multiple).map((f) => `${c.name}.${f.name}`),
    );
    assert.deepEqual(multiple.sort(), [
      'attach.desired-capabilities',
      'attach.offered-capabilities',
      'begin.desired-capabilities',
      'begin.offered-capabilities',
      'coordinator.capabilities',
      'open.desired-capabilities',
      'open.incoming-locales',
      'open.offered-capabilities',
      'open.outgoing-locales',
      'sasl-mechanisms.sasl-server-mechanisms',
      'source.capabilities',
      'source.outcomes',
      'target.capabilities',
    ]);
  });

  it('types the defaults of open, begin, attach and flow', () => {
    assert.equal(field('open', 'max-frame-size').default, 4294967295);
    assert.equal(field('open', 'channel-max').default, 65535);
    assert.equal(field('open', 'container-id').default, undefined);
    assert.equal(field('open', 'idle-time-out').default, undefined);
    assert.equal(field('begin', 'handle-max').default, 4294967295);
    assert.equal(field('attach', 'snd-settle-mode').default, 2);
    assert.equal(field('attach', 'snd-settle-mode').default, RESTRICTED['sender-settle-mode']!.choices.mixed);
    assert.equal(field('attach', 'rcv-settle-mode').default, 0);
    assert.equal(
      field('attach', 'rcv-settle-mode').default,
      RESTRICTED['receiver-settle-mode']!.choices.first,
    );
    assert.equal(field('attach', 'incomplete-unsettled').default, false);
    assert.equal(field('flow', 'drain').default, false);
    assert.equal(field('flow', 'echo').default, false);
    assert.equal(field('transfer', 'more').default, false);
    assert.equal(field('transfer', 'settled').default, undefined);
    assert.equal(field('transfer', 'rcv-settle-mode').default, undefined);
    assert.equal(field('disposition', 'settled').default, false);
    assert.equal(field('detach', 'closed').default, false);
  });

  it('types the defaults of the termini', () => {
    assert.equal(field('source', 'durable').default, 0);
    assert.equal(field('source', 'durable').default, RESTRICTED['terminus-durability']!.choices.none);
    assert.equal(field('source', 'expiry-policy').default, 'session-end');
    assert.equal(field('source', 'timeout').default, 0);
    assert.equal(field('source', 'dynamic').default, false);
    assert.equal(field('target', 'durable').default, 0);
    assert.equal(field('target', 'expiry-policy').default, 'session-end');
  });

  it('types every default by its kind, and gives no default to mandatory fields', () => {
    for (const c of COMPOSITES) {
      for (const f of c.fields) {
        if (f.default === undefined) continue;
        const where = `${c.name}.${f.name}`;
        assert.equal(f.mandatory, false, where);
        if (f.kind === 'boolean') assert.equal(typeof f.default, 'boolean', where);
        else if (INTEGERS.has(f.kind)) assert.ok(Number.isSafeInteger(f.default), where);
        else if (f.kind === 'symbol' || f.kind === 'string') assert.equal(typeof f.default, 'string', where);
        else assert.fail(`${where} has a default of kind ${f.kind}`);
      }
    }
  });
});

describe('spec table: type resolution', () => {
  it('resolves restricted types to their primitive sources', () => {
    const cases: [string, string, string, string][] = [
      ['open', 'idle-time-out', 'milliseconds', 'uint'],
      ['open', 'properties', 'fields', 'map'],
      ['open', 'outgoing-locales', 'ietf-language-tag', 'symbol'],
      ['attach', 'handle', 'handle', 'uint'],
      ['attach', 'role', 'role', 'boolean'],
      ['attach', 'snd-settle-mode', 'sender-settle-mode', 'ubyte'],
      ['attach', 'initial-delivery-count', 'sequence-no', 'uint'],
      ['transfer', 'delivery-id', 'delivery-number', 'uint'],
      ['transfer', 'delivery-tag', 'delivery-tag', 'binary'],
      ['transfer', 'message-format', 'message-format', 'uint'],
      ['begin', 'next-outgoing-id', 'transfer-number', 'uint'],
      ['source', 'dynamic-node-properties', 'node-properties', 'map'],
      ['source', 'filter', 'filter-set', 'map'],
      ['source', 'timeout', 'seconds', 'uint'],
    ];
    for (const [owner, name, type, kind] of cases) {
      const f = field(owner, name);
      assert.equal(f.type, type, `${owner}.${name}`);
      assert.equal(f.kind, kind, `${owner}.${name}`);
      assert.equal(f.composite, undefined, `${owner}.${name}`);
    }
  });

  it('resolves chained restricted types in RESTRICTED too', () => {
    assert.equal(RESTRICTED['delivery-number']!.source, 'uint');
    assert.equal(RESTRICTED['transfer-number']!.source, 'uint');
    assert.equal(RESTRICTED['node-properties']!.source, 'map');
    assert.equal(RESTRICTED.annotations!.source, 'map');
    assert.equal(RESTRICTED['filter-set']!.source, 'map');
  });

  it('gives every field a known kind, and every composite reference a described type', () => {
    const described = new Set(COMPOSITES.map((c) => c.name));
    for (const c of COMPOSITES) {
      for (const f of c.fields) {
        const where = `${c.name}.${f.name}`;
        if (f.kind === 'composite') {
          assert.ok(f.composite !== undefined && described.has(f.composite), where);
          assert.equal(f.type, f.composite, where);
        } else {
          assert.ok(f.kind === '*' || PRIMITIVES.has(f.kind), `${where}: ${f.kind}`);
          assert.equal(f.composite, undefined, where);
          if (f.kind === '*') assert.equal(f.type, '*', where);
          else if (PRIMITIVES.has(f.type)) assert.equal(f.kind, f.type, where);
          else assert.ok(RESTRICTED[f.type], `${where}: ${f.type} is not in RESTRICTED`);
        }
        assert.equal(
          f.key,
          f.name.replace(/-(.)/g, (_, ch: string) => ch.toUpperCase()),
          where,
        );
      }
    }
  });
});

describe('spec table: uniqueness and shape', () => {
  it('gives every described type a unique code, symbol and name', () => {
    const codes = COMPOSITES.map((c) => c.code);
    const symbols = COMPOSITES.map((c) => c.symbol);
    const typeNames = COMPOSITES.map((c) => c.name);
    assert.equal(new Set(codes).size, codes.length);
    assert.equal(new Set(symbols).size, symbols.length);
    assert.equal(new Set(typeNames).size, typeNames.length);
    for (const c of COMPOSITES) {
      assert.ok(Number.isInteger(c.code) && c.code >= 0 && c.code <= 0xffffffff, c.name);
      assert.ok(c.symbol.startsWith(`amqp:${c.name}:`), c.symbol);
      assert.ok(!(c.name in RESTRICTED), `${c.name} is in both tables`);
    }
  });

  it('gives composites list sources and restricted described types no fields', () => {
    for (const c of COMPOSITES) {
      if (c.class === 'composite') {
        assert.equal(c.source, 'list', c.name);
        assert.ok(c.symbol.endsWith(':list'), c.symbol);
      } else {
        assert.equal(c.fields.length, 0, c.name);
      }
      const fieldNames = names(c);
      assert.equal(new Set(fieldNames).size, fieldNames.length, c.name);
    }
    assert.deepEqual(
      COMPOSITES.filter((c) => c.class === 'restricted').map((c) => c.name),
      [
        'delivery-annotations',
        'message-annotations',
        'application-properties',
        'data',
        'amqp-sequence',
        'amqp-value',
        'footer',
      ],
    );
  });

  it('lists the 32 restricted types without descriptors, keyed by name', () => {
    assert.deepEqual(Object.keys(RESTRICTED), [
      'role',
      'sender-settle-mode',
      'receiver-settle-mode',
      'handle',
      'seconds',
      'milliseconds',
      'delivery-tag',
      'delivery-number',
      'transfer-number',
      'sequence-no',
      'message-format',
      'ietf-language-tag',
      'fields',
      'amqp-error',
      'connection-error',
      'session-error',
      'link-error',
      'annotations',
      'message-id-ulong',
      'message-id-uuid',
      'message-id-binary',
      'message-id-string',
      'address-string',
      'terminus-durability',
      'terminus-expiry-policy',
      'std-dist-mode',
      'filter-set',
      'node-properties',
      'sasl-code',
      'transaction-id',
      'txn-capability',
      'transaction-error',
    ]);
    for (const [key, r] of Object.entries(RESTRICTED)) {
      assert.equal(r.name, key);
      assert.ok(r.source === '*' || PRIMITIVES.has(r.source), `${key}: ${r.source}`);
    }
  });
});

describe('spec table: restricted choices', () => {
  it('types choice values by their source', () => {
    assert.deepEqual(RESTRICTED.role!.choices, { sender: false, receiver: true });
    assert.deepEqual(RESTRICTED['sender-settle-mode']!.choices, { unsettled: 0, settled: 1, mixed: 2 });
    assert.deepEqual(RESTRICTED['receiver-settle-mode']!.choices, { first: 0, second: 1 });
    assert.deepEqual(RESTRICTED['sasl-code']!.choices, {
      ok: 0,
      auth: 1,
      sys: 2,
      'sys-perm': 3,
      'sys-temp': 4,
    });
    assert.equal(RESTRICTED['sasl-code']!.source, 'ubyte');
    assert.deepEqual(RESTRICTED['terminus-durability']!.choices, {
      none: 0,
      configuration: 1,
      'unsettled-state': 2,
    });
    assert.deepEqual(RESTRICTED['terminus-expiry-policy']!.choices, {
      'link-detach': 'link-detach',
      'session-end': 'session-end',
      'connection-close': 'connection-close',
      never: 'never',
    });
    assert.deepEqual(RESTRICTED['std-dist-mode']!.choices, { move: 'move', copy: 'copy' });
    assert.deepEqual(RESTRICTED.handle!.choices, {});
  });

  it('has the error conditions, providing error-condition', () => {
    const amqpError = RESTRICTED['amqp-error']!;
    assert.equal(amqpError.source, 'symbol');
    assert.deepEqual(amqpError.provides, ['error-condition']);
    assert.equal(amqpError.choices['internal-error'], 'amqp:internal-error');
    assert.equal(amqpError.choices['frame-size-too-small'], 'amqp:frame-size-too-small');
    assert.equal(Object.keys(amqpError.choices).length, 13);
    assert.equal(RESTRICTED['connection-error']!.choices['connection-forced'], 'amqp:connection:forced');
    assert.equal(RESTRICTED['connection-error']!.choices.redirect, 'amqp:connection:redirect');
    assert.equal(RESTRICTED['session-error']!.choices['window-violation'], 'amqp:session:window-violation');
    assert.equal(RESTRICTED['link-error']!.choices.stolen, 'amqp:link:stolen');
    assert.equal(RESTRICTED['link-error']!.choices.redirect, 'amqp:link:redirect');
    assert.deepEqual(RESTRICTED['transaction-error']!.choices, {
      'unknown-id': 'amqp:transaction:unknown-id',
      'transaction-rollback': 'amqp:transaction:rollback',
      'transaction-timeout': 'amqp:transaction:timeout',
    });
    const providers = Object.values(RESTRICTED)
      .filter((r) => r.provides.includes('error-condition'))
      .map((r) => r.name);
    assert.deepEqual(providers, [
      'amqp-error',
      'connection-error',
      'session-error',
      'link-error',
      'transaction-error',
    ]);
  });

  it('has the txn capabilities and the message-id and address providers', () => {
    assert.deepEqual(RESTRICTED['txn-capability']!.provides, ['txn-capability']);
    assert.equal(RESTRICTED['txn-capability']!.choices['local-transactions'], 'amqp:local-transactions');
    assert.equal(RESTRICTED['txn-capability']!.choices['multi-ssns-per-txn'], 'amqp:multi-ssns-per-txn');
    assert.deepEqual(RESTRICTED['transaction-id']!, {
      name: 'transaction-id',
      source: 'binary',
      provides: ['txn-id'],
      choices: {},
    });
    const messageIds = Object.values(RESTRICTED)
      .filter((r) => r.provides.includes('message-id'))
      .map((r) => [r.name, r.source]);
    assert.deepEqual(messageIds, [
      ['message-id-ulong', 'ulong'],
      ['message-id-uuid', 'uuid'],
      ['message-id-binary', 'binary'],
      ['message-id-string', 'string'],
    ]);
    assert.deepEqual(RESTRICTED['address-string']!.provides, ['address']);
  });
});

describe('spec.ts', () => {
  it('says it is generated', () => {
    const text = readFileSync(join(REPO, 'src', 'codec', 'spec.ts'), 'utf8');
    assert.match(text, /^\/\/ Generated by scripts\/gen-spec\.mjs from the AMQP 1\.0 XML/);
    assert.match(text.split('\n').slice(0, 5).join('\n'), /Do not edit by hand/);
  });
});

// The generator itself, run on a small made-up spec (the real XML is not needed to test).
describe('scripts/gen-spec.mjs', () => {
  const SCRIPT = join(REPO, 'scripts', 'gen-spec.mjs');
  const TYPES = `<?xml version="1.0"?>
<!-- a comment with <tags> inside -->
<amqp name="types" xmlns="http://www.amqp.org/schema/amqp.xsd">
  <section name="encodings">
    <type name="boolean" class="primitive"><encoding code="0x56" category="fixed" width="1"/></type>
    <type name="ubyte" class="primitive"><encoding code="0x50" category="fixed" width="1"/></type>
    <type name="uint" class="primitive"><encoding code="0x70" category="fixed" width="4"/></type>
    <type name="symbol" class="primitive"><encoding code="0xa3" category="variable" width="1"/></type>
    <type name="map" class="primitive"><encoding code="0xc1" category="compound" width="1"/></type>
    <type name="list" class="primitive"><encoding code="0xc0" category="compound" width="1"/></type>
  </section>
</amqp>
`;
  const part = (name: string, body: string) =>
    `<?xml version="1.0"?>\n<amqp name="${name}" xmlns="http://www.amqp.org/schema/amqp.xsd">\n${body}\n</amqp>\n`;
  const TRANSPORT = `<section name="s">
    <type name="widget" class="composite" source="list" provides="thing, other">
      <descriptor name="test:widget:list" code="0x00000000:0x0000007f"/>
      <field name="level-count" type="level" mandatory="true"/>
      <field name="mode" type="mode" default="loud"/>
      <field name="tags" type="props" multiple="true"/>
      <field name="flag" type="boolean" default="true"/>
      <field name="part" type="gadget"/>
    </type>
    <type name="gadget" class="composite" source="list">
      <descriptor name="test:gadget:list" code="0x00000000:0x00000080"/>
    </type>
    <type name="level" class="restricted" source="counter"/>
    <type name="counter" class="restricted" source="uint"/>
    <type name="props" class="restricted" source="map"/>
    <type name="mode" class="restricted" source="ubyte">
      <choice name="quiet" value="0"/>
      <choice name="loud" value="3"/>
    </type>
    <type name="bag" class="restricted" source="props" provides="section">
      <descriptor name="test:bag:map" code="0x00000000:0x00000081"/>
    </type>
  </section>`;
  const EMPTY = '<section name="s"/>';

  function generate(
    transport: string,
    check?: (dir: string, run: (...args: string[]) => ReturnType<typeof spawnSync>) => void,
  ): { status: number | null; stderr: string; out: string; types: string } {
    const dir = mkdtempSync(join(tmpdir(), 'gen-spec-'));
    try {
      writeFileSync(join(dir, 'types.bare.xml'), TYPES);
      writeFileSync(join(dir, 'transport.bare.xml'), part('transport', transport));
      for (const name of ['messaging', 'security', 'transactions']) {
        writeFileSync(join(dir, `${name}.bare.xml`), part(name, EMPTY));
      }
      const outFile = join(dir, 'out.ts');
      const run = spawnSync(process.execPath, [SCRIPT, '--spec', dir, '--out', outFile], {
        encoding: 'utf8',
      });
      const out = run.status === 0 ? readFileSync(outFile, 'utf8') : '';
      // Unless told otherwise, the classes go next to the table.
      const types = run.status === 0 ? readFileSync(join(dir, 'composite-types.ts'), 'utf8') : '';
      check?.(dir, (...args) =>
        spawnSync(process.execPath, [SCRIPT, '--spec', dir, ...args], { encoding: 'utf8' }),
      );
      return { status: run.status, stderr: run.stderr, out, types };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('generates fields, resolved kinds, typed defaults and choices', () => {
    const { status, stderr, out } = generate(TRANSPORT);
    assert.equal(status, 0, stderr);
    assert.match(out, /^\/\/ Generated by scripts\/gen-spec\.mjs/);
    assert.match(out, /import type \{ AmqpTypeName \} from '\.\/types\.js';/);
    assert.ok(out.includes("    name: 'widget',\n    code: 0x7f,\n    symbol: 'test:widget:list',"));
    assert.ok(out.includes("provides: ['thing', 'other'],"));
    assert.ok(
      out.includes(
        "name: 'level-count',\n        key: 'levelCount',\n        type: 'level',\n        kind: 'uint',\n" +
          '        mandatory: true,\n        multiple: false,\n',
      ),
    );
    assert.ok(
      out.includes(
        "type: 'mode',\n        kind: 'ubyte',\n        mandatory: false,\n        multiple: false,\n        default: 3,",
      ),
    );
    assert.ok(
      out.includes(
        "type: 'props',\n        kind: 'map',\n        mandatory: false,\n        multiple: true,",
      ),
    );
    assert.ok(
      out.includes(
        "kind: 'boolean',\n        mandatory: false,\n        multiple: false,\n        default: true,",
      ),
    );
    assert.ok(out.includes("type: 'gadget',\n        kind: 'composite',\n        composite: 'gadget',"));
    assert.ok(
      out.includes(
        "name: 'bag',\n    code: 0x81,\n    symbol: 'test:bag:map',\n    class: 'restricted',\n    source: 'map',",
      ),
    );
    assert.ok(out.includes('choices: { quiet: 0, loud: 3 },'));
    assert.ok(out.includes("  level: {\n    name: 'level',\n    source: 'uint',"));
  });

  it('is deterministic', () => {
    const a = generate(TRANSPORT);
    const b = generate(TRANSPORT);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.out, b.out);
  });

  it('refuses unknown types, duplicate codes, bad defaults and unexpected markup', () => {
    const cases: [string, RegExp][] = [
      [TRANSPORT.replace('type="level"', 'type="nowhere"'), /unknown type nowhere/],
      [TRANSPORT.replace('0x00000080', '0x0000007f'), /reuses the code/],
      [TRANSPORT.replace('default="loud"', 'default="deafening"'), /not an integer/],
      [TRANSPORT.replace('default="true"', 'default="yes"'), /not a boolean/],
      [
        TRANSPORT.replace('<field name="flag"', '<field colour="red" name="flag"'),
        /unexpected attribute colour/,
      ],
      [TRANSPORT.replace('</section>', 'stray text</section>'), /unexpected text/],
      [TRANSPORT.replace('source="counter"', 'source="level"'), /cycle/],
    ];
    for (const [xml, message] of cases) {
      const { status, stderr } = generate(xml);
      assert.notEqual(status, 0, String(message));
      assert.match(stderr, message);
    }
  });

  it('generates a class per composite, with typed fields in wire order', () => {
    const transport = TRANSPORT.replace(
      '<field name="part" type="gadget"/>',
      '<field name="part" type="gadget"/>\n      <field name="anything" type="*" requires="thing"/>\n' +
        '      <field name="things" type="*" requires="other" multiple="true"/>',
    );
    const { status, stderr, types } = generate(transport);
    assert.equal(status, 0, stderr);
    assert.match(types, /^\/\/ Generated by scripts\/gen-spec\.mjs/);
    assert.match(types.split('\n').slice(0, 5).join('\n'), /Do not edit by hand/);
    assert.ok(types.includes("import type { AmqpValue } from './types.js';"));
    assert.ok(
      types.includes('/** The AMQP composite types providing `thing`. */\nexport type Thing = Widget;'),
    );
    assert.ok(types.includes('export type Other = Widget;'));
    assert.ok(
      types.includes(
        '/** The AMQP `widget` type (test:widget:list, 0x7f). */\nexport class Widget {\n' +
          '  /** The AMQP descriptor code: domain 0, code 0x7f. */\n  static readonly descriptor = 0x7f;\n' +
          "  /** The AMQP descriptor symbol, `test:widget:list`. */\n  static readonly symbol = 'test:widget:list';\n" +
          '  declare private readonly brand: never;\n' +
          '  /** AMQP: `widget.level-count` (level, mandatory). */\n  levelCount!: number;\n' +
          '  /** AMQP: `widget.mode` (mode). @default 3 (`loud`) */\n  mode?: number = undefined;\n' +
          '  /** AMQP: `widget.tags` (props, multiple). */\n  tags?: Map<AmqpValue, AmqpValue>[] = undefined;\n' +
          '  /** AMQP: `widget.flag` (boolean). @default true */\n  flag?: boolean = undefined;\n' +
          '  /** AMQP: `widget.part` (gadget). */\n  part?: Gadget = undefined;\n' +
          '  /** AMQP: `widget.anything` (*, requires thing). */\n  anything?: Thing | AmqpValue = undefined;\n' +
          '  /** AMQP: `widget.things` (*, requires other, multiple). */\n  things?: (Other | AmqpValue)[] = undefined;\n}\n',
      ),
    );
    assert.ok(types.includes('export class Gadget {'));
    assert.ok(!types.includes('class Bag'), 'a restricted described type gets no class');
    assert.ok(
      types.includes(
        'export const COMPOSITE_CLASSES = {\n  /** The `widget` type. */\n  widget: Widget,\n' +
          '  /** The `gadget` type. */\n  gadget: Gadget,\n} as const;',
      ),
    );
  });

  it('writes the classes where --types-out says, and --check checks both files', () => {
    const { status, stderr } = generate(TRANSPORT, (dir, run) => {
      const table = join(dir, 'table.ts');
      const classes = join(dir, 'classes.ts');
      const written = run('--out', table, '--types-out', classes);
      assert.equal(written.status, 0, String(written.stderr));
      assert.match(readFileSync(classes, 'utf8'), /export class Widget \{/);
      assert.equal(run('--out', table, '--types-out', classes, '--check').status, 0);

      writeFileSync(classes, `${readFileSync(classes, 'utf8')}\n`);
      const stale = run('--out', table, '--types-out', classes, '--check');
      assert.equal(stale.status, 1);
      assert.match(String(stale.stderr), /classes\.ts is out of date/);
      assert.doesNotMatch(String(stale.stderr), /table\.ts/);

      rmSync(table);
      const missing = run('--out', table, '--types-out', classes, '--check');
      assert.equal(missing.status, 1);
      assert.match(String(missing.stderr), /table\.ts is out of date/);
    });
    assert.equal(status, 0, stderr);
  });

  it('refuses a composite whose class name is taken', () => {
    const { status, stderr } = generate(
      TRANSPORT.replace('name="gadget" class="composite"', 'name="set" class="composite"').replace(
        'type="gadget"',
        'type="set"',
      ),
    );
    assert.notEqual(status, 0);
    assert.match(stderr, /would be named Set, which is taken/);
  });

  it('names the AMQP field and its Proton Python counterpart in each field comment, wrapping long ones', () => {
    const text = readFileSync(join(REPO, 'src', 'codec', 'composite-types.ts'), 'utf8');
    assert.ok(
      text.includes(
        '  /** AMQP: `open.max-frame-size` (uint). Proton Python: `Transport.max_frame_size`. @default 4294967295 */\n' +
          '  maxFrameSize?: number = undefined;\n',
      ),
    );
    // A field Proton Python has no name for says only what it is in AMQP.
    assert.ok(text.includes('  /** AMQP: `begin.handle-max` (handle). @default 4294967295 */\n'));
    // Too long for one line: wrapped between words, the @default on a line of its own.
    assert.ok(
      text.includes(
        '  /**\n   * AMQP: `attach.snd-settle-mode` (sender-settle-mode). Proton Python: `Link.snd_settle_mode`\n' +
          '   * (`Link.SND_MIXED`...).\n   * @default 2 (`mixed`)\n   */\n  sndSettleMode?: number = undefined;\n',
      ),
    );
    for (const line of text.split('\n')) assert.ok(line.length <= 110, line);
  });

  it('refuses a Proton Python name for a field the spec does not have', () => {
    // A type the real spec calls open, without the fields the generator names Proton counterparts for.
    const { status, stderr } = generate(
      TRANSPORT.replace('name="gadget" class="composite"', 'name="open" class="composite"').replace(
        'type="gadget"',
        'type="open"',
      ),
    );
    assert.notEqual(status, 0);
    assert.match(stderr, /PROTON_FIELDS: open has no field container-id/);
  });

  it('prints usage on --help', () => {
    const usage = execFileSync(process.execPath, [SCRIPT, '--help'], { encoding: 'utf8' });
    assert.match(usage, /--spec DIR/);
    assert.match(usage, /--types-out FILE/);
  });
});
