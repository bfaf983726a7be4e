/**
 * The frame trace against Proton's own: every frame line of the traces captured from Proton Python 0.37
 * (test/fixtures/proton/trace-*.txt, written by capture_trace.py) is rebuilt from the frame's bytes,
 * decoded with our codec, and must read the same, but for the SASL secrets, which we mask and Proton
 * prints. Then the value formats, C's %g, the payload cut, the line shapes and the masking rules.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodeComposite, encodeComposite, readValue } from '../../src/codec/composites.js';
import { decodeWith } from '../../src/codec/decoder.js';
import {
  Accepted,
  AmqpArray,
  Attach,
  byte,
  char,
  Described,
  decimal32,
  decimal64,
  decimal128,
  double,
  Flow,
  float32,
  int32,
  Open,
  Rejected,
  SaslInit,
  SaslMechanisms,
  SaslResponse,
  Source,
  short,
  symbol,
  Target,
  Transfer,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
} from '../../src/codec/index.js';
import {
  DEFAULT_TRACE_PREFIX,
  formatFrame,
  formatG,
  formatPayload,
  formatPerformative,
  formatValue,
  maskPlain,
  quoteBytes,
  traceEosLine,
  traceHeaderLine,
  traceLine,
  tracePrefix,
} from '../../src/engine/trace.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'proton');
const PREFIX = '[0x1]';

/** Decodes a frame body: the performative, then the payload bytes after it. */
function decodeBody(body: Uint8Array): { performative: object; payload: Uint8Array } {
  return decodeWith(body, {}, (d) => {
    const performative = readValue(d) as object;
    return { performative, payload: body.subarray(d.pos) };
  });
}

/**
 * What we print where Proton's text differs on purpose (secrets) or by what a decoded object cannot
 * tell: each rule names the lines it applies to, and must change them.
 */
const EXPECTED_DIFFERENCES: readonly { why: string; match: RegExp; from: string; to: string }[] = [
  {
    why: "PLAIN's password is masked after the second NUL",
    match: /@sasl-init\(65\) \[mechanism=:PLAIN, initial-response=b"\\x00user\\x00secret"/,
    from: '\\x00secret"',
    to: '\\x00***"',
  },
  {
    why: "PLAIN's password is masked after the second NUL",
    match: /@sasl-init\(65\) \[mechanism=:PLAIN, initial-response=b"\\x00u\\xc3\\xa9\\x00pw"/,
    from: '\\x00pw"',
    to: '\\x00***"',
  },
  {
    why: 'a sasl-response prints as its length only',
    match: /@sasl-response\(67\)/,
    from: 'response=b"\\x00user\\x00secret"',
    to: 'response=<12 bytes masked>',
  },
  {
    why: 'one symbol sent for a multiple field decodes to an array of one: the wire form is lost',
    match: /sasl-server-mechanisms=:PLAIN\]/,
    from: 'sasl-server-mechanisms=:PLAIN]',
    to: 'sasl-server-mechanisms=@<symbol>[:PLAIN]]',
  },
];

function expectedLine(proton: string): string {
  let line = proton;
  for (const d of EXPECTED_DIFFERENCES) {
    if (!d.match.test(line)) continue;
    assert.ok(line.includes(d.from), `rule '${d.why}' does not apply to: ${line}`);
    line = line.replace(d.from, d.to);
  }
  return line;
}

const HEADER_LINE = /^\[0x1\]:( AMQP| SASL):FRAME: {2}(->|<-) (AMQP|SASL)$/;
const EOS_LINE = /^\[0x1\]: {3}IO:FRAME: {2}(->|<-) EOS$/;
const FRAME_LINE = /^\[0x1\]: AMQP:FRAME:(\d+) (->|<-) /;

const traceFiles = readdirSync(fixtures)
  .filter((f) => /^trace-.*\.txt$/.test(f))
  .sort();

describe('the trace of Proton 0.37, line for line', () => {
  it('has fixtures to compare with', () => {
    assert.ok(traceFiles.length >= 4, `trace fixtures in ${fixtures}: ${traceFiles.join(', ')}`);
  });

  for (const file of traceFiles) {
    it(`rebuilds ${file}`, () => {
      const lines = readFileSync(join(fixtures, file), 'utf8').split('\n');
      let body: Uint8Array | undefined;
      let frames = 0;
      for (const line of lines) {
        if (line === '') continue;
        if (line.startsWith('#frame ')) {
          body = Buffer.from(line.slice('#frame '.length), 'hex');
          continue;
        }
        if (line.startsWith('#')) continue;
        const header = line.match(HEADER_LINE);
        const eos = line.match(EOS_LINE);
        let ours: string;
        if (header !== null) {
          ours = traceHeaderLine(header[2] as '->' | '<-', header[3] as 'AMQP' | 'SASL', PREFIX);
        } else if (eos !== null) {
          ours = traceEosLine(eos[1] as '->' | '<-', PREFIX);
        } else {
          const m = line.match(FRAME_LINE);
          assert.ok(m !== null, `a line of no known form: ${line}`);
          assert.ok(body !== undefined, `no '#frame' bytes before: ${line}`);
          let text: string;
          if (body.length === 0) text = formatFrame(undefined);
          else {
            const { performative, payload } = decodeBody(body);
            text = formatFrame(performative, payload);
          }
          ours = traceLine(m[2] as '->' | '<-', Number(m[1]), text, PREFIX);
          body = undefined;
          frames++;
          assert.ok(!ours.includes('secret') && !ours.includes('pw"'), `a secret printed: ${ours}`);
        }
        assert.equal(ours, expectedLine(line));
      }
      assert.ok(frames > 0);
    });
  }

  it('covers every performative, SASL frame, heartbeats, payloads and the cut', () => {
    const all = traceFiles.map((f) => readFileSync(join(fixtures, f), 'utf8')).join('\n');
    for (const name of [
      'open(16)',
      'begin(17)',
      'attach(18)',
      'flow(19)',
      'transfer(20)',
      'disposition(21)',
      'detach(22)',
      'end(23)',
      'close(24)',
      'sasl-mechanisms(64)',
      'sasl-init(65)',
      'sasl-challenge(66)',
      'sasl-response(67)',
      'sasl-outcome(68)',
    ]) {
      assert.ok(all.includes(`@${name}`), name);
    }
    assert.ok(all.includes('-> (EMPTY FRAME)') && all.includes('<- (EMPTY FRAME)'));
    assert.ok(all.includes(' ... (truncated)'));
  });
});

describe('formatValue', () => {
  const cases: [unknown, string][] = [
    [null, 'null'],
    [undefined, 'null'],
    [true, 'true'],
    [false, 'false'],
    [ubyte(7), '0x7'],
    [ushort(0x7fff), '0x7fff'],
    [uint(0), '0x0'],
    [uint(0xffffffff), '0xffffffff'],
    [ulong(2n ** 64n - 1n), '0xffffffffffffffff'],
    [byte(-5), '-5'],
    [short(-300), '-300'],
    [int32(-70000), '-70000'],
    [-1, '-1'],
    [2 ** 40, '1099511627776'],
    [-(2n ** 63n), '-9223372036854775808'],
    [float32(1.5), '1.5'],
    [float32(Math.PI), '3.14159'],
    [0.1, '0.1'],
    [double(2), '2'],
    [1e100, '1e+100'],
    [-0, '-0'],
    [2 ** 63, '9.22337e+18'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NaN, 'nan'],
    [char('a'), ''],
    [timestamp(1700000000123), '1700000000123'],
    [new Date(-5), '-5'],
    [uuid('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'), 'UUID(0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0)'],
    [
      Uint8Array.from([0x61, 0, 0x22, 0x27, 0x5c, 0x7f, 0xff, 0x20, 0x7a]),
      'b"a\\x00\\x22\\x27\\x5c\\x7f\\xff z"',
    ],
    [new Uint8Array(0), 'b""'],
    [
      'h\u00e9llo "q" \'a\' \\ \u20ac\n',
      '"h\\xc3\\xa9llo \\x22q\\x22 \\x27a\\x27 \\x5c \\xe2\\x82\\xac\\x0a"',
    ],
    ['', '""'],
    [symbol('plain-Sym1'), ':plain-Sym1'],
    [symbol('com.example:x'), ':"com.example:x"'],
    [symbol('1abc'), ':"1abc"'],
    [symbol(''), ':""'],
    [decimal32(Uint8Array.from([0x22, 0x50, 0x00, 0x0a])), 'D32(2250000a)'],
    [decimal32(Uint8Array.from([0, 0, 0, 1])), 'D32(0001)'],
    [decimal64(Uint8Array.from([0x22, 0x38, 0, 0, 0, 0, 0, 0xab])), 'D64(22380000000000ab)'],
    [decimal128(Uint8Array.from({ length: 16 }, (_, i) => i + 1)), 'D128(10203040506070890a0b0c0d0e0f10)'],
    [[1, null, 'a', [], [null]], '[1, null, "a", [], [null]]'],
    [
      new Map<unknown, unknown>([
        ['k', 1],
        [symbol('s'), null],
        [2, new Map([['nested', [true]]])],
      ]),
      '{"k"=1, :s=null, 2={"nested"=[true]}}',
    ],
    [new Map(), '{}'],
    [{ a: 1 }, '{"a"=1}'],
    [new AmqpArray('symbol', ['a', 'b.c']), '@<symbol>[:a, :"b.c"]'],
    [new AmqpArray('int', [-1, 2, 3]), '@<int>[-1, 2, 3]'],
    [new AmqpArray('uint', [0, 1, 70000]), '@<uint>[0x0, 0x1, 0x11170]'],
    [new AmqpArray('ulong', [0n, 300n]), '@<ulong>[0x0, 0x12c]'],
    [new AmqpArray('boolean', [true, false]), '@<bool>[true, false]'],
    [new AmqpArray('double', [0.5, 2]), '@<double>[0.5, 2]'],
    [new AmqpArray('timestamp', [new Date(1), 2n]), '@<timestamp>[1, 2]'],
    [new AmqpArray('char', ['x', 'y']), '@<73>[, ]'],
    [new AmqpArray('int', []), '@<int>[]'],
    [new AmqpArray('array', [new AmqpArray('int', [1, 2])]), '@<f0>[@<int>[1, 2]]'],
    [new AmqpArray('string', ['p', 'q'], symbol('desc')), '@<string>["p", "q"]'],
    [new AmqpArray('null', [null, null, null]), '@<null>[null, ...(2 more)]'],
    [new Described(symbol('com.example:thing'), 'value'), '@:"com.example:thing""value"'],
    [new Described(symbol('plain'), [1, null]), '@:plain[1, null]'],
    [new Described(ulong(0x77), 'an amqp-value'), '@amqp-value(119) "an amqp-value"'],
    [new Described(ulong(0x70), [true, null, uint(5)]), '@header(112) [durable=true, ttl=0x5]'],
    [new Described(ulong(0x20), [1, null, 2]), '@32 [1, 2]'],
    [new Described(ulong(0), [1, null]), '@0 [1, null]'],
    [new Described(ulong(0x1234), 'far'), '@0x1234"far"'],
    [new Described(ulong(0x1235), []), '@0x1235[]'],
    [new Accepted(), '@accepted(36) []'],
  ];
  for (const [v, text] of cases) {
    it(`prints ${text}`, () => assert.equal(formatValue(v), text));
  }
});

describe('formatG (C printf %g)', () => {
  // Expected texts from C's printf("%g") (the same as Python's '%g' %), rounding ties to even.
  const cases: [number, string][] = [
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1234567, '1.23457e+06'],
    [1234565, '1.23456e+06'],
    [1234575, '1.23458e+06'],
    [999999.5, '1e+06'],
    [9999995, '1e+07'],
    [123456.5, '123456'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.00012345649999, '0.000123456'],
    [9.9999949999e-5, '9.99999e-05'],
    [1 / 3, '0.333333'],
    [-2.5e-7, '-2.5e-07'],
    [5e-324, '4.94066e-324'],
    [Number.MAX_VALUE, '1.79769e+308'],
    [1e16, '1e+16'],
    [123456789012, '1.23457e+11'],
    [0.75, '0.75'],
    [65536, '65536'],
    [1e21, '1e+21'],
    [4.35, '4.35'],
    [Math.fround(Math.PI), '3.14159'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [0, '0'],
  ];
  for (const [x, text] of cases) {
    it(`${x} -> ${text}`, () => assert.equal(formatG(x), text));
  }

  it('agrees with toPrecision(6) but for exact ties, and has the shape of %g (property)', () => {
    const shape = /^-?(\d+(\.\d*[1-9])?|\d(\.\d*[1-9])?e[+-]\d{2,3})$/;
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const g = formatG(x);
        assert.match(g, shape);
        const digits = Math.abs(x).toPrecision(25).replace('.', '').replace(/e.*$/, '').replace(/^0+/, '');
        const tie = /^5(0*)$/.test(digits.slice(6));
        if (!tie) assert.ok(Number(g) === Number(x.toPrecision(6)), `${x}: ${g}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatPayload', () => {
  it('prints the size and the bytes quoted, without quotes', () => {
    assert.equal(formatPayload(Uint8Array.from([0, 0x53, 0x70, 0x45])), '(4) \\x00SpE');
  });

  it('cuts the text at 511 characters, an escape only where it fits whole', () => {
    const fits = new Uint8Array(511).fill(0x78);
    assert.equal(formatPayload(fits), `(511) ${'x'.repeat(511)}`);
    const over = new Uint8Array(512).fill(0x78);
    assert.equal(formatPayload(over), `(512) ${'x'.repeat(511)} ... (truncated)`);
    // 507 characters, then an escape (4) fits: 511; one more character does not.
    const escapeFits = Uint8Array.from([...new Uint8Array(507).fill(0x78), 0x00]);
    assert.equal(formatPayload(escapeFits), `(508) ${'x'.repeat(507)}\\x00`);
    const escapeOver = Uint8Array.from([...new Uint8Array(508).fill(0x78), 0x00]);
    assert.equal(formatPayload(escapeOver), `(509) ${'x'.repeat(508)} ... (truncated)`);
  });
});

describe('frames and lines', () => {
  it('a heartbeat is (EMPTY FRAME)', () => {
    assert.equal(traceLine('<-', 0, formatFrame(undefined), PREFIX), '[0x1]: AMQP:FRAME:0 <- (EMPTY FRAME)');
  });

  it('headers, end of stream and the prefix', () => {
    assert.equal(traceHeaderLine('->', 'SASL', PREFIX), '[0x1]: SASL:FRAME:  -> SASL');
    assert.equal(traceHeaderLine('<-', 'AMQP', PREFIX), '[0x1]: AMQP:FRAME:  <- AMQP');
    assert.equal(traceEosLine('->', PREFIX), '[0x1]:   IO:FRAME:  -> EOS');
    assert.equal(tracePrefix(0x1f), '[0x1f]');
    assert.equal(traceEosLine('<-'), `${DEFAULT_TRACE_PREFIX}:   IO:FRAME:  <- EOS`);
  });

  it('a performative leaves out absent fields wherever they are', () => {
    const flow = Object.assign(new Flow(), {
      incomingWindow: 100,
      nextOutgoingId: 0,
      outgoingWindow: 0x7fffffff,
      handle: 1,
      linkCredit: 10,
      drain: false,
    });
    assert.equal(
      formatPerformative(flow),
      '@flow(19) [incoming-window=0x64, next-outgoing-id=0x0, outgoing-window=0x7fffffff, handle=0x1, link-credit=0xa, drain=false]',
    );
  });

  it('a transfer with its payload', () => {
    const t = Object.assign(new Transfer(), { handle: 0, deliveryId: 0, deliveryTag: Buffer.from('1') });
    assert.equal(
      formatFrame(t, Uint8Array.from([0x00, 0x53, 0x77, 0xa1, 0x01, 0x61])),
      '@transfer(20) [handle=0x0, delivery-id=0x0, delivery-tag=b"1"] (6) \\x00Sw\\xa1\\x01a',
    );
    assert.equal(
      formatFrame(t, new Uint8Array(0)),
      '@transfer(20) [handle=0x0, delivery-id=0x0, delivery-tag=b"1"]',
    );
  });

  it('our objects print as the same objects encoded and decoded', () => {
    const open = Object.assign(new Open(), {
      containerId: 'c',
      hostname: 'localhost',
      channelMax: 32767,
      idleTimeOut: 5000,
      offeredCapabilities: ['cap-a', 'x.y'],
      properties: { product: 'proton-ts', n: ulong(3), nested: new Map([['k', [1, 2]]]) },
    });
    const attach = Object.assign(new Attach(), {
      name: 'l',
      handle: 0,
      role: false,
      sndSettleMode: 2,
      source: Object.assign(new Source(), {
        address: 'q',
        durable: 0,
        filter: { selector: new Described(symbol('apache.org:selector-filter:string'), "a = 'b'") },
        outcomes: ['amqp:accepted:list'],
      }),
      target: Object.assign(new Target(), { address: 'q' }),
      // (the codec writes no composite objects inside a plain map field: a Described stands in)
      unsettled: new Map([[Buffer.from('t'), new Described(ulong(0x24), [])]]),
      maxMessageSize: 0,
      initialDeliveryCount: 0,
    });
    const rejected = Object.assign(new Rejected(), {});
    for (const obj of [open, attach, rejected]) {
      const again = decodeComposite(encodeComposite(obj)) as object;
      assert.equal(formatPerformative(obj), formatPerformative(again));
    }
    assert.equal(
      formatPerformative(open),
      '@open(16) [container-id="c", hostname="localhost", channel-max=0x7fff, idle-time-out=0x1388, offered-capabilities=@<symbol>[:cap-a, :"x.y"], properties={:product="proton-ts", :n=0x3, :nested={"k"=[1, 2]}}]',
    );
  });
});

describe('SASL secrets', () => {
  const init = (mechanism: string, response: Uint8Array | undefined) =>
    formatPerformative(Object.assign(new SaslInit(), { mechanism, initialResponse: response }));

  it('PLAIN keeps the identities and masks the password, whatever its length', () => {
    assert.equal(
      init('PLAIN', Buffer.from('\0user\0secret')),
      '@sasl-init(65) [mechanism=:PLAIN, initial-response=b"\\x00user\\x00***"]',
    );
    assert.equal(
      init('PLAIN', Buffer.from('admin\0user\0a-much-longer-password')),
      '@sasl-init(65) [mechanism=:PLAIN, initial-response=b"admin\\x00user\\x00***"]',
    );
    assert.equal(init('PLAIN', Buffer.from('\0user\0')), init('PLAIN', Buffer.from('\0user\0x')));
  });

  it('PLAIN without two NULs masks everything', () => {
    assert.equal(maskPlain(Buffer.from('password')), 'b"***"');
    assert.equal(maskPlain(Buffer.from('user\0password')), 'b"***"');
    assert.equal(
      init('plain', Buffer.from('pw')),
      '@sasl-init(65) [mechanism=:plain, initial-response=b"***"]',
    );
  });

  it('ANONYMOUS and EXTERNAL print as they are', () => {
    assert.equal(
      init('ANONYMOUS', Buffer.from('anonymous')),
      '@sasl-init(65) [mechanism=:ANONYMOUS, initial-response=b"anonymous"]',
    );
    assert.equal(
      init('EXTERNAL', Buffer.from('id')),
      '@sasl-init(65) [mechanism=:EXTERNAL, initial-response=b"id"]',
    );
  });

  it('other mechanisms and every sasl-response print the length only', () => {
    assert.equal(
      init('SCRAM-SHA-256', Buffer.from('n,,n=user,r=abc')),
      '@sasl-init(65) [mechanism=:SCRAM-SHA-256, initial-response=<15 bytes masked>]',
    );
    assert.equal(init('XOAUTH2', undefined), '@sasl-init(65) [mechanism=:XOAUTH2]');
    const response = Object.assign(new SaslResponse(), { response: Buffer.from('c=biws,p=proof') });
    assert.equal(formatPerformative(response), '@sasl-response(67) [response=<14 bytes masked>]');
  });

  it('a password never prints, for any PLAIN response (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }).filter((s) => !s.includes('\0')),
        fc.string({ unit: 'grapheme-ascii' }).filter((s) => !s.includes('\0')),
        fc.string({ unit: 'grapheme-ascii', minLength: 4 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
        (authz, user, password) => {
          const text = init('PLAIN', Buffer.from(`${authz}\0${user}\0${password}`));
          const tail = text.slice(text.indexOf('\\x00', text.indexOf('\\x00') + 4));
          assert.ok(!tail.includes(password), text);
          assert.ok(text.endsWith('\\x00***"]'), text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sasl-mechanisms and outcomes print as usual', () => {
    const m = Object.assign(new SaslMechanisms(), { saslServerMechanisms: ['PLAIN', 'ANONYMOUS'] });
    assert.equal(
      formatPerformative(m),
      '@sasl-mechanisms(64) [sasl-server-mechanisms=@<symbol>[:PLAIN, :ANONYMOUS]]',
    );
  });
});

describe('quoteBytes', () => {
  it('escapes every byte that is not printable ASCII, and the quotes and backslash', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const q = quoteBytes(all);
    let expected = '';
    for (let c = 0; c < 256; c++) {
      const printable = c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x27 && c !== 0x5c;
      expected += printable ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
    }
    assert.equal(q, expected);
  });
});
