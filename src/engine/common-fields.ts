/**
 * The fields of the small performatives a link exchanges most (flow, disposition) in the encodings
 * peers send in practice: a list8 or list32; integers as uint0, smalluint or uint; booleans as true,
 * false or boolean; null; an outcome with no fields. Their fast readers and writers (flow-codec.ts,
 * disposition-codec.ts) take only these, and give anything else up to the generic composite codec,
 * which also gives the errors: so the two never disagree on what a frame means, and the generic one
 * (a spec lookup and a type check per field) is not made hot, and compiled, for frames this plain.
 */
import { Code } from '../codec/format-codes.js';

/** What {@link FieldCursor.uint} and {@link FieldCursor.bool} give for a null or a field past the list's end. */
export const ABSENT = -1;

const NO_BYTES = Buffer.alloc(0);

/**
 * Reads a performative's fields one after another. A field in an encoding it does not take marks the
 * cursor not `ok` (and reads as absent): the caller then leaves the whole frame to the generic reader.
 */
export class FieldCursor {
  /** False once a field, or the list itself, was not in a common encoding or overran the list. */
  ok = false;
  private b: Buffer = NO_BYTES;
  private p = 0;
  private end = 0;
  private left = 0;

  /**
   * Opens the list starting at `at` (just after the descriptor) in a frame ending at `frameEnd`, of at
   * most `maxCount` fields; false (and not `ok`) when it is not a list8 or list32 that fits the frame.
   */
  open(b: Buffer, at: number, frameEnd: number, maxCount: number): boolean {
    this.ok = false;
    let p = at;
    if (p >= frameEnd) return false;
    const code = b[p++]!;
    let size: number;
    let count: number;
    if (code === Code.list8) {
      if (p + 2 > frameEnd) return false;
      size = b[p]! - 1;
      count = b[p + 1]!;
      p += 2;
    } else if (code === Code.list32) {
      if (p + 8 > frameEnd) return false;
      size = b.readUInt32BE(p) - 4;
      count = b.readUInt32BE(p + 4);
      p += 8;
    } else return false;
    if (size < 0 || p + size > frameEnd || count > maxCount) return false;
    this.b = b;
    this.p = p;
    this.end = p + size;
    this.left = count;
    this.ok = true;
    return true;
  }

  /**
   * Whether every field was read in a common encoding and the list ends exactly where its size says and
   * at `frameEnd` (nothing after it). Lets go of the buffer, which may be a large read's.
   */
  finish(frameEnd: number): boolean {
    this.b = NO_BYTES;
    return this.ok && this.left === 0 && this.p === this.end && this.end === frameEnd;
  }

  /**
   * The next field's constructor, ABSENT for a null or a field past the list's count, or -2 when the
   * list has run out of bytes (then not `ok`).
   */
  private next(): number {
    if (this.left === 0) return ABSENT;
    this.left--;
    if (this.p >= this.end) {
      this.ok = false;
      return -2;
    }
    const c = this.b[this.p++]!;
    return c === Code.null ? ABSENT : c;
  }

  /** The next field as a uint (0..2^32-1), or ABSENT. */
  uint(): number {
    const c = this.next();
    if (c < 0) return ABSENT;
    const b = this.b;
    if (c === Code.uint0) return 0;
    if (c === Code.smalluint && this.p < this.end) return b[this.p++]!;
    if (c === Code.uint && this.p + 4 <= this.end) {
      const v = b.readUInt32BE(this.p);
      this.p += 4;
      return v;
    }
    this.ok = false;
    return ABSENT;
  }

  /** The next field as a boolean (1 or 0), or ABSENT. */
  bool(): number {
    const c = this.next();
    if (c < 0) return ABSENT;
    if (c === Code.true) return 1;
    if (c === Code.false) return 0;
    if (c === Code.boolean && this.p < this.end && this.b[this.p]! <= 1) return this.b[this.p++]!;
    this.ok = false;
    return ABSENT;
  }

  /**
   * The next field as a described value with a small descriptor (`0x00 0x53 code`) and an empty list:
   * the code, or ABSENT (null, or absent). Anything else (fields in it, another descriptor) is not `ok`.
   */
  emptyComposite(): number {
    const c = this.next();
    if (c < 0) return ABSENT;
    const b = this.b;
    let p = this.p;
    if (c === Code.described && p + 3 <= this.end && b[p] === Code.smallulong) {
      const code = b[p + 1]!;
      const list = b[p + 2]!;
      p += 3;
      // An empty list: list0, or a list8 or list32 of no fields.
      if (list === Code.list0) {
        this.p = p;
        return code;
      }
      if (list === Code.list8 && p + 2 <= this.end && b[p] === 1 && b[p + 1] === 0) {
        this.p = p + 2;
        return code;
      }
      if (
        list === Code.list32 &&
        p + 8 <= this.end &&
        b.readUInt32BE(p) === 4 &&
        b.readUInt32BE(p + 4) === 0
      ) {
        this.p = p + 8;
        return code;
      }
    }
    this.ok = false;
    return ABSENT;
  }

  /** Reads a field that must be absent (null, or past the list's count); not `ok` otherwise. */
  none(): void {
    if (this.next() >= 0) this.ok = false;
  }
}

/** Whether `v` is absent (undefined or null), which a writer leaves out or writes as null. */
export function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/** Whether `v` is absent or a uint the fast writers can write as it is (a whole number in 0..2^32-1). */
export function isUintOrAbsent(v: unknown): boolean {
  return isAbsent(v) || (typeof v === 'number' && v >>> 0 === v);
}

/** Whether `v` is absent or a boolean. */
export function isBoolOrAbsent(v: unknown): boolean {
  return isAbsent(v) || typeof v === 'boolean';
}

/** Writes `v` (see {@link isUintOrAbsent}) at `b[p]` as the generic encoder would: null or the smallest uint. */
export function putUint(b: Buffer, p: number, v: number | undefined | null): number {
  if (isAbsent(v)) {
    b[p] = Code.null;
    return p + 1;
  }
  if (v === 0) {
    b[p] = Code.uint0;
    return p + 1;
  }
  if (v <= 0xff) {
    b[p] = Code.smalluint;
    b[p + 1] = v;
    return p + 2;
  }
  b[p] = Code.uint;
  b[p + 1] = v >>> 24;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 8;
  b[p + 4] = v;
  return p + 5;
}

/** Writes `v` (see {@link isBoolOrAbsent}) at `b[p]`: null, true or false. */
export function putBool(b: Buffer, p: number, v: boolean | undefined | null): number {
  b[p] = isAbsent(v) ? Code.null : v ? Code.true : Code.false;
  return p + 1;
}

/** The most bytes a described list8 of `count` fields of at most five bytes each takes. */
export function listRoom(count: number): number {
  return 6 + 5 * count;
}

/**
 * Writes at `b[p]` the head of a composite as a list8 of `count` fields (`0x00 0x53 descriptor 0xc0
 * size count`), its size left for {@link endList8}; returns where its fields go.
 */
export function beginList8(b: Buffer, p: number, descriptor: number, count: number): number {
  b[p] = Code.described;
  b[p + 1] = Code.smallulong;
  b[p + 2] = descriptor;
  b[p + 3] = Code.list8;
  b[p + 5] = count;
  return p + 6;
}

/** Fills in the size of the list8 whose fields begin at `fieldsAt` and end at `end`. */
export function endList8(b: Buffer, fieldsAt: number, end: number): void {
  // The size counts the count byte and the fields.
  b[fieldsAt - 2] = end - fieldsAt + 1;
}
