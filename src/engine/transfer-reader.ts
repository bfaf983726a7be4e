/**
 * The transfer performative, read straight from the frame in its common encodings. Transfers are most
 * of the frames a receiver reads, and the generic composite reader (a decoder object, a lookup of the
 * descriptor, a type check per field) costs more than the message they carry. This reader takes only
 * what peers send in practice: a list8 or list32 of the eleven fields, integers as uint0/smalluint/uint,
 * booleans, binary tags, no delivery state. Anything else (a state, a ulong handle, a malformed list)
 * makes it give up, and the frame is read by the generic reader, which also gives the errors: so the
 * two never disagree on what a frame means.
 */
import { Transfer } from '../codec/composite-types.js';

const LIST8 = 0xc0;
const LIST32 = 0xd0;
const NULL = 0x40;
const TRUE = 0x41;
const FALSE = 0x42;
const BOOLEAN = 0x56;
const UINT0 = 0x43;
const SMALLUINT = 0x52;
const UINT = 0x70;
const UBYTE = 0x50;
const VBIN8 = 0xa0;
const VBIN32 = 0xb0;

/** The performative's fields, in list order. */
const HANDLE = 0;
const DELIVERY_ID = 1;
const DELIVERY_TAG = 2;
const MESSAGE_FORMAT = 3;
const SETTLED = 4;
const MORE = 5;
const RCV_SETTLE_MODE = 6;
const STATE = 7;
const RESUME = 8;
const ABORTED = 9;
const BATCHABLE = 10;

/** Reads a transfer's fields from a frame; `end` is where the payload starts after a successful read. */
export class TransferReader {
  /** After {@link read} returned a transfer: the offset of the payload in the frame. */
  end = 0;
  /**
   * The transfer read, one object for every frame: the engine takes what it needs from a transfer as it
   * handles it (the tag and state objects, not the transfer), so a new one per message would be garbage
   * at once. Valid until the next read.
   */
  private readonly transfer = new Transfer();

  /**
   * The transfer whose performative starts at `bodyStart` (the frame body's first byte) in a frame ending at
   * `frameEnd`, or undefined when the body is not a transfer (descriptor `0x00 0x53 0x14`) in a common
   * encoding. The object returned is reused by the next read.
   */
  readBody(b: Buffer, bodyStart: number, frameEnd = b.length): Transfer | undefined {
    if (bodyStart + 3 >= frameEnd) return undefined;
    if (b[bodyStart] !== 0x00 || b[bodyStart + 1] !== 0x53 || b[bodyStart + 2] !== 0x14) return undefined;
    return this.read(b, bodyStart + 3, frameEnd);
  }

  /**
   * The transfer whose list starts at `at` (just after the descriptor `0x00 0x53 0x14`), or undefined
   * when it is not in a common encoding (the caller then reads it the generic way).
   */
  read(b: Buffer, at: number, frameEnd = b.length): Transfer | undefined {
    let p = at;
    if (p >= frameEnd) return undefined;
    const code = b[p++]!;
    let size: number;
    let count: number;
    if (code === LIST8) {
      if (p + 2 > frameEnd) return undefined;
      size = b[p]! - 1;
      count = b[p + 1]!;
      p += 2;
    } else if (code === LIST32) {
      if (p + 8 > frameEnd) return undefined;
      size = b.readUInt32BE(p) - 4;
      count = b.readUInt32BE(p + 4);
      p += 8;
    } else return undefined;
    const listEnd = p + size;
    if (size < 0 || listEnd > frameEnd || count < 1 || count > 11) return undefined;
    const t = this.transfer;
    // The handle is field 0, always read (or the read gives up); the rest may be absent.
    t.deliveryId = t.messageFormat = t.rcvSettleMode = undefined;
    t.deliveryTag = t.state = undefined;
    t.settled = t.more = t.resume = t.aborted = t.batchable = undefined;
    for (let i = 0; i < count; i++) {
      if (p >= listEnd) return undefined;
      const c = b[p++]!;
      if (c === NULL) {
        if (i === HANDLE) return undefined;
        continue;
      }
      switch (i) {
        case HANDLE:
        case DELIVERY_ID:
        case MESSAGE_FORMAT: {
          let v: number;
          if (c === SMALLUINT) {
            if (p >= listEnd) return undefined;
            v = b[p++]!;
          } else if (c === UINT0) v = 0;
          else if (c === UINT) {
            if (p + 4 > listEnd) return undefined;
            v = b.readUInt32BE(p);
            p += 4;
          } else return undefined;
          if (i === HANDLE) t.handle = v;
          else if (i === DELIVERY_ID) t.deliveryId = v;
          else t.messageFormat = v;
          break;
        }
        case DELIVERY_TAG: {
          let n: number;
          if (c === VBIN8) {
            if (p >= listEnd) return undefined;
            n = b[p++]!;
          } else if (c === VBIN32) {
            if (p + 4 > listEnd) return undefined;
            n = b.readUInt32BE(p);
            p += 4;
          } else return undefined;
          if (p + n > listEnd) return undefined;
          t.deliveryTag = b.subarray(p, p + n);
          p += n;
          break;
        }
        case RCV_SETTLE_MODE:
          if (c !== UBYTE || p >= listEnd) return undefined;
          t.rcvSettleMode = b[p++]!;
          break;
        case STATE:
          return undefined;
        default: {
          // SETTLED, MORE, RESUME, ABORTED, BATCHABLE: booleans.
          let v: boolean;
          if (c === TRUE) v = true;
          else if (c === FALSE) v = false;
          else if (c === BOOLEAN && p < listEnd && b[p]! <= 1) v = b[p++] === 1;
          else return undefined;
          if (i === SETTLED) t.settled = v;
          else if (i === MORE) t.more = v;
          else if (i === RESUME) t.resume = v;
          else if (i === ABORTED) t.aborted = v;
          else if (i === BATCHABLE) t.batchable = v;
        }
      }
    }
    if (p !== listEnd) return undefined;
    this.end = p;
    return t;
  }
}
