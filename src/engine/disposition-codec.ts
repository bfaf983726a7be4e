/**
 * The disposition performative, read and written straight in its common encodings (see
 * common-fields.ts): an outcome of no fields (accepted, released, a rejected without its error, a
 * modified without its fields) or none, for a delivery or a range of them. Every unsettled message
 * costs one (or a share of one) each way. A disposition carrying anything else (a rejection's error,
 * a transactional state, a received state) goes to the generic codec.
 */
import type { ByteWriter } from '../codec/byte-writer.js';
import { Accepted, Disposition, Modified, Rejected, Released } from '../codec/composite-types.js';
import { Code } from '../codec/format-codes.js';
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

const FIELDS = 6;
const cursor = new FieldCursor();

/**
 * A new outcome of no fields, by its descriptor code (accepted 0x24, rejected 0x25, released 0x26,
 * modified 0x27); undefined for any other code.
 */
export function outcomeOfCode(code: number): Accepted | Rejected | Released | Modified | undefined {
  switch (code) {
    case Accepted.descriptor:
      return new Accepted();
    case Rejected.descriptor:
      return new Rejected();
    case Released.descriptor:
      return new Released();
    case Modified.descriptor:
      return new Modified();
    default:
      return undefined;
  }
}

/**
 * The descriptor code of `state` when it is an outcome with no field set (written as an empty list),
 * ABSENT when there is no state, 0 for anything else.
 */
function emptyOutcomeCode(state: unknown): number {
  if (isAbsent(state)) return ABSENT;
  const k = (state as object).constructor;
  if (k === Accepted) return Accepted.descriptor;
  if (k === Released) return Released.descriptor;
  if (k === Rejected) return isAbsent((state as Rejected).error) ? Rejected.descriptor : 0;
  if (k !== Modified) return 0;
  const m = state as Modified;
  const none = isAbsent(m.deliveryFailed) && isAbsent(m.undeliverableHere) && isAbsent(m.messageAnnotations);
  return none ? Modified.descriptor : 0;
}

/**
 * The disposition whose list starts at `at` (just after the descriptor `0x00 0x53 0x15`) in a frame
 * ending at `frameEnd`, when the list is all of the frame's body and in a common encoding; else undefined.
 */
export function readDisposition(b: Buffer, at: number, frameEnd: number): Disposition | undefined {
  const c = cursor;
  if (!c.open(b, at, frameEnd, FIELDS)) return undefined;
  const role = c.bool();
  const first = c.uint();
  const last = c.uint();
  const settled = c.bool();
  const stateCode = c.emptyComposite();
  const batchable = c.bool();
  if (!c.finish(frameEnd) || role === ABSENT || first === ABSENT) return undefined;
  let state: Disposition['state'];
  if (stateCode !== ABSENT) {
    state = outcomeOfCode(stateCode);
    if (state === undefined) return undefined;
  }
  const d = new Disposition();
  d.role = role === 1;
  d.first = first;
  if (last !== ABSENT) d.last = last;
  if (settled !== ABSENT) d.settled = settled === 1;
  if (state !== undefined) d.state = state;
  if (batchable !== ABSENT) d.batchable = batchable === 1;
  return d;
}

/**
 * Writes `d` (descriptor and list, the bytes the generic encoder writes) and returns true; or writes
 * nothing and returns false when its state is not an outcome of no fields, it lacks a mandatory field,
 * or it has a field the generic encoder would check.
 */
export function writeDisposition(w: ByteWriter, d: Disposition): boolean {
  const stateCode = emptyOutcomeCode(d.state);
  if (stateCode === 0 || isAbsent(d.role) || isAbsent(d.first) || !isBoolOrAbsent(d.role)) return false;
  if (!isUintOrAbsent(d.first) || !isUintOrAbsent(d.last) || !isBoolOrAbsent(d.settled)) return false;
  if (!isBoolOrAbsent(d.batchable)) return false;
  // Trailing absent fields are left out.
  let count = 6;
  if (isAbsent(d.batchable)) {
    count = 5;
    if (stateCode === ABSENT) {
      count = 4;
      if (isAbsent(d.settled)) count = isAbsent(d.last) ? 2 : 3;
    }
  }
  w.ensure(listRoom(count));
  const b = w.buf;
  const fieldsAt = beginList8(b, w.pos, Disposition.descriptor, count);
  let p = putBool(b, fieldsAt, d.role);
  p = putUint(b, p, d.first);
  if (count > 2) p = putUint(b, p, d.last);
  if (count > 3) p = putBool(b, p, d.settled);
  if (count > 4) {
    if (stateCode === ABSENT) b[p++] = Code.null;
    else {
      b[p] = Code.described;
      b[p + 1] = Code.smallulong;
      b[p + 2] = stateCode;
      b[p + 3] = Code.list0;
      p += 4;
    }
  }
  if (count > 5) p = putBool(b, p, d.batchable);
  endList8(b, fieldsAt, p);
  w.pos = p;
  return true;
}
