import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AmqpSymbol,
  type AmqpValue,
  amqpEquals,
  BodySections,
  DecodeError,
  EncodeError,
  InvalidOptionError,
  Message,
  ULong,
  ulong,
  uuid,
} from '../../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const p037 = { widths: 'proton-0.37' } as const;

describe('Message encoding: Proton 0.37 vectors (reference 1.1.12)', () => {
  it('an empty message', () => {
    assert.equal(hex(new Message().encode(p037)), '0053704500537345');
    // Compact widths omit empty sections and send an AmqpValue null body, as Proton main does.
    assert.equal(hex(new Message().encode()), '00537740');
  });

  it('a string body', () => {
    assert.equal(
      hex(new Message({ body: 'Hello World!' }).encode(p037)),
      '0053704500537345005377a10c48656c6c6f20576f726c6421',
    );
  });

  it('an integer id and a map body', () => {
    const m = new Message({ id: 1, body: new Map([['sequence', 1]]) });
    assert.equal(
      hex(m.encode(p037)),
      '00537045005373c003015301005377d10000001000000002a10873657175656e63655501',
    );
  });

  it('application properties', () => {
    const m = new Message({ id: 1, properties: { colour: 'green' }, body: 'green 1' });
    assert.equal(
      hex(m.encode(p037)),
      '00537045005373c003015301005374d10000001300000002a106636f6c6f7572a105677265656e005377a107677265656e2031',
    );
    assert.equal(String(m), "Message(priority=4, id=1, properties={'colour': 'green'}, body='green 1')");
  });

  it('binary as a value, and as a data section', () => {
    const b = Buffer.from('hello');
    assert.equal(hex(new Message({ body: b }).encode(p037)), '0053704500537345005377a00568656c6c6f');
    assert.equal(
      hex(new Message({ body: b, bodyKind: 'data' }).encode(p037)),
      '0053704500537345005375a00568656c6c6f',
    );
  });

  it('a list as a sequence section', () => {
    const m = new Message({ body: [1, 2], bodyKind: 'sequence' });
    assert.equal(hex(m.encode(p037)), '0053704500537345005376d0000000080000000255015502');
  });

  it('ttl alone: priority 4 sent as null', () => {
    assert.equal(hex(new Message({ ttl: 3 }).encode(p037)), '005370c005034040520300537345');
  });

  it('a group id sends group-sequence 0', () => {
    assert.equal(
      hex(new Message({ groupId: 'A' }).encode(p037)),
      '00537045005373c00f0c40404040404040404040a1014143',
    );
  });

  it('every field', () => {
    const m = new Message({
      id: 5,
      correlationId: 'x',
      properties: { a: 1 },
      annotations: { 'x-opt': 1 },
      durable: true,
      ttl: 1500,
      priority: 9,
      subject: 's',
      address: 'q',
      replyTo: 'r',
      contentType: 'text/plain',
      userId: Buffer.from('u'),
      creationTime: 1000,
      groupId: 'g',
      groupSequence: 3,
      replyToGroupId: 'rg',
      firstAcquirer: true,
      deliveryCount: 2,
      expiryTime: 2000,
      instructions: { i: 1 },
      body: 'b',
    });
    const expected =
      '005370c00c0541500970000005dc415202005371d10000000900000002a301695501005372d10000000d00000002a305782d6f7074' +
      '5501005373c03a0d5305a00175a10171a10173a10172a10178a30a746578742f706c61696e408300000000000007d08300000000' +
      '000003e8a101675203a1027267005374d10000000900000002a101615501005377a10162';
    assert.equal(hex(m.encode(p037)), expected);
    const back = Message.decode(bytes(expected));
    assert.equal(back.id, 5);
    assert.equal(back.correlationId, 'x');
    assert.equal(back.ttl, 1500);
    assert.equal(back.priority, 9);
    assert.equal(back.durable, true);
    assert.equal(back.firstAcquirer, true);
    assert.equal(back.deliveryCount, 2);
    assert.equal(back.expiryTime, 2000);
    assert.equal(back.creationTime, 1000);
    assert.equal(back.contentType, 'text/plain');
    assert.equal(back.groupSequence, 3);
    assert.deepEqual([...(back.annotations ?? [])], [['x-opt', 1]]);
    assert.deepEqual([...(back.instructions ?? [])], [['i', 1]]);
    assert.deepEqual({ ...back.properties }, { a: 1 });
    assert.equal(hex(back.encode(p037)), expected);
    assert.equal(
      String(back),
      "Message(address='q', reply_to='r', durable=True, ttl=1.5, priority=9, first_acquirer=True, delivery_count=2, " +
        "id=5, correlation_id='x', user_id=b'u', group_id='g', group_sequence=3, reply_to_group_id='rg', " +
        "instructions=AnnotationDict({symbol('i'): 1}), annotations=AnnotationDict({symbol('x-opt'): 1}), " +
        "properties={'a': 1}, body='b')",
    );
  });
});

describe('Message decoding: Proton message test vectors', () => {
  it('LIST32 header and properties filled with nulls and zeros decode to the defaults', () => {
    const list32 =
      '0053 70 d0 00000009 00000005 40 40 40 40 40' +
      '0053 73 d0 00000021 0000000d 40 40 40 40 40 40 40 40 83 0000000000000000 83 0000000000000000 40 40 40';
    const m = Message.decode(bytes(list32));
    assert.equal(m.priority, 4);
    assert.equal(m.expiryTime, 0);
    assert.equal(m.creationTime, 0);
  });

  it('LIST8 header and properties decode to the defaults', () => {
    const list8 =
      '0053 70 c0 06 05 40 40 40 40 40' +
      '0053 73 c0 1e 0d 40 40 40 40 40 40 40 40 83 0000000000000000 83 0000000000000000 40 40 40';
    const m = Message.decode(bytes(list8));
    assert.equal(m.priority, 4);
    assert.equal(m.ttl, 0);
    assert.equal(m.expiryTime, 0);
  });

  it('zero-length header and properties decode to the defaults', () => {
    const m = Message.decode(bytes('00537045 00537345'));
    assert.equal(m.priority, 4);
    assert.equal(m.durable, false);
    assert.equal(m.id, undefined);
    assert.equal(m.body, undefined);
  });

  it("Proton's interop message.amqp", () => {
    const m = Message.decode(
      bytes(
        '005370d00000000b000000054250044042520000' +
          '5373d0000000220000000d40404040404040408300000000000000008300000000000000004052004000' +
          '5377a007a10568656c6c6f',
      ),
    );
    assert.equal(m.priority, 4);
    assert.equal(m.durable, false);
    assert.ok(m.body instanceof Uint8Array);
    assert.equal(hex(m.body), 'a10568656c6c6f');
  });

  it('symbolic section descriptors', () => {
    const sym = Buffer.from('amqp:amqp-value:*');
    const b = Buffer.concat([Buffer.from([0x00, 0xa3, sym.length]), sym, bytes('a1026869')]);
    assert.equal(Message.decode(b).body, 'hi');
  });
});

describe('Message round trips', () => {
  it('keeps ids of every kind', () => {
    for (const id of [
      7,
      2n ** 60n,
      'abc',
      Buffer.from([1, 2]),
      uuid('00000000-0000-0000-0000-000000000001'),
    ]) {
      const back = Message.decode(new Message({ id, correlationId: id }).encode());
      assert.ok(amqpEquals(back.id as AmqpValue, id), `id ${String(id)}`);
      assert.ok(amqpEquals(back.correlationId as AmqpValue, id), `correlation id ${String(id)}`);
    }
  });

  it('reads ulong ids in every width as numbers up to 2^53 - 1, and as bigints past it', () => {
    // properties list8 holding message-id and correlation-id in the given encoding.
    const withIds = (id: string) => {
      const body = `${id}40404040${id}`;
      const count = 6;
      const size = body.length / 2 + 1;
      return bytes(`005373c0${size.toString(16).padStart(2, '0')}0${count}${body}`);
    };
    const cases: [string, number | bigint][] = [
      ['44', 0],
      ['5307', 7],
      ['53ff', 255],
      ['80001fffffffffffff', 2 ** 53 - 1],
      ['800020000000000000', 2n ** 53n],
      ['80ffffffffffffffff', 2n ** 64n - 1n],
    ];
    for (const [wire, want] of cases) {
      const m = Message.decode(withIds(wire));
      assert.equal(m.id, want, `message-id ${wire}`);
      assert.equal(m.correlationId, want, `correlation-id ${wire}`);
    }
    // A truncated ulong is a decode error, not a short read.
    assert.throws(() => Message.decode(bytes('005373c00301801f')), DecodeError);
  });

  it('writes numeric ids in the smallest ulong width, and refuses numbers that are no ulong', () => {
    const props = (id: number) => hex(new Message({ id, correlationId: id }).encode()).split('005377')[0];
    assert.equal(props(0), '005373c00706444040404044');
    assert.equal(props(255), '005373c0090653ff4040404053ff');
    assert.equal(props(256), `005373c01706${'800000000000000100'}40404040${'800000000000000100'}`);
    // 2^53 is past the safe integers: it still goes as a ulong, and comes back as a bigint.
    assert.equal(Message.decode(new Message({ id: 2 ** 53 }).encode()).id, 2n ** 53n);
    assert.throws(() => new Message({ correlationId: -1 }).encode(), /correlationId must not be negative/);
    assert.throws(() => new Message({ id: 1.5 }).encode(), EncodeError);
  });

  it('sends numeric ids as ulong', () => {
    const b = new Message({ id: 300 }).encode();
    assert.ok(hex(b).includes('80000000000000012c'));
    assert.throws(() => new Message({ id: -1 }).encode(), EncodeError);
  });

  it('keeps several data and sequence sections', () => {
    const data = new Message({
      bodyKind: 'data',
      body: new BodySections([Buffer.from('a'), Buffer.from('b')]),
    });
    const back = Message.decode(data.encode());
    assert.equal(back.bodyKind, 'data');
    assert.ok(back.body instanceof BodySections);
    assert.deepEqual(
      back.body.sections.map((s) => Buffer.from(s as Uint8Array).toString()),
      ['a', 'b'],
    );
    const seq = Message.decode(
      new Message({ bodyKind: 'sequence', body: new BodySections([[1], [2, 3]]) }).encode(),
    );
    assert.ok(seq.body instanceof BodySections);
    assert.deepEqual(seq.body.sections, [[1], [2, 3]]);
    const one = Message.decode(new Message({ bodyKind: 'sequence', body: [[1], [2]] }).encode());
    assert.deepEqual(one.body, [[1], [2]]);
  });

  it('data bodies are views of the input', () => {
    const encoded = new Message({ bodyKind: 'data', body: Buffer.from('abc') }).encode();
    const back = Message.decode(encoded);
    assert.ok(back.body instanceof Uint8Array);
    assert.equal(back.body.buffer, encoded.buffer);
  });

  it('keeps the footer and ulong annotation keys', () => {
    const m = new Message({
      annotations: new Map<never, never>([[ulong(5) as never, 'five' as never]]),
      footer: { sig: 'x' },
    });
    const back = Message.decode(m.encode());
    const [[k, v]] = [...(back.annotations ?? [])] as [[unknown, unknown]];
    assert.ok(k instanceof ULong);
    assert.equal(v, 'five');
    assert.deepEqual([...(back.footer ?? [])], [['sig', 'x']]);
  });

  it('a property named __proto__ is just a key', () => {
    const b = bytes('005374 c1 0f 02 a1 09 5f5f70726f746f5f5f a1 01 78 005377 40');
    const m = Message.decode(b);
    assert.equal(Object.getPrototypeOf(m.properties), Object.prototype);
    assert.ok(Object.hasOwn(m.properties ?? {}, '__proto__'));
    assert.deepEqual(Object.entries(m.properties ?? {}), [['__proto__', 'x']]);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    const again = Message.decode(new Message({ properties: m.properties }).encode());
    assert.deepEqual(Object.entries(again.properties ?? {}), [['__proto__', 'x']]);
  });
});

describe('Message errors', () => {
  it('refuses unknown fields by name', () => {
    assert.throws(
      () => new Message({ bogus: 1 } as never),
      (e: unknown) => e instanceof InvalidOptionError && /bogus/.test(e.message),
    );
  });

  it('refuses application property keys that are not strings', () => {
    const m = new Message();
    m.properties = new Map([[new AmqpSymbol('k'), 1]]) as never;
    assert.throws(() => m.encode(), /application property key is not a string/);
    assert.throws(() => Message.decode(bytes('005374 c1 04 02 55 01 55 02')), DecodeError);
  });

  it('refuses out-of-range header fields', () => {
    assert.throws(() => new Message({ priority: 300 }).encode(), /priority.*ubyte|ubyte/);
    assert.throws(() => new Message({ ttl: -1 }).encode(), EncodeError);
  });

  it('refuses sections out of order and unknown sections', () => {
    assert.throws(() => Message.decode(bytes('00537345 00537045')), /out of order/);
    assert.throws(() => Message.decode(bytes('00537945')), /unknown message section/);
    assert.throws(() => Message.decode(bytes('005377 40 005377 40')), /two amqp-value/);
    assert.throws(() => Message.decode(bytes('40')), /described/);
  });

  it('names the missing mandatory field', () => {
    // A properties list is all optional; a header is too: so check a truncated section instead.
    assert.throws(() => Message.decode(bytes('005373c00301')), DecodeError);
  });
});

describe('Message decoding of hostile bytes (fuzz)', () => {
  const seeds = [
    new Message({
      id: 1,
      properties: { colour: 'green' },
      body: 'green 1',
      annotations: { 'x-opt': 1 },
    }).encode(),
    new Message({ bodyKind: 'data', body: new BodySections([Buffer.from('a'), Buffer.from('bc')]) }).encode(),
    new Message({ durable: true, ttl: 5, groupId: 'g', footer: { f: [1, 2] } }).encode({
      widths: 'proton-0.37',
    }),
  ];

  it('mutated messages decode or fail with a DecodeError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (seed, changes, cut) => {
          const b = Buffer.from(seed);
          for (const [at, v] of changes) b[at % b.length] = v;
          const input = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
          try {
            Message.decode(input);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes decode or fail with a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        try {
          Message.decode(b);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
