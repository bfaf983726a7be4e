/**
 * The selector target: text a receiver puts in its source's filter, which the broker parses. The parser
 * may only throw a `SelectorError`, must answer within the hang bound, and a selector it accepts must
 * evaluate against messages of every shape without throwing.
 */
import { parseSelector, type Selector, SelectorError } from '../../src/broker/selector.js';
import { byte, double, float32, symbol, ulong, uuid } from '../../src/codec/types.js';
import { Message } from '../../src/message/index.js';
import { textSeeds } from './corpus.js';
import { allowOnly, type FuzzTarget, timed } from './target.js';

const KEYWORDS = [
  ' AND ',
  ' OR ',
  'NOT ',
  ' BETWEEN ',
  ' IN (',
  ' LIKE ',
  ' ESCAPE ',
  ' IS NULL',
  ' IS NOT NULL',
  'TRUE',
  'FALSE',
  '(',
  ')',
  "'",
  "''",
  '"',
  ',',
  '=',
  '<>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '.',
  'e',
  'E-',
  'L',
  'F',
  'D',
  '%',
  '_',
  '\\',
  '9223372036854775808',
  '1e309',
  'JMSPriority',
  'JMSXDeliveryCount',
  'JMSMessageID',
  'JMSXGroupSeq',
  '\u00e9',
  '\ud834\udd1e',
  '\ud834',
  '\u0000',
];

/** Messages a selector is evaluated against: empty, and with every kind of property. */
const MESSAGES: Message[] = [
  new Message(),
  new Message({
    id: ulong(42n),
    correlationId: uuid('01234567-89ab-cdef-0123-456789abcdef'),
    durable: true,
    priority: 9,
    subject: 'T',
    address: 'queue',
    groupId: 'g',
    groupSequence: 3,
    deliveryCount: 2,
    creationTime: 1000,
    properties: {
      a: 1,
      b: 2.5,
      c: 'red',
      x: -7,
      flag: true,
      name: 'a_b%c',
      color: 'red',
      weight: 3000,
      big: ulong(2n ** 64n - 1n),
      f: float32(1.5),
      d: double(-0),
      n: Number.NaN,
      i: Number.POSITIVE_INFINITY,
      y: byte(-128),
      s: symbol('sym'),
      bin: Buffer.from('xy'),
      list: [1, 2],
    },
  }),
];

export const selectorTarget: FuzzTarget = {
  name: 'selector',
  about: "the broker's JMS selector parser, and evaluation of what it accepts",
  text: true,
  dictionary: KEYWORDS.map((k) => Buffer.from(k, 'utf8')),
  seeds: () => textSeeds('selector').map((s) => [Buffer.from(s, 'utf8')]),
  execute(units) {
    const text = Buffer.concat(units).toString('utf8');
    let selector: Selector | undefined;
    try {
      selector = timed('parseSelector', () => parseSelector(text));
    } catch (e) {
      allowOnly(e, 'parseSelector', SelectorError);
      return;
    }
    const s = selector;
    for (const m of MESSAGES) {
      try {
        timed('evaluate', () => s.evaluate(m));
      } catch (e) {
        allowOnly(e, `evaluating ${JSON.stringify(text.slice(0, 200))}`);
      }
    }
  },
};
