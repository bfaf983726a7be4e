/** The checks and conversions the encoders share: ranges, numeric forms, descriptions for errors. */
import { EncodeError } from '../errors.js';
import { Timestamp, ULong } from './types.js';

export const UINT_MAX = 0xffffffff;

/** A plain object, as opposed to a class instance: encoded as a map with string keys. */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The number inside a wrapper of a numeric type, or the number itself. */
export function numeric(v: unknown, type: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'value' in v && typeof v.value === 'number') return v.value;
  throw new EncodeError(`an array of ${type} cannot hold ${describe(v)}`);
}

export function wide(v: unknown, type: string): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof ULong || v instanceof Timestamp) return v.value;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'object' && v !== null && 'value' in v && typeof v.value === 'number') return v.value;
  throw new EncodeError(`an array of ${type} cannot hold ${describe(v)}`);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `a ${v.constructor?.name ?? 'object'}`;
  return `${typeof v} ${String(v)}`;
}

export function checkRange(
  type: string,
  v: number | bigint,
  min: number | bigint,
  max: number | bigint,
): void {
  if (typeof v === 'number' && !Number.isInteger(v))
    throw new EncodeError(`${type} must be an integer, not ${v}`);
  if (v < min || v > max) throw new EncodeError(`${type} must be from ${min} to ${max}, not ${v}`);
}

/** The byte length of a symbol's text: its length when ASCII, as it nearly always is. */
export function symbolLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  }
  return s.length;
}

export function fitsSmallLong(v: number | bigint): boolean {
  return v >= -128 && v <= 127;
}
