/**
 * The mutations: fast-check generates short lists of edits, and `applyMutations` applies them to an
 * input taken from the live corpus (a list of units: headers and frames, or one selector string). The
 * edits know the shape of a frame (its size word, data offset, type and channel) so that a mutated frame
 * still gets past the framing often enough to reach the decoder and the engine behind it.
 */
import fc from 'fast-check';
import type { Chunking } from './target.js';

export type Mutation =
  | { kind: 'flip'; unit: number; at: number; bit: number }
  | { kind: 'set'; unit: number; at: number; byte: number }
  | { kind: 'arith'; unit: number; at: number; delta: number }
  | { kind: 'insert'; unit: number; at: number; bytes: Uint8Array }
  | { kind: 'word'; unit: number; at: number; word: number }
  | { kind: 'delete'; unit: number; at: number; len: number }
  | { kind: 'dup-range'; unit: number; at: number; len: number; times: number }
  | { kind: 'size'; unit: number; size: number }
  | { kind: 'header'; unit: number; field: 'doff' | 'type' | 'channel'; value: number }
  | { kind: 'drop'; unit: number }
  | { kind: 'dup'; unit: number; times: number }
  | { kind: 'swap'; unit: number; other: number }
  | { kind: 'truncate'; unit: number; at: number }
  | { kind: 'splice'; unit: number; other: number; otherUnit: number };

/** Format codes and boundary bytes: setting one changes the type of what follows. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x60, 0x70,
  0x71, 0x72, 0x73, 0x80, 0x81, 0x82, 0x83, 0x84, 0x94, 0x98, 0xa0, 0xa1, 0xa3, 0xb0, 0xb1, 0xb3, 0xc0, 0xc1,
  0xd0, 0xd1, 0xe0, 0xf0, 0x7f, 0x80, 0xfe, 0xff,
];
/** Sizes and counts that sit on a boundary. */
const INTERESTING_WORDS = [
  0, 1, 7, 8, 9, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x100000, 0x100001, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
];

const unit = fc.nat(127);
const at = fc.nat(1 << 16);

/** Edits of an input; `dictionary` holds byte strings worth inserting (taken from the corpus). */
export function mutationArb(dictionary: readonly Buffer[]): fc.Arbitrary<Mutation> {
  const words =
    dictionary.length > 0 ? fc.constantFrom(...dictionary.map((b) => new Uint8Array(b))) : undefined;
  const inserted = words
    ? fc.oneof({ weight: 3, arbitrary: words }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) })
    : fc.uint8Array({ minLength: 1, maxLength: 12 });
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), unit, at, bit: fc.nat(7) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('set' as const),
        unit,
        at,
        byte: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat(255)),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('arith' as const),
        unit,
        at,
        delta: fc.integer({ min: -8, max: 8 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), unit, at, bytes: inserted }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('word' as const),
        unit,
        at,
        word: fc.constantFrom(...INTERESTING_WORDS),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('delete' as const),
        unit,
        at,
        len: fc.integer({ min: 1, max: 24 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('dup-range' as const),
        unit,
        at,
        len: fc.integer({ min: 1, max: 16 }),
        times: fc.integer({ min: 1, max: 64 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('size' as const),
        unit,
        size: fc.oneof(fc.constantFrom(...INTERESTING_WORDS), fc.nat(64)),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('header' as const),
        unit,
        field: fc.constantFrom('doff' as const, 'type' as const, 'channel' as const),
        value: fc.oneof(fc.nat(3), fc.constantFrom(0xff, 0xffff, 0x7fff, 0x8000)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), unit }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('dup' as const),
        unit,
        times: fc.integer({ min: 1, max: 8 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), unit, other: unit }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), unit, at }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('splice' as const), unit, other: fc.nat(), otherUnit: unit }),
    },
  );
}

/** One fuzz case: which corpus entry, its edits, how the bytes are cut, and whether the stream ends. */
export interface Case {
  entry: number;
  mutations: Mutation[];
  chunking: Chunking;
  eof: boolean;
}

/** How an input is cut into reads: whole, byte by byte, or in runs of small and larger sizes. */
export const chunkingArb: fc.Arbitrary<Chunking> = fc.oneof(
  { weight: 4, arbitrary: fc.constant([] as number[]) },
  { weight: 1, arbitrary: fc.constant([1]) },
  {
    weight: 3,
    arbitrary: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2000 })), {
      minLength: 1,
      maxLength: 6,
    }),
  },
);

export function caseArb(dictionary: readonly Buffer[]): fc.Arbitrary<Case> {
  return fc.record({
    entry: fc.nat(),
    mutations: fc.array(mutationArb(dictionary), { minLength: 1, maxLength: 8 }),
    chunking: chunkingArb,
    eof: fc.boolean(),
  });
}

/** Applies edits to a copy of `units`; `other(i)` gives another corpus entry, for splicing. */
export function applyMutations(
  input: readonly Buffer[],
  mutations: readonly Mutation[],
  other: (i: number) => readonly Buffer[],
): Buffer[] {
  let units = input.map((u) => Buffer.from(u));
  for (const m of mutations) {
    if (units.length === 0) units.push(Buffer.alloc(0));
    const i = m.unit % units.length;
    const u = units[i]!;
    switch (m.kind) {
      case 'flip':
        if (u.length > 0) u[m.at % u.length]! ^= 1 << m.bit;
        break;
      case 'set':
        if (u.length > 0) u[m.at % u.length] = m.byte;
        break;
      case 'arith':
        if (u.length > 0) u[m.at % u.length] = (u[m.at % u.length]! + m.delta) & 0xff;
        break;
      case 'insert': {
        const k = m.at % (u.length + 1);
        units[i] = Buffer.concat([u.subarray(0, k), m.bytes, u.subarray(k)]);
        break;
      }
      case 'word':
        if (u.length >= 4) u.writeUInt32BE(m.word >>> 0, m.at % (u.length - 3));
        break;
      case 'delete': {
        const k = m.at % Math.max(1, u.length);
        units[i] = Buffer.concat([u.subarray(0, k), u.subarray(k + m.len)]);
        break;
      }
      case 'dup-range': {
        const k = m.at % Math.max(1, u.length);
        const piece = u.subarray(k, k + m.len);
        units[i] = Buffer.concat([u.subarray(0, k), ...Array<Buffer>(m.times).fill(piece), u.subarray(k)]);
        break;
      }
      case 'size':
        if (u.length >= 4) u.writeUInt32BE(m.size >>> 0, 0);
        break;
      case 'header':
        if (u.length >= 8) {
          if (m.field === 'doff') u[4] = m.value & 0xff;
          else if (m.field === 'type') u[5] = m.value & 0xff;
          else u.writeUInt16BE(m.value & 0xffff, 6);
        }
        break;
      case 'drop':
        units.splice(i, 1);
        break;
      case 'dup':
        units.splice(i, 0, ...Array.from({ length: m.times }, () => Buffer.from(u)));
        break;
      case 'swap': {
        const j = m.other % units.length;
        [units[i], units[j]] = [units[j]!, u];
        break;
      }
      case 'truncate':
        units = units.slice(0, i);
        units.push(u.subarray(0, m.at % (u.length + 1)));
        break;
      case 'splice': {
        const o = other(m.other);
        if (o.length > 0) units.splice(i, 0, Buffer.from(o[m.otherUnit % o.length]!));
        break;
      }
    }
  }
  return units;
}
