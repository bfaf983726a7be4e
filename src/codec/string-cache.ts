/**
 * Short ASCII strings recur from message to message: addresses, subjects, content types, application
 * property keys, annotation keys. Making each one anew costs a native call and an allocation, and a new
 * string used as an object key must be hashed and internalized again. This cache hands back the string it
 * made last time for the same bytes, so a steady stream of similar messages decodes without making those
 * strings at all. It is bounded (a fixed table, each slot overwritten by the next string hashing to it) and
 * exact (the bytes are compared, never just the hash).
 *
 * The bytes are read four at a time through DataViews (one over the input's memory, one over the table),
 * which the compiler turns into single loads: a 19-byte id compares in ~13 ns this way against ~35 ns byte
 * by byte, and a typical message looks up a dozen strings. A DataView costs ~165 ns to make, more than
 * that saves on one message, so the last one made is kept for the next input in the same memory (the
 * messages of one socket read, of one slab) when that memory is small enough to be kept alive.
 */
import type { NodeBuffer } from './byte-writer.js';

/** The longest string cached, in bytes: longer ones are rarely repeated keys and cost more to compare. */
export const CACHED_MAX_BYTES = 32;
const SLOTS = 4096;

const texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const lengths = new Uint8Array(SLOTS);
const bytes = new Uint8Array(SLOTS * CACHED_MAX_BYTES);
const words = new DataView(bytes.buffer);

/** The largest memory whose DataView is kept for the next input (and so kept alive until then). */
const VIEW_KEEP_MAX = 64 * 1024;
let keptMemory: ArrayBufferLike | undefined;
let keptView: DataView | undefined;

/** A DataView of the whole of `memory` (an input's `buffer`; read at `byteOffset` + index). */
export function wordView(memory: ArrayBufferLike): DataView {
  if (memory === keptMemory) return keptView!;
  const v = new DataView(memory);
  if (memory.byteLength <= VIEW_KEEP_MAX) {
    keptMemory = memory;
    keptView = v;
  }
  return v;
}

/**
 * Whether `b[start..start+n)` (at `at + start` in `v`) equals the table's bytes at `base`; n >= 4 is read in
 * whole words, the last one overlapping the one before.
 */
function sameBytes(b: Buffer, v: DataView, at: number, start: number, n: number, base: number): boolean {
  if (n < 4) {
    for (let i = 0; i < n; i++) if (bytes[base + i] !== b[start + i]) return false;
    return true;
  }
  const p = at + start;
  const last = n - 4;
  for (let i = 0; i < last; i += 4) {
    if (v.getUint32(p + i, true) !== words.getUint32(base + i, true)) return false;
  }
  return v.getUint32(p + last, true) === words.getUint32(base + last, true);
}

/**
 * Whether `b[start..end)` is all ASCII, read a word at a time through `v`, a {@link wordView} of `b`'s
 * memory, where `b` starts at `at` (its `byteOffset`).
 */
export function isAscii(b: Buffer, v: DataView, at: number, start: number, end: number): boolean {
  let i = start;
  for (; i + 8 <= end; i += 8) {
    if (((v.getUint32(at + i, true) | v.getUint32(at + i + 4, true)) & 0x80808080) !== 0) return false;
  }
  if (i + 4 <= end) {
    if ((v.getUint32(at + i, true) & 0x80808080) !== 0) return false;
    i += 4;
  }
  for (; i < end; i++) if (b[i]! > 0x7f) return false;
  return true;
}

/**
 * The string of the ASCII bytes `b[start..end)` (at most {@link CACHED_MAX_BYTES}), from the cache when those
 * bytes were seen last in their slot; or undefined when a byte is not ASCII (the caller decodes UTF-8).
 * `v` is a {@link wordView} of `b`'s memory, where `b` starts at `at` (its `byteOffset`).
 */
export function cachedAscii(
  b: Buffer,
  v: DataView,
  at: number,
  start: number,
  end: number,
): string | undefined {
  const n = end - start;
  // The slot comes from the length and three words (the first, the middle, the last), not from every
  // byte: the exact comparison below reads the bytes anyway, so a full hash would read them twice.
  // Strings that differ only elsewhere share a slot and take turns in it, which costs a miss, never a
  // wrong answer.
  let h = n;
  if (n < 4) {
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
  } else {
    const p = at + start;
    h = Math.imul(h ^ v.getUint32(p, true), 0x9e3779b1);
    h = Math.imul(h ^ v.getUint32(p + ((n - 4) >> 1), true), 0x85ebca6b);
    h = Math.imul(h ^ v.getUint32(p + n - 4, true), 0xc2b2ae35);
  }
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const base = slot * CACHED_MAX_BYTES;
  const hit = texts[slot];
  // Only ASCII is ever stored, so bytes equal to a stored string's are ASCII too.
  if (hit !== undefined && lengths[slot] === n && sameBytes(b, v, at, start, n, base)) return hit;
  if (!isAscii(b, v, at, start, end)) return undefined;
  const s = (b as NodeBuffer).latin1Slice(start, end);
  texts[slot] = s;
  lengths[slot] = n;
  for (let i = 0; i < n; i++) bytes[base + i] = b[start + i]!;
  return s;
}
