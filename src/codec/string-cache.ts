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
  let h = n;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c > 0x7f) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = (h ^ (h >>> 13)) & (SLOTS - 1);
  const base = slot * CACHED_MAX_BYTES;
  const hit = texts[slot];
  if (hit !== undefined && lengths[slot] === n) {
    let i = 0;
    while (i < n && bytes[base + i] === b[start + i]) i++;
    if (i === n) return hit;
  }
  const s = (b as NodeBuffer).latin1Slice(start, end);
  texts[slot] = s;
  lengths[slot] = n;
  for (let i = 0; i < n; i++) bytes[base + i] = b[start + i]!;
  return s;
}
