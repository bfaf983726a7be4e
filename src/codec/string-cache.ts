/**
 * Short ASCII strings recur from message to message: addresses, subjects, content types, application
 * property keys, annotation keys. Making each one anew costs a native call and an allocation, and a new
 * string used as an object key must be hashed and internalized again. This cache hands back the string it
 * made last time for the same bytes, so a steady stream of similar messages decodes without making those
 * strings at all. It is bounded (a fixed table, each slot overwritten by the next string hashing to it) and
 * exact (the bytes are compared, never just the hash).
 */
import type { NodeBuffer } from './byte-writer.js';

/** The longest string cached, in bytes: longer ones are rarely repeated keys and cost more to compare. */
export const CACHED_MAX_BYTES = 32;
const SLOTS = 4096;

const texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const lengths = new Uint8Array(SLOTS);
const bytes = new Uint8Array(SLOTS * CACHED_MAX_BYTES);

/**
 * The string of the ASCII bytes `b[start..end)` (at most {@link CACHED_MAX_BYTES}), from the cache when those
 * bytes were seen last in their slot; or undefined when a byte is not ASCII (the caller decodes UTF-8).
 */
export function cachedAscii(b: Buffer, start: number, end: number): string | undefined {
  const n = end - start;
  // The slot comes from the length and a few bytes (the first four, the middle, the last four), not from
  // every byte: the exact comparison below reads the bytes anyway, so a full hash would read them twice.
  // Strings that differ only elsewhere share a slot and take turns in it, which costs a miss, never a
  // wrong answer.
  let h = n;
  if (n <= 9) {
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
  } else {
    h = (Math.imul(h, 31) + b[start]!) | 0;
    h = (Math.imul(h, 31) + b[start + 1]!) | 0;
    h = (Math.imul(h, 31) + b[start + 2]!) | 0;
    h = (Math.imul(h, 31) + b[start + 3]!) | 0;
    h = (Math.imul(h, 31) + b[start + (n >> 1)]!) | 0;
    h = (Math.imul(h, 31) + b[end - 4]!) | 0;
    h = (Math.imul(h, 31) + b[end - 3]!) | 0;
    h = (Math.imul(h, 31) + b[end - 2]!) | 0;
    h = (Math.imul(h, 31) + b[end - 1]!) | 0;
  }
  const slot = (h ^ (h >>> 13)) & (SLOTS - 1);
  const base = slot * CACHED_MAX_BYTES;
  const hit = texts[slot];
  // Only ASCII is ever stored, so bytes equal to a stored string's are ASCII too.
  if (hit !== undefined && lengths[slot] === n) {
    let i = 0;
    while (i < n && bytes[base + i] === b[start + i]) i++;
    if (i === n) return hit;
  }
  for (let i = start; i < end; i++) if (b[i]! > 0x7f) return undefined;
  const s = (b as NodeBuffer).latin1Slice(start, end);
  texts[slot] = s;
  lengths[slot] = n;
  for (let i = 0; i < n; i++) bytes[base + i] = b[start + i]!;
  return s;
}
