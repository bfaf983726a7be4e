import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Accepted,
  AmqpError,
  Attach,
  type Begin,
  DecodeError,
  Described,
  decodeComposite,
  EncodeError,
  encodeComposite,
  type Flow,
  Open,
  Rejected,
  Source,
  symbol,
  Transfer,
  ULong,
} from '../../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function open(fields: Partial<Open>): Open {
  return Object.assign(new Open(), fields);
}

describe('composites: encoding', () => {
  it('omits trailing absent fields and writes the descriptor as a small ulong', () => {
    assert.equal(hex(encodeComposite(open({ containerId: 'c' }))), '005310c00401a10163');
    assert.equal(
      hex(encodeComposite(open({ containerId: 'c', channelMax: 7 }))),
      '005310c00904a101634040600007',
    );
  });

  it('writes absent fields before a present one as null', () => {
    const b = encodeComposite(open({ containerId: 'c', idleTimeOut: 5 }));
    assert.equal(hex(b), '005310c00905a101634040405205');
  });

  it('writes an empty composite as list0', () => {
    assert.equal(hex(encodeComposite(new Accepted())), '00532445');
  });

  it('writes multiple fields as arrays, and symbol-keyed maps with symbol keys', () => {
    const b = encodeComposite(
      open({ containerId: 'c', offeredCapabilities: ['A', 'B'], properties: { p: 1 } }),
    );
    const back = decodeComposite(b) as Open;
    assert.deepEqual(back.offeredCapabilities, ['A', 'B']);
    assert.deepEqual([...(back.properties as Map<unknown, unknown>)], [['p', 1]]);
    assert.ok(hex(b).includes('e00602a30141014240'), 'an array8 of sym8');
    assert.ok(hex(b).includes('a30170'), 'the key p as a symbol');
  });

  it('widens the list header past 255 bytes', () => {
    const o = open({ containerId: 'x'.repeat(300) });
    const back = decodeComposite(encodeComposite(o)) as Open;
    assert.equal(back.containerId.length, 300);
    assert.equal(encodeComposite(o)[3], 0xd0);
  });

  it('refuses a missing mandatory field, naming it', () => {
    assert.throws(
      () => encodeComposite(new Open()),
      (e: unknown) => e instanceof EncodeError && /open.*container-id/.test(e.message),
    );
    const t = Object.assign(new Transfer(), { deliveryId: 1 });
    assert.throws(() => encodeComposite(t), /transfer needs its mandatory field 'handle'/);
  });

  it('names the field whose value does not fit its type', () => {
    assert.throws(
      () => encodeComposite(open({ containerId: 'c', channelMax: 70000 })),
      /channel-max.*ushort/,
    );
  });
});

describe('composites: decoding', () => {
  it('decodes nested composites to their classes', () => {
    const t = Object.assign(new Transfer(), {
      handle: 0,
      deliveryId: 7,
      deliveryTag: Buffer.from('t'),
      settled: false,
      state: Object.assign(new Rejected(), {
        error: Object.assign(new AmqpError(), { condition: 'amqp:not-allowed', description: 'no' }),
      }),
    });
    const back = decodeComposite(encodeComposite(t)) as Transfer;
    assert.ok(back instanceof Transfer);
    assert.equal(back.deliveryId, 7);
    assert.ok(back.state instanceof Rejected);
    assert.ok(back.state.error instanceof AmqpError);
    assert.equal(back.state.error.condition, 'amqp:not-allowed');
    assert.equal(back.state.error.description, 'no');
  });

  it('decodes a terminus with a filter of described values', () => {
    const selector = new Described(symbol('apache.org:selector-filter:string'), "colour = 'red'");
    const a = Object.assign(new Attach(), {
      name: 'l',
      handle: 1,
      role: true,
      source: Object.assign(new Source(), { address: 'q', filter: new Map([['sel', selector]]) }),
    });
    const back = decodeComposite(encodeComposite(a)) as Attach;
    assert.ok(back.source instanceof Source);
    const f = back.source.filter as Map<unknown, Described>;
    const sel = f.get('sel') as Described;
    assert.equal(sel.value, "colour = 'red'");
    assert.equal((sel.descriptor as { value: string }).value, 'apache.org:selector-filter:string');
  });

  it('reads a symbolic descriptor', () => {
    const sym = Buffer.from('amqp:accepted:list');
    const b = Buffer.concat([Buffer.from([0x00, 0xa3, sym.length]), sym, Buffer.from([0x45])]);
    assert.ok(decodeComposite(b) instanceof Accepted);
  });

  it('keeps an unknown descriptor as a Described value', () => {
    const v = decodeComposite(bytes('00 80 0000013700000001 a1 01 78')) as Described;
    assert.ok(v instanceof Described);
    assert.ok(v.descriptor instanceof ULong);
    assert.equal(v.descriptor.value, 0x13700000001n);
    assert.equal(v.value, 'x');
  });

  it('takes a single value for a multiple field', () => {
    const back = decodeComposite(bytes('005310 c0 0d 08 a1 01 63 40 40 40 40 40 40 a3 01 41')) as Open;
    assert.deepEqual(back.offeredCapabilities, ['A']);
  });

  it('reads past fields a later spec may add', () => {
    const back = decodeComposite(bytes('005324 c0 03 02 40 40')) as Accepted;
    assert.ok(back instanceof Accepted);
  });

  it('accepts an integer of another width when the value fits', () => {
    // flow with next-incoming-id as a ulong, incoming-window as a smallint
    const back = decodeComposite(bytes('005313 c0 0e 04 80 0000000000000005 54 0a 43 43')) as Flow;
    assert.equal(back.nextIncomingId, 5);
    assert.equal(back.incomingWindow, 10);
    assert.throws(() => decodeComposite(bytes('005313 c0 06 04 55 ff 43 43 43')), /out of range/);
  });

  it('refuses a missing mandatory field, naming the composite and the field', () => {
    assert.throws(
      () => decodeComposite(bytes('005311 c0 02 01 40')),
      (e: unknown) =>
        e instanceof DecodeError && /begin is missing its mandatory field 'next-outgoing-id'/.test(e.message),
    );
    assert.throws(
      () => decodeComposite(bytes('005310 45')),
      /open is missing its mandatory field 'container-id'/,
    );
  });

  it('refuses a field of the wrong type, naming it', () => {
    assert.throws(
      () => decodeComposite(bytes('005310 c0 03 01 55 01')),
      /field 'container-id' of open must be a string, not a long/,
    );
    assert.throws(() => decodeComposite(bytes('005311 c0 04 03 40 a1 00')), DecodeError);
  });

  it('refuses a composite that is not a list', () => {
    assert.throws(() => decodeComposite(bytes('005310 a1 01 78')), /open must be a list/);
  });

  it('fills no defaults: absent fields are undefined', () => {
    const b = decodeComposite(bytes('005311 c0 05 04 40 43 43 43')) as Begin;
    assert.equal(b.handleMax, undefined);
    assert.equal(b.nextOutgoingId, 0);
  });
});
