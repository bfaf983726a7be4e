/**
 * JMS message selectors (src/broker/selector.ts): a table of selectors against a message with every kind
 * of property, with the three-valued result each must give; a table of invalid selectors with the position
 * of the error; the cost limits; and properties: the parser throws only SelectorError and stays fast, NOT
 * complements, AND and OR follow SQL's truth tables, LIKE agrees with a reference matcher.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_SELECTOR_BYTES,
  MAX_SELECTOR_DEPTH,
  parseSelector,
  SELECTOR_FILTER,
  Selector,
  SelectorError,
} from '../../src/broker/selector.js';
import {
  byte,
  char,
  double,
  float32,
  int32,
  short,
  symbol,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
} from '../../src/codec/types.js';
import { ProtonError } from '../../src/errors.js';
import { Message } from '../../src/message/message.js';

type Truth = boolean | null;

const M = new Message({
  id: 'ID:42',
  correlationId: 'corr-1',
  durable: true,
  priority: 7,
  subject: 'order.created',
  address: 'queue://orders',
  replyTo: 'replies',
  creationTime: 1700000000000,
  groupId: 'g1',
  groupSequence: 3,
  deliveryCount: 2,
  properties: {
    i: 5,
    zero: 0,
    big: 9007199254740993n,
    f: 1.5,
    d: double(2),
    fl: float32(0.5),
    ub: ubyte(200),
    us: ushort(60000),
    ui: uint(4000000000),
    ul: ulong(18446744073709551615n),
    by: byte(-5),
    sh: short(-300),
    in32: int32(123456),
    s: 'hello',
    s2: 'world',
    empty: '',
    quote: "it's",
    sym: symbol('gold'),
    meta: 'a.b*c+d?(e)[f]{g}|h^i$j\\k',
    pct: '100%',
    under: 'a_b',
    under2: 'axb',
    bang: 'a!b',
    emoji: '😀x',
    t: true,
    fa: false,
    nul: null,
    bin: new Uint8Array([1]),
    uu: uuid('00112233-4455-6677-8899-aabbccddeeff'),
    date: new Date(0),
    list: [1, 2],
    ch: char('x'),
    'my-prop': 'dash',
    'a"b': 'quoted',
    é: 'accent',
    $dollar: 1,
    _u: 2,
    x1: 1,
  },
});

/** Selectors against M, and what each evaluates to: true, false, or null for unknown. */
const ROWS: [string, Truth][] = [
  // comparison of numbers
  ['i = 5', true],
  ['i = 6', false],
  ['i <> 5', false],
  ['i <> 6', true],
  ['i < 6', true],
  ['i < 5', false],
  ['i <= 5', true],
  ['i > 5', false],
  ['i > 4', true],
  ['i >= 5', true],
  ['5 = i', true],
  ['1 = 1', true],
  // comparison of strings and booleans: = and <> only, case-sensitive
  ["s = 'hello'", true],
  ["s <> 'hello'", false],
  ["s = 'Hello'", false],
  ["s <> 'x'", true],
  ['s = s2', false],
  ['s < s2', null],
  ["empty = ''", true],
  ["sym = 'gold'", true],
  ["'gold' = sym", true],
  ['t = TRUE', true],
  ['t = true', true],
  ['fa = False', true],
  ['t <> fa', true],
  ['t = fa', false],
  ['t < fa', null],
  ['t', true],
  ['fa', false],
  ['TRUE', true],
  ['false', false],
  // string escapes
  ["quote = 'it''s'", true],
  ["s = 'it''s'", false],
  ["'''' = '''' AND quote <> ''''", true],
  // numeric types mix: AMQP widths, floats, doubles, bigints
  ['i = 5.0', true],
  ['i = 5.0D', true],
  ['i = 5L', true],
  ['f = 1.5', true],
  ['f > 1', true],
  ['f = 15e-1', true],
  ['f = 3 / 2', false],
  ['f = 3.0 / 2', true],
  ['f = 3 / 2.0', true],
  ['d = 2', true],
  ['fl = 0.5', true],
  ['fl = .5F', true],
  ['ub = 200', true],
  ['us = 60000', true],
  ['ui = 4000000000', true],
  ['ul > 9223372036854775807', true],
  ['by = -5', true],
  ['sh = -300', true],
  ['in32 = 123456', true],
  ['ub + us + by = 60195', true],
  ['big = 9007199254740993', true],
  ['big = 9007199254740992', false],
  ['big = 9007199254740992.0', true],
  ['zero = -0.0', true],
  ['0.1 + 0.2 = 0.3', false],
  ['1e3 = 1000', true],
  ['1.5E-2 = 0.015', true],
  ['2.5F = 2.5', true],
  ['10D = 10', true],
  ['7. = 7', true],
  ['0010 = 10', true],
  ['-9223372036854775808 < 0', true],
  // unlike types are unknown
  ["i = '5'", null],
  ['s = 5', null],
  ['t = 1', null],
  ['bin = 1', null],
  ["uu = '00112233-4455-6677-8899-aabbccddeeff'", null],
  ['date = 0', null],
  ['list = 1', null],
  ["ch = 'x'", null],
  // arithmetic and its precedence
  ['i + 2 * 3 = 11', true],
  ['(i + 2) * 3 = 21', true],
  ['i - 2 - 1 = 2', true],
  ['i - (2 - 1) = 4', true],
  ['i / 2 * 2 = 4', true],
  ['20 / i / 2 = 2', true],
  ['1 + 2 * 3 - 4 / 2 = 5', true],
  ['7 - -3 = 10', true],
  ['-i = -5', true],
  ['- -i = 5', true],
  ['+i = 5', true],
  ['-i * -1 = 5', true],
  ['2 * f = 3', true],
  ['-7 / 2 = -3', true],
  ['i * 2 > 9 AND i * 2 < 11', true],
  ['i / 0 = 1', null],
  ['i / 0 IS NULL', true],
  ['i / 0.0 > 1000', true],
  ['9223372036854775807 + 1 = -9223372036854775808', true],
  ['-9223372036854775808 = -9223372036854775807 - 1', true],
  ['missing + 1 = 1', null],
  ['missing * 0 = 0', null],
  ['s + 1 = 1', null],
  ['-s = 1', null],
  // three-valued logic
  ['missing = 1', null],
  ['missing <> 1', null],
  ['NOT missing = 1', null],
  ['missing = 1 AND i = 5', null],
  ['missing = 1 AND i = 6', false],
  ['i = 6 AND missing = 1', false],
  ['missing = 1 OR i = 5', true],
  ['missing = 1 OR i = 6', null],
  ['t AND missing', null],
  ['fa AND missing', false],
  ['t OR missing', true],
  ['fa OR missing', null],
  ['nul = 1', null],
  ['missing', null],
  ['s', null],
  ['i', null],
  ["NOT (i = 5 AND s = 'hello')", false],
  ["i = 5 OR s = 'x' AND t = FALSE", true],
  ["(i = 5 OR s = 'x') AND fa", false],
  ['NOT i = 5 OR t', true],
  ['NOT NOT t', true],
  ['NOT (NOT (NOT fa))', true],
  ['(t = (i > 4))', true],
  // IS [NOT] NULL
  ['nul IS NULL', true],
  ['missing IS NULL', true],
  ['missing is not null', false],
  ['i IS NULL', false],
  ['s IS NOT NULL', true],
  ['bin IS NULL', false],
  ['bin IS NOT NULL', true],
  ['(missing + 1) IS NULL', true],
  // BETWEEN
  ['i BETWEEN 1 AND 10', true],
  ['i BETWEEN 5 AND 5', true],
  ['i BETWEEN 6 AND 10', false],
  ['i BETWEEN 10 AND 1', false],
  ['i NOT BETWEEN 6 AND 10', true],
  ['i NOT BETWEEN 1 AND 10', false],
  ['f BETWEEN 1 AND 2', true],
  ['f BETWEEN 1.5 AND 1.5', true],
  ['-i BETWEEN -6 AND -4', true],
  ['i BETWEEN 2 + 2 AND 3 * 2', true],
  ["i BETWEEN 1 AND 10 AND s = 'hello'", true],
  ['missing BETWEEN 1 AND 2', null],
  ['missing NOT BETWEEN 1 AND 2', null],
  ['i BETWEEN missing AND 10', null],
  ['i BETWEEN missing AND 4', false],
  ['i NOT BETWEEN missing AND 4', true],
  ['s BETWEEN 1 AND 10', null],
  // IN
  ["s IN ('hello', 'world')", true],
  ["s IN ('world')", false],
  ["s NOT IN ('world')", true],
  ["s NOT IN ('hello', 'x')", false],
  ["missing IN ('a')", null],
  ["missing NOT IN ('a')", null],
  ["i IN ('5')", null],
  ["sym IN ('silver', 'gold')", true],
  ["quote IN ('it''s')", true],
  ["JMSType in ('order.created')", true],
  // LIKE
  ["s LIKE 'hello'", true],
  ["s LIKE 'h%'", true],
  ["s LIKE '%o'", true],
  ["s LIKE '%ell%'", true],
  ["s LIKE 'h_llo'", true],
  ["s LIKE 'h_lo'", false],
  ["s LIKE '_____'", true],
  ["s LIKE '____'", false],
  ["s LIKE '______'", false],
  ["s LIKE '%'", true],
  ["s LIKE 'H%'", false],
  ["s LIKE '%l%l%o'", true],
  ["s LIKE '%l%l%l%'", false],
  ["s LIKE 'he%%lo'", true],
  ["s LIKE '%_'", true],
  ["s NOT LIKE 'h%'", false],
  ["s NOT LIKE 'x%'", true],
  ["empty LIKE '%'", true],
  ["empty LIKE ''", true],
  ["empty LIKE '_'", false],
  ["missing LIKE '%'", null],
  ["missing NOT LIKE '%'", null],
  ["i LIKE '5'", null],
  ["sym LIKE 'go%'", true],
  // LIKE: regular-expression characters are literal
  ["meta LIKE 'a.b*c+d?(e)[f]{g}|h^i$j\\k'", true],
  ["meta LIKE 'a.b%'", true],
  ["meta LIKE 'a_b%'", true],
  ["meta LIKE 'aXb%'", false],
  ["meta LIKE 'a.*'", false],
  ["meta LIKE '%[f]%'", true],
  ["meta LIKE '%[a-z]%'", false],
  ["meta LIKE '%\\k'", true],
  ["meta LIKE '%$j%'", true],
  ["meta LIKE '^a%'", false],
  // LIKE ... ESCAPE
  ["pct LIKE '100!%' ESCAPE '!'", true],
  ["pct LIKE '100!%'", false],
  ["pct LIKE '%!%' ESCAPE '!'", true],
  ["s LIKE '%!%' ESCAPE '!'", false],
  ["pct LIKE '100%%'", true],
  ["pct LIKE '100%%' ESCAPE '%'", true],
  ["under LIKE 'a\\_b' ESCAPE '\\'", true],
  ["under2 LIKE 'a\\_b' ESCAPE '\\'", false],
  ["under2 LIKE 'a_b'", true],
  ["bang LIKE 'a!!b' ESCAPE '!'", true],
  ["bang LIKE 'a!b' ESCAPE '!'", false],
  ["s like 'HE%' escape '\\'", false],
  ["s LIKE 'h!ello' ESCAPE '!'", true],
  ["quote LIKE 'it''%'", true],
  // LIKE counts characters, not UTF-16 units
  ["emoji LIKE '_x'", true],
  ["emoji LIKE '__x'", false],
  ["emoji LIKE '😀%'", true],
  ["emoji LIKE '%_'", true],
  // JMS header names
  ["JMSMessageID = 'ID:42'", true],
  ["JMSCorrelationID = 'corr-1'", true],
  ['JMSPriority = 7', true],
  ['JMSPriority > 4', true],
  ["JMSDeliveryMode = 'PERSISTENT'", true],
  ["JMSDeliveryMode = 'NON_PERSISTENT'", false],
  ['JMSTimestamp = 1700000000000', true],
  ['JMSExpiration = 0', true],
  ["JMSType = 'order.created'", true],
  ["JMSDestination = 'queue://orders'", true],
  ["JMSReplyTo = 'replies'", true],
  ['JMSXDeliveryCount = 3', true],
  ["JMSXGroupID = 'g1'", true],
  ['JMSXGroupSeq = 3', true],
  ['jmspriority = 7', null],
  // names
  ['"my-prop" = \'dash\'', true],
  ['"s" = \'hello\'', true],
  ['"a""b" = \'quoted\'', true],
  ['"NULL" IS NULL', true],
  ["é = 'accent'", true],
  ['$dollar + _u = 3', true],
  ['x1 = 1', true],
  ['X1 = 1', null],
  ['constructor IS NULL', true],
  ['toString IS NULL', true],
  ['__proto__ IS NULL', true],
  // whitespace and keywords in any case
  ['  i\t=\n5\r\f', true],
  ["i=5 and(s='hello')", true],
  ['Not i = 6 oR fa', true],
  ['i between 1 and 10', true],
  ['i Is Not Null', true],
];

/** The same three-valued AND, OR and NOT as SQL's (Kleene's). */
const and3 = (a: Truth, b: Truth): Truth =>
  a === false || b === false ? false : a === null || b === null ? null : true;
const or3 = (a: Truth, b: Truth): Truth =>
  a === true || b === true ? true : a === null || b === null ? null : false;
const not3 = (a: Truth): Truth => (a === null ? null : !a);

describe('selector: evaluation table', () => {
  it(`has ${ROWS.length} rows, each selector once`, () => {
    assert.ok(ROWS.length >= 80);
    assert.equal(new Set(ROWS.map((r) => r[0])).size, ROWS.length);
  });

  for (const [text, expected] of ROWS) {
    const title = /[\t\n\r\f]/.test(text) ? JSON.stringify(text) : text;
    it(`${title} -> ${expected === null ? 'unknown' : expected}`, () => {
      const sel = parseSelector(text);
      assert.equal(sel.evaluate(M), expected);
      assert.equal(sel.matches(M), expected === true);
      assert.equal(sel.text, text);
    });
  }

  it('an empty selector matches every message', () => {
    for (const text of ['', '   ', '\n\t']) {
      assert.equal(parseSelector(text).matches(new Message()), true);
      assert.equal(parseSelector(text).matches(M), true);
    }
  });

  it('reads a message without properties', () => {
    const m = new Message();
    assert.equal(parseSelector('a IS NULL').matches(m), true);
    assert.equal(parseSelector('a = 1').evaluate(m), null);
    assert.equal(parseSelector('JMSPriority = 4').matches(m), true);
  });

  it('maps JMS headers of other messages', () => {
    const m = new Message({ id: ulong(5), correlationId: uuid('00112233-4455-6677-8899-aabbccddeeff') });
    const ev = (t: string): Truth => parseSelector(t).evaluate(m);
    assert.equal(ev("JMSDeliveryMode = 'NON_PERSISTENT'"), true);
    assert.equal(ev('JMSMessageID = 5'), true);
    assert.equal(ev('JMSCorrelationID IS NULL'), false);
    assert.equal(ev("JMSCorrelationID = 'x'"), null);
    assert.equal(ev('JMSType IS NULL'), true);
    assert.equal(ev('JMSXGroupSeq IS NULL'), true);
    assert.equal(ev('JMSXDeliveryCount = 1'), true);
    assert.equal(ev('JMSReplyTo IS NULL AND JMSDestination IS NULL'), true);
  });

  it('header names are read from the AMQP fields, not from application properties', () => {
    const m = new Message({ priority: 1, properties: { JMSPriority: 9 } });
    assert.equal(parseSelector('JMSPriority = 1').matches(m), true);
  });

  it('a __proto__ property is an ordinary property', () => {
    const m = new Message({ properties: new Map([['__proto__', 'p']]) });
    assert.equal(parseSelector("__proto__ = 'p'").matches(m), true);
  });

  it('works on any object with the message fields', () => {
    const sel = parseSelector("JMSType = 'a' AND n > 1");
    const m = { ...new Message({ subject: 'a' }), properties: { n: 2 } };
    assert.equal(sel.matches(m), true);
  });

  it('exports the filter name and the Selector class', () => {
    assert.equal(SELECTOR_FILTER, 'apache.org:selector-filter:string');
    const sel = new Selector('i = 5');
    assert.equal(sel.matches(M), true);
    assert.equal(String(sel), 'i = 5');
  });
});

/** Invalid selectors, the position of the error, and a piece of its message. */
const INVALID: [string, number, RegExp][] = [
  ['i =', 3, /expected a name, a literal or '\(', found the end/],
  ['= 5', 0, /expected a name/],
  ['i = 5 AND', 9, /found the end of the selector/],
  ['AND', 0, /found AND/],
  ['NOT', 3, /expected a name/],
  ['i = 5 AND OR t', 10, /found OR/],
  ['i == 5', 3, /found '='/],
  ['i != 5', 2, /'<>'/],
  ['i = 5)', 5, /expected an operator, AND, OR or the end of the selector, found '\)'/],
  ['(i = 5', 6, /expected an operator, AND, OR or '\)'/],
  ['(((', 3, /expected a name/],
  ['i 5', 2, /found the number 5/],
  ['i = 5 = 5', 6, /found '='/],
  ["s = 'abc", 4, /unterminated string literal/],
  ["s = 'it''s", 4, /unterminated string literal/],
  ['"abc = 1', 0, /unterminated quoted name/],
  ['"" = 1', 0, /expected a name between the double quotes/],
  ['i = 1e', 6, /digits of an exponent/],
  ['i = 1e+', 7, /digits of an exponent/],
  ['i = 1.5L', 7, /suffix L/],
  ['i = 12abc', 6, /unexpected "a" in a number/],
  ['i = 1..2', 6, /unexpected "\." in a number/],
  ['i = 99999999999999999999', 4, /out of range of a long/],
  ['i = 9223372036854775809', 4, /out of range of a long/],
  ['i = 1e999', 4, /out of range of a double/],
  ['i # 1', 2, /unexpected character "#"/],
  ['a.b = 1', 1, /unexpected character "\."/],
  ['i = NULL', 4, /NULL can only be tested/],
  ['NULL IS NULL', 0, /NULL can only be tested/],
  ['i IS 5', 5, /expected NULL or NOT NULL after IS/],
  ['i IS NOT 5', 9, /expected NULL after IS NOT/],
  ['i NOT 5', 6, /expected BETWEEN, LIKE or IN after NOT/],
  ['i NOT NULL', 6, /expected BETWEEN, LIKE or IN after NOT/],
  ['i BETWEEN 1 OR 2', 12, /expected AND of BETWEEN/],
  ['i BETWEEN 1', 11, /expected AND of BETWEEN/],
  ["i BETWEEN 'a' AND 'b'", 10, /expected a number for BETWEEN, found a string/],
  ["'a' BETWEEN 1 AND 2", 0, /expected a number for BETWEEN/],
  ['s IN ()', 6, /expected a string literal in the IN list/],
  ['s IN (1, 2)', 6, /expected a string literal in the IN list/],
  ["s IN ('a' 'b')", 10, /expected ',' or '\)' in the IN list/],
  ["s IN 'a'", 5, /expected '\(' after IN/],
  ["s IN ('a',)", 10, /expected a string literal/],
  ["5 IN ('a')", 0, /expected a string for IN, found a number/],
  ['s LIKE 5', 7, /expected a string literal pattern after LIKE/],
  ['s LIKE s2', 7, /expected a string literal pattern/],
  ["s LIKE 'a' ESCAPE 'xy'", 18, /ESCAPE string must be exactly one character/],
  ["s LIKE 'a' ESCAPE ''", 18, /exactly one character/],
  ["s LIKE 'a' ESCAPE x", 18, /expected a string literal after ESCAPE/],
  ["s LIKE 'a!' ESCAPE '!'", 7, /ends with its escape character/],
  ["pct LIKE '100%' ESCAPE '%'", 9, /ends with its escape character/],
  ["5 LIKE 'a'", 0, /expected a string for LIKE, found a number/],
  ["TRUE LIKE 'a'", 0, /expected a string for LIKE, found a boolean/],
  ["'a' + 1 = 1", 0, /expected a number for '\+', found a string/],
  ["i + 'a' = 1", 4, /expected a number for '\+', found a string/],
  ["-'a' = 1", 1, /expected a number for unary '-'/],
  ['i = 1 + TRUE', 8, /found a boolean/],
  ['i * (i = 1) = 1', 4, /expected a number for '\*', found a boolean/],
  ['1', 0, /expected a condition, found a number expression/],
  ["'abc'", 0, /expected a condition, found a string/],
  ['i + 1', 0, /expected a condition/],
  ['(i + 1)', 0, /expected a condition/],
  ['1 AND t', 0, /expected a condition/],
  ["t OR 'x'", 5, /expected a condition/],
  ['NOT 5', 4, /expected a condition/],
  ["'a' < 'b'", 0, /a string can only be compared with = or <>/],
  ['TRUE > FALSE', 0, /a boolean can only be compared/],
  ["i < 'a'", 4, /a string can only be compared/],
  ["1 = 'a'", 2, /cannot compare a number with a string/],
  ['TRUE = 1', 5, /cannot compare a boolean with a number/],
  ['i = 5 ESCAPE', 6, /found ESCAPE/],
  ["s IN ('a') ESCAPE '!'", 11, /found ESCAPE/],
];

function errorOf(text: string): SelectorError {
  try {
    parseSelector(text);
  } catch (e) {
    assert.ok(e instanceof SelectorError, `not a SelectorError: ${String(e)}`);
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

describe('selector: invalid selectors', () => {
  for (const [text, position, message] of INVALID) {
    it(`${text} -> error at ${position}`, () => {
      const e = errorOf(text);
      assert.equal(e.position, position, e.message);
      assert.match(e.message, message);
      assert.match(e.message, new RegExp(`^invalid selector at position ${position}: `));
    });
  }

  it('is a ProtonError with the condition amqp:invalid-field', () => {
    const e = errorOf('i =');
    assert.ok(e instanceof ProtonError);
    assert.equal(e.name, 'SelectorError');
    assert.equal(e.condition, 'amqp:invalid-field');
  });

  it('a selector that is not a string', () => {
    assert.equal(errorOf(5 as unknown as string).position, 0);
  });
});

describe('selector: cost limits', () => {
  it(`accepts ${MAX_SELECTOR_BYTES} bytes and refuses one more`, () => {
    const fill = (n: number): string => `s = '${'x'.repeat(n - 6)}'`;
    assert.equal(parseSelector(fill(MAX_SELECTOR_BYTES)).matches(M), false);
    const e = errorOf(fill(MAX_SELECTOR_BYTES + 1));
    assert.match(e.message, /longer than 65536 bytes/);
    assert.equal(e.position, MAX_SELECTOR_BYTES);
  });

  it('counts bytes of UTF-8, not characters', () => {
    const text = `s = '${'é'.repeat(40000)}'`; // 40007 characters, 80007 bytes
    const e = errorOf(text);
    assert.match(e.message, /longer than 65536 bytes/);
    assert.equal(e.position, 32770); // 5 bytes, then 32766 two-byte characters make 65537
  });

  it(`accepts nesting ${MAX_SELECTOR_DEPTH} deep and refuses one more`, () => {
    const n = MAX_SELECTOR_DEPTH;
    // Each maker nests d levels; the position is where level 101 opens.
    const cases: [(d: number) => string, number][] = [
      [(d) => `${'('.repeat(d)}t${')'.repeat(d)}`, 100],
      [(d) => `${'NOT '.repeat(d)}fa`, 400],
      [(d) => `${'-'.repeat(d)}i = 5`, 100],
      [(d) => `${'(NOT '.repeat(d / 2)}t${')'.repeat(d / 2)}`, 250],
    ];
    for (const [make, at] of cases) {
      assert.doesNotThrow(() => parseSelector(make(n)));
      const e = errorOf(make(n + 2));
      assert.match(e.message, /nested deeper than 100 levels/);
      assert.equal(e.position, at);
    }
    assert.equal(parseSelector(`${'('.repeat(n)}t${')'.repeat(n)}`).matches(M), true);
  });

  it('long flat chains neither nest nor overflow the stack', () => {
    const or = `${'fa OR '.repeat(10000)}t`;
    assert.equal(parseSelector(or).matches(M), true);
    const sum = `${'1 + '.repeat(15000)}1 = 15001`;
    assert.equal(parseSelector(sum).matches(M), true);
    const and = `${'t AND '.repeat(10000)}t`;
    assert.equal(parseSelector(and).matches(M), true);
  });
});

/**
 * Milliseconds of CPU taken by f, the best of three runs: other test files run beside this one, and a
 * busy core or a garbage collection in one run says nothing about the parser.
 */
function time(f: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage();
    f();
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/** Parses, expecting either success or a SelectorError; any other exception fails. */
function tryParse(text: string): Selector | SelectorError {
  try {
    return parseSelector(text);
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    return e;
  }
}

/** Words selectors are made of, to make random text that gets past the lexer often. */
const SOUP = [
  'a',
  'b',
  'AND',
  'OR',
  'NOT',
  'not',
  '(',
  ')',
  "'x'",
  "'",
  "''",
  '"',
  '"p"',
  '1',
  '1.5',
  '1e',
  '2L',
  '.5',
  'e3',
  'BETWEEN',
  'LIKE',
  'ESCAPE',
  'IN',
  ',',
  'IS',
  'NULL',
  'TRUE',
  'false',
  '=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '!=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '_',
  '.',
  ' ',
  '\n',
  'JMSPriority',
  'é',
  '😀',
  '\u0000',
  '\ud800',
];
const soup = fc
  .array(fc.constantFrom(...SOUP), { maxLength: 40 })
  .chain((words) => fc.constantFrom(words.join(' '), words.join('')));

describe('selector: the parser on any text', () => {
  it('throws nothing but SelectorError on random strings', () => {
    const units = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        maxLength: 100,
      }),
      soup,
    );
    fc.assert(
      fc.property(units, (text) => {
        const r = tryParse(text);
        if (r instanceof Selector) {
          const v = r.evaluate(M);
          assert.ok(v === true || v === false || v === null);
        } else {
          assert.ok(r.position >= 0 && r.position <= text.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parses random text of up to 64 KiB in a few milliseconds', () => {
    tryParse('warm up');
    let worst = 0;
    fc.assert(
      fc.property(soup, fc.integer({ min: 1, max: 4000 }), (words, times) => {
        let text = `${words} `.repeat(times);
        if (text.length > MAX_SELECTOR_BYTES / 2) text = text.slice(0, MAX_SELECTOR_BYTES / 2);
        const ms = time(() => tryParse(text));
        worst = Math.max(worst, ms);
        assert.ok(ms < 50, `${ms} ms for ${text.length} characters`);
      }),
      { numRuns: 200 },
    );
    assert.ok(worst < 50);
  });

  it('parses and evaluates hostile selectors of 64 KiB in a few milliseconds', () => {
    const long = 'a'.repeat(100000);
    const m = new Message({ properties: { s: `${long}b`, i: 1 } });
    const fit = (head: string, unit: string, tail: string): string =>
      head + unit.repeat(Math.floor((MAX_SELECTOR_BYTES - head.length - tail.length) / unit.length)) + tail;
    const cases = [
      fit('', 'fa OR ', 'i = 1'),
      fit('', 'i = 1 AND ', 'i = 1'),
      fit('i', ' + 1', ' = 0'),
      fit('i', ' * 1', ' = 1'),
      fit("s = '", "''", "'"),
      fit("s LIKE '", '%a', "'"),
      fit("s LIKE '", '%_a', "%b'"),
      fit("s LIKE '", 'a', "%'"),
      fit("s LIKE '%", 'a', "'"),
      fit("s LIKE '%", 'a_', "%'"),
      fit('s IN (', "'x', ", "'y')"),
      fit("'", "''", ''),
      fit('', '1', ''),
      fit('', 'a', ''),
      fit('', '(', ''),
      `${'('.repeat(100)}i = 1${')'.repeat(100)}`,
    ];
    for (const text of cases) tryParse(text);
    for (const text of cases) {
      assert.ok(text.length <= MAX_SELECTOR_BYTES);
      let r: Selector | SelectorError = new SelectorError('', 0);
      const parse = time(() => {
        r = tryParse(text);
      });
      assert.ok(parse < 50, `parsing ${text.slice(0, 20)}... took ${parse} ms`);
      const sel = r as Selector | SelectorError;
      if (sel instanceof Selector) {
        const ev = time(() => sel.evaluate(m));
        assert.ok(ev < 100, `evaluating ${text.slice(0, 20)}... took ${ev} ms`);
      }
    }
  });
});

// --- Random well-formed selectors over random messages

const NAMES = ['p', 'q', 'r'];
const propValue = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -1.5, 2.0),
  fc.constantFrom('a', 'hello', ''),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const message = fc
  .tuple(propValue, propValue, propValue)
  .map((vs) => new Message({ properties: Object.fromEntries(vs.map((v, i) => [NAMES[i]!, v])) }));

const name = fc.constantFrom(...NAMES, 'missing');
const num = fc.oneof(name, fc.integer({ min: -3, max: 3 }).map(String), fc.constantFrom('0.5', '2.0'));
const str = fc.oneof(name, fc.constantFrom("'a'", "'hello'", "''"));
const sum = fc.oneof(
  num,
  fc.tuple(num, fc.constantFrom('+', '-', '*', '/'), num).map(([a, op, b]) => `${a} ${op} ${b}`),
);
const atom = fc.oneof(
  fc.tuple(sum, fc.constantFrom('=', '<>', '<', '<=', '>', '>='), sum).map(([a, op, b]) => `${a} ${op} ${b}`),
  fc.tuple(str, fc.constantFrom('=', '<>'), str).map(([a, op, b]) => `${a} ${op} ${b}`),
  fc
    .tuple(name, fc.constantFrom('=', '<>'), fc.constantFrom('TRUE', 'FALSE'))
    .map(([a, op, b]) => `${a} ${op} ${b}`),
  fc
    .tuple(str, fc.constantFrom('LIKE', 'NOT LIKE'), fc.constantFrom("'h%'", "'_'", "'%'", "''"))
    .map(([a, op, b]) => `${a} ${op} ${b}`),
  fc.tuple(str, fc.constantFrom('IN', 'NOT IN')).map(([a, op]) => `${a} ${op} ('a', 'hello')`),
  fc
    .tuple(num, fc.constantFrom('BETWEEN', 'NOT BETWEEN'), num, num)
    .map(([a, op, lo, hi]) => `${a} ${op} ${lo} AND ${hi}`),
  fc.tuple(fc.oneof(name, sum), fc.constantFrom('IS NULL', 'IS NOT NULL')).map(([a, op]) => `${a} ${op}`),
  name,
  fc.constantFrom('TRUE', 'FALSE'),
);
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'expr' },
    atom,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}) AND (${b})`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}) OR (${b})`),
    tie('expr').map((a) => `NOT (${a})`),
  ),
}));

const truth = (text: string, m: Message): Truth => parseSelector(text).evaluate(m);

describe('selector: logic properties', () => {
  it('NOT (x) is the complement of x where x is known, unknown where x is', () => {
    fc.assert(
      fc.property(expr, message, (x, m) => {
        const v = truth(x, m);
        assert.equal(truth(`NOT (${x})`, m), not3(v));
        assert.equal(parseSelector(`NOT (${x})`).matches(m), v === false);
      }),
      { numRuns: 1000 },
    );
  });

  it('a AND b and a OR b follow the SQL truth tables', () => {
    fc.assert(
      fc.property(expr, expr, message, (a, b, m) => {
        const va = truth(a, m);
        const vb = truth(b, m);
        assert.equal(truth(`(${a}) AND (${b})`, m), and3(va, vb));
        assert.equal(truth(`(${a}) OR (${b})`, m), or3(va, vb));
      }),
      { numRuns: 1000 },
    );
  });

  it('the truth tables, in full', () => {
    const operands: [string, Truth][] = [
      ['TRUE', true],
      ['FALSE', false],
      ['missing = 1', null],
    ];
    const table: Record<string, string> = {};
    for (const [a, va] of operands) {
      for (const [b, vb] of operands) {
        const key = `${va} ${vb}`;
        table[key] = `${truth(`${a} AND ${b}`, M)} ${truth(`${a} OR ${b}`, M)}`;
      }
    }
    assert.deepEqual(table, {
      'true true': 'true true',
      'true false': 'false true',
      'true null': 'null true',
      'false true': 'false true',
      'false false': 'false false',
      'false null': 'false null',
      'null true': 'null true',
      'null false': 'false null',
      'null null': 'null null',
    });
  });

  it('x BETWEEN a AND b is x >= a AND x <= b, and NOT BETWEEN its negation', () => {
    fc.assert(
      fc.property(num, num, num, message, (x, a, b, m) => {
        const v = truth(`${x} >= ${a} AND ${x} <= ${b}`, m);
        assert.equal(truth(`${x} BETWEEN ${a} AND ${b}`, m), v);
        assert.equal(truth(`${x} NOT BETWEEN ${a} AND ${b}`, m), not3(v));
      }),
      { numRuns: 500 },
    );
  });

  it('* and / bind tighter than + and -, and compute as Java longs', () => {
    const long = (v: bigint): bigint => BigInt.asIntN(64, v);
    const int = fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n });
    fc.assert(
      fc.property(int, int, int, (a, b, c) => {
        const m = new Message({ properties: { a, b, c: Number(c) } });
        const expect = c === 0n ? null : long(a - long(b * a) + b / c);
        const sel = parseSelector(`a - b * a + b / c = ${expect ?? 0}`);
        assert.equal(sel.evaluate(m), expect === null ? null : true);
      }),
    );
  });

  it('every AMQP integer width compares equal to the same plain number and double', () => {
    const widths = [
      (n: number) => ubyte(n & 0x7f),
      (n: number) => ushort(n & 0x7fff),
      (n: number) => uint(Math.abs(n)),
      (n: number) => ulong(Math.abs(n)),
      (n: number) => byte(n % 128),
      (n: number) => short(n % 32768),
      (n: number) => int32(n),
      (n: number) => BigInt(n),
      (n: number) => double(n),
    ];
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.nat(widths.length - 1), (n, w) => {
        const v = widths[w]!(n);
        const plain = Number(v.valueOf());
        const m = new Message({ properties: { v, plain } });
        assert.equal(
          parseSelector(`v = ${plain} AND v = plain AND v = ${plain}.0 AND v + 0.5 > plain`).matches(m),
          true,
        );
      }),
    );
  });
});

/** LIKE the slow way: a regular expression with every character but % and _ escaped. */
function likeReference(value: string, pattern: string, esc?: string): boolean {
  let re = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === esc) re += chars[++i]!.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su').test(value);
}

describe('selector: LIKE', () => {
  const alphabet = ['a', 'b', '.', '*', '\\', '$', '(', '[', '😀', '\n'];
  const value = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((cs) => cs.join(''));
  const pattern = fc
    .array(fc.constantFrom(...alphabet, '%', '_', '!'), { maxLength: 8 })
    .map((cs) => cs.join(''));

  it('agrees with a reference matcher', () => {
    fc.assert(
      fc.property(value, pattern, (v, p) => {
        const m = new Message({ properties: { v } });
        const lit = p.replace(/'/g, "''");
        assert.equal(parseSelector(`v LIKE '${lit}'`).matches(m), likeReference(v, p), `${v} LIKE ${p}`);
        assert.equal(parseSelector(`v NOT LIKE '${lit}'`).matches(m), !likeReference(v, p));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with a reference matcher with an escape character', () => {
    fc.assert(
      fc.property(value, pattern, (v, p) => {
        if (/!$/.test(p.replace(/!!/g, ''))) p += '!';
        const m = new Message({ properties: { v } });
        assert.equal(
          parseSelector(`v LIKE '${p}' ESCAPE '!'`).matches(m),
          likeReference(v, p, '!'),
          `${v} LIKE ${p} ESCAPE !`,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('a pattern is a pattern only where it says so', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => {
        const m = new Message({ properties: { s } });
        const lit = s.replace(/'/g, "''").replace(/[!%_]/g, '!$&');
        assert.equal(parseSelector(`s LIKE '${lit}' ESCAPE '!'`).matches(m), true);
        assert.equal(parseSelector(`s LIKE '${lit}%' ESCAPE '!'`).matches(m), true);
        assert.equal(parseSelector(`s LIKE '%${lit}' ESCAPE '!'`).matches(m), true);
        assert.equal(parseSelector(`s LIKE '${lit}_' ESCAPE '!'`).matches(m), false);
      }),
    );
  });
});
