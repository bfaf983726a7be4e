/**
 * Serial-number arithmetic (RFC 1982) for the 32-bit sequence numbers of AMQP 1.0: delivery-id,
 * transfer-id (next-incoming-id, next-outgoing-id), delivery-count. These wrap from 2^32-1 to 0, so
 * `a < b` is wrong near the wrap; compare them with these functions instead.
 *
 * Every function takes serial numbers as integers from 0 to 2^32-1 and returns them in that range.
 *
 * The undefined case: when two numbers are exactly 2^31 apart, RFC 1982 leaves their order undefined.
 * Here {@link serialDiff} returns {@link SERIAL_UNDEFINED} (-2^31) for them, and every comparison
 * (`serialLt`, `serialLte`, `serialGt`, `serialGte`) is false both ways. A protocol engine never meets
 * the case while its windows stay below 2^31, which the spec's window sizes guarantee.
 */

/** The modulus of the serial-number space: 2^32. */
export const SERIAL_MODULUS = 0x1_0000_0000;

/** What {@link serialDiff} returns when the distance is exactly 2^31, where the order is undefined. */
export const SERIAL_UNDEFINED = -0x8000_0000;

/** `a + n` modulo 2^32 (RFC 1982 addition; `n` may also be negative, to step back). */
export function serialAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/**
 * The signed distance from `a` to `b`, `b - a`, in (-2^31, 2^31): positive when `b` comes after `a`.
 * When `a` and `b` are exactly 2^31 apart the order is undefined and the result is
 * {@link SERIAL_UNDEFINED} (-2^31).
 */
export function serialDiff(a: number, b: number): number {
  return (b - a) | 0;
}

/** `a < b` in serial order: `b` comes after `a`, less than 2^31 ahead. */
export function serialLt(a: number, b: number): boolean {
  return serialDiff(a, b) > 0;
}

/** `a <= b` in serial order. */
export function serialLte(a: number, b: number): boolean {
  return a >>> 0 === b >>> 0 || serialDiff(a, b) > 0;
}

/** `a > b` in serial order: `a` comes after `b`, less than 2^31 ahead. */
export function serialGt(a: number, b: number): boolean {
  return serialDiff(b, a) > 0;
}

/** `a >= b` in serial order. */
export function serialGte(a: number, b: number): boolean {
  return a >>> 0 === b >>> 0 || serialDiff(b, a) > 0;
}
