/**
 * The evaluator of JMS message selectors: compiles the tree of selector-parser.ts into closures over a
 * message, with SQL's three-valued logic. A value is null when it is NULL or unknown: a missing property,
 * a property of a type selectors do not handle, a comparison of unlike types, arithmetic on any of those.
 *
 * Numbers follow Java's numeric promotion, as JMS asks: exact values (AMQP integers of any width, and
 * whole JavaScript numbers, which the codec sends as longs) are held as bigints and computed in 64-bit
 * two's complement, integer division truncating; as soon as an approximate value (a float or double, a
 * JavaScript number with a fraction) takes part, the arithmetic is in doubles.
 */

import type { Message } from '../index.js';
import { AmqpSymbol, Byte, Double, Float, Int, Short, UByte, UInt, ULong, UShort } from '../index.js';
import type { ArithOp, CompareOp, LikePattern, LikeSegment, Node } from './selector-parser.js';

/** The fields of a message that a selector can read. A {@link Message} has them all. */
export type SelectableMessage = Pick<
  Message,
  | 'id'
  | 'correlationId'
  | 'durable'
  | 'priority'
  | 'subject'
  | 'address'
  | 'replyTo'
  | 'creationTime'
  | 'expiryTime'
  | 'groupId'
  | 'groupSequence'
  | 'deliveryCount'
  | 'properties'
>;

/** A value that is present but of a type selectors do not handle (binary, uuid, a list...). */
const OTHER: unique symbol = Symbol('other');

/** A selector value: null for NULL or unknown; bigint for exact numbers, number for approximate ones. */
type Value = null | boolean | string | bigint | number | typeof OTHER;

/** A compiled expression. */
export type Evaluator = (m: SelectableMessage) => Value;

/** The selector form of an AMQP value. */
function toValue(x: unknown): Value {
  switch (typeof x) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return x;
    case 'number':
      return Number.isSafeInteger(x) ? BigInt(x) : x;
    case 'undefined':
      return null;
    case 'object':
      if (x === null) return null;
      if (x instanceof AmqpSymbol) return x.value;
      if (x instanceof ULong) return x.value;
      if (x instanceof Double || x instanceof Float) return x.value;
      if (
        x instanceof Int ||
        x instanceof UInt ||
        x instanceof Short ||
        x instanceof UShort ||
        x instanceof Byte ||
        x instanceof UByte
      ) {
        return BigInt(x.value);
      }
      return OTHER;
    default:
      return OTHER;
  }
}

/**
 * The JMS header fields and JMS-defined properties a selector may name, read from the AMQP fields they
 * map to (as the AMQP JMS mapping has them). Any other name is an application property.
 */
const HEADERS = new Map<string, (m: SelectableMessage) => unknown>([
  ['JMSMessageID', (m) => m.id],
  ['JMSCorrelationID', (m) => m.correlationId],
  ['JMSPriority', (m) => m.priority],
  ['JMSDeliveryMode', (m) => (m.durable ? 'PERSISTENT' : 'NON_PERSISTENT')],
  ['JMSTimestamp', (m) => m.creationTime],
  ['JMSExpiration', (m) => m.expiryTime],
  ['JMSType', (m) => m.subject],
  ['JMSDestination', (m) => m.address],
  ['JMSReplyTo', (m) => m.replyTo],
  ['JMSXDeliveryCount', (m) => m.deliveryCount + 1],
  ['JMSXGroupID', (m) => m.groupId],
  ['JMSXGroupSeq', (m) => (m.groupId === undefined ? undefined : m.groupSequence)],
]);

function identifier(name: string): Evaluator {
  const header = HEADERS.get(name);
  if (header !== undefined) return (m) => toValue(header(m));
  return (m) => {
    const p = m.properties;
    return p !== undefined && p !== null && Object.hasOwn(p, name) ? toValue(p[name]) : null;
  };
}

const isNumeric = (v: Value): v is bigint | number => typeof v === 'bigint' || typeof v === 'number';

/** A comparison: true, false, or null when either side is NULL or the two are not alike. */
export function compare(op: CompareOp, a: Value, b: Value): boolean | null {
  let x: string | boolean | bigint | number;
  let y: string | boolean | bigint | number;
  if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === typeof b) {
      x = a;
      y = b;
    } else {
      x = Number(a);
      y = Number(b);
    }
  } else if ((typeof a === 'string' || typeof a === 'boolean') && typeof a === typeof b) {
    if (op !== '=' && op !== '<>') return null;
    x = a;
    y = b as string | boolean;
  } else {
    return null;
  }
  switch (op) {
    case '=':
      return x === y;
    case '<>':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
}

/** Arithmetic on two values: null unless both are numbers, or for an exact division by zero. */
export function arith(op: ArithOp, a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    switch (op) {
      case '+':
        return BigInt.asIntN(64, a + b);
      case '-':
        return BigInt.asIntN(64, a - b);
      case '*':
        return BigInt.asIntN(64, a * b);
      case '/':
        return b === 0n ? null : BigInt.asIntN(64, a / b);
    }
  }
  if (!isNumeric(a) || !isNumeric(b)) return null;
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
  }
}

const not3 = (v: boolean | null): boolean | null => (v === null ? null : !v);

function and3(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

/** Where `seg` matches `s` from `i`: the end of the match, or -1. Each item is one code point. */
function matchAt(s: string, i: number, seg: LikeSegment): number {
  if (seg.text !== null) return s.startsWith(seg.text, i) ? i + seg.text.length : -1;
  let j = i;
  for (const item of seg.items) {
    if (j >= s.length) return -1;
    if (item === null) j += isPairAt(s, j) ? 2 : 1;
    else if (s.startsWith(item, j)) j += item.length;
    else return -1;
  }
  return j;
}

function isPairAt(s: string, i: number): boolean {
  return (s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
}

/** The end of the leftmost match of `seg` in `s` at or after `from`, or -1. */
function find(s: string, from: number, seg: LikeSegment): number {
  if (seg.text !== null) {
    const at = s.indexOf(seg.text, from);
    return at < 0 ? -1 : at + seg.text.length;
  }
  for (let q = from; q < s.length; q += isPairAt(s, q) ? 2 : 1) {
    const end = matchAt(s, q, seg);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * Whether `s` matches a LIKE pattern. The first segment must match at the start, the last at the end,
 * and those between are taken leftmost first, which finds a match whenever there is one. No regular
 * expression is built, so nothing in the pattern is special but `%`, `_` and the escape character, and
 * the cost is at most the length of the value times the length of the pattern.
 */
export function likeMatch(s: string, p: LikePattern): boolean {
  const segs = p.segments;
  const first = segs[0]!;
  if (segs.length === 1) return matchAt(s, 0, first) === s.length;
  let pos = matchAt(s, 0, first);
  if (pos < 0) return false;
  for (let k = 1; k < segs.length - 1; k++) {
    pos = find(s, pos, segs[k]!);
    if (pos < 0) return false;
  }
  const last = segs[segs.length - 1]!;
  // The last segment is as many code points as it has items: step back that many from the end.
  let start = s.length;
  for (let n = 0; n < last.items.length; n++) {
    if (start <= pos) return false;
    start -= start >= 2 && isPairAt(s, start - 2) ? 2 : 1;
  }
  return start >= pos && matchAt(s, start, last) === s.length;
}

/** Compiles a selector tree into a function of a message. */
export function compile(n: Node): Evaluator {
  switch (n.k) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'id':
      return identifier(n.name);
    case 'not': {
      const e = compile(n.e);
      return (m) => {
        const v = e(m);
        return v === true ? false : v === false ? true : null;
      };
    }
    case 'and': {
      const es = n.es.map(compile);
      return (m) => {
        let known = true;
        for (const e of es) {
          const v = e(m);
          if (v === false) return false;
          if (v !== true) known = false;
        }
        return known ? true : null;
      };
    }
    case 'or': {
      const es = n.es.map(compile);
      return (m) => {
        let known = true;
        for (const e of es) {
          const v = e(m);
          if (v === true) return true;
          if (v !== false) known = false;
        }
        return known ? false : null;
      };
    }
    case 'cmp': {
      const { op } = n;
      const l = compile(n.l);
      const r = compile(n.r);
      return (m) => compare(op, l(m), r(m));
    }
    case 'arith': {
      const first = compile(n.first);
      const rest = n.rest.map(compile);
      const ops = n.ops;
      return (m) => {
        let v = first(m);
        for (let i = 0; i < rest.length; i++) v = arith(ops[i]!, v, rest[i]!(m));
        return v;
      };
    }
    case 'neg': {
      const e = compile(n.e);
      return (m) => {
        const v = e(m);
        return typeof v === 'bigint' ? BigInt.asIntN(64, -v) : typeof v === 'number' ? -v : null;
      };
    }
    case 'plus': {
      const e = compile(n.e);
      return (m) => {
        const v = e(m);
        return isNumeric(v) ? v : null;
      };
    }
    case 'between': {
      const { not } = n;
      const e = compile(n.e);
      const lo = compile(n.lo);
      const hi = compile(n.hi);
      return (m) => {
        const v = e(m);
        const r = and3(compare('>=', v, lo(m)), compare('<=', v, hi(m)));
        return not ? not3(r) : r;
      };
    }
    case 'in': {
      const { not, set } = n;
      const e = compile(n.e);
      return (m) => {
        const v = e(m);
        return typeof v === 'string' ? set.has(v) !== not : null;
      };
    }
    case 'like': {
      const { not, pattern } = n;
      const e = compile(n.e);
      return (m) => {
        const v = e(m);
        return typeof v === 'string' ? likeMatch(v, pattern) !== not : null;
      };
    }
    case 'isnull': {
      const { not } = n;
      const e = compile(n.e);
      return (m) => (e(m) === null) !== not;
    }
  }
}
