import { isLent, lendBuffer } from './lent-buffers.js';

/**
 * Node's Buffer has per-encoding methods that skip the encoding-name dispatch of `write` and
 * `toString`; they are not in @types/node, so they are named here.
 */
export interface NodeBuffer extends Buffer {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** Outputs from this size on may be handed over by take() instead of copied... */
const HANDOVER_MIN = 64 * 1024;
/** ...when at most this much of their buffer is unused. */
const HANDOVER_SLACK = 8192;

/**
 * A growable output buffer. Encoders write big-endian values at `pos`; sizes of compound values are
 * reserved and filled in after their content is written. Growth doubles, so a writer reused across
 * many encodes settles at the size of the largest one.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;
  /**
   * Set while a message is encoded for `Sender.send`: the room {@link reserveExact} makes for a large
   * value is lent (see lent-buffers.ts), and {@link take} hands such a buffer over whatever its slack.
   */
  lending = false;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.buf.length) this.grow(need);
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    this.resize(size);
  }

  /** Moves what is written into a new buffer of `size` bytes (or more, when `next` is given). */
  private resize(size: number, next: Buffer = Buffer.allocUnsafe(size)): void {
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    if (this.pos >= this.buf.length) this.grow(this.pos + 1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  /** Writes a whole number in -2^63..2^64-1 as 8 bytes (two's complement when negative). */
  u64(v: number | bigint): void {
    this.ensure(8);
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      const hi = Math.floor(v / 0x100000000);
      this.buf.writeInt32BE(hi | 0, this.pos);
      this.buf.writeUInt32BE(v - hi * 0x100000000, this.pos + 4);
    } else {
      this.buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)), this.pos);
    }
    this.pos += 8;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes `s` as UTF-8 and returns the number of bytes written; `maxBytes` must be enough room. */
  utf8(s: string, maxBytes: number): number {
    this.ensure(maxBytes);
    const b = this.buf;
    const p = this.pos;
    const len = s.length;
    // Short ASCII strings (names, keys, addresses) are copied here, cheaper than a call into C++.
    if (len < 48) {
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[p + i] = c;
      }
      if (i === len) {
        this.pos = p + len;
        return len;
      }
    }
    const n = (b as NodeBuffer).utf8Write(s, p);
    this.pos = p + n;
    return n;
  }

  /** Writes an ASCII string (a symbol), one byte a character. */
  ascii(s: string): void {
    const len = s.length;
    this.ensure(len);
    const b = this.buf;
    const p = this.pos;
    if (len < 48) {
      for (let i = 0; i < len; i++) b[p + i] = s.charCodeAt(i);
    } else {
      (b as NodeBuffer).latin1Write(s, p);
    }
    this.pos = p + len;
  }

  /** Sets a reserved 32-bit field. */
  setU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /**
   * Moves the bytes from `from` to the end `by` bytes further on, to widen a header reserved too narrow
   * (a list8 that turned out longer than 255 bytes becomes a list32).
   */
  shift(from: number, by: number): void {
    this.ensure(by);
    this.buf.copyWithin(from + by, from, this.pos);
    this.pos += by;
  }

  /** A copy of what was written, and the writer emptied for reuse. */
  take(): Buffer {
    // A large output that fills its buffer nearly exactly (see reserveExact) is handed over, not copied:
    // the writer starts again with a small buffer.
    if (
      this.pos >= HANDOVER_MIN &&
      (this.buf.length - this.pos <= HANDOVER_SLACK || (this.lending && isLent(this.buf.buffer)))
    ) {
      const whole = this.buf.subarray(0, this.pos);
      this.buf = Buffer.allocUnsafe(1024);
      this.pos = 0;
      return whole;
    }
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Where the output {@link takeView} hands out next begins (see {@link beginView}). */
  private viewStart = 0;

  /**
   * Starts an output to be handed out by {@link takeView}: after the previous one in the same buffer, or
   * at the start of a new buffer of `slab` bytes when less than `room` is left (or the buffer grew past
   * four slabs for some large output: small ones after it would keep all of it alive). The writer is then
   * an arena: the outputs it handed out are views of its buffers, never written over.
   */
  beginView(room: number, slab: number): void {
    if (this.buf.length - this.pos < room || this.buf.length > 4 * slab) {
      this.buf = Buffer.allocUnsafeSlow(slab);
      this.pos = 0;
    }
    this.viewStart = this.pos;
  }

  /** What was written since {@link beginView}, as a view; the next output goes after it. */
  takeView(): Buffer {
    const out = this.buf.subarray(this.viewStart, this.pos);
    this.viewStart = this.pos;
    return out;
  }

  /** Drops what was written since {@link beginView} (an encoding failed half way). */
  dropView(): void {
    this.pos = this.viewStart;
  }

  /**
   * Makes room for `n` more bytes and, when it has to grow, for exactly those (and a little slack), rather
   * than doubling: for one large value that ends what is written, so that {@link take} can hand the buffer
   * over.
   */
  reserveExact(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    const size = need + HANDOVER_SLACK / 2;
    this.resize(size, this.lending ? lendBuffer(size) : undefined);
  }
}
