/**
 * The parser of JMS message selectors (JMS 2.0 section 3.8.1, the SQL-92 conditional expression subset):
 * a lexer that reads one token at a time, a recursive-descent parser, and a static check of the kinds of
 * operands that are known when parsing (literals and operators), so that `'a' + 1` or `x LIKE 5` fail at
 * once with a position rather than quietly never matching. The tree it builds is evaluated by
 * selector-eval.ts; src/broker/selector.ts is the public face of both.
 *
 * Cost is bounded: the text is at most {@link MAX_SELECTOR_BYTES} bytes of UTF-8 and nests at most
 * {@link MAX_SELECTOR_DEPTH} levels (parentheses, NOT, unary signs), and chains of AND, OR, + - and * /
 * are kept as flat lists, so neither parsing nor evaluation recurses deeper than a small multiple of the
 * nesting limit.
 */
import { ProtonError } from '../index.js';

/** The longest selector accepted, in bytes of UTF-8: 64 KiB. */
export const MAX_SELECTOR_BYTES = 65536;
/** The deepest nesting accepted: parentheses, NOT and unary + and - each open a level. */
export const MAX_SELECTOR_DEPTH = 100;

/**
 * A selector that is not valid: bad syntax, a literal of the wrong kind for its operator, a text too long
 * or nested too deep. `position` is the offset (in UTF-16 code units, from 0) in the selector text where
 * the problem was found; the message names it and what was expected there. The condition is
 * `amqp:invalid-field`, as a broker refuses a link whose filter it cannot apply.
 */
export class SelectorError extends ProtonError {
  /** The offset in the selector text, in UTF-16 code units from 0, where the problem was found. */
  readonly position: number;

  constructor(detail: string, position: number) {
    super(`invalid selector at position ${position}: ${detail}`, { condition: 'amqp:invalid-field' });
    this.name = 'SelectorError';
    this.position = position;
  }
}

// ---------------------------------------------------------------------------------------------------
// The tree

/** A literal value: a string, a boolean, an exact number (bigint) or an approximate number. */
export type Literal = string | boolean | bigint | number;

/** One segment of a LIKE pattern between `%` wildcards: literal characters (code points) and `_` (null). */
export interface LikeSegment {
  /** Each item is one character: a code point as a string, or null for `_`. */
  readonly items: readonly (string | null)[];
  /** The segment as a string when it has no `_`, for a plain substring search; null otherwise. */
  readonly text: string | null;
}

/**
 * A compiled LIKE pattern: the segments between its `%` wildcards. One segment means no `%`: the whole
 * value must match it. With several, the first is anchored at the start of the value and the last at its
 * end (either may be empty); empty segments in between (from `%%`) are dropped.
 */
export interface LikePattern {
  readonly segments: readonly LikeSegment[];
}

export type ArithOp = '+' | '-' | '*' | '/';
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** A node of the selector tree; `pos` is where its text starts. */
export type Node =
  | { readonly k: 'lit'; readonly pos: number; readonly v: Literal }
  | { readonly k: 'id'; readonly pos: number; readonly name: string }
  | { readonly k: 'not'; readonly pos: number; readonly e: Node }
  | { readonly k: 'and' | 'or'; readonly pos: number; readonly es: readonly Node[] }
  | { readonly k: 'cmp'; readonly pos: number; readonly op: CompareOp; readonly l: Node; readonly r: Node }
  | {
      readonly k: 'arith';
      readonly pos: number;
      readonly first: Node;
      readonly ops: readonly ArithOp[];
      readonly rest: readonly Node[];
    }
  | { readonly k: 'neg' | 'plus'; readonly pos: number; readonly e: Node }
  | {
      readonly k: 'between';
      readonly pos: number;
      readonly not: boolean;
      readonly e: Node;
      readonly lo: Node;
      readonly hi: Node;
    }
  | {
      readonly k: 'in';
      readonly pos: number;
      readonly not: boolean;
      readonly e: Node;
      readonly set: Set<string>;
    }
  | {
      readonly k: 'like';
      readonly pos: number;
      readonly not: boolean;
      readonly e: Node;
      readonly pattern: LikePattern;
    }
  | { readonly k: 'isnull'; readonly pos: number; readonly not: boolean; readonly e: Node };

/** What an expression is known to yield when parsed: `any` for a property, whose type shows only later. */
type Kind = 'boolean' | 'number' | 'string' | 'any';

function kindOf(n: Node): Kind {
  switch (n.k) {
    case 'lit':
      return typeof n.v === 'boolean' ? 'boolean' : typeof n.v === 'string' ? 'string' : 'number';
    case 'id':
      return 'any';
    case 'arith':
    case 'neg':
    case 'plus':
      return 'number';
    default:
      return 'boolean';
  }
}

// ---------------------------------------------------------------------------------------------------
// The lexer

const KEYWORDS = new Set([
  'NOT',
  'AND',
  'OR',
  'BETWEEN',
  'LIKE',
  'IN',
  'IS',
  'ESCAPE',
  'NULL',
  'TRUE',
  'FALSE',
]);

type Token =
  | { readonly kind: 'id'; readonly pos: number; readonly name: string }
  | { readonly kind: 'kw'; readonly pos: number; readonly word: string; readonly raw: string }
  | { readonly kind: 'str'; readonly pos: number; readonly value: string }
  | { readonly kind: 'num'; readonly pos: number; readonly value: bigint | number; readonly raw: string }
  | { readonly kind: 'op'; readonly pos: number; readonly op: string }
  | { readonly kind: 'eof'; readonly pos: number };

const ID_START = /[\p{L}\p{Nl}\p{Sc}\p{Pc}]/u;
const ID_PART = /[\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}\p{Cf}]/u;

/** Java's identifier-start characters: letters, letter numbers, currency symbols, connectors ($ and _). */
function isIdStart(cp: number): boolean {
  if (cp < 0x80)
    return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x24 || cp === 0x5f;
  return ID_START.test(String.fromCodePoint(cp));
}

/** Java's identifier-part characters: the start characters, digits, combining marks and format characters. */
function isIdPart(cp: number): boolean {
  if (cp < 0x80) return isIdStart(cp) || (cp >= 0x30 && cp <= 0x39);
  return ID_PART.test(String.fromCodePoint(cp));
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** JMS whitespace, as Java's: space, tab, form feed and the line terminators. */
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0a || c === 0x0d;

const LONG_LIMIT = 0x8000000000000000n; // 2^63: allowed only so that -9223372036854775808 can be written

/** How a token is named in an error message. */
function describe(t: Token): string {
  const clip = (s: string): string => (s.length > 24 ? `${s.slice(0, 24)}...` : s);
  switch (t.kind) {
    case 'id':
      return `the name ${JSON.stringify(clip(t.name))}`;
    case 'kw':
      return t.raw;
    case 'str':
      return `the string '${clip(t.value)}'`;
    case 'num':
      return `the number ${clip(t.raw)}`;
    case 'op':
      return `'${t.op}'`;
    case 'eof':
      return 'the end of the selector';
  }
}

class Lexer {
  private pos = 0;

  constructor(private readonly text: string) {}

  next(): Token {
    const s = this.text;
    let i = this.pos;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    this.pos = i;
    if (i >= s.length) return { kind: 'eof', pos: i };
    const c = s.charCodeAt(i);
    if (c === 0x27) return this.string(i);
    if (c === 0x22) return this.quotedName(i);
    if (isDigit(c) || (c === 0x2e && isDigit(s.charCodeAt(i + 1)))) return this.number(i);
    const cp = s.codePointAt(i)!;
    if (isIdStart(cp)) return this.name(i);
    const two = s.slice(i, i + 2);
    if (two === '<>' || two === '<=' || two === '>=') {
      this.pos = i + 2;
      return { kind: 'op', pos: i, op: two };
    }
    if ('=<>+-*/(),'.includes(s[i]!)) {
      this.pos = i + 1;
      return { kind: 'op', pos: i, op: s[i]! };
    }
    if (two === '!=') throw new SelectorError("unexpected '!=': not-equal is written '<>'", i);
    throw new SelectorError(`unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`, i);
  }

  /** A string literal: single quotes, a quote inside written twice. */
  private string(start: number): Token {
    const value = this.quoted(start, "'", 'string literal');
    return { kind: 'str', pos: start, value };
  }

  /** A name in double quotes, for property names that are not Java identifiers: `"my-prop"`. */
  private quotedName(start: number): Token {
    const name = this.quoted(start, '"', 'quoted name');
    if (name === '') throw new SelectorError('expected a name between the double quotes', start);
    return { kind: 'id', pos: start, name };
  }

  private quoted(start: number, q: string, what: string): string {
    const s = this.text;
    let out = '';
    let from = start + 1;
    for (;;) {
      const end = s.indexOf(q, from);
      if (end < 0) throw new SelectorError(`unterminated ${what}: expected a closing ${q}`, start);
      out += s.slice(from, end);
      if (s[end + 1] === q) {
        out += q;
        from = end + 2;
      } else {
        this.pos = end + 1;
        return out;
      }
    }
  }

  private name(start: number): Token {
    const s = this.text;
    let i = start;
    while (i < s.length) {
      const cp = s.codePointAt(i)!;
      if (!isIdPart(cp)) break;
      i += cp > 0xffff ? 2 : 1;
    }
    this.pos = i;
    const raw = s.slice(start, i);
    if (i - start <= 7) {
      // No keyword is longer than BETWEEN and ESCAPE.
      const word = raw.toUpperCase();
      if (KEYWORDS.has(word)) return { kind: 'kw', pos: start, word, raw };
    }
    return { kind: 'id', pos: start, name: raw };
  }

  /**
   * A number: digits for an exact numeric (a long; an `L` suffix allowed), or with a decimal point or an
   * exponent, or an `F` or `D` suffix, an approximate numeric (a double).
   */
  private number(start: number): Token {
    const s = this.text;
    let i = start;
    let approx = false;
    while (isDigit(s.charCodeAt(i))) i++;
    if (s[i] === '.') {
      approx = true;
      i++;
      while (isDigit(s.charCodeAt(i))) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      approx = true;
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!isDigit(s.charCodeAt(i))) throw new SelectorError('expected the digits of an exponent', i);
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const body = s.slice(start, i);
    const suffix = s[i];
    if (suffix === 'L' || suffix === 'l') {
      if (approx) throw new SelectorError('the suffix L is for whole numbers only', i);
      i++;
    } else if (suffix === 'F' || suffix === 'f' || suffix === 'D' || suffix === 'd') {
      approx = true;
      i++;
    }
    if (i < s.length && (isIdPart(s.codePointAt(i)!) || s[i] === '.')) {
      throw new SelectorError(`unexpected ${JSON.stringify(s[i])} in a number`, i);
    }
    this.pos = i;
    const raw = s.slice(start, i);
    if (approx) {
      const value = Number(body);
      if (!Number.isFinite(value))
        throw new SelectorError(`the number ${raw} is out of range of a double`, start);
      return { kind: 'num', pos: start, value, raw };
    }
    let z = 0;
    while (z < body.length - 1 && body[z] === '0') z++;
    const digits = body.length - z;
    const value = digits <= 15 ? BigInt(Number(body)) : digits > 19 ? LONG_LIMIT + 1n : BigInt(body);
    if (value > LONG_LIMIT) throw new SelectorError(`the number ${raw} is out of range of a long`, start);
    return { kind: 'num', pos: start, value, raw };
  }
}

// ---------------------------------------------------------------------------------------------------
// The parser

const COMPARE_OPS = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** The length of `text` in bytes of UTF-8, stopping early once past `limit`; and where it went past. */
function utf8Overrun(text: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > limit) return i;
  }
  return -1;
}

/** Compiles the text of a LIKE pattern; `esc` is the escape character, if any. */
function likePattern(pattern: string, esc: string | undefined, pos: number): LikePattern {
  const segments: LikeSegment[] = [];
  let items: (string | null)[] = [];
  let literal = true;
  const close = (): void => {
    segments.push({ items, text: literal ? items.join('') : null });
    items = [];
    literal = true;
  };
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === esc) {
      if (++i >= chars.length)
        throw new SelectorError('the LIKE pattern ends with its escape character', pos);
      items.push(chars[i]!);
    } else if (ch === '%') close();
    else if (ch === '_') {
      items.push(null);
      literal = false;
    } else items.push(ch);
  }
  close();
  // Drop the empty segments of %% (keeping the first and the last, which anchor the ends).
  const kept = segments.filter((seg, i) => seg.items.length > 0 || i === 0 || i === segments.length - 1);
  return { segments: kept };
}

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private depth = 0;

  constructor(text: string) {
    this.lexer = new Lexer(text);
    this.tok = this.lexer.next();
  }

  /** The whole selector; null for an empty one (which selects every message, as JMS has it). */
  parse(): Node | null {
    if (this.tok.kind === 'eof') return null;
    const e = this.or();
    if (!this.isEnd()) this.fail('an operator, AND, OR or the end of the selector');
    this.condition(e);
    return e;
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isEnd(): boolean {
    return this.tok.kind === 'eof';
  }

  private isWord(word: string): boolean {
    return this.tok.kind === 'kw' && this.tok.word === word;
  }

  private isOp(op: string): boolean {
    return this.tok.kind === 'op' && this.tok.op === op;
  }

  private fail(expected: string): never {
    throw new SelectorError(`expected ${expected}, found ${describe(this.tok)}`, this.tok.pos);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_SELECTOR_DEPTH) {
      throw new SelectorError(`nested deeper than ${MAX_SELECTOR_DEPTH} levels`, t.pos);
    }
  }

  /** Operands of NOT, AND and OR, and the selector itself, must be conditions. */
  private condition(n: Node): void {
    const k = kindOf(n);
    if (k === 'number' || k === 'string') {
      throw new SelectorError(`expected a condition, found a ${k} expression`, n.pos);
    }
  }

  /** Operands of arithmetic and BETWEEN must be numbers; `op` is an operator to quote, else `what` names it. */
  private numeric(n: Node, what: string, op?: string): void {
    const k = kindOf(n);
    if (k === 'boolean' || k === 'string') {
      const of = op === undefined ? what : `${what}'${op}'`;
      throw new SelectorError(`expected a number for ${of}, found a ${k} expression`, n.pos);
    }
  }

  private text(n: Node, what: string): void {
    const k = kindOf(n);
    if (k === 'boolean' || k === 'number') {
      throw new SelectorError(`expected a string for ${what}, found a ${k} expression`, n.pos);
    }
  }

  private or(): Node {
    const first = this.and();
    if (!this.isWord('OR')) return first;
    this.condition(first);
    const es = [first];
    while (this.isWord('OR')) {
      this.advance();
      const e = this.and();
      this.condition(e);
      es.push(e);
    }
    return { k: 'or', pos: first.pos, es };
  }

  private and(): Node {
    const first = this.not();
    if (!this.isWord('AND')) return first;
    this.condition(first);
    const es = [first];
    while (this.isWord('AND')) {
      this.advance();
      const e = this.not();
      this.condition(e);
      es.push(e);
    }
    return { k: 'and', pos: first.pos, es };
  }

  private not(): Node {
    if (!this.isWord('NOT')) return this.predicate();
    const t = this.advance();
    this.enter(t);
    const e = this.not();
    this.depth--;
    this.condition(e);
    return { k: 'not', pos: t.pos, e };
  }

  private predicate(): Node {
    const e = this.sum();
    const t = this.tok;
    if (t.kind === 'op' && COMPARE_OPS.has(t.op)) {
      this.advance();
      const r = this.sum();
      const op = t.op as CompareOp;
      const kl = kindOf(e);
      const kr = kindOf(r);
      if (op !== '=' && op !== '<>') {
        for (const [n, k] of [[e, kl] as const, [r, kr] as const]) {
          if (k === 'string' || k === 'boolean') {
            throw new SelectorError(`a ${k} can only be compared with = or <>, not ${op}`, n.pos);
          }
        }
      }
      if (kl !== 'any' && kr !== 'any' && kl !== kr) {
        throw new SelectorError(`cannot compare a ${kl} with a ${kr}`, t.pos);
      }
      return { k: 'cmp', pos: e.pos, op, l: e, r };
    }
    let not = false;
    if (this.isWord('NOT')) {
      this.advance();
      not = true;
      if (!this.isWord('BETWEEN') && !this.isWord('LIKE') && !this.isWord('IN')) {
        this.fail('BETWEEN, LIKE or IN after NOT');
      }
    }
    if (this.isWord('BETWEEN')) {
      this.advance();
      this.numeric(e, 'BETWEEN');
      const lo = this.sum();
      this.numeric(lo, 'BETWEEN');
      if (!this.isWord('AND')) this.fail('AND of BETWEEN ... AND');
      this.advance();
      const hi = this.sum();
      this.numeric(hi, 'BETWEEN');
      return { k: 'between', pos: e.pos, not, e, lo, hi };
    }
    if (this.isWord('IN')) {
      this.advance();
      this.text(e, 'IN');
      if (!this.isOp('(')) this.fail("'(' after IN");
      this.advance();
      const set = new Set<string>();
      for (;;) {
        const s = this.tok;
        if (s.kind !== 'str') this.fail('a string literal in the IN list');
        this.advance();
        set.add(s.value);
        if (this.isOp(')')) break;
        if (!this.isOp(',')) this.fail("',' or ')' in the IN list");
        this.advance();
      }
      this.advance();
      return { k: 'in', pos: e.pos, not, e, set };
    }
    if (this.isWord('LIKE')) {
      this.advance();
      this.text(e, 'LIKE');
      const p = this.tok;
      if (p.kind !== 'str') this.fail('a string literal pattern after LIKE');
      this.advance();
      let esc: string | undefined;
      if (this.isWord('ESCAPE')) {
        this.advance();
        const x = this.tok;
        if (x.kind !== 'str') this.fail('a string literal after ESCAPE');
        if (Array.from(x.value).length !== 1) {
          throw new SelectorError('the ESCAPE string must be exactly one character', x.pos);
        }
        this.advance();
        esc = x.value;
      }
      return { k: 'like', pos: e.pos, not, e, pattern: likePattern(p.value, esc, p.pos) };
    }
    if (this.isWord('IS')) {
      this.advance();
      if (this.isWord('NOT')) {
        this.advance();
        not = true;
      }
      if (!this.isWord('NULL')) this.fail(not ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      this.advance();
      return { k: 'isnull', pos: e.pos, not, e };
    }
    return e;
  }

  /** Additive: a flat chain of + and -. */
  private sum(): Node {
    const first = this.product();
    const ops: ArithOp[] = [];
    const rest: Node[] = [];
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'op' || (t.op !== '+' && t.op !== '-')) break;
      this.arithOperand(ops.length === 0 ? first : null, t.op);
      this.advance();
      rest.push(this.arithOperand(this.product(), t.op));
      ops.push(t.op);
    }
    return ops.length === 0 ? first : { k: 'arith', pos: first.pos, first, ops, rest };
  }

  /** Multiplicative: a flat chain of * and /. */
  private product(): Node {
    const first = this.unary();
    const ops: ArithOp[] = [];
    const rest: Node[] = [];
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'op' || (t.op !== '*' && t.op !== '/')) break;
      this.arithOperand(ops.length === 0 ? first : null, t.op);
      this.advance();
      rest.push(this.arithOperand(this.unary(), t.op));
      ops.push(t.op);
    }
    return ops.length === 0 ? first : { k: 'arith', pos: first.pos, first, ops, rest };
  }

  /** Checks an operand of a binary + - * or /, if given, and returns it. */
  private arithOperand<T extends Node | null>(n: T, op: string): T {
    if (n !== null) this.numeric(n, '', op);
    return n;
  }

  private unary(): Node {
    const t = this.tok;
    if (t.kind !== 'op' || (t.op !== '+' && t.op !== '-')) return this.primary();
    this.advance();
    this.enter(t);
    const e = this.unary();
    this.depth--;
    this.numeric(e, 'unary ', t.op);
    if (e.k === 'lit' && (typeof e.v === 'bigint' || typeof e.v === 'number')) {
      return { k: 'lit', pos: t.pos, v: t.op === '-' ? -e.v : e.v };
    }
    return { k: t.op === '-' ? 'neg' : 'plus', pos: t.pos, e };
  }

  private primary(): Node {
    const t = this.tok;
    switch (t.kind) {
      case 'str':
      case 'num':
        this.advance();
        return { k: 'lit', pos: t.pos, v: t.value };
      case 'id':
        this.advance();
        return { k: 'id', pos: t.pos, name: t.name };
      case 'kw':
        if (t.word === 'TRUE' || t.word === 'FALSE') {
          this.advance();
          return { k: 'lit', pos: t.pos, v: t.word === 'TRUE' };
        }
        if (t.word === 'NULL') {
          throw new SelectorError('NULL can only be tested, with IS NULL or IS NOT NULL', t.pos);
        }
        break;
      case 'op':
        if (t.op === '(') {
          this.advance();
          this.enter(t);
          const e = this.or();
          this.depth--;
          if (!this.isOp(')')) this.fail("an operator, AND, OR or ')'");
          this.advance();
          return { ...e, pos: t.pos };
        }
        break;
    }
    return this.fail("a name, a literal or '('");
  }
}

/** Parses a selector into its tree; null for an empty selector. Throws {@link SelectorError}. */
export function parseTree(text: string): Node | null {
  if (typeof text !== 'string') throw new SelectorError('the selector must be a string', 0);
  if (text.length > MAX_SELECTOR_BYTES || utf8Overrun(text, MAX_SELECTOR_BYTES) >= 0) {
    const at = utf8Overrun(text, MAX_SELECTOR_BYTES);
    throw new SelectorError(`the selector is longer than ${MAX_SELECTOR_BYTES} bytes`, at);
  }
  return new Parser(text).parse();
}
