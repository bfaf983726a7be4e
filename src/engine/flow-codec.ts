/**
 * The flow performative, read and written straight in its common encodings (see common-fields.ts):
 * a receiver sends one each time it tops credit up, a sender reads them, and both would otherwise make
 * the generic composite codec hot (and the compiler compile it) for a list of plain integers. A flow
 * with properties, or with a field of another type or encoding, goes to the generic codec.
 */
import type { ByteWriter } from '../codec/byte-writer.js';
import { Flow } from '../codec/composite-types.js';
import {
  ABSENT,
  beginList8,
  endList8,
  FieldCursor,
  isAbsent,
  isBoolOrAbsent,
  isUintOrAbsent,
  listRoom,
  putBool,
  putUint,
} from './common-fields.js';

/** A flow's fields, properties included. */
const FIELDS = 11;
const cursor = new FieldCursor();

/**
 * The flow whose list starts at `at` (just after the descriptor `0x00 0x53 0x13`) in a frame ending at
 * `frameEnd`, when the list is all of the frame's body and in a common encoding; else undefined.
 */
export function readFlow(b: Buffer, at: number, frameEnd: number): Flow | undefined {
  const c = cursor;
  if (!c.open(b, at, frameEnd, FIELDS)) return undefined;
  const nextIncomingId = c.uint();
  const incomingWindow = c.uint();
  const nextOutgoingId = c.uint();
  const outgoingWindow = c.uint();
  const handle = c.uint();
  const deliveryCount = c.uint();
  const linkCredit = c.uint();
  const available = c.uint();
  const drain = c.bool();
  const echo = c.bool();
  c.none(); // properties
  if (!c.finish(frameEnd)) return undefined;
  // A mandatory field missing: the generic reader says so.
  if (incomingWindow === ABSENT || nextOutgoingId === ABSENT || outgoingWindow === ABSENT) return undefined;
  const f = new Flow();
  if (nextIncomingId !== ABSENT) f.nextIncomingId = nextIncomingId;
  f.incomingWindow = incomingWindow;
  f.nextOutgoingId = nextOutgoingId;
  f.outgoingWindow = outgoingWindow;
  if (handle !== ABSENT) f.handle = handle;
  if (deliveryCount !== ABSENT) f.deliveryCount = deliveryCount;
  if (linkCredit !== ABSENT) f.linkCredit = linkCredit;
  if (available !== ABSENT) f.available = available;
  if (drain !== ABSENT) f.drain = drain === 1;
  if (echo !== ABSENT) f.echo = echo === 1;
  return f;
}

/**
 * Writes `f` (descriptor and list, the bytes the generic encoder writes) and returns true; or writes
 * nothing and returns false when it has properties, lacks a mandatory field, or has a field the generic
 * encoder would check (a value out of range, of the wrong type).
 */
export function writeFlow(w: ByteWriter, f: Flow): boolean {
  if (!isAbsent(f.properties) || isAbsent(f.incomingWindow) || isAbsent(f.nextOutgoingId)) return false;
  if (isAbsent(f.outgoingWindow) || !isUintOrAbsent(f.incomingWindow)) return false;
  if (!isUintOrAbsent(f.nextOutgoingId) || !isUintOrAbsent(f.outgoingWindow)) return false;
  if (!isUintOrAbsent(f.nextIncomingId) || !isUintOrAbsent(f.handle)) return false;
  if (!isUintOrAbsent(f.deliveryCount) || !isUintOrAbsent(f.linkCredit)) return false;
  if (!isUintOrAbsent(f.available) || !isBoolOrAbsent(f.drain) || !isBoolOrAbsent(f.echo)) return false;
  // Trailing absent fields are left out.
  let count = 10;
  if (isAbsent(f.echo)) {
    count = 9;
    if (isAbsent(f.drain)) {
      count = 8;
      if (isAbsent(f.available)) {
        count = 7;
        if (isAbsent(f.linkCredit)) {
          count = 6;
          if (isAbsent(f.deliveryCount)) count = isAbsent(f.handle) ? 4 : 5;
        }
      }
    }
  }
  w.ensure(listRoom(count));
  const b = w.buf;
  const fieldsAt = beginList8(b, w.pos, Flow.descriptor, count);
  let p = putUint(b, fieldsAt, f.nextIncomingId);
  p = putUint(b, p, f.incomingWindow);
  p = putUint(b, p, f.nextOutgoingId);
  p = putUint(b, p, f.outgoingWindow);
  if (count > 4) p = putUint(b, p, f.handle);
  if (count > 5) p = putUint(b, p, f.deliveryCount);
  if (count > 6) p = putUint(b, p, f.linkCredit);
  if (count > 7) p = putUint(b, p, f.available);
  if (count > 8) p = putBool(b, p, f.drain);
  if (count > 9) p = putBool(b, p, f.echo);
  endList8(b, fieldsAt, p);
  w.pos = p;
  return true;
}
